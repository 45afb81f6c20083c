package io.mpsl.nn;

/**
 * What the autotuner needs to know about one block: measured compute time per sample and the bytes it costs.
 *
 * @param forwardNsPerSample        forward time of the block divided by the batch it was measured with
 * @param backwardNsPerSample       backward time (input and parameter gradients) per sample
 * @param outputBytesPerSample      bytes of the block's output per sample (what crosses a cut after it)
 * @param parameterBytes            bytes of the block's trained parameters (gradients take as many again)
 * @param keptBytesPerSample        bytes per sample the block keeps from forward to backward (outputs included)
 * @param scratchBytesPerSample     bytes per sample of the block's gradient buffers
 */
public record BlockProfile(int index, String label, long forwardNsPerSample, long backwardNsPerSample,
        long outputBytesPerSample, long parameterBytes, long keptBytesPerSample, long scratchBytesPerSample) {
}
