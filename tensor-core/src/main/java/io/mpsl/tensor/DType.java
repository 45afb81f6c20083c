package io.mpsl.tensor;

/** Element types a tensor can hold. Both are 4 bytes, little-endian, as in safetensors and on the wire. */
public enum DType {
    /** IEEE 754 binary32: activations, gradients, weights. */
    F32,
    /** Signed 32-bit integer: class labels, indices. */
    I32;

    public int byteSize() {
        return 4;
    }
}
