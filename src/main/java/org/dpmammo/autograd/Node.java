package org.dpmammo.autograd;

/** The record of one op in the graph: which variables went in and how to send a gradient back to them. */
final class Node {
    final String op;
    Variable[] inputs;
    Backward backward;

    Node(String op, Variable[] inputs, Backward backward) {
        this.op = op;
        this.inputs = inputs;
        this.backward = backward;
    }

    /** Drops the inputs and the captured activations, so memory is returned as soon as backward passed by. */
    void release() {
        inputs = null;
        backward = null;
    }
}
