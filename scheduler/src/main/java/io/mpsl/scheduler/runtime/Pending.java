package io.mpsl.scheduler.runtime;

import java.util.HashMap;

/** Messages that arrived before the step that consumes them, by (type, round, iteration, micro-batch). */
final class Pending {
    private final HashMap<Long, Message> byKey = new HashMap<>();

    static long key(MessageType type, int round, int iteration, int microBatch) {
        return ((long) round << 44) | ((long) iteration << 20) | ((long) microBatch << 3) | type.ordinal();
    }

    void put(Message m) {
        Message old = byKey.put(key(m.type, m.round, m.iteration, m.microBatch), m);
        if (old != null) {
            throw new IllegalStateException("duplicate message " + m);
        }
    }

    Message peek(MessageType type, int round, int iteration, int microBatch) {
        return byKey.get(key(type, round, iteration, microBatch));
    }

    Message take(MessageType type, int round, int iteration, int microBatch) {
        return byKey.remove(key(type, round, iteration, microBatch));
    }

    int size() {
        return byKey.size();
    }
}
