package io.mpsl.scheduler.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.mpsl.scheduler.plan.LinkSpec;
import org.junit.jupiter.api.Test;

class ComputeNodeTest {

    @Test
    void shouldTakeStepsReadyAtOnceThenTheSlowestUplinkThenTheEarliestInput() {
        double slow = LinkSpec.mbit(5, 0).secondsPerByte();
        double fast = LinkSpec.mbit(25, 0).secondsPerByte();
        // a loss's backward or an optimizer step (ready at once) goes first, whatever the participants' links
        assertTrue(ComputeNode.takesBefore(Long.MIN_VALUE, fast, 10, slow));
        assertFalse(ComputeNode.takesBefore(10, slow, Long.MIN_VALUE, fast));
        // the participant whose owner uploads slowest goes before one whose input arrived earlier
        assertTrue(ComputeNode.takesBefore(200, slow, 100, fast));
        assertFalse(ComputeNode.takesBefore(100, fast, 200, slow));
        // among equally urgent participants, the earlier input; a tie is no "before" (the first seen stays)
        assertTrue(ComputeNode.takesBefore(100, fast, 200, fast));
        assertFalse(ComputeNode.takesBefore(200, fast, 100, fast));
        assertFalse(ComputeNode.takesBefore(100, fast, 100, fast));
    }

    @Test
    void shouldRankAnUnlimitedUplinkLast() {
        assertEquals(0, LinkSpec.UNLIMITED.secondsPerByte());
        assertEquals(8.0 / 10e6, LinkSpec.mbit(10, 0).secondsPerByte(), 1e-20);
    }
}
