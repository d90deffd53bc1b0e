package dev.ina.worker;

/**
 * How one all-reduce call maps onto chunk sequences. A call of {@code C} data chunks takes {@code H + C}
 * consecutive sequences from {@code base}: scaled codecs first send {@code H = min(window, C)} empty
 * exponent-agreement chunks, unscaled codecs none. Data chunk {@code c} holds elements
 * {@code [c * elementsPerPacket, min((c + 1) * elementsPerPacket, count))}. Single-threaded.
 */
final class ChunkPlan
{
    private final int elementsPerPacket;
    private final int window;
    private final boolean scaled;
    private int base;
    private int headerChunks;
    private int dataChunks;
    private int totalChunks;
    private int elementCount;

    ChunkPlan(final int elementsPerPacket, final int window, final boolean scaled)
    {
        this.elementsPerPacket = elementsPerPacket;
        this.window = window;
        this.scaled = scaled;
    }

    /**
     * Plans a call of {@code count} elements from sequence {@code base}.
     */
    void plan(final int base, final int count)
    {
        this.base = base;
        elementCount = count;
        dataChunks = (int)(((long)count + elementsPerPacket - 1) / elementsPerPacket);
        headerChunks = scaled ? Math.min(window, dataChunks) : 0;
        totalChunks = headerChunks + dataChunks;
    }

    int base()
    {
        return base;
    }

    /**
     * The sequence after the call's last.
     */
    int end()
    {
        return base + totalChunks;
    }

    int totalChunks()
    {
        return totalChunks;
    }

    int headerChunks()
    {
        return headerChunks;
    }

    int dataChunks()
    {
        return dataChunks;
    }

    int window()
    {
        return window;
    }

    int elementsPerPacket()
    {
        return elementsPerPacket;
    }

    boolean isData(final int sequence)
    {
        return sequence - base >= headerChunks;
    }

    boolean isLast(final int sequence)
    {
        return sequence - base == totalChunks - 1;
    }

    /**
     * The data chunk a sequence carries; negative for an agreement chunk.
     */
    int dataChunk(final int sequence)
    {
        return sequence - base - headerChunks;
    }

    /**
     * The data chunk whose exponent a sequence proposes: {@code H} chunks ahead.
     */
    int proposalChunk(final int sequence)
    {
        return sequence - base;
    }

    /**
     * Elements in a data chunk.
     */
    int count(final int chunk)
    {
        return Math.min(elementsPerPacket, elementCount - chunk * elementsPerPacket);
    }

    /**
     * Index of a data chunk's first element.
     */
    int firstElement(final int chunk)
    {
        return chunk * elementsPerPacket;
    }
}
