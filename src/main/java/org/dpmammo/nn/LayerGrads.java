package org.dpmammo.nn;

import java.util.List;
import org.dpmammo.tensor.Tensor;

/**
 * The parameter-gradient half of a {@link PerExampleLayer}'s backward, shared so every layer routes (A, G) alike;
 * public for layers that live beside their model (Swin's window attention) rather than in this package.
 */
public final class LayerGrads {
    private LayerGrads() {}

    /** The summed parameter gradients, or all nulls after handing (A, G) to the layer's sink when one is installed. */
    public static Tensor[] route(PerExampleLayer layer, Tensor activation, Tensor gradOut) {
        List<Parameter> params = layer.perExampleParameters();
        boolean anyTrainable = false;
        for (Parameter p : params) anyTrainable |= p.requiresGrad();
        if (!anyTrainable) return new Tensor[params.size()];
        GradientSink sink = layer.gradientSink();
        if (sink == null) return layer.gradients(activation, gradOut);
        sink.accept(layer, activation, gradOut);
        return new Tensor[params.size()];
    }
}
