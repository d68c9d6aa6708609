package org.dpmammo.nn;

/**
 * The base of every layer with a per-example gradient rule ({@link PerExampleLayer}): it holds the gradient sink the
 * DP engine installs, so each layer writes only its rules (gradients, norms) and not this plumbing.
 */
public abstract class PerExampleModule extends Module implements PerExampleLayer {
    private GradientSink sink;

    @Override
    public void setGradientSink(GradientSink sink) {
        this.sink = sink;
    }

    @Override
    public GradientSink gradientSink() {
        return sink;
    }
}
