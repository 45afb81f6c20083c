package io.mpsl.scheduler.runtime;

/**
 * One direction of one network interface, as a run reports it: every message a node sends over it, the bytes
 * they put on the wire and how many of those were labels. Emulated in one JVM ({@link EmulatedLink}) or
 * shaped over Aeron ({@link AeronFabric}).
 */
interface Link {
    String name();

    long bytes();

    long messages();

    long labelBytes();
}
