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
        Tensor[] ins = new Tensor[states.length];
        for (int i = 0; i < first.size(); i++) {
            for (int p = 0; p < states.length; p++) {
                ins[p] = all.get(p).get(i);
            }
            weightedSum(ins[0], ins, weights); // in place: each element is read from every copy before written
            for (int p = 1; p < states.length; p++) {
                ins[p].copyFrom(ins[0]);
            }
        }
    }

    /** out[j] = sum_p weights[p] * ins[p][j], accumulated in double; out may be one of ins. */
    static void weightedSum(Tensor out, Tensor[] ins, double[] weights) {
        for (long j = 0, n = out.size(); j < n; j++) {
            double v = 0;
            for (int p = 0; p < ins.length; p++) {
                v += weights[p] * ins[p].get(j);
            }
            out.set(j, (float) v);
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
