package org.dpmammo.util;

/** A try-with-resources scope whose close cannot fail (grad mode, current backend). */
@FunctionalInterface
public interface Scope extends AutoCloseable {
    @Override
    void close();
}
