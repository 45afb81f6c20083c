package io.mpsl.scheduler.runtime;

import io.mpsl.nn.ParameterState;
import io.mpsl.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * Flattens the values and buffers of several parameter states into one tensor (for a weights message) and
 * back, and averages states in place (federated averaging).
 */
final class WeightPacker {
    private WeightPacker() {
    }

    static long floats(List<ParameterState> states) {
        long n = 0;
        for (ParameterState s : states) {
            for (Tensor t : s.namedTensors().values()) {
                n += t.size();
            }
        }
        return n;
    }

    static void pack(Tensor flat, List<ParameterState> states) {
        long off = 0;
        for (ParameterState s : states) {
            for (Tensor t : s.namedTensors().values()) {
                MemorySegment.copy(t.segment(), 0, flat.segment(), off, t.byteSize());
                off += t.byteSize();
            }
        }
    }

    static void unpack(List<ParameterState> states, Tensor flat) {
        long off = 0;
        for (ParameterState s : states) {
            for (Tensor t : s.namedTensors().values()) {
                MemorySegment.copy(flat.segment(), off, t.segment(), 0, t.byteSize());
                off += t.byteSize();
            }
        }
    }

    /** Sets every state's values and buffers to sum_p weights[p] * state_p (weights sum to 1). */
    static void average(ParameterState[] states, double[] weights) {
        int distinct = 0;
        for (ParameterState s : states) {
            if (s != states[0]) {
                distinct++;
            }
        }
        if (distinct == 0) {
            return; // one shared copy: nothing to average
        }
        List<Tensor> first = List.copyOf(states[0].namedTensors().values());
        List<List<Tensor>> all = new java.util.ArrayList<>(states.length);
        for (ParameterState s : states) {
            all.add(List.copyOf(s.namedTensors().values()));
        }
        for (int i = 0; i < first.size(); i++) {
            long n = first.get(i).size();
            for (long j = 0; j < n; j++) {
                double v = 0;
                for (int p = 0; p < states.length; p++) {
                    v += weights[p] * all.get(p).get(i).get(j);
                }
                float f = (float) v;
                for (int p = 0; p < states.length; p++) {
                    all.get(p).get(i).set(j, f);
                }
            }
        }
    }

    static double[] sampleWeights(long[] samples) {
        double total = 0;
        for (long s : samples) {
            total += s;
        }
        double[] w = new double[samples.length];
        for (int i = 0; i < w.length; i++) {
            w[i] = total == 0 ? 1.0 / w.length : samples[i] / total;
        }
        return w;
    }
}
