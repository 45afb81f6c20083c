package io.mpsl.kernels.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API loops over ranges of float32 elements in off-heap segments. Offsets and counts are in
 * elements; each loop runs whole vectors of the preferred species, then a scalar tail. Ranges let callers
 * split one operation over worker threads.
 */
final class VectorOps {
    static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    static final int LANES = SPECIES.length();
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();

    private VectorOps() {
    }

    static FloatVector load(MemorySegment s, long index) {
        return FloatVector.fromMemorySegment(SPECIES, s, index * Float.BYTES, ORDER);
    }

    static void store(FloatVector v, MemorySegment s, long index) {
        v.intoMemorySegment(s, index * Float.BYTES, ORDER);
    }

    static FloatVector broadcast(float value) {
        return FloatVector.broadcast(SPECIES, value);
    }

    static float get(MemorySegment s, long index) {
        return s.getAtIndex(F32, index);
    }

    static void set(MemorySegment s, long index, float value) {
        s.setAtIndex(F32, index, value);
    }

    private static long vectorEnd(long from, long to) {
        return from + SPECIES.loopBound(to - from);
    }

    /** out[i] = max(in[i], 0). */
    static void relu(MemorySegment out, MemorySegment in, long from, long to) {
        long i = from;
        for (long end = vectorEnd(from, to); i < end; i += LANES) {
            store(load(in, i).max(0f), out, i);
        }
        for (; i < to; i++) {
            float v = get(in, i);
            set(out, i, v > 0f ? v : 0f);
        }
    }

    /** dIn[i] = in[i] > 0 ? dOut[i] : 0. */
    static void reluBackward(MemorySegment dIn, MemorySegment dOut, MemorySegment in, long from, long to) {
        long i = from;
        FloatVector zero = FloatVector.zero(SPECIES);
        for (long end = vectorEnd(from, to); i < end; i += LANES) {
            VectorMask<Float> positive = load(in, i).compare(VectorOperators.GT, 0f);
            store(zero.blend(load(dOut, i), positive), dIn, i);
        }
        for (; i < to; i++) {
            set(dIn, i, get(in, i) > 0f ? get(dOut, i) : 0f);
        }
    }

    /** out[i] = in[i] * min(max(in[i] + 3, 0), 6) / 6. */
    static void hswish(MemorySegment out, MemorySegment in, long from, long to) {
        long i = from;
        float sixth = 1f / 6f;
        for (long end = vectorEnd(from, to); i < end; i += LANES) {
            FloatVector v = load(in, i);
            store(v.mul(v.add(3f).max(0f).min(6f)).mul(sixth), out, i);
        }
        for (; i < to; i++) {
            float v = get(in, i);
            set(out, i, v * Math.min(Math.max(v + 3f, 0f), 6f) * sixth);
        }
    }

    /** dIn[i] = dOut[i] * (in < -3 ? 0 : in > 3 ? 1 : (2 in + 3) / 6). */
    static void hswishBackward(MemorySegment dIn, MemorySegment dOut, MemorySegment in, long from, long to) {
        long i = from;
        float sixth = 1f / 6f;
        FloatVector zero = FloatVector.zero(SPECIES);
        FloatVector one = FloatVector.broadcast(SPECIES, 1f);
        for (long end = vectorEnd(from, to); i < end; i += LANES) {
            FloatVector v = load(in, i);
            FloatVector slope = v.mul(2f).add(3f).mul(sixth);
            slope = slope.blend(zero, v.compare(VectorOperators.LT, -3f)).blend(one, v.compare(VectorOperators.GT, 3f));
            store(load(dOut, i).mul(slope), dIn, i);
        }
        for (; i < to; i++) {
            float v = get(in, i);
            float slope = v < -3f ? 0f : v > 3f ? 1f : (2f * v + 3f) * sixth;
            set(dIn, i, get(dOut, i) * slope);
        }
    }

