package dev.ina.protocol;

/**
 * Constants of wire protocol v1: version, frame types, flags, codec ids, header offsets and the arithmetic that
 * turns an MTU into elements per packet.
 * <p>
 * Every datagram carries exactly one frame: a 32-byte header followed by a payload. All multi-byte fields are
 * little-endian. The layout is drawn in {@link HeaderFlyweight}.
 */
public final class FrameDescriptor
{
    /** Protocol version carried in byte 0; a datagram with any other value is dropped. */
    public static final byte VERSION = 0x01;

    /** Length in bytes of the header every frame starts with. */
    public static final int HEADER_LENGTH = 32;

    /** Largest UDP payload over IPv4 (65535 - 20 IP - 8 UDP), the loopback maximum. */
    public static final int MAX_UDP_PAYLOAD_LENGTH = 65_507;

    /** Largest frame payload in bytes. */
    public static final int MAX_PAYLOAD_LENGTH = MAX_UDP_PAYLOAD_LENGTH - HEADER_LENGTH;

    /** IPv4 plus UDP header bytes, subtracted from an MTU to get the datagram payload. */
    public static final int IP_UDP_OVERHEAD_LENGTH = 28;

    /** Smallest elements-per-packet accepted by configuration. */
    public static final int MIN_ELEMENTS_PER_PACKET = 1;

    /** Largest elements-per-packet: four-byte elements that fill a loopback datagram (16368). */
    public static final int MAX_ELEMENTS_PER_PACKET = MAX_PAYLOAD_LENGTH / Integer.BYTES;

    /** Largest world size: bounded by the rank field and the bitmap of ranks each set keeps. */
    public static final int MAX_WORLD_SIZE = 1024;

    // ---- frame types (byte 1) ----

    /** Worker to aggregator: ask to join a job; repeated until acknowledged. Doubles as the job's barrier. */
    public static final byte TYPE_JOIN = 1;
    /** Aggregator to every rank once all ranks joined: carries the session token. */
    public static final byte TYPE_JOIN_ACK = 2;
    /** Worker to aggregator: one chunk of a rank's gradient. */
    public static final byte TYPE_CONTRIB = 3;
    /** Aggregator to worker: the finished sum of one chunk. */
    public static final byte TYPE_RESULT = 4;
    /** Aggregator to worker: reply to a retransmission whose chunk is still waiting for ranks; payload is the
     * bitmap of ranks seen (also the reply to a repeated JOIN while ranks are missing). */
    public static final byte TYPE_PENDING = 5;
    /** Aggregator to every rank: the job session ended abnormally; code and message in the payload. */
    public static final byte TYPE_ABORT = 6;
    /** Worker to aggregator: the rank leaves the job (on close). */
    public static final byte TYPE_LEAVE = 7;
    /** Aggregator to one worker: its request was refused; code and message in the payload. */
    public static final byte TYPE_ERROR = 8;

    /** Worker to aggregator: header only; asks for a chunk's result when the aggregator already holds this
     * rank's contribution (learnt from PENDING), so a retry does not resend the payload. Answered with RESULT if
     * the chunk is done, else PENDING. */
    public static final byte TYPE_RESEND = 9;

    /** Bounded mode, header only. Aggregator to worker: the chunk a CONTRIB or RESEND names is gone (its set was
     * reused after a partial result), so the rank fills the chunk from its own contribution. Worker to aggregator:
     * the rank gave the chunk up (it heard nothing about it for too long, or is asked for a chunk it has already
     * completed), so the chunk must not wait for it. */
    public static final byte TYPE_GONE = 10;

    /** Aggregator to worker: answers a JOIN that proves a job's secret but carries no valid or no recent cookie;
     * the payload is a fresh cookie (stateless, bound to the sender's address, the job, rank and nonce), which the
     * worker copies into its next JOINs. See {@link ControlFlyweight}. */
    public static final byte TYPE_CHALLENGE = 11;

    /** Aggregator to worker: header only; the aggregator lacks this rank's contribution to {@code count}
     * consecutive chunks from {@code sequence} (it saw a later one of the rank's, or waited past the others' arrival):
     * the worker sends them again at once, or, when the contributors field is not 0, not before that many
     * microseconds (the chunk's set is still busy with an older chunk). */
    public static final byte TYPE_NACK = 12;

    /** Highest frame type id of this version. */
    public static final byte MAX_TYPE = TYPE_NACK;

    // ---- flags (byte 2) ----

    /** Shadow set of the slot that the chunk uses: {@code (sequence / window) & 1}. */
    public static final byte FLAG_SHADOW_SET = 0x01;
    /** Last chunk of the all-reduce call. */
    public static final byte FLAG_LAST = 0x02;
    /** The frame is a retransmission. */
    public static final byte FLAG_RETRANSMIT = 0x04;
    /** A RESULT holds fewer than world-size contributions (bounded mode). */
    public static final byte FLAG_PARTIAL = 0x08;
    /** Control frames of secret-protected jobs: the frame ends in a {@link FrameProof#LENGTH}-byte HMAC-SHA256 tag
     * over every byte before it (this flag included), keyed with the job's secret. See {@link FrameProof}. */
    public static final byte FLAG_PROOF = 0x10;

