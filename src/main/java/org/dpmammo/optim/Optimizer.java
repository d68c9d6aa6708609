package org.dpmammo.optim;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.dpmammo.backend.Backends;
import org.dpmammo.nn.Parameter;
import org.dpmammo.tensor.Shape;
import org.dpmammo.tensor.Tensor;

/**
 * Updates a fixed list of parameters from their accumulated gradients, in place and outside the autograd graph
 * (call it after backward, not between a forward and its backward). Parameters without a gradient are skipped,
 * and their state does not advance, as in PyTorch.
 *
 * <p>Per-parameter state (momentum buffers, moment estimates, step counts) is kept in named float tensors so it
 * can be checkpointed: {@link #state()} names them {@code <index>.<slot>} with PyTorch's slot names
 * ({@code momentum_buffer}, {@code exp_avg}, {@code exp_avg_sq}, {@code step}), index being the position in the
 * parameter list. Step counts are floats, as PyTorch's Adam keeps them, exact up to 2^24 steps.
 *
 * <p>Where a parameter or its gradient lives on a device (the CUDA backend's results), the same rule runs as
 * backend operations ({@link #update(Tensor, Tensor, Map)}): the new value and the moments stay on the device, the
 * step counter and the scalar coefficients on the host; after the first step (which uploads a host value once)
nothing is copied either way. Host parameters take the
 * plain loops, whose float arithmetic the checkpoints of CPU runs depend on bit for bit.
 */
public abstract class Optimizer {
    protected final List<Parameter> params;
    private final List<Map<String, Tensor>> slots = new ArrayList<>();
    private double lr;

    protected Optimizer(List<Parameter> params, double lr) {
        if (!(lr >= 0)) throw new IllegalArgumentException(getClass().getSimpleName() + ": learning rate " + lr + " must be ≥ 0");
        this.params = List.copyOf(params);
        // A parameter listed twice would be updated twice per step, as PyTorch also refuses.
        Map<Parameter, Boolean> seen = new IdentityHashMap<>();
        for (Parameter p : this.params) {
            if (seen.put(p, Boolean.TRUE) != null) throw new IllegalArgumentException(getClass().getSimpleName() + ": a parameter appears twice in the list");
        }
        for (int i = 0; i < this.params.size(); i++) slots.add(new LinkedHashMap<>());
        this.lr = lr;
    }

    public double lr() {
        return lr;
    }

    /** For schedules: the rate used by the next {@link #step()}. */
    public void setLr(double lr) {
        if (!(lr >= 0)) throw new IllegalArgumentException("setLr: learning rate " + lr + " must be ≥ 0");
        this.lr = lr;
    }

    public List<Parameter> parameters() {
        return params;
    }

    public void zeroGrad() {
        for (Parameter p : params) p.zeroGrad();
    }

    /** One update of every parameter that has a gradient. */
    public void step() {
        for (int i = 0; i < params.size(); i++) {
            Parameter p = params.get(i);
            Tensor g = p.grad();
            if (g == null) continue;
            if (p.value().isOnDevice() || g.isOnDevice()) p.setValue(update(p.value(), g, slots.get(i)).reshape(p.value().shapeRef()));
            else update(p.mutableValue().data(), g.compact().data(), slots.get(i));
        }
    }

    /**
     * The update of {@link #update(float[], float[], Map)} as operations of the current backend on flat tensors
     * [numel]: returns the new value, and replaces the slots it advances by the backend's tensors. Agrees with the
     * loop up to float rounding (the loop keeps some scalars in double).
     */
    protected abstract Tensor update(Tensor w, Tensor g, Map<String, Tensor> slots);

    /** A state tensor of one parameter for {@link #update(Tensor, Tensor, Map)}, zero on first use. */
    protected static Tensor slotTensor(Map<String, Tensor> slots, String name, int size) {
        return slots.computeIfAbsent(name, k -> Backends.current().full(0f, size));
    }

    /**
     * Updates one parameter's values w in place from its gradient g; slots holds its state, created on first use
     * through {@link #slot}.
     */
    protected abstract void update(float[] w, float[] g, Map<String, Tensor> slots);

    /** The named state array of one parameter, zero-initialised on first use (a step counter is [1]). */
    protected static float[] slot(Map<String, Tensor> slots, String name, int size) {
        return slots.computeIfAbsent(name, k -> Tensor.zeros(size)).data();
    }

    protected static boolean hasSlot(Map<String, Tensor> slots, String name) {
        return slots.containsKey(name);
    }

    /** Copies of every state tensor, named {@code <index>.<slot>}. */
    public Map<String, Tensor> state() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (int i = 0; i < slots.size(); i++) {
            for (Map.Entry<String, Tensor> e : slots.get(i).entrySet()) out.put(i + "." + e.getKey(), e.getValue().copy());
        }
        return out;
    }

    /**
     * Replaces the state with one exported by {@link #state()} of an optimizer of the same kind over the same
     * parameter shapes. Checked before anything is replaced: unknown names, out-of-range indices or sizes that do
     * not match the parameter throw with one line.
     */
    public void loadState(Map<String, Tensor> state) {
        List<Map<String, Tensor>> fresh = new ArrayList<>();
        for (int i = 0; i < params.size(); i++) fresh.add(new LinkedHashMap<>());
        for (Map.Entry<String, Tensor> e : state.entrySet()) {
            String key = e.getKey();
            int dot = key.indexOf('.');
            int index;
            try {
                index = dot > 0 ? Integer.parseInt(key.substring(0, dot)) : -1;
            } catch (NumberFormatException ex) {
                index = -1;
            }
            if (index < 0 || index >= params.size()) throw new IllegalArgumentException("loadState: key '" + key + "' names no parameter of " + params.size());
            String name = key.substring(dot + 1);
            int expected = slotSize(name, params.get(index).value().numel());
            if (expected < 0) throw new IllegalArgumentException("loadState: " + getClass().getSimpleName() + " has no state '" + name + "'");
            Tensor t = e.getValue();
            if (t.numel() != expected) {
                throw new IllegalArgumentException("loadState: '" + key + "' has shape " + Shape.str(t.shapeRef()) + ", expected " + expected + " values");
            }
            fresh.get(index).put(name, t.reshape(expected).copy());
        }
        for (int i = 0; i < params.size(); i++) slots.set(i, fresh.get(i));
    }

    /** The size of a state slot for a parameter of numel values, or −1 if this optimizer has no such slot. */
    protected abstract int slotSize(String slot, int numel);
}
