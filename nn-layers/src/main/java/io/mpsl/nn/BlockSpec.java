package io.mpsl.nn;

import java.util.List;

/**
 * A unit of a model for cutting: one or more layers (conv+relu, conv+bn+relu+pool, a residual block, the
 * classifier). Split points fall only between blocks.
 */
public record BlockSpec(String label, List<LayerSpec> layers) {
    public BlockSpec {
        layers = List.copyOf(layers);
        if (layers.isEmpty()) {
            throw new IllegalArgumentException("block " + label + " has no layers");
        }
    }
}
