package io.mpsl.scheduler.tune;

/**
 * What the runtime itself costs beside the model's compute and the links, as the cost model needs it.
 *
 * @param cores CPU cores every role's compute shares (0 = each owner and hop has its own processor, as on a
 *     real deployment; in local mode every role is a thread of one JVM on this machine's cores)
 * @param backgroundThreads other programs' runnable threads on those cores (measured while profiling)
 * @param copyBytesPerS rate of the copy a sender makes of every tensor it sends (into the receiver's buffer),
 *     charged to the sender's compute; 0 = free
 * @param averageBytesPerS rate of the round-end federated averaging per participant's copy; 0 = free
 * @param iterationsPerRound mini-batches per owner per round: the round-end aggregation is spread over them
 * @param headerBytes bytes every message adds to its payload on the wire
 */
public record RuntimeCosts(int cores, double backgroundThreads, double copyBytesPerS, double averageBytesPerS,
        int iterationsPerRound, int headerBytes, double ownerPassS, double hopPassS) {

    /** Dedicated processors, free copies and averaging, one iteration per round, 64-byte headers. */
    public static final RuntimeCosts IDEAL = new RuntimeCosts(0, 0, 0, 0, 1, 64);

    /** Without the runtime's own CPU time per forward or backward step (0 on owners and hops). */
    public RuntimeCosts(int cores, double backgroundThreads, double copyBytesPerS, double averageBytesPerS,
            int iterationsPerRound, int headerBytes) {
        this(cores, backgroundThreads, copyBytesPerS, averageBytesPerS, iterationsPerRound, headerBytes, 0, 0);
    }

    public RuntimeCosts {
        if (!(ownerPassS >= 0) || !(hopPassS >= 0)) {
            throw new IllegalArgumentException("bad per-step runtime costs: owner " + ownerPassS + " s, hop "
                    + hopPassS + " s");
        }
        if (cores < 0 || !(backgroundThreads >= 0) || copyBytesPerS < 0 || averageBytesPerS < 0 || iterationsPerRound < 1 || headerBytes < 0) {
            throw new IllegalArgumentException("bad runtime costs: cores " + cores + ", copy " + copyBytesPerS
                    + " B/s, average " + averageBytesPerS + " B/s, iterations per round " + iterationsPerRound
                    + ", header " + headerBytes + " B");
        }
    }

    /** Seconds to copy {@code bytes} (0 when copies are free). */
    public double copyS(double bytes) {
        return copyBytesPerS == 0 ? 0 : bytes / copyBytesPerS;
    }

    /** Seconds to average {@code bytes} of each of {@code copies} copies (0 when free or one copy). */
    public double averageS(double bytes, int copies) {
        return averageBytesPerS == 0 || copies < 2 ? 0 : bytes * copies / averageBytesPerS;
    }

    public RuntimeCosts withIterationsPerRound(int n) {
        return new RuntimeCosts(cores, backgroundThreads, copyBytesPerS, averageBytesPerS, n, headerBytes, ownerPassS,
                hopPassS);
    }
}
