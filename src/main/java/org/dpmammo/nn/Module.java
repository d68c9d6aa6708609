package org.dpmammo.nn;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.dpmammo.autograd.Variable;
import org.dpmammo.tensor.Shape;
import org.dpmammo.tensor.Tensor;

/**
 * A node of a model: child modules, parameters and buffers, each registered under a name in insertion order, so
 * that {@link #namedParameters()} and {@link #stateDict()} produce PyTorch's dotted names
 * ({@code features.0.0.weight}) and checkpoints move between dpmammo and PyTorch unchanged.
 *
 * <p>Convention: a module with one input implements {@link #forward(Variable)}; a module with other inputs
 * (indices, several tensors) adds its own {@code forward} signatures.
 */
public abstract class Module {
    private final Map<String, Module> children = new LinkedHashMap<>();
    private final Map<String, Parameter> parameters = new LinkedHashMap<>();
    private final Map<String, Tensor> buffers = new LinkedHashMap<>();
    /** Buffers that PyTorch keeps as int64 (counters, index tables); checkpoints store them as I64. */
    private final Set<String> integerBuffers = new LinkedHashSet<>();
    private boolean training = true;

    /** The module applied to one input. Modules with other inputs override their own signatures instead. */
    public Variable forward(Variable x) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " does not take a single input; use its own forward methods");
    }

    // ---------------------------------------------------------------- registration

    protected <M extends Module> M registerModule(String name, M child) {
        checkName(name);
        children.put(name, child);
        return child;
    }

    protected Parameter registerParameter(String name, Parameter p) {
        checkName(name);
        parameters.put(name, p);
        return p;
    }

    /**
     * A persistent buffer: state that is saved and loaded but not trained (running statistics). {@code integer}
     * marks buffers PyTorch stores as int64; here they are float values, exact up to 2^24.
     */
    protected Tensor registerBuffer(String name, Tensor value, boolean integer) {
        checkName(name);
        Tensor stored = value.compact();
        buffers.put(name, stored);
        if (integer) integerBuffers.add(name);
        return stored;
    }

    protected Tensor buffer(String name) {
        Tensor b = buffers.get(name);
        if (b == null) throw new IllegalArgumentException(getClass().getSimpleName() + " has no buffer '" + name + "'");
        return b;
    }

    protected void setBuffer(String name, Tensor value) {
        Tensor old = buffer(name);
        if (!old.sameShape(value)) {
            throw new IllegalArgumentException("buffer '" + name + "': shape " + Shape.str(value.shapeRef()) + " for " + Shape.str(old.shapeRef()));
        }
        buffers.put(name, value.compact());
    }

    private void checkName(String name) {
        if (name.isEmpty() || name.contains(".")) throw new IllegalArgumentException("module member name '" + name + "' must be non-empty and without '.'");
        if (children.containsKey(name) || parameters.containsKey(name) || buffers.containsKey(name)) {
            throw new IllegalArgumentException(getClass().getSimpleName() + " already has a member named '" + name + "'");
        }
    }

    // ---------------------------------------------------------------- traversal

    /** Direct children in registration order. */
    public Map<String, Module> namedChildren() {
        return Collections.unmodifiableMap(children);
    }

    /** This module (name "") and every descendant, depth first in registration order, each module once. */
    public Map<String, Module> namedModules() {
        Map<String, Module> out = new LinkedHashMap<>();
        collectModules("", out, new IdentityHashMap<>());
        return out;
    }

    private void collectModules(String prefix, Map<String, Module> out, Map<Module, Boolean> seen) {
        if (seen.put(this, Boolean.TRUE) != null) return;
        out.put(prefix, this);
        for (Map.Entry<String, Module> c : children.entrySet()) c.getValue().collectModules(join(prefix, c.getKey()), out, seen);
    }

    /** Every parameter under its dotted name; a parameter shared by two modules is listed once, under its first name. */
    public Map<String, Parameter> namedParameters() {
        Map<String, Parameter> out = new LinkedHashMap<>();
        Map<Parameter, Boolean> seen = new IdentityHashMap<>();
        for (Map.Entry<String, Module> m : namedModules().entrySet()) {
            for (Map.Entry<String, Parameter> p : m.getValue().parameters.entrySet()) {
                if (seen.put(p.getValue(), Boolean.TRUE) == null) out.put(join(m.getKey(), p.getKey()), p.getValue());
            }
        }
        return out;
    }

    public List<Parameter> parameters() {
        return new ArrayList<>(namedParameters().values());
    }

    /** The parameters that are not frozen: what an optimizer (and the DP engine) should see. */
    public List<Parameter> trainableParameters() {
        List<Parameter> out = new ArrayList<>();
        for (Parameter p : namedParameters().values()) if (!p.isFrozen()) out.add(p);
        return out;
    }

    /** Number of scalar parameters, frozen ones included. */
    public long numParameters() {
        long n = 0;
        for (Parameter p : namedParameters().values()) n += p.value().numel();
        return n;
    }

    /** Freezes or unfreezes every parameter of this module and its descendants. */
    public void setFrozen(boolean frozen) {
        for (Parameter p : namedParameters().values()) p.setFrozen(frozen);
    }

    public void zeroGrad() {
        for (Parameter p : namedParameters().values()) p.zeroGrad();
    }

    // ---------------------------------------------------------------- mode

    /** Training mode (dropout, drop-path and batch statistics active), recursively. */
    public Module train(boolean on) {
        for (Module m : namedModules().values()) m.training = on;
        return this;
    }

    public Module train() {
        return train(true);
    }

    public Module eval() {
        return train(false);
    }

    public boolean isTraining() {
        return training;
    }

    // ---------------------------------------------------------------- state

    /**
     * Parameters and buffers under their dotted names, in PyTorch's order (per module: parameters, then buffers,
     * then children). The tensors are the live values, not copies. Unlike {@link #namedParameters()}, a shared
     * parameter appears under every name, as in PyTorch.
     */
    public Map<String, Tensor> stateDict() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        collectState("", out, null);
        return out;
    }

    /** The keys of {@link #stateDict()} that PyTorch stores as int64 (e.g. BatchNorm's num_batches_tracked). */
    public Set<String> integerStateKeys() {
        Set<String> out = new LinkedHashSet<>();
        collectState("", null, out);
        return out;
    }

    private void collectState(String prefix, Map<String, Tensor> out, Set<String> integers) {
        if (out != null) {
            for (Map.Entry<String, Parameter> p : parameters.entrySet()) out.put(join(prefix, p.getKey()), p.getValue().value());
            for (Map.Entry<String, Tensor> b : buffers.entrySet()) out.put(join(prefix, b.getKey()), b.getValue());
        }
        if (integers != null) for (String b : integerBuffers) integers.add(join(prefix, b));
        for (Map.Entry<String, Module> c : children.entrySet()) c.getValue().collectState(join(prefix, c.getKey()), out, integers);
    }

    /** What {@link #loadStateDict} found: keys the module has but the map lacks, the reverse, and shape mismatches. */
    public record LoadReport(List<String> missing, List<String> unexpected, List<String> misShaped) {
        public boolean clean() {
            return missing.isEmpty() && unexpected.isEmpty() && misShaped.isEmpty();
        }

        @Override
        public String toString() {
            return "missing " + missing + ", unexpected " + unexpected + ", mis-shaped " + misShaped;
        }
    }

    /**
     * Copies matching entries into parameters and buffers. Strict: any missing, unexpected or mis-shaped key is an
     * {@link IllegalArgumentException} and nothing is loaded. Not strict: every key whose shape matches is loaded
     * and the rest is reported (how a new classification head is left at its fresh initialisation).
     */
    public LoadReport loadStateDict(Map<String, Tensor> state, boolean strict) {
        Map<String, Setter> targets = new LinkedHashMap<>();
        collectSetters("", targets);
        List<String> missing = new ArrayList<>(), unexpected = new ArrayList<>(), misShaped = new ArrayList<>();
        Map<String, Tensor> current = stateDict();
        for (String k : targets.keySet()) {
            Tensor t = state.get(k);
            if (t == null) missing.add(k);
            else if (!t.sameShape(current.get(k))) misShaped.add(k + " " + Shape.str(t.shapeRef()) + " vs " + Shape.str(current.get(k).shapeRef()));
        }
        for (String k : state.keySet()) if (!targets.containsKey(k)) unexpected.add(k);
        LoadReport report = new LoadReport(missing, unexpected, misShaped);
        if (strict && !report.clean()) throw new IllegalArgumentException("loadStateDict (strict): " + report);
        for (Map.Entry<String, Setter> e : targets.entrySet()) {
            Tensor t = state.get(e.getKey());
            if (t != null && t.sameShape(current.get(e.getKey()))) e.getValue().set(t.copy());
        }
        return report;
    }

    private interface Setter {
        void set(Tensor t);
    }

    private void collectSetters(String prefix, Map<String, Setter> out) {
        for (Map.Entry<String, Parameter> p : parameters.entrySet()) out.put(join(prefix, p.getKey()), p.getValue()::setValue);
        for (String b : buffers.keySet()) out.put(join(prefix, b), t -> setBuffer(b, t));
        for (Map.Entry<String, Module> c : children.entrySet()) c.getValue().collectSetters(join(prefix, c.getKey()), out);
    }

    private static String join(String prefix, String name) {
        return prefix.isEmpty() ? name : prefix + "." + name;
    }
}
