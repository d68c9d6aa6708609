package org.dpmammo.backend;

import org.dpmammo.backend.cpu.CpuBackend;
import org.dpmammo.util.Scope;

/** Which backend the current thread computes on; the CPU reference backend unless set otherwise. */
public final class Backends {
    private static final Backend CPU = new CpuBackend();
    private static final ThreadLocal<Backend> CURRENT = ThreadLocal.withInitial(() -> CPU);

    private Backends() {}

    public static Backend current() {
        return CURRENT.get();
    }

    public static Backend cpu() {
        return CPU;
    }

    /** Makes b the current thread's backend until the returned scope is closed. */
    public static Scope use(Backend b) {
        Backend previous = CURRENT.get();
        CURRENT.set(b);
        return () -> CURRENT.set(previous);
    }
}
