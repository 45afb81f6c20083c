package io.mpsl.scheduler.tune;

import io.mpsl.nn.data.DatasetPair;
import io.mpsl.scheduler.Experiment;
import io.mpsl.scheduler.config.PlanConfig;
import io.mpsl.scheduler.plan.Algorithm;
import io.mpsl.scheduler.plan.Plan;
import io.mpsl.scheduler.runtime.LocalCluster;
import io.mpsl.scheduler.runtime.TrainingState;
import io.mpsl.tensor.MemoryAccount;
import io.mpsl.tensor.json.Json;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code mpsl bench tune-noise [--models vgg5,vgg11] [--links 10/25,100/100] [--repeats N] [--json FILE]}: the
 * noise floor of {@link TuneGrid}. It measures every plan of the grid's settings {@code N} times, as the grid
 * measures a plan (a warm-up round, then one cluster of 1 + {@link TuneGrid#MEASURED_ROUNDS} rounds, its first
 * left out, the median of the rest, taken again where the host's steal spoiled it ({@link TuneGrid#measure}); the
 * grid's calibration round between the two is left out), in {@code N} passes over a setting's six plans, so that a plan's
 * measurements lie a pass (one to two minutes) apart, as the grid's predictions lie from its measurements. Per
 * plan it prints the measurements and their spread; per setting and in all, how many measurements lie within 10%
 * of the mean of the same plan's other measurements: what a predictor that knew each plan's time exactly, up to
 * the machine's drift between passes, would score on the grid's 10% criterion.
 */
public final class TuneNoise {
    public static final String USAGE = "tune-noise [--models vgg5,vgg11] [--links 10/25,100/100] [--repeats N]"
            + " [--json FILE]";

    private TuneNoise() {
    }

    public static int run(String[] args) throws Exception {
        Path json = null;
        List<String> models = List.of("vgg5", "vgg11");
        List<String> links = List.of("10/25", "100/100");
        int repeats = 3;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--json" -> json = Path.of(args[++i]);
                case "--models" -> models = Arrays.asList(args[++i].split(","));
                case "--links" -> links = Arrays.asList(args[++i].split(","));
                case "--repeats" -> repeats = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown option '" + args[i] + "'; usage: " + USAGE);
            }
        }
        List<String> knownModels = Arrays.stream(TuneGrid.MODELS).map(TuneGrid.ModelCase::model).toList();
        List<String> knownLinks = Arrays.stream(TuneGrid.LINKS).map(TuneNoise::linkName).toList();
        for (String m : models) {
            if (!knownModels.contains(m)) {
                throw new IllegalArgumentException("--models: no grid model '" + m + "'; one or more of " + knownModels);
            }
        }
        for (String l : links) {
            if (!knownLinks.contains(l)) {
                throw new IllegalArgumentException("--links: no grid setting '" + l + "'; one or more of " + knownLinks
                        + " (up/down Mbit/s)");
            }
        }
        if (repeats < 2) {
            throw new IllegalArgumentException("--repeats must be at least 2 (each measurement is set against the"
                    + " others), got " + repeats);
        }
        PrintStream out = System.out;
        long start = System.nanoTime();
        List<Map<String, Object>> rows = new ArrayList<>();
        int within = 0;
        int total = 0;
        int retried = 0;
        for (TuneGrid.ModelCase mc : TuneGrid.MODELS) {
            if (!models.contains(mc.model())) {
                continue;
            }
            TuneGrid.warmUpJit(mc, TuneGrid.JIT_WARMUP_S, out);
            for (double[] link : TuneGrid.LINKS) {
                if (!links.contains(linkName(link))) {
                    continue;
                }
                PlanConfig base = TuneGrid.config(mc, link);
                int plans = mc.cuts().length * TuneGrid.MICRO_BATCHES.length;
                double[][] measured = new double[plans][repeats];
                double[][] steal = new double[plans][repeats];
                try (DatasetPair data = new Experiment(base, out).loadData(MemoryAccount.root("data"))) {
                    TrainingState state = null;
                    for (int pass = 0; pass < repeats; pass++) {
                        int k = 0;
                        for (int[] cuts : mc.cuts()) {
                            for (int m : TuneGrid.MICRO_BATCHES) {
                                PlanConfig pc = base.with(List.of("cuts=" + Arrays.toString(cuts), "micro_batches=" + m));
                                Plan plan = pc.plan(Algorithm.SPLIT);
                                TrainingState[] warmed = new TrainingState[1];
                                AdaptiveRun.runRound(AdaptiveRun.roundPlan(plan, 0, List.of()), data.train(),
                                        data.test(), new LocalCluster.Options().evaluate(false), state, warmed, null);
                                TuneGrid.Measurement meas = TuneGrid.measure(
                                        pc.with(List.of("rounds=" + (1 + TuneGrid.MEASURED_ROUNDS))).plan(Algorithm.SPLIT),
                                        data, warmed[0], null, null);
                                state = meas.state();
                                measured[k][pass] = TuneGrid.medianRoundS(meas.run()) / mc.iterations();
                                steal[k][pass] = meas.stealPct();
                                retried += meas.attemptStealPct().length > 1 ? 1 : 0;
                                out.printf(Locale.ROOT, "  pass %d: %-6s %3.0f/%-4.0f %-6s %3d %10.4f s  steal %4.1f%%"
                                        + " (attempt %d of %d)%n", pass + 1, mc.model(), link[0], link[1],
                                        Arrays.toString(cuts), m, measured[k][pass], steal[k][pass], meas.kept() + 1,
                                        meas.attemptStealPct().length);
                                k++;
                            }
                        }
                    }
                }
                int k = 0;
                int settingWithin = 0;
                for (int[] cuts : mc.cuts()) {
                    for (int m : TuneGrid.MICRO_BATCHES) {
                        double[] hostSteal = steal[k];
                        double[] x = measured[k++];
                        double lo = Double.POSITIVE_INFINITY;
                        double hi = 0;
                        for (double v : x) {
                            lo = Math.min(lo, v);
                            hi = Math.max(hi, v);
                        }
                        List<Double> errs = new ArrayList<>();
                        for (double err : againstOthersPct(x)) {
                            errs.add(err);
                            settingWithin += Math.abs(err) <= 10 ? 1 : 0;
                        }
                        Map<String, Object> row = new LinkedHashMap<>();
                        row.put("model", mc.model());
                        row.put("uplink_mbit", link[0]);
                        row.put("downlink_mbit", link[1]);
                        row.put("cuts", Arrays.toString(cuts));
                        row.put("micro_batches", m);
                        row.put("measured_s", Arrays.stream(x).boxed().toList());
                        row.put("spread_pct", 100 * (hi / lo - 1));
                        row.put("host_steal_pct", Arrays.stream(hostSteal).boxed().toList());
                        row.put("others_mean_error_pct", errs);
                        rows.add(row);
                        StringBuilder sb = new StringBuilder();
                        for (int i = 0; i < x.length; i++) {
                            sb.append(String.format(Locale.ROOT, " %.4f (%+.1f%%)", x[i], errs.get(i)));
                        }
                        out.printf(Locale.ROOT, "%-6s %3.0f/%-4.0f %-6s %3d spread %5.1f%%; each against the mean of the"
                                + " others:%s%n", mc.model(), link[0], link[1], Arrays.toString(cuts), m,
                                100 * (hi / lo - 1), sb);
                    }
                }
                out.printf(Locale.ROOT, "  setting %s %.0f/%.0f: %d of %d measurements within 10%% of their plan's other"
                        + " measurements%n", mc.model(), link[0], link[1], settingWithin, plans * repeats);
                within += settingWithin;
                total += plans * repeats;
            }
        }
        double wall = (System.nanoTime() - start) / 1e9;
        out.printf(Locale.ROOT, "%d of %d measurements (%.0f%%) within 10%% of the mean of their plan's other measurements;"
                + " %.0f s in all on %d cores%n", within, total, total == 0 ? 0 : 100.0 * within / total, wall,
                Runtime.getRuntime().availableProcessors());
        out.printf(Locale.ROOT, "%d of %d measurements taken again for steal over %.0f%% (as the grid takes them)%n",
                retried, total, HostSteal.NOISY_PCT);
        if (json != null) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("plans", rows);
            m.put("repeats", repeats);
            m.put("within_10pct", within);
            m.put("total", total);
            m.put("wall_s", wall);
            m.put("remeasured_for_steal", retried);
            Files.writeString(json, Json.writePretty(m) + "\n");
        }
        return 0;
    }

    /** A link setting as the options name it: up/down in Mbit/s. */
    private static String linkName(double[] link) {
        return String.format(Locale.ROOT, "%.0f/%.0f", link[0], link[1]);
    }

    /**
     * Per measurement, in percent, how far the mean of the other measurements (of the same plan) lies from it:
     * the error of a prediction that knew the plan's time from its other runs.
     */
    static double[] againstOthersPct(double[] x) {
        if (x.length < 2) {
            throw new IllegalArgumentException("need two measurements or more, got " + x.length);
        }
        double sum = 0;
        for (double v : x) {
            sum += v;
        }
        double[] err = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            err[i] = 100 * ((sum - x[i]) / (x.length - 1) / x[i] - 1);
        }
        return err;
    }
}
