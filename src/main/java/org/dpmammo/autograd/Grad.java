package org.dpmammo.autograd;

import org.dpmammo.tensor.Tensor;
import org.dpmammo.util.Scope;

/** Gradient mode of the current thread, and the one place where ops are recorded into the graph. */
public final class Grad {
    private static final ThreadLocal<boolean[]> ENABLED = ThreadLocal.withInitial(() -> new boolean[] {true});

    private Grad() {}

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
        if (!enabled()) return new Variable(out, false);
        boolean needs = false;
        for (Variable v : inputs) needs |= v != null && v.requiresGrad();
        if (!needs) return new Variable(out, false);
        return new Variable(out, new Node(op, inputs, backward));
    }
}
