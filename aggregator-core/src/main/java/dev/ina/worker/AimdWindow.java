package dev.ina.worker;

/**
 * Additive increase, multiplicative decrease: the window halves once per loss episode (as TCP's recovery: losses
 * among the chunks that were in flight when the first was seen count once) and grows by one per window of
 * completed chunks, up to the job's window. A spurious episode (PENDING showed a slow peer, not loss) is undone,
 * as TCP's Eifel response.
 */
final class AimdWindow implements CongestionControl
{
    private final int maxWindow;
    private int window;
    private int credit;
    private int windowBeforeLoss;
    private int recoverySequence;

    /**
     * @param maxWindow the job's window, where the window starts.
     */
    AimdWindow(final int maxWindow)
    {
        this.maxWindow = maxWindow;
        this.window = maxWindow;
    }

    @Override
    public int window()
    {
        return window;
    }

    @Override
    public void onCallStart(final int base)
    {
        recoverySequence = base;
    }

    @Override
    public void onChunkCompleted()
    {
        if (window < maxWindow && ++credit >= window)
        {
            credit = 0;
            window++;
        }
    }

    @Override
    public boolean onLoss(final int sequence, final int next)
    {
        if (sequence - recoverySequence < 0)
        {
            return false;
        }
        windowBeforeLoss = window;
        window = Math.max(1, window / 2);
        credit = 0;
        recoverySequence = next;
        return true;
    }

    @Override
    public void onSpuriousLoss()
    {
        window = Math.max(window, windowBeforeLoss);
    }
}