    // ---- codec ids (byte 3) ----

    /** No payload codec: control frames. */
    public static final byte CODEC_NONE = 0;
    /** IEEE-754 float32 up and down. */
    public static final byte CODEC_FP32 = 1;
    /** int32 fixed point with a per-chunk shared exponent up and down. */
    public static final byte CODEC_FIXED32 = 2;
    /** int16 block-scaled values up; the aggregator sends their sums in the narrowest type that holds them. */
    public static final byte CODEC_INT16 = 3;
    /** int8 block-scaled values up; the aggregator sends their sums in the narrowest type that holds them. */
    public static final byte CODEC_INT8 = 4;
    /** int8 block-scaled values up, their sums stochastically re-quantised to int8 by the aggregator. */
    public static final byte CODEC_INT8_NARROW = 5;

    // ---- header offsets ----

    /** Offset of the version byte. */
    public static final int VERSION_OFFSET = 0;
    /** Offset of the frame type byte. */
    public static final int TYPE_OFFSET = 1;
    /** Offset of the flags byte. */
    public static final int FLAGS_OFFSET = 2;
    /** Offset of the codec byte. */
    public static final int CODEC_OFFSET = 3;
    /** Offset of the int32 job id. */
    public static final int JOB_ID_OFFSET = 4;
    /** Offset of the int32 session token. */
    public static final int SESSION_TOKEN_OFFSET = 8;
    /** Offset of the uint16 rank. */
    public static final int RANK_OFFSET = 12;
    /** Offset of the uint16 slot index. */
    public static final int SLOT_OFFSET = 14;
    /** Offset of the int32 round (all-reduce call number). */
    public static final int ROUND_OFFSET = 16;
    /** Offset of the int32 chunk sequence number (runs on across rounds, per job). */
    public static final int SEQUENCE_OFFSET = 20;
    /** Offset of the uint16 element count of the payload. */
    public static final int COUNT_OFFSET = 24;
    /** Offset of the int8 exponent the payload was scaled with. */
    public static final int EXPONENT_OFFSET = 26;
    /** Offset of the int8 exponent proposal (CONTRIB) or agreed exponent (RESULT) for sequence + window. */
    public static final int NEXT_EXPONENT_OFFSET = 27;
    /** Offset of the int32 contributor count (RESULT) or error code (ERROR, ABORT). */
    public static final int CONTRIBUTORS_OFFSET = 28;

    /** Exponent value meaning "every value of the chunk is zero". */
    public static final byte EXPONENT_ZERO = Byte.MIN_VALUE;

    private FrameDescriptor()
    {
    }

    /**
     * Elements of {@code bytesPerElement} bytes that fit one datagram of an MTU, with IP, UDP and frame headers.
     *
     * @param mtu             link MTU in bytes, e.g. 1500 or 9000.
     * @param bytesPerElement bytes one element takes on the wire.
     * @return elements per packet, at least 0.
     */
    public static int elementsPerMtu(final int mtu, final int bytesPerElement)
    {
        final int payload = Math.min(mtu - IP_UDP_OVERHEAD_LENGTH, MAX_UDP_PAYLOAD_LENGTH) - HEADER_LENGTH;
        return Math.max(0, payload / bytesPerElement);
    }

    /**
     * Human-readable name of a frame type, for error messages and counters.
     *
     * @param type frame type byte.
     * @return the name, or {@code "UNKNOWN(n)"}.
     */
    public static String typeName(final int type)
    {
        switch (type)
        {
            case TYPE_JOIN: return "JOIN";
            case TYPE_JOIN_ACK: return "JOIN_ACK";
            case TYPE_CONTRIB: return "CONTRIB";
            case TYPE_RESULT: return "RESULT";
            case TYPE_PENDING: return "PENDING";
            case TYPE_ABORT: return "ABORT";
            case TYPE_LEAVE: return "LEAVE";
            case TYPE_ERROR: return "ERROR";
            case TYPE_RESEND: return "RESEND";
            case TYPE_GONE: return "GONE";
            case TYPE_CHALLENGE: return "CHALLENGE";
            case TYPE_NACK: return "NACK";
            default: return "UNKNOWN(" + type + ")";
        }
    }

    /**
     * Shadow set a sequence uses in its slot: {@code (sequence / window) & 1}, with the window a power of two.
     * Multiply by {@link #FLAG_SHADOW_SET} for the header flag.
     *
     * @param sequence    chunk sequence.
     * @param windowShift {@code log2(window)}.
     * @return 0 or 1.
     */
    public static int shadowSetOf(final int sequence, final int windowShift)
    {
        return (sequence >>> windowShift) & 1;
    }

    /**
     * Wrap-around safe comparison of two sequence numbers.
     *
     * @param a first sequence.
     * @param b second sequence.
     * @return negative when {@code a} is older than {@code b}, zero when equal, positive when newer.
     */
    public static int compareSequence(final int a, final int b)
    {
        return a - b;
    }
}
