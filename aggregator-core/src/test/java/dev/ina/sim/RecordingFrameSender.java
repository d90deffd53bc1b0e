package dev.ina.sim;

import dev.ina.transport.FrameSender;
import org.agrona.DirectBuffer;

import java.util.ArrayList;
import java.util.List;

/**
 * A {@link FrameSender} that copies every frame into a list, for tests that drive one engine by hand.
 * Its return code is settable to simulate back-pressure. Not thread safe.
 */
public final class RecordingFrameSender implements FrameSender
{
    private final List<CapturedFrame> frames = new ArrayList<>();
    private int result = OK;

    @Override
    public int send(final DirectBuffer buffer, final int offset, final int length, final int peer)
    {
        final byte[] bytes = new byte[length];
        buffer.getBytes(offset, bytes);
        frames.add(new CapturedFrame(peer, bytes));
        return result;
    }

    /**
     * Return code of the following sends; frames are recorded either way.
     *
     * @param result {@link FrameSender#OK}, {@link FrameSender#BACK_PRESSURED} or {@link FrameSender#NOT_CONNECTED}.
     */
    public void result(final int result)
    {
        this.result = result;
    }

    /**
     * Every frame recorded since the last {@link #clear()}.
     *
     * @return the live list.
     */
    public List<CapturedFrame> frames()
    {
        return frames;
    }

    /**
     * Frames of one type.
     *
     * @param type frame type.
     * @return a new list.
     */
    public List<CapturedFrame> ofType(final byte type)
    {
        final List<CapturedFrame> matching = new ArrayList<>();
        for (final CapturedFrame frame : frames)
        {
            if (frame.type() == type)
            {
                matching.add(frame);
            }
        }
        return matching;
    }

    /**
     * The most recent frame.
     *
     * @return the last frame.
     * @throws AssertionError if none was sent.
     */
    public CapturedFrame last()
    {
        if (frames.isEmpty())
        {
            throw new AssertionError("no frame was sent");
        }
        return frames.get(frames.size() - 1);
    }

    /**
     * Forgets every frame recorded.
     */
    public void clear()
    {
        frames.clear();
    }
}
