package org.dpmammo.backend;

/**
 * Elementwise unary primitives. Some take a parameter: {@code LEAKY_RELU} its negative slope, {@code POW} its
 * exponent, {@code ADD_SCALAR} / {@code MUL_SCALAR} their scalar.
 */
public enum UnaryOp {
    NEG, EXP, LOG, SQRT, RSQRT, RECIPROCAL, ABS, SQUARE,
    TANH, SIGMOID, RELU, LEAKY_RELU, GELU, ERF,
    POW, ADD_SCALAR, MUL_SCALAR
}
