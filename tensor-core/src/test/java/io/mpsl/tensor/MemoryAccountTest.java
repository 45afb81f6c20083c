package io.mpsl.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

class MemoryAccountTest {

    @Test
    void shouldPropagateChildChargesToEveryAncestor() {
        MemoryAccount node = MemoryAccount.root("node");
        MemoryAccount participant = node.child("p0");
        MemoryAccount part = participant.child("layers");
        MemoryAccount sibling = node.child("pool");
        part.charge(100);
        sibling.charge(30);
        assertEquals(100, part.liveBytes());
        assertEquals(100, participant.liveBytes());
        assertEquals(30, sibling.liveBytes());
        assertEquals(130, node.liveBytes());
        part.release(40);
        assertEquals(60, participant.liveBytes());
        assertEquals(90, node.liveBytes());
        assertEquals(List.of(participant, sibling), node.children());
        assertEquals(node, participant.parent());
    }

    @Test
    void shouldTrackPeakAndResetIt() {
        MemoryAccount root = MemoryAccount.root("r");
        MemoryAccount c = root.child("c");
        c.charge(50);
        c.charge(70);
        c.release(100);
        assertEquals(20, c.liveBytes());
        assertEquals(120, c.peakBytes());
        assertEquals(120, root.peakBytes());
        root.resetPeak();
        assertEquals(20, root.peakBytes());
        assertEquals(20, c.peakBytes(), "resetPeak must reach children");
        c.charge(5);
        assertEquals(25, root.peakBytes());
    }

    @Test
    void shouldKeepExactTotalsUnderConcurrentCharging() throws Exception {
        MemoryAccount root = MemoryAccount.root("node");
        int threads = 4;
        int rounds = 50_000;
        List<MemoryAccount> children = new ArrayList<>();
        List<Thread> workers = new ArrayList<>();
        CountDownLatch start = new CountDownLatch(1);
        for (int t = 0; t < threads; t++) {
            MemoryAccount child = root.child("worker" + t);
            children.add(child);
            int bytes = t + 1;
            workers.add(new Thread(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                for (int i = 0; i < rounds; i++) {
                    child.charge(2L * bytes);
                    child.release(bytes);
                }
            }));
        }
        workers.forEach(Thread::start);
        start.countDown();
        for (Thread w : workers) {
            w.join();
        }
        long expected = 0;
        for (int t = 0; t < threads; t++) {
            long perChild = (long) rounds * (t + 1);
            assertEquals(perChild, children.get(t).liveBytes());
            assertEquals(perChild + (t + 1), children.get(t).peakBytes(), "child peak is its last charge");
            expected += perChild;
        }
        assertEquals(expected, root.liveBytes());
        // Every charge is followed by a release of half of it, so the root's live bytes only grow net and its
        // peak is at most the sum of the children's peaks and at least the final total.
        long sumOfPeaks = 0;
        for (MemoryAccount c : children) {
            sumOfPeaks += c.peakBytes();
        }
        long peak = root.peakBytes();
        org.junit.jupiter.api.Assertions.assertTrue(peak >= expected && peak <= sumOfPeaks,
                "root peak " + peak + " must lie in [" + expected + ", " + sumOfPeaks + "]");
    }
}
