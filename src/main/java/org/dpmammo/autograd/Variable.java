package org.dpmammo.autograd;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.dpmammo.backend.Backends;
import org.dpmammo.backend.BinaryOp;
import org.dpmammo.tensor.Shape;
import org.dpmammo.tensor.Tensor;

/**
 * A tensor in the autograd graph: its value, whether it needs a gradient, the op that made it, and, for leaves,
 * the accumulated gradient. Backward runs once per graph: each node's captured activations are released as soon
 * as its gradient has been passed on.
 */
public class Variable {
    private Tensor value;
    private Tensor grad;
    private boolean requiresGrad;
    private Node node;

    /** A leaf. */
    public Variable(Tensor value, boolean requiresGrad) {
        this.value = value;
        this.requiresGrad = requiresGrad;
    }

    Variable(Tensor value, Node node) {
        this.value = value;
        this.requiresGrad = true;
        this.node = node;
    }

    /**
     * A leaf that needs no gradient, held where the current backend computes: an input batch crosses to a device
     * once here, not again at each op that reads it (a layer's forward and, under DP, its per-example norms).
     */
    public static Variable constant(Tensor value) {
        return new Variable(Backends.current().upload(value), false);
    }

    public Tensor value() {
        return value;
    }

    /** Replaces a leaf's value in place of the optimizer or a state-dict load; refuses a different shape. */
    public void setValue(Tensor v) {
        if (node != null) throw new IllegalStateException("setValue: only leaves can be assigned");
        if (!v.sameShape(value)) {
            throw new IllegalArgumentException("setValue: shape " + Shape.str(v.shapeRef()) + " for a variable of shape " + Shape.str(value.shapeRef()));
        }
        value = v;
    }

    public Tensor grad() {
        return grad;
    }

    public void setGrad(Tensor g) {
        if (g != null && !g.sameShape(value)) {
            throw new IllegalArgumentException("setGrad: gradient of shape " + Shape.str(g.shapeRef()) + " for a variable of shape " + Shape.str(value.shapeRef()));
        }
        grad = g;
    }

    public void zeroGrad() {
        grad = null;
    }

    public boolean requiresGrad() {
        return requiresGrad;
    }

    /**
     * Turns gradient tracking of a leaf on or off (freezing a backbone). It takes effect for graphs recorded afterwards;
     * an op's output always requires a gradient, so only leaves may be changed.
     */
    public void setRequiresGrad(boolean requiresGrad) {
        if (node != null) throw new IllegalStateException("setRequiresGrad: only leaves can be changed, this is the output of '" + node.op + "'");
        this.requiresGrad = requiresGrad;
    }

    public boolean isLeaf() {
        return node == null;
    }

    public int[] shape() {
        return value.shape();
    }

    public int rank() {
        return value.rank();
    }

    public int size(int axis) {
        return value.size(axis);
    }

    /** The same value cut from the graph. */
    public Variable detach() {
        return new Variable(value, false);
    }

    /** Backward from a scalar output. */
    public void backward() {
        if (value.numel() != 1) {
            throw new IllegalStateException("backward: output of shape " + Shape.str(value.shapeRef()) + " is not a scalar; pass a gradient");
        }
        backward(Backends.current().full(1f, value.shapeRef()));
    }

    /** Backward with a given gradient of this variable; accumulates into the leaves' {@link #grad()}. */
    public void backward(Tensor gradOut) {
        if (!requiresGrad) throw new IllegalStateException("backward: this variable does not require a gradient");
        if (!gradOut.sameShape(value)) {
            throw new IllegalArgumentException("backward: gradient of shape " + Shape.str(gradOut.shapeRef()) + " for output " + Shape.str(value.shapeRef()));
        }
        List<Variable> order = topologicalOrder();
        Map<Variable, Tensor> pending = new IdentityHashMap<>();
        pending.put(this, gradOut);
        for (int i = order.size() - 1; i >= 0; i--) {
            Variable v = order.get(i);
            Tensor g = pending.remove(v);
            if (g == null) continue;
            Node n = v.node;
            if (n == null) {
                v.grad = v.grad == null ? g.compact() : Backends.current().binary(BinaryOp.ADD, v.grad, g);
                continue;
            }
            if (n.backward == null) throw new IllegalStateException("backward: the graph through '" + n.op + "' was already used");
            Tensor[] gin = n.backward.apply(g);
            Variable[] inputs = n.inputs;
            n.release();
            for (int k = 0; k < inputs.length; k++) {
                Variable in = inputs[k];
                if (in == null || !in.requiresGrad || gin[k] == null) continue;
                if (!gin[k].sameShape(in.value)) {
                    throw new IllegalStateException("backward of '" + n.op + "': gradient " + Shape.str(gin[k].shapeRef())
                            + " for input " + Shape.str(in.value.shapeRef()));
                }
                pending.merge(in, gin[k], (x, y) -> Backends.current().binary(BinaryOp.ADD, x, y));
            }
        }
    }

    /** Variables reachable from this one, each after all variables it depends on (iterative DFS). */
    private List<Variable> topologicalOrder() {
        List<Variable> order = new ArrayList<>();
        Map<Variable, Boolean> visited = new IdentityHashMap<>();
        ArrayDeque<Object[]> stack = new ArrayDeque<>();
        stack.push(new Object[] {this, 0});
        visited.put(this, Boolean.TRUE);
        while (!stack.isEmpty()) {
            Object[] frame = stack.peek();
            Variable v = (Variable) frame[0];
            int next = (Integer) frame[1];
            Variable[] inputs = v.node == null || v.node.inputs == null ? new Variable[0] : v.node.inputs;
            if (next < inputs.length) {
                frame[1] = next + 1;
                Variable in = inputs[next];
                if (in != null && in.requiresGrad && visited.put(in, Boolean.TRUE) == null) stack.push(new Object[] {in, 0});
            } else {
                stack.pop();
                order.add(v);
            }
        }
        return order;
    }

    @Override
    public String toString() {
        return "Variable(" + value + (node != null ? ", op=" + node.op : requiresGrad ? ", leaf" : "") + ")";
    }
}
