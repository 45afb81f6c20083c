package io.mpsl.scheduler.config;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mpsl.scheduler.plan.Algorithm;
import io.mpsl.scheduler.plan.Mode;
import io.mpsl.scheduler.plan.Plan;
import io.mpsl.scheduler.schedule.ScheduleKind;
import java.util.List;
import org.junit.jupiter.api.Test;

class PlanConfigTest {
    static final String PIPAR = """
            model: vgg5
            dataset: mnist
            mode: vanilla
            hops: 1
            cuts: [2]
            schedule: gpipe
            owners: 4
            batch: 32
            micro_batches: 4
            slowdown: 4
            uplink_mbit: 10
            downlink_mbit: 25
            owner_overrides:
              - {}
              - batch: 16
            """;

    @Test
    void shouldBuildThePlanTheFileDescribes() {
        Plan p = PlanConfig.parse(PIPAR.replace("  - {}\n", "  - slowdown: 4\n"), "pipar.yaml", List.of())
                .plan(Algorithm.SPLIT);
        assertEquals(Mode.VANILLA, p.mode());
        assertEquals(ScheduleKind.GPIPE, p.schedule());
        assertArrayEquals(new int[] {2}, p.cuts());
        assertEquals(4, p.owners().size());
        assertEquals(16, p.owners().get(1).batch());
        assertEquals(32, p.owners().get(2).batch());
        assertEquals(10_000_000L, p.owners().get(0).uplink().rateBitsPerS());
        assertEquals(4.0, p.owners().get(3).slowdown());
    }

    @Test
    void shouldApplyOverridesAndTurnBaselinesIntoTheirOwnPlans() {
        PlanConfig c = PlanConfig.parse(PIPAR.replace("  - {}\n", ""), "pipar.yaml",
                List.of("micro_batches=8", "hops=2", "cuts=[1, 3]"));
        Plan split = c.plan(Algorithm.SPLIT);
        assertEquals(8, split.owners().get(0).microBatches());
        assertEquals(2, split.hops());
        Plan sl = c.plan(Algorithm.SEQUENTIAL_SL);
        assertEquals(1, sl.hops());
        assertEquals(1, sl.owners().get(0).microBatches());
        assertEquals(Plan.ServerCopies.SHARED, sl.serverCopies());
        assertEquals(ScheduleKind.SEQUENTIAL, sl.schedule());
    }

    @Test
    void shouldRejectUnknownKeysAndBadValuesNamingThem() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PlanConfig.parse("modle: vgg5\n", "x.yaml", List.of()));
        assertTrue(e.getMessage().contains("unknown key 'modle'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> PlanConfig.parse("mode: sideways\ncuts: [1]\n", "x.yaml", List.of()).plan(Algorithm.SPLIT));
        assertTrue(e.getMessage().contains("'mode' must be one of"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> PlanConfig.parse("hops: 2\nmode: vanilla\ncuts: [1]\n", "x.yaml", List.of()).plan(Algorithm.SPLIT));
        assertTrue(e.getMessage().contains("needs 2 cut points"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> PlanConfig.parse("batch: 0\ncuts: [1, 2]\n", "x.yaml", List.of()).plan(Algorithm.SPLIT));
        assertTrue(e.getMessage().contains("batch"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> PlanConfig.parse("model: mlp\n", "x.yaml", List.of("oops")));
        assertTrue(e.getMessage().contains("key=value"), e.getMessage());
    }
}
