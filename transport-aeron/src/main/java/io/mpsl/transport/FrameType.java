package io.mpsl.transport;

/** What a frame carries. The wire code is one byte; 0 and codes above {@link #MAX_CODE} are invalid. */
public enum FrameType {
    /** Forward activations of a micro-batch, device or hop to the next hop. */
    ACTIVATION(1),
    /** Backward gradients of a micro-batch, hop to the previous hop or device. */
    GRADIENT(2),
    /** Class labels of a micro-batch (I32), when the loss is not on the device. */
    LABELS(3),
    /** Model weights, for aggregation (FedAvg) and distribution. */
    WEIGHTS(4),
    /** Small control messages of the coordinator (plans, round starts, acknowledgements). */
    CONTROL(5);

    /** The largest valid wire code. */
    public static final int MAX_CODE = 5;

    private static final FrameType[] BY_CODE = new FrameType[MAX_CODE + 1];

    static {
        for (FrameType t : values()) {
            BY_CODE[t.code] = t;
        }
    }

    private final int code;

    FrameType(int code) {
        this.code = code;
    }

    /** The byte written on the wire. */
    public int code() {
        return code;
    }

    /** The type of a wire code, or {@code null} for an unknown code. Allocation-free. */
    public static FrameType fromCode(int code) {
        return code > 0 && code <= MAX_CODE ? BY_CODE[code] : null;
    }
}
