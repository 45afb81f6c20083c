package io.mpsl.scheduler.cost;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mpsl.scheduler.cost.PipelineSimulator.LinkCost;
import io.mpsl.scheduler.cost.PipelineSimulator.StageCost;
import io.mpsl.scheduler.schedule.ScheduleKind;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class PipelineSimulatorTest {
    private static final double EPS = 1e-9;

    @Test
    void shouldAddUpOneStageWithoutPipelining() {
        PipelineSimulator sim = new PipelineSimulator();
        int cpu = sim.resource("owner");
        sim.participant(1, ScheduleKind.SEQUENTIAL, new StageCost[] {new StageCost(cpu, 1, 2, 0.5)}, new LinkCost[0]);
        assertEquals(3.5, sim.simulate().makespanS(), EPS);
    }

    @Test
    void shouldFollowActivationAndGradientAcrossALinkWithDelay() {
        PipelineSimulator sim = new PipelineSimulator();
        int owner = sim.resource("owner");
        int hop = sim.resource("hop");
        int up = sim.resource("up");
        int down = sim.resource("down");
        sim.participant(1, ScheduleKind.SEQUENTIAL,
                new StageCost[] {new StageCost(owner, 1, 1.5, 0.2), new StageCost(hop, 2, 3, 0.2)},
                new LinkCost[] {new LinkCost(up, down, 0.5, 0.25, 0.1)});
        // F0 [0,1]; act [1,1.5] +0.1; F1 [1.6,3.6]; B1 [3.6,6.6]; grad [6.6,6.85] +0.1; B0 [6.95,8.45]; S [8.45,8.65]
        PipelineSimulator.Result r = sim.simulate();
        assertEquals(8.65, r.makespanS(), EPS);
        assertEquals(1 + 1.5 + 0.2, r.busyS()[owner], EPS);
        assertEquals(0.5, r.busyS()[up], EPS);
    }

    @Test
    void shouldMatchTheTextbookFillAndDrainForUniformStages() {
        for (ScheduleKind k : new ScheduleKind[] {ScheduleKind.GPIPE, ScheduleKind.ONE_F_ONE_B}) {
            for (int stages = 1; stages <= 4; stages++) {
                for (int m = 1; m <= 6; m++) {
                    PipelineSimulator sim = new PipelineSimulator();
                    StageCost[] sc = new StageCost[stages];
                    LinkCost[] lc = new LinkCost[stages - 1];
                    for (int s = 0; s < stages; s++) {
                        sc[s] = new StageCost(sim.resource("stage" + s), 1, 2, 0);
                    }
                    for (int s = 0; s < stages - 1; s++) {
                        lc[s] = new LinkCost(sim.resource("up" + s), sim.resource("down" + s), 0, 0, 0);
                    }
                    sim.participant(m, k, sc, lc);
                    // (m + S - 1) * (tF + tB) for uniform stages and free links
                    assertEquals((m + stages - 1) * 3.0, sim.simulate().makespanS(), EPS, k + " S=" + stages + " m=" + m);
                }
            }
        }
    }

    @Test
    void shouldSerializeParticipantsOnASharedHop() {
        PipelineSimulator sim = new PipelineSimulator();
        int hop = sim.resource("hop");
        for (int p = 0; p < 2; p++) {
            int owner = sim.resource("owner" + p);
            int up = sim.resource("up" + p);
            int down = sim.resource("down" + p);
            sim.participant(1, ScheduleKind.SEQUENTIAL,
                    new StageCost[] {new StageCost(owner, 1, 1, 0), new StageCost(hop, 2, 2, 0)},
                    new LinkCost[] {new LinkCost(up, down, 0, 0, 0)});
        }
        // Both owners finish F at 1; hop runs F(p0) [1,3], then B(p0) and F(p1) compete at 3: earliest start
        // ties go to the lower participant: B(p0) [3,5], F(p1) [5,7], B(p1) [7,9]; owner1 B [9,10].
        PipelineSimulator.Result r = sim.simulate();
        assertEquals(10, r.makespanS(), EPS);
        assertEquals(8, r.busyS()[hop], EPS);
        assertEquals(8, r.lowerBoundS(), EPS);
    }

    @Test
    void shouldServeTheMoreUrgentParticipantFirstOnARankedHop() {
        for (boolean ranked : new boolean[] {false, true}) {
            PipelineSimulator sim = new PipelineSimulator();
            int hop = sim.resource("hop");
            if (ranked) {
                sim.ranked(hop);
            }
            double[] ownerForward = {1, 1.5, 0.5};
            double[] hopForward = {1, 1, 2};
            int[] owner = new int[3];
            for (int p = 0; p < 3; p++) {
                owner[p] = sim.resource("owner" + p);
                int up = sim.resource("up" + p);
                int down = sim.resource("down" + p);
                sim.participant(1, ScheduleKind.SEQUENTIAL,
                        new StageCost[] {new StageCost(owner[p], ownerForward[p], 0.25, 0),
                            new StageCost(hop, hopForward[p], 0, 0)},
                        new LinkCost[] {new LinkCost(up, down, 0, 0, 0)});
            }
            sim.urgency(1, 1.0); // participant 1's owner has the slowest uplink
            PipelineSimulator.Result r = sim.simulate();
            // F(p2) reaches the hop first and runs [0.5, 2.5]; by then F(p0) (ready at 1) and F(p1) (ready at 1.5)
            // wait. First come, first served: F(p0) [2.5, 3.5], F(p1) [3.5, 4.5]; ranked: F(p1) first, though
            // ready later. Each loss backward takes no time and each owner's backward 0.25 after it.
            assertEquals(4.75, r.makespanS(), EPS);
            assertEquals(2.75, r.lastEndS()[owner[2]], EPS);
            assertEquals(ranked ? 4.75 : 3.75, r.lastEndS()[owner[0]], EPS, "ranked " + ranked);
            assertEquals(ranked ? 3.75 : 4.75, r.lastEndS()[owner[1]], EPS, "ranked " + ranked);
        }
    }

    @Test
    void shouldHideTransfersBehindComputeWhenPipelined() {
        // A slow uplink (2 per micro-batch) and owner compute 1: with 4 micro-batches the uplink dominates.
        PipelineSimulator sim = new PipelineSimulator();
        int owner = sim.resource("owner");
        int hop = sim.resource("hop");
        int up = sim.resource("up");
        int down = sim.resource("down");
        sim.participant(4, ScheduleKind.GPIPE,
                new StageCost[] {new StageCost(owner, 1, 0, 0), new StageCost(hop, 0, 0, 0)},
                new LinkCost[] {new LinkCost(up, down, 2, 0, 0)});
        // F0..F3 on the owner end at 1,2,3,4; uplink [1,3] [3,5] [5,7] [7,9]; then the zero-cost rest.
        assertEquals(9, sim.simulate().makespanS(), EPS);
    }

    @Test
    void shouldShareCoresBetweenConcurrentComputeAndPadSlowdownAfterwards() {
        // two owners, one stage each (forward 1 core-second), on 1 core: both run at rate 1/2 and end at 2; with
        // slowdown s each is padded to s times its work from its start (a device s times slower, on a processor
        // of its own: the time its thread waited for the shared core comes out of the padding): max(2, s)
        for (double slowdown : new double[] {1, 1.5, 2, 3}) {
            PipelineSimulator sim = new PipelineSimulator().cores(1);
            for (int p = 0; p < 2; p++) {
                int cpu = sim.resource("owner" + p);
                sim.participant(1, ScheduleKind.SEQUENTIAL, new StageCost[] {new StageCost(cpu, 1, 0, 0, slowdown)},
                        new LinkCost[0]);
            }
            PipelineSimulator.Result r = sim.simulate();
            assertEquals(Math.max(2, slowdown), r.makespanS(), EPS, "slowdown " + slowdown);
            assertEquals(Math.max(2, slowdown), r.busyS()[0], EPS);
        }
    }

    @Test
    void shouldSpeedUpWhenAPaddedTaskLeavesTheCore() {
        // 1 core; owner A: forward 1 with slowdown 4, owner B: forward 2. Both share the core until A's cpu
        // part ends at 2 (1 core-second at rate 1/2); B has done 1 of 2 by then and finishes alone at 3; A is
        // padded to 4 times its work from its start: to 4.
        PipelineSimulator sim = new PipelineSimulator().cores(1);
        int a = sim.resource("a");
        int b = sim.resource("b");
        sim.participant(1, ScheduleKind.SEQUENTIAL, new StageCost[] {new StageCost(a, 1, 0, 0, 4)}, new LinkCost[0]);
        sim.participant(1, ScheduleKind.SEQUENTIAL, new StageCost[] {new StageCost(b, 2, 0, 0, 1)}, new LinkCost[0]);
        PipelineSimulator.Result r = sim.simulate();
        assertEquals(4, r.busyS()[a], EPS);
        assertEquals(3, r.busyS()[b], EPS);
        assertEquals(4, r.makespanS(), EPS);
    }

    @Test
    void shouldCountOtherProgramsThreadsOnTheCores() {
        // 2 cores, 2 background threads: one task alone runs at 2 / (2 + 1)
        PipelineSimulator sim = new PipelineSimulator().cores(2).background(2);
        int cpu = sim.resource("owner");
        sim.participant(1, ScheduleKind.SEQUENTIAL, new StageCost[] {new StageCost(cpu, 1, 0, 0)}, new LinkCost[0]);
        assertEquals(1.5, sim.simulate().makespanS(), EPS);
    }

    @Test
    void shouldRunConsecutiveMiniBatchesBackToBack() {
        // one stage, 3 iterations of F 1, B 2, S 0.5: 3 * 3.5
        PipelineSimulator sim = new PipelineSimulator();
        int cpu = sim.resource("owner");
        sim.participant(1, 3, ScheduleKind.SEQUENTIAL, new StageCost[] {new StageCost(cpu, 1, 2, 0.5)}, new LinkCost[0]);
        assertEquals(10.5, sim.simulate().makespanS(), EPS);
        // two stages over a free link, 2 micro-batches, GPipe, 2 iterations: the owner's next forwards wait for its
        // step, so each iteration is the textbook (m + S - 1) * (tF + tB) = 3 * 3 plus the owner's step 0.5
        PipelineSimulator two = new PipelineSimulator();
        StageCost[] sc = {new StageCost(two.resource("owner"), 1, 2, 0.5), new StageCost(two.resource("hop"), 1, 2, 0)};
        LinkCost[] lc = {new LinkCost(two.resource("up"), two.resource("down"), 0, 0, 0)};
        two.participant(2, 2, ScheduleKind.GPIPE, sc, lc);
        assertEquals(2 * (9 + 0.5), two.simulate().makespanS(), EPS);
    }

    @Test
    void shouldAgreeWithTheReferenceSimulatorOnRandomPipelines() {
        // owners (own processor and links) sharing hops, U-shaped or not, random costs, slowdowns, delays,
        // schedules, iterations, dedicated or shared cores: every task as the scan-everything reference places it;
        // every other trial on one simulator reset and filled again (its buffers kept from the trials before)
        SplittableRandom rng = new SplittableRandom(7);
        SplittableRandom urgencies = new SplittableRandom(11); // apart, so that the pipelines drawn stay as before
        double worst = 0;
        PipelineSimulator reused = new PipelineSimulator();
        for (int trial = 0; trial < 150; trial++) {
            int cores = trial % 3 == 0 ? 0 : 1 + rng.nextInt(3);
            double background = cores > 0 && rng.nextBoolean() ? rng.nextInt(3) : 0;
            int hops = 1 + rng.nextInt(3);
            boolean uShaped = rng.nextBoolean();
            int owners = 1 + rng.nextInt(5);
            ScheduleKind kind = ScheduleKind.values()[rng.nextInt(ScheduleKind.values().length)];
            PipelineSimulator fast = (trial % 2 == 0 ? reused.reset() : new PipelineSimulator()).cores(cores)
                    .background(background);
            ReferencePipelineSimulator ref = new ReferencePipelineSimulator().cores(cores).background(background);
            int[] hop = new int[hops + 1];
            int[] fl = new int[hops + 1];
            int[] bl = new int[hops + 1];
            // in most trials the hops serve the more urgent participant first (as compute nodes do), urgencies
            // drawn from a few values so that some tie
            boolean ranked = trial % 4 != 0;
            for (int h = 1; h <= hops; h++) {
                hop[h] = fast.resource("hop" + h);
                ref.resource("hop" + h);
                if (ranked) {
                    fast.ranked(hop[h]);
                    ref.ranked(hop[h]);
                }
            }
            for (int h = 1; h < hops; h++) {
                fl[h] = fast.resource("f" + h);
                ref.resource("f" + h);
                bl[h] = fast.resource("b" + h);
                ref.resource("b" + h);
            }
            for (int o = 0; o < owners; o++) {
                int cpu = fast.resource("owner" + o);
                ref.resource("owner" + o);
                int up = fast.resource("up" + o);
                ref.resource("up" + o);
                int down = fast.resource("down" + o);
                ref.resource("down" + o);
                int stages = hops + 1 + (uShaped ? 1 : 0);
                StageCost[] sc = new StageCost[stages];
                LinkCost[] lc = new LinkCost[stages - 1];
                double slow = rng.nextBoolean() ? 1 : 1 + rng.nextInt(3);
                for (int s = 0; s < stages; s++) {
                    boolean owner = s == 0 || (uShaped && s == stages - 1);
                    // some costs drawn from a few round values, so that tasks tie exactly
                    double f = rng.nextBoolean() ? 0.5 * rng.nextInt(3) : rng.nextDouble();
                    sc[s] = new StageCost(owner ? cpu : hop[s], f, 2 * f, 0.1 * rng.nextInt(2), owner ? slow : 1);
                    if (s < stages - 1) {
                        double delay = rng.nextBoolean() ? 0 : 0.01 * rng.nextInt(5);
                        double t = rng.nextBoolean() ? 0.25 * rng.nextInt(3) : rng.nextDouble();
                        if (s == 0) {
                            lc[s] = new LinkCost(up, down, t, 0.5 * t, delay);
                        } else if (uShaped && s == stages - 2) {
                            lc[s] = new LinkCost(down, up, t, 0.5 * t, delay);
                        } else {
                            lc[s] = new LinkCost(fl[s], bl[s], 0.1 * t, 0.1 * t, delay);
                        }
                    }
                }
                int mb = 1 + rng.nextInt(6);
                int its = 1 + rng.nextInt(3);
                fast.participant(mb, its, kind, sc, lc);
                ref.participant(mb, its, kind, sc, lc);
                double urgency = 0.5 * urgencies.nextInt(3);
                fast.urgency(o, urgency);
                ref.urgency(o, urgency);
            }
            PipelineSimulator.Result a = fast.simulate();
            ReferencePipelineSimulator.Result b = ref.simulate();
            String what = "trial " + trial + " (" + kind + ", cores " + cores + ", hops " + hops + ", owners " + owners + ")";
            worst = Math.max(worst, Math.abs(a.makespanS() - b.makespanS()));
            assertEquals(b.makespanS(), a.makespanS(), EPS, what);
            for (int r = 0; r < b.busyS().length; r++) {
                assertEquals(b.busyS()[r], a.busyS()[r], EPS, what + " busy of resource " + r);
                assertEquals(b.lastEndS()[r], a.lastEndS()[r], EPS, what + " last end of resource " + r);
            }
            List<PipelineSimulator.Task> ta = new ArrayList<>(a.tasks());
            List<ReferencePipelineSimulator.Task> tb = new ArrayList<>(b.tasks());
            assertEquals(tb.size(), ta.size(), what);
            ta.sort(Comparator.comparingInt(PipelineSimulator.Task::participant).thenComparingInt(PipelineSimulator.Task::stage)
                    .thenComparingInt(PipelineSimulator.Task::kind).thenComparingDouble(PipelineSimulator.Task::startS));
            tb.sort(Comparator.comparingInt(ReferencePipelineSimulator.Task::participant)
                    .thenComparingInt(ReferencePipelineSimulator.Task::stage).thenComparingInt(ReferencePipelineSimulator.Task::kind)
                    .thenComparingDouble(ReferencePipelineSimulator.Task::startS));
            for (int i = 0; i < ta.size(); i++) {
                PipelineSimulator.Task x = ta.get(i);
                ReferencePipelineSimulator.Task y = tb.get(i);
                String t = what + " task " + y;
                assertEquals(y.microBatch(), x.microBatch(), t);
                assertEquals(y.kind(), x.kind(), t);
                assertEquals(y.resource(), x.resource(), t);
                assertEquals(y.startS(), x.startS(), EPS, t);
                assertEquals(y.endS(), x.endS(), EPS, t);
            }
            double[][] step = a.lastStepEndS();
            for (ReferencePipelineSimulator.Task y : tb) {
                if (y.kind() == 'S') {
                    assertTrue(step[y.participant()][y.stage()] >= y.endS() - EPS, what);
                }
            }
        }
        System.out.println("largest makespan difference from the reference: " + worst + " s");
    }

    @Test
    void shouldStopForADeadlineOnlyWhenItCannotBeMet() {
        // random owners sharing hops: deadlines a hair after what the full simulation reaches (each owner's last
        // task on its processor, each hop stage's last backward, each resource's last task) never stop it; an
        // owner's deadline before its processor's last task does, and so does a resource's (a link of the owner's,
        // or a hop) before that resource's last task
        SplittableRandom rng = new SplittableRandom(31);
        PipelineSimulator sim = new PipelineSimulator();
        for (int trial = 0; trial < 60; trial++) {
            int cores = trial % 2 == 0 ? 0 : 1 + rng.nextInt(2);
            int hops = 1 + rng.nextInt(3);
            int owners = 2 + rng.nextInt(6);
            boolean uShaped = rng.nextBoolean();
            ScheduleKind kind = ScheduleKind.values()[trial % 3];
            int stages = hops + 1 + (uShaped ? 1 : 0);
            StageCost[][] sc = new StageCost[owners][stages];
            LinkCost[][] lc = new LinkCost[owners][stages - 1];
            int mb = 1 + rng.nextInt(5);
            double[] ownerEnd = new double[owners];
            double[][] lastBackward = new double[owners][stages];
            double fullMakespan = 0;
            double[] resourceEnd = null;
            int[] ownerResources = new int[3 * owners];
            int[] hopResources = new int[hops];
            for (int rep = 0; rep < 4; rep++) {
                sim.reset().cores(cores).recordTasks(true);
                int[] hop = new int[hops + 1];
                for (int h = 1; h <= hops; h++) {
                    hop[h] = sim.resource("hop" + h);
                    hopResources[h - 1] = hop[h];
                }
                for (int o = 0; o < owners; o++) {
                    int cpu = sim.resource("owner" + o);
                    int up = sim.resource("up" + o);
                    int down = sim.resource("down" + o);
                    ownerResources[3 * o] = cpu;
                    ownerResources[3 * o + 1] = up;
                    ownerResources[3 * o + 2] = down;
                    if (rep == 0) {
                        double slow = 1 + rng.nextInt(3);
                        for (int s = 0; s < stages; s++) {
                            boolean owner = s == 0 || (uShaped && s == stages - 1);
                            double f = 0.1 + rng.nextDouble();
                            sc[o][s] = new StageCost(owner ? cpu : hop[s], f, 2 * f, 0.1 * rng.nextInt(2), owner ? slow : 1);
                            if (s < stages - 1) {
                                double t = rng.nextDouble();
                                lc[o][s] = s == 0 ? new LinkCost(up, down, t, 0.5 * t, 0.01 * rng.nextInt(3))
                                        : uShaped && s == stages - 2 ? new LinkCost(down, up, t, 0.5 * t, 0)
                                        : new LinkCost(hop[s], hop[s + 1], 0, 0, 0.001);
                            }
                        }
                    }
                    sim.participant(mb, kind, sc[o], lc[o]);
                }
                if (rep == 0) {
                    PipelineSimulator.Result full = sim.simulate();
                    for (PipelineSimulator.Task t : full.tasks()) {
                        if (t.kind() == 'F' || t.kind() == 'B' || t.kind() == 'S') {
                            if (sc[t.participant()][t.stage()].resource() == sc[t.participant()][0].resource()) {
                                ownerEnd[t.participant()] = Math.max(ownerEnd[t.participant()], t.endS());
                            }
                            if (t.kind() == 'B') {
                                lastBackward[t.participant()][t.stage()] = Math.max(
                                        lastBackward[t.participant()][t.stage()], t.endS());
                            }
                        }
                    }
                    fullMakespan = full.makespanS();
                    resourceEnd = full.lastEndS();
                    continue;
                }
                if (rep == 1) {
                    for (int r = 0; r < resourceEnd.length; r++) {
                        sim.resourceDeadline(r, resourceEnd[r] + 1e-6 * (1 + resourceEnd[r]));
                    }
                } else if (rep == 3) {
                    // the owner's processor, uplink or downlink, or a hop; one with no task at all is skipped
                    int pick = trial % 4;
                    int r = pick < 3 ? ownerResources[3 * (trial % owners) + pick] : hopResources[trial % hops];
                    if (resourceEnd[r] <= 1e-3) {
                        r = ownerResources[3 * (trial % owners)];
                    }
                    sim.resourceDeadline(r, resourceEnd[r] - 1e-3);
                }
                for (int o = 0; o < owners; o++) {
                    double hair = 1e-6 * (1 + ownerEnd[o]);
                    if (rep == 1) {
                        sim.deadline(o, ownerEnd[o] + hair);
                        for (int s = 1; s < stages; s++) {
                            if (sc[o][s].resource() != sc[o][0].resource()) {
                                sim.stageDeadline(o, s, lastBackward[o][s] + hair);
                            }
                        }
                    } else if (rep == 2 && o == trial % owners) {
                        sim.deadline(o, ownerEnd[o] - 1e-3);
                    }
                }
                PipelineSimulator.Result r = sim.simulate();
                if (rep == 1) {
                    assertEquals(fullMakespan, r.makespanS(), EPS, "trial " + trial + ": deadlines that are met stopped it");
                } else {
                    assertEquals(Double.POSITIVE_INFINITY, r.makespanS(), "trial " + trial + " rep " + rep
                            + ": a missed deadline did not stop it");
                }
            }
        }
    }

    @Test
    void shouldSortKeysAsArraysSortDoes() {
        // the simulator's own heapsort (deadline order, urgency ranks) against the JDK's, on random ranges of random
        // keys with repeats, negative ones and the extremes; outside the range nothing moves
        SplittableRandom rng = new SplittableRandom(12);
        for (int trial = 0; trial < 200; trial++) {
            int n = rng.nextInt(300);
            long[] a = new long[n + 4];
            for (int i = 0; i < a.length; i++) {
                a[i] = switch (rng.nextInt(5)) {
                    case 0 -> rng.nextLong();
                    case 1 -> rng.nextInt(8) - 4;
                    case 2 -> trial % 2 == 0 ? Long.MAX_VALUE : Long.MIN_VALUE;
                    default -> rng.nextLong(1_000_000);
                };
            }
            long[] want = a.clone();
            java.util.Arrays.sort(want, 2, 2 + n);
            PipelineSimulator.heapSort(a, 2, 2 + n);
            assertTrue(java.util.Arrays.equals(want, a), "trial " + trial + ", " + n + " keys");
        }
    }

    @Test
    void shouldCountOneEventPerMomentAtWhichTasksEnd() {
        // no delays and no zero-length tasks: nothing waits for a wake-up, so the simulator's events are the
        // distinct end times of the tasks it ran (tasks ending together are one event)
        SplittableRandom rng = new SplittableRandom(8);
        PipelineSimulator sim = new PipelineSimulator();
        for (int trial = 0; trial < 20; trial++) {
            sim.reset();
            int hop = sim.resource("hop");
            int owners = 1 + rng.nextInt(4);
            for (int o = 0; o < owners; o++) {
                int cpu = sim.resource("owner" + o);
                int up = sim.resource("up" + o);
                int down = sim.resource("down" + o);
                // owners alike in pairs: their tasks end together until the hop separates them
                double f = 0.5 + (o / 2) * 0.25 + 0.01 * trial;
                StageCost[] sc = {new StageCost(cpu, f, 2 * f, 0.1), new StageCost(hop, 0.3 * f, 0.6 * f, 0.05)};
                LinkCost[] lc = {new LinkCost(up, down, 0.2 * f, 0.1 * f, 0)};
                sim.participant(1 + rng.nextInt(4), ScheduleKind.values()[trial % 3], sc, lc);
            }
            PipelineSimulator.Result r = sim.simulate();
            double[] ends = r.tasks().stream().mapToDouble(PipelineSimulator.Task::endS).sorted().toArray();
            int distinct = 0;
            for (int i = 0; i < ends.length; i++) {
                if (i == 0 || ends[i] - ends[i - 1] > 1e-9) {
                    distinct++;
                }
            }
            assertEquals(distinct, sim.events(), "trial " + trial + ": " + ends.length + " tasks");
        }
        // a stopped simulation counts the events it went through, fewer than the whole one's
        sim.reset().horizon(2.5);
        int cpu = sim.resource("owner");
        sim.participant(1, 3, ScheduleKind.SEQUENTIAL, new StageCost[] {new StageCost(cpu, 1, 2, 0.5)}, new LinkCost[0]);
        sim.simulate();
        assertEquals(1, sim.events(), "F's end at 1 s is the one event: B's, at 3 s, is past the horizon");
    }

    @Test
    void shouldStopAtTheHorizonWithAnInfiniteMakespan() {
        PipelineSimulator sim = new PipelineSimulator().horizon(3);
        int cpu = sim.resource("owner");
        sim.participant(1, 3, ScheduleKind.SEQUENTIAL, new StageCost[] {new StageCost(cpu, 1, 2, 0.5)}, new LinkCost[0]);
        assertEquals(Double.POSITIVE_INFINITY, sim.simulate().makespanS());
        PipelineSimulator wide = new PipelineSimulator().horizon(10.5 + 1e-9).recordTasks(false);
        int c2 = wide.resource("owner");
        wide.participant(1, 3, ScheduleKind.SEQUENTIAL, new StageCost[] {new StageCost(c2, 1, 2, 0.5)}, new LinkCost[0]);
        PipelineSimulator.Result r = wide.simulate();
        assertEquals(10.5, r.makespanS(), EPS);
        assertTrue(r.tasks().isEmpty());
        assertEquals(10.5, r.lastStepEndS()[0][0], EPS);
    }
}
