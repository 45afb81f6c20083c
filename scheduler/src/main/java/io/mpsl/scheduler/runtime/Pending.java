package io.mpsl.scheduler.runtime;

import java.util.HashMap;

/**
 * Messages that arrived before the step that consumes them, by (type, participant, round, iteration,
 * micro-batch).
 */
final class Pending {
    private final HashMap<Long, Message> byKey = new HashMap<>();

    static long key(MessageType type, int participant, int round, int iteration, int microBatch) {
        if (microBatch >= 1 << 12 || iteration >= 1 << 20 || participant >= 1 << 16 || round >= 1 << 12) {
            throw new IllegalArgumentException("message index out of range: participant " + participant + " round "
                    + round + " iteration " + iteration + " micro-batch " + microBatch);
        }
        return ((long) round << 51) | ((long) participant << 35) | ((long) iteration << 15) | ((long) microBatch << 3)
                | type.ordinal();
    }

    void put(Message m) {
        Message old = byKey.put(key(m.type, m.participant, m.round, m.iteration, m.microBatch), m);
        if (old != null) {
            throw new IllegalStateException("duplicate message " + m);
        }
    }

    Message peek(MessageType type, int participant, int round, int iteration, int microBatch) {
        return byKey.get(key(type, participant, round, iteration, microBatch));
    }

    Message take(MessageType type, int participant, int round, int iteration, int microBatch) {
        return byKey.remove(key(type, participant, round, iteration, microBatch));
    }

    int size() {
        return byKey.size();
    }
}
