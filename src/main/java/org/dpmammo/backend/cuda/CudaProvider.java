package org.dpmammo.backend.cuda;

import java.io.PrintStream;
import java.lang.reflect.InvocationTargetException;
import org.dpmammo.backend.Backend;
import org.dpmammo.backend.Backends;

/**
 * The one door to the CUDA backend that the rest of the program may touch. It names {@link CudaBackend} only
 * through reflection, so a JVM that never asks for CUDA never loads JCuda's classes or its native library, and
 * {@code java -jar} on a machine without an NVIDIA driver starts as fast as before.
 */
public final class CudaProvider {
    private CudaProvider() {}

    /** Either an open backend or one line saying why CUDA is not available here. */
    public record Availability(Backend backend, String reason) {
        public boolean available() {
            return backend != null;
        }
    }

    /** Tries to open CUDA device {@code ordinal}; never throws for a missing driver, device or native library. */
    public static Availability open(int ordinal) {
        try {
            Class<?> c = Class.forName("org.dpmammo.backend.cuda.CudaBackend");
            return new Availability((Backend) c.getMethod("open", int.class).invoke(null, ordinal), null);
        } catch (InvocationTargetException e) {
            return new Availability(null, reason(e.getCause()));
        } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
            return new Availability(null, reason(e));
        }
    }

    private static String reason(Throwable e) {
        if (e instanceof UnsatisfiedLinkError) return "the NVIDIA driver (libcuda.so.1) or JCuda's native library did not load";
        String m = e.getMessage();
        String line = e.getClass().getSimpleName() + (m == null ? "" : ": " + m);
        int nl = line.indexOf('\n');
        return nl >= 0 ? line.substring(0, nl) : line;
    }

    /**
     * The backend for {@code --device cpu|cuda|auto}: auto takes CUDA device 0 when it opens and otherwise the CPU,
     * saying so in one line on {@code log}; cuda throws {@link IllegalStateException} with the reason when it cannot.
     */
    public static Backend select(String device, PrintStream log) {
        switch (device) {
            case "cpu":
                return Backends.cpu();
            case "cuda": {
                Availability a = open(0);
                if (!a.available()) throw new IllegalStateException("no usable CUDA device: " + a.reason());
                return a.backend();
            }
            case "auto": {
                Availability a = open(0);
                if (a.available()) return a.backend();
                log.println("dpmammo: no usable CUDA device (" + a.reason() + "); using the CPU");
                return Backends.cpu();
            }
            default:
                throw new IllegalArgumentException("--device must be cpu, cuda or auto, got '" + device + "'");
        }
    }
}
