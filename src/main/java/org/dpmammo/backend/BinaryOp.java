package org.dpmammo.backend;

/** Elementwise binary primitives; all broadcast under PyTorch's rules. */
public enum BinaryOp {
    ADD, SUB, MUL, DIV, MAX, MIN, POW,
    /** 1 where a &gt; b, else 0 (no gradient; used for masks and the backward of max/min). */
    GT
}
