package org.dpmammo.nn;

import org.dpmammo.tensor.Tensor;

/** Receives a {@link PerExampleLayer}'s activation and output gradient during backward, in place of its summed gradient. */
@FunctionalInterface
public interface GradientSink {
    void accept(PerExampleLayer layer, Tensor activation, Tensor gradOut);
}
