package org.dpmammo.backend.cuda;

import org.dpmammo.backend.BinaryOp;
import org.dpmammo.backend.UnaryOp;

/** The op numbers the switch statements in elementwise.cu expect, spelled out so reordering an enum breaks nothing. */
final class KernelCodes {
    private KernelCodes() {}

    static int of(BinaryOp op) {
        return switch (op) {
            case ADD -> 0;
            case SUB -> 1;
            case MUL -> 2;
            case DIV -> 3;
            case MAX -> 4;
            case MIN -> 5;
            case POW -> 6;
            case GT -> 7;
        };
    }

    static int of(UnaryOp op) {
        return switch (op) {
            case NEG -> 0;
            case EXP -> 1;
            case LOG -> 2;
            case SQRT -> 3;
            case RSQRT -> 4;
            case RECIPROCAL -> 5;
            case ABS -> 6;
            case SQUARE -> 7;
            case TANH -> 8;
            case SIGMOID -> 9;
            case RELU -> 10;
            case LEAKY_RELU -> 11;
            case GELU -> 12;
            case ERF -> 13;
            case POW -> 14;
            case ADD_SCALAR -> 15;
            case MUL_SCALAR -> 16;
        };
    }
}