    /** y[i] += alpha * x[i]. */
    static void axpy(MemorySegment y, float alpha, MemorySegment x, long from, long to) {
        long i = from;
        for (long end = vectorEnd(from, to); i < end; i += LANES) {
            store(load(x, i).fma(broadcast(alpha), load(y, i)), y, i);
        }
        for (; i < to; i++) {
            set(y, i, Math.fma(alpha, get(x, i), get(y, i)));
        }
    }

    /** out[i] = alpha * in[i]. */
    static void scale(MemorySegment out, float alpha, MemorySegment in, long from, long to) {
        long i = from;
        for (long end = vectorEnd(from, to); i < end; i += LANES) {
            store(load(in, i).mul(alpha), out, i);
        }
        for (; i < to; i++) {
            set(out, i, alpha * get(in, i));
        }
    }

    /** out[i] = a[i] + b[i]. */
    static void add(MemorySegment out, MemorySegment a, MemorySegment b, long from, long to) {
        long i = from;
        for (long end = vectorEnd(from, to); i < end; i += LANES) {
            store(load(a, i).add(load(b, i)), out, i);
        }
        for (; i < to; i++) {
            set(out, i, get(a, i) + get(b, i));
        }
    }

    /** dst[dstAt + i] += src[srcAt + i] for i in [0, n). */
    static void addInto(MemorySegment dst, long dstAt, MemorySegment src, long srcAt, int n) {
        int i = 0;
        for (int end = SPECIES.loopBound(n); i < end; i += LANES) {
            store(load(dst, dstAt + i).add(load(src, srcAt + i)), dst, dstAt + i);
        }
        for (; i < n; i++) {
            set(dst, dstAt + i, get(dst, dstAt + i) + get(src, srcAt + i));
        }
    }

    /** s[at + i] += value for i in [0, n). */
    static void addScalar(MemorySegment s, long at, int n, float value) {
        int i = 0;
        for (int end = SPECIES.loopBound(n); i < end; i += LANES) {
            store(load(s, at + i).add(value), s, at + i);
        }
        for (; i < n; i++) {
            set(s, at + i, get(s, at + i) + value);
        }
    }

    /** s[at + i] = value for i in [0, n). */
    static void fill(MemorySegment s, long at, int n, float value) {
        int i = 0;
        FloatVector v = FloatVector.broadcast(SPECIES, value);
        for (int end = SPECIES.loopBound(n); i < end; i += LANES) {
            store(v, s, at + i);
        }
        for (; i < n; i++) {
            set(s, at + i, value);
        }
    }

    /** sum_i s[at + i] for i in [0, n), lanes summed in float, the total in double. */
    static double sum(MemorySegment s, long at, int n) {
        if (n < LANES) {
            // no whole vector: skip the lane extraction (the same sum, for the small maps of deep layers)
            double total = 0;
            for (int i = 0; i < n; i++) {
                total += get(s, at + i);
            }
            return total;
        }
        int i = 0;
        FloatVector acc = FloatVector.zero(SPECIES);
        for (int end = SPECIES.loopBound(n); i < end; i += LANES) {
            acc = acc.add(load(s, at + i));
        }
        double total = 0;
        for (int lane = 0; lane < LANES; lane++) {
            total += acc.lane(lane);
        }
        for (; i < n; i++) {
            total += get(s, at + i);
        }
        return total;
    }

