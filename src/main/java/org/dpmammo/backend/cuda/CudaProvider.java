package org.dpmammo.backend.cuda;

import java.lang.reflect.InvocationTargetException;
import java.util.Locale;
import org.dpmammo.backend.Backend;
import org.dpmammo.util.Scope;

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

    /** Device 0, opened once per JVM: a second open would retain the context and load the modules again. */
    private static Availability device0;
    /** A backend that stands in for the GPU (the kernel emulator), set by tests through {@link #substituteForTests}. */
    private static Backend substitute;

    /** Tries to open CUDA device {@code ordinal}; never throws for a missing driver, device or native library. */
    public static synchronized Availability open(int ordinal) {
        if (substitute != null) return new Availability(substitute, null);
        if (ordinal == 0 && device0 != null) return device0;
        Availability a;
        try {
            Class<?> c = Class.forName("org.dpmammo.backend.cuda.CudaBackend");
            a = new Availability((Backend) c.getMethod("open", int.class).invoke(null, ordinal), null);
        } catch (InvocationTargetException e) {
            a = new Availability(null, reason(e.getCause()));
        } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
            a = new Availability(null, reason(e));
        }
        if (ordinal == 0) device0 = a;
        return a;
    }

    /**
     * Makes {@link #open} return {@code stand_in} until the scope closes, so tests can drive the commands' CUDA paths
     * through the kernel emulator on a machine without a GPU. Nothing outside the tests calls it.
     */
    public static synchronized Scope substituteForTests(Backend standIn) {
        Backend previous = substitute;
        substitute = standIn;
        return () -> {
            synchronized (CudaProvider.class) {
                substitute = previous;
            }
        };
    }

    /** The cause in one line, sorted into what a user can act on: driver, JCuda natives, device, capability, memory. */
    static String reason(Throwable e) {
        String text = allMessages(e);
        String platform = System.getProperty("os.name") + " " + System.getProperty("os.arch");
        if (e instanceof UnsatisfiedLinkError) {
            if (text.contains("libcuda.so") || text.contains("nvcuda.dll")) {
                return "no NVIDIA driver: libcuda.so.1 is not installed or not on the library path";
            }
            return "JCuda's native library did not load on " + platform + " (" + firstLine(e) + ")";
        }
        if (e instanceof NoClassDefFoundError || e instanceof ClassNotFoundException) {
            return "JCuda's classes are missing from the class path (" + firstLine(e) + ")";
        }
        if (text.contains("CUDA_ERROR_NO_DEVICE")) return "the NVIDIA driver loaded but finds no GPU (CUDA_ERROR_NO_DEVICE)";
        if (text.contains("CUDA_ERROR_INSUFFICIENT_DRIVER") || text.contains("CUDA_ERROR_UNSUPPORTED_PTX_VERSION")) {
            return "the NVIDIA driver is too old for these kernels (" + firstLine(e) + ")";
        }
        if (text.contains("CUDA_ERROR_OUT_OF_MEMORY") || e instanceof OutOfMemoryError) return "out of GPU memory (" + firstLine(e) + ")";
        if (text.toLowerCase(Locale.ROOT).contains("compute capability")) return firstLine(e);
        return e.getClass().getSimpleName() + ": " + firstLine(e);
    }

    private static String allMessages(Throwable e) {
        StringBuilder b = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            b.append(t.getMessage()).append('\n');
            for (Throwable s : t.getSuppressed()) b.append(s.getMessage()).append('\n');
        }
        return b.toString();
    }

    private static String firstLine(Throwable e) {
        String m = e.getMessage();
        if (m == null || m.isBlank()) return e.getClass().getSimpleName();
        int nl = m.indexOf('\n');
        return nl >= 0 ? m.substring(0, nl) : m;
    }
}
