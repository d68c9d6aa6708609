package org.dpmammo.autograd;

import org.dpmammo.backend.cpu.CpuBackend;
import org.dpmammo.tensor.Shape;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.util.Scope;

/** Gradient mode of the current thread, and the one place where ops are recorded into the graph. */
public final class Grad {
    private static final ThreadLocal<boolean[]> ENABLED = ThreadLocal.withInitial(() -> new boolean[] {true});

    /**
     * Whether every host op's output is scanned for NaN (default on; {@code -Ddpmammo.nanCheck=false} turns it off). A NaN
     * then stops the computation at the op that made it, instead of surfacing later as a NaN loss or weight.
     */
    private static final boolean NAN_CHECK = !"false".equals(System.getProperty("dpmammo.nanCheck"));

    private Grad() {}

    private static NotFiniteException nanError(String op, Variable[] inputs) {
        StringBuilder shapes = new StringBuilder();
        String culprit = null;
        for (Variable v : inputs) {
            if (v == null) continue;
            shapes.append(shapes.length() == 0 ? "" : ", ").append(Shape.str(v.value().shapeRef()));
            if (culprit == null && v.value().hasNaN()) culprit = Shape.str(v.value().shapeRef());
        }
        return new NotFiniteException(op + ": " + (culprit != null ? "input of shape " + culprit + " contains NaN"
                : "produced NaN from inputs of shapes " + shapes));
    }

    private static boolean isView(Tensor out, Variable[] inputs) {
        for (Variable v : inputs) if (v != null && out.sharesStorage(v.value())) return true;
        return false;
    }

    public static boolean enabled() {
        return ENABLED.get()[0];
    }

    /** Inside this scope no op is recorded: for evaluation, optimizer steps and feature caching. */
    public static Scope noGrad() {
        boolean[] flag = ENABLED.get();
        boolean previous = flag[0];
        flag[0] = false;
        return () -> flag[0] = previous;
    }

    /**
     * Wraps an op's output. The op is recorded only if grad mode is on and some input needs a gradient; otherwise
     * the output is a constant and the backward rule (with whatever it captured) is dropped at once.
     */
    public static Variable record(String op, Tensor out, Backward backward, Variable... inputs) {
        // Device results are not scanned: that would download every op's output to the host. Views (reshape,
        // permute, slice) are not scanned either: they hold no new values, and scanning a strided view copies it.
        if (NAN_CHECK && !out.isOnDevice() && !isView(out, inputs) && CpuBackend.hasNaN(out)) throw nanError(op, inputs);
        if (!enabled()) return new Variable(out, false);
        boolean needs = false;
        for (Variable v : inputs) needs |= v != null && v.requiresGrad();
        if (!needs) return new Variable(out, false);
        return new Variable(out, new Node(op, inputs, backward));
    }
}
