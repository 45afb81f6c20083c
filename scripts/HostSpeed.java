/*
 * How fast this machine runs a fixed piece of work, over time: a 96x96 matrix product, 40 times, on one thread,
 * every 2 s for SECONDS (default 40), printing its wall and CPU time. On a dedicated machine the figures are steady
 * after the first few (the JIT compiler); on a shared virtual machine they move with the other guests, also where
 * the hypervisor reports no steal (a busy sibling hyperthread, memory bandwidth, clock).
 *   java scripts/HostSpeed.java [SECONDS]      (any JDK 11+; nothing else should run meanwhile)
 */
public class HostSpeed {
    public static void main(String[] args) throws Exception {
        double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 40;
        int n = 96;
        double[] x = new double[n * n];
        double[] y = new double[n * n];
        double[] z = new double[n * n];
        java.util.Random rnd = new java.util.Random(1);
        for (int i = 0; i < x.length; i++) {
            x[i] = rnd.nextDouble();
            y[i] = rnd.nextDouble();
        }
        java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
        long end = System.nanoTime() + (long) (seconds * 1e9);
        java.util.List<Double> cpu = new java.util.ArrayList<>();
        while (System.nanoTime() < end) {
            long t = System.nanoTime();
            long c0 = threads.getCurrentThreadCpuTime();
            for (int r = 0; r < 40; r++) {
                for (int i = 0; i < n; i++) {
                    for (int k = 0; k < n; k++) {
                        double v = x[i * n + k];
                        for (int j = 0; j < n; j++) {
                            z[i * n + j] += v * y[k * n + j];
                        }
                    }
                }
            }
            double ms = (threads.getCurrentThreadCpuTime() - c0) / 1e6;
            cpu.add(ms);
            System.out.printf(java.util.Locale.ROOT, "%tT wall %.1f ms cpu %.1f ms%n", new java.util.Date(),
                    (System.nanoTime() - t) / 1e6, ms);
            Thread.sleep(2000);
        }
        java.util.List<Double> later = new java.util.ArrayList<>(cpu.subList(Math.min(3, cpu.size()), cpu.size()));
        java.util.Collections.sort(later);
        if (!later.isEmpty()) {
            System.out.printf(java.util.Locale.ROOT, "cpu ms after the first 3: least %.1f, median %.1f, most %.1f (%d)%n",
                    later.get(0), later.get(later.size() / 2), later.get(later.size() - 1), later.size());
        }
        if (z[0] == 42) {
            System.out.println();
        }
    }
}
