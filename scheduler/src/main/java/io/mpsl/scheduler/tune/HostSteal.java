package io.mpsl.scheduler.tune;

import io.mpsl.scheduler.runtime.LocalCluster;

/**
 * The benches' rule for a measurement the hypervisor spoiled. On a virtual machine the host may give part of
 * the guest's processor time to other guests (steal, {@code /proc/stat}); a local run's threads then wait for a
 * vCPU that no thread's timing sees, and every hand-off between them waits with it. An emulated cluster's
 * iteration time measured then is that of a machine with fewer processors than the one emulated, whatever the
 * plan. A measurement whose steal is over {@link #NOISY_PCT} is taken again, after {@link #awaitQuiet} (at most
 * {@link #ATTEMPTS} in all), and the attempt with the least steal is kept: kept by the host's noise alone, never
 * by the measurement's value, and every attempt is reported.
 */
final class HostSteal {
    /** Steal, in percent of the machine's processor time, over which a measurement is taken again. */
    static final double NOISY_PCT = 8;

    /** Most measurements of one plan. */
    static final int ATTEMPTS = 3;

    /** Most seconds {@link #awaitQuiet} waits. */
    static final double WAIT_MAX_S = 15;

    /** Window of {@link #awaitQuiet}'s probe. */
    static final long PROBE_NS = 400_000_000;

    private HostSteal() {
    }

    /** Whether a measurement over which the host stole {@code stealPct} is taken again (not where unknown). */
    static boolean noisy(double stealPct) {
        return stealPct > NOISY_PCT;
    }

    /**
     * The attempt to keep: the first with the least steal; where an attempt's steal is unknown (NaN), the first
     * attempt (the machine does not say, and no attempt was taken again).
     */
    static int quietest(double[] stealPct) {
        int best = 0;
        for (int i = 0; i < stealPct.length; i++) {
            if (Double.isNaN(stealPct[i])) {
                return 0;
            }
            if (stealPct[i] < stealPct[best]) {
                best = i;
            }
        }
        return best;
    }

    /**
     * Waits, at most {@code maxS} seconds, for the host to give back the machine's processors: probes the steal
     * with one spinning thread per processor for {@link #PROBE_NS} (an idle vCPU asks for nothing and is not stolen
     * from, so an idle window would read quiet on a busy host) until a probe reads at most {@link #NOISY_PCT}.
     * Returns the last probe's steal (NaN where the machine does not say).
     */
    static double awaitQuiet(double maxS) throws InterruptedException {
        long end = System.nanoTime() + (long) (maxS * 1e9);
        double steal;
        do {
            steal = probe(Runtime.getRuntime().availableProcessors(), PROBE_NS);
        } while (noisy(steal) && System.nanoTime() < end);
        return steal;
    }

    /** The host's steal while {@code threads} threads spin for {@code ns}. */
    static double probe(int threads, long ns) throws InterruptedException {
        long[] from = LocalCluster.hostTicks();
        if (from == null) {
            return Double.NaN;
        }
        long until = System.nanoTime() + ns;
        Thread[] spinners = new Thread[threads];
        for (int i = 0; i < threads; i++) {
            // a plain busy loop (the clock read keeps it): no Thread.onSpinWait, whose PAUSE a KVM host may take as
            // a spinning guest and deschedule, which would be steal the probe made itself
            spinners[i] = Thread.ofPlatform().daemon().name("steal-probe-" + i).start(() -> {
                while (System.nanoTime() < until) {
                    // spin
                }
            });
        }
        for (Thread t : spinners) {
            t.join();
        }
        return LocalCluster.stealPct(from, LocalCluster.hostTicks());
    }
}