    /** sum_i a[aAt + i] * b[bAt + i] for i in [0, n). */
    static float dot(MemorySegment a, long aAt, MemorySegment b, long bAt, int n) {
        int i = 0;
        FloatVector acc = FloatVector.zero(SPECIES);
        for (int end = SPECIES.loopBound(n); i < end; i += LANES) {
            acc = load(a, aAt + i).fma(load(b, bAt + i), acc);
        }
        float total = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            total = Math.fma(get(a, aAt + i), get(b, bAt + i), total);
        }
        return total;
    }

    /** y[yAt + i] += alpha * x[xAt + i] for i in [0, n). */
    static void axpyAt(MemorySegment y, long yAt, float alpha, MemorySegment x, long xAt, int n) {
        int i = 0;
        FloatVector alphas = broadcast(alpha);
        for (int end = SPECIES.loopBound(n); i < end; i += LANES) {
            store(load(x, xAt + i).fma(alphas, load(y, yAt + i)), y, yAt + i);
        }
        for (; i < n; i++) {
            set(y, yAt + i, Math.fma(alpha, get(x, xAt + i), get(y, yAt + i)));
        }
    }

    /** out[i] = sum_{k < inputs} weights[k] * ins[k][i]; out may be one of ins. */
    static void scaledSum(MemorySegment out, MemorySegment[] ins, float[] weights, int inputs, long from, long to) {
        long i = from;
        int k = inputs;
        for (long end = vectorEnd(from, to); i < end; i += LANES) {
            FloatVector acc = load(ins[0], i).mul(weights[0]);
            for (int j = 1; j < k; j++) {
                acc = load(ins[j], i).fma(broadcast(weights[j]), acc);
            }
            store(acc, out, i);
        }
        for (; i < to; i++) {
            float acc = get(ins[0], i) * weights[0];
            for (int j = 1; j < k; j++) {
                acc = Math.fma(weights[j], get(ins[j], i), acc);
            }
            set(out, i, acc);
        }
    }

    /** g = grad + wd * p; v = momentum * v + g (if momentum != 0, else v = g); p -= lr * v. */
    static void sgd(MemorySegment param, MemorySegment grad, MemorySegment velocity, float lr, float momentum,
            float weightDecay, long from, long to) {
        long i = from;
        boolean withMomentum = momentum != 0f;
        for (long end = vectorEnd(from, to); i < end; i += LANES) {
            FloatVector p = load(param, i);
            FloatVector g = p.fma(broadcast(weightDecay), load(grad, i));
            if (withMomentum) {
                g = load(velocity, i).fma(broadcast(momentum), g);
                store(g, velocity, i);
            }
            store(g.fma(broadcast(-lr), p), param, i);
        }
        for (; i < to; i++) {
            float p = get(param, i);
            float g = Math.fma(weightDecay, p, get(grad, i));
            if (withMomentum) {
                g = Math.fma(momentum, get(velocity, i), g);
                set(velocity, i, g);
            }
            set(param, i, Math.fma(-lr, g, p));
        }
    }

    /**
     * g = grad + wd * p; m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
     * p -= stepSize * m / (sqrt(v) * invSqrtCorrection2 + eps), stepSize = lr / (1 - b1^t).
     */
    static void adam(MemorySegment param, MemorySegment grad, MemorySegment m, MemorySegment v, float stepSize,
            float beta1, float beta2, float eps, float weightDecay, float invSqrtCorrection2, long from, long to) {
        long i = from;
        float c1 = 1f - beta1;
        float c2 = 1f - beta2;
        for (long end = vectorEnd(from, to); i < end; i += LANES) {
            FloatVector p = load(param, i);
            FloatVector g = p.fma(broadcast(weightDecay), load(grad, i));
            FloatVector mi = load(m, i).mul(beta1).add(g.mul(c1));
            FloatVector vi = load(v, i).mul(beta2).add(g.mul(g).mul(c2));
            store(mi, m, i);
            store(vi, v, i);
            FloatVector denom = vi.sqrt().mul(invSqrtCorrection2).add(eps);
            store(p.sub(mi.mul(stepSize).div(denom)), param, i);
        }
        for (; i < to; i++) {
            float p = get(param, i);
            float g = Math.fma(weightDecay, p, get(grad, i));
            float mi = beta1 * get(m, i) + c1 * g;
            float vi = beta2 * get(v, i) + c2 * (g * g);
            set(m, i, mi);
            set(v, i, vi);
            set(param, i, p - mi * stepSize / ((float) Math.sqrt(vi) * invSqrtCorrection2 + eps));
        }
    }
}
