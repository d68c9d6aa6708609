package org.dpmammo.autograd;

/**
 * An op produced NaN (the NaN check of {@link Grad}): training diverged, or an input or weight already held NaN. A
 * type of its own so that callers can say which of these it was likely to be instead of an op's name alone.
 */
public final class NotFiniteException extends ArithmeticException {
    public NotFiniteException(String message) {
        super(message);
    }
}
