package io.mpsl.scheduler.runtime;

import io.mpsl.scheduler.plan.Algorithm;
import io.mpsl.scheduler.plan.Plan;
import io.mpsl.tensor.Tensor;

/**
 * The coordinator: aggregates the owners' parts each round (sample-weighted federated averaging) and sends
 * the average back; for sequential split learning it passes the owners' weights from one to the next
 * instead, one owner at a time.
 */
final class Coordinator extends NodeBase {
    private final Plan plan;
    private final Link[] downlinks;
    private final Tensor average;
    private final String[] ownerNames;
    private final Tensor[] hopWeights;

    /**
     * @param hopFloats per hop, the floats of its parameters when hops send their averaged copy here each round
     *     (process mode with evaluation), else empty
     */
    Coordinator(Plan plan, Fabric fabric, Link[] downlinks, long weightFloats, long[] hopFloats, RunState state,
            RoundBarrier barrier, io.mpsl.tensor.TensorArena arena) {
        super("coordinator", fabric, state, barrier, 1.0);
        this.plan = plan;
        this.downlinks = downlinks;
        this.average = arena.allocate(Math.toIntExact(weightFloats));
        this.ownerNames = new String[plan.owners().size()];
        for (int p = 0; p < ownerNames.length; p++) {
            ownerNames[p] = "owner" + p;
        }
        this.hopWeights = new Tensor[hopFloats.length];
        for (int h = 0; h < hopFloats.length; h++) {
            hopWeights[h] = arena.allocate(Math.toIntExact(hopFloats[h]));
        }
    }

    /** The hops' averaged copies of the last round (hop h at h - 1), when the hops send them here. */
    Tensor[] hopWeights() {
        return hopWeights;
    }

    /** The last average of the owners' parts (flattened as {@link WeightPacker#pack} lays them out). */
    Tensor average() {
        return average;
    }

    @Override
    void work() throws Exception {
        int owners = plan.owners().size();
        for (int round = 0; round < plan.rounds(); round++) {
            if (plan.algorithm() == Algorithm.SEQUENTIAL_SL) {
                for (int p = 0; p < owners; p++) {
                    send(downlinks[p], "owner" + p, MessageType.CONTROL, p, round, 0, 0, 0,
                            round == 0 && p == 0 ? null : average, null, 0);
                    Message w = await(MessageType.WEIGHTS, p, round, 0, 0);
                    average.copyFrom(w.payload);
                    w.release();
                }
            } else {
                Message[] in = new Message[owners];
                long[] samples = new long[owners];
                for (int p = 0; p < owners; p++) {
                    in[p] = await(MessageType.WEIGHTS, p, round, 0, 0);
                    samples[p] = in[p].samples;
                }
                beginCompute();
                Tensor[] payloads = new Tensor[owners];
                for (int p = 0; p < owners; p++) {
                    payloads[p] = in[p].payload;
                }
                WeightPacker.weightedSum(average, payloads, WeightPacker.sampleWeights(samples));
                for (Message m : in) {
                    m.release();
                }
                endCompute("average");
            }
            fabric.sendToEach(name, downlinks, ownerNames, MessageType.WEIGHTS, round, average);
            for (int h = 0; h < hopWeights.length; h++) {
                Message w = await(MessageType.WEIGHTS, owners + h, round, 0, 0); // hop h + 1's averaged copy
                hopWeights[h].copyFrom(w.payload);
                w.release();
            }
            if (barrier != null) {
                barrier.nodeArrive();
            }
        }
    }
}
