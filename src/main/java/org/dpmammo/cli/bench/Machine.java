package org.dpmammo.cli.bench;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.dpmammo.util.Parallel;
import org.dpmammo.backend.cpu.Sgemm;

/**
 * The machine a benchmark ran on, stamped on every result so that ratios from different machines are never mixed:
 * CPU model, the widest SIMD the CPU has and the width the Vector API prefers on it, core count, GEMM kernel and
 * threads in use, and the load average (other jobs on the machine) when the run started and ended.
 */
public record Machine(String cpu, int cpus, int cpuVectorBits, List<String> simdFlags, Integer vectorApiBits,
               String gemmKernel, int threads, String java, double loadAtStart) {

    /** SIMD feature flags of /proc/cpuinfo, widest first, with the register width each gives. */
    private static final String[][] SIMD = {
        {"avx512f", "512"}, {"avx2", "256"}, {"avx", "256"}, {"asimd", "128"}, {"sse4_2", "128"}, {"sse2", "128"}};

    public static Machine now() {
        String cpuinfo;
        try {
            cpuinfo = Files.readString(Path.of("/proc/cpuinfo"));
        } catch (IOException | RuntimeException e) {
            cpuinfo = ""; // not Linux: the model falls back to os.arch, widths to unknown
        }
        return new Machine(cpuModel(cpuinfo), Runtime.getRuntime().availableProcessors(), widestSimdBits(cpuinfo),
                simdFlags(cpuinfo), vectorApiPreferredBits(), Sgemm.implementation(), Parallel.threads(),
                Runtime.version().toString(), loadAverage());
    }

    /** The "model name" line (x86) or "CPU part"/"Hardware" where that is what the kernel reports. */
    static String cpuModel(String cpuinfo) {
        for (String key : List.of("model name", "Hardware", "CPU part")) {
            String v = field(cpuinfo, key);
            if (v != null) return v;
        }
        return System.getProperty("os.arch");
    }

    /** The widest vector register the CPU's flags promise, in bits; 0 when unknown. */
    static int widestSimdBits(String cpuinfo) {
        List<String> flags = flagWords(cpuinfo);
        int best = 0;
        for (String[] f : SIMD) if (flags.contains(f[0])) best = Math.max(best, Integer.parseInt(f[1]));
        return best;
    }

    static List<String> simdFlags(String cpuinfo) {
        List<String> flags = flagWords(cpuinfo);
        List<String> found = new ArrayList<>();
        for (String[] f : SIMD) if (flags.contains(f[0])) found.add(f[0]);
        return found;
    }

    private static List<String> flagWords(String cpuinfo) {
        String flags = field(cpuinfo, "flags");
        if (flags == null) flags = field(cpuinfo, "Features"); // ARM
        return flags == null ? List.of() : List.of(flags.split("\\s+"));
    }

    private static String field(String cpuinfo, String key) {
        for (String line : cpuinfo.split("\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().equals(key)) return line.substring(colon + 1).trim();
        }
        return null;
    }

    /**
     * FloatVector.SPECIES_PREFERRED's width, or null where the module is not loaded. By reflection: only the
     * kernels in backend.cpu link against jdk.incubator.vector, so that a JVM without it still runs everything else.
     */
    static Integer vectorApiPreferredBits() {
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) return null;
        try {
            Object species = Class.forName("jdk.incubator.vector.FloatVector").getField("SPECIES_PREFERRED").get(null);
            return (Integer) Class.forName("jdk.incubator.vector.VectorSpecies").getMethod("vectorBitSize").invoke(species);
        } catch (ReflectiveOperationException | LinkageError e) {
            return null;
        }
    }

    /** The one-minute load average; negative where the platform has none. */
    public static double loadAverage() {
        return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }

    /** One line above a benchmark's table. */
    public String line() {
        return String.format(Locale.ROOT, "machine: %s, %d CPUs, SIMD %s (%s), Vector API preferred %s; GEMM kernel %s, "
                        + "%d threads; Java %s; load average %.2f at start",
                cpu, cpus, cpuVectorBits > 0 ? cpuVectorBits + " bits" : "unknown", String.join(" ", simdFlags),
                vectorApiBits == null ? "n/a (module not loaded)" : vectorApiBits + " bits", gemmKernel, threads, java,
                loadAtStart);
    }

    /** The "machine" object of a benchmark's JSON document. */
    public ObjectNode json(double loadAtEnd) {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("cpu", cpu);
        o.put("cpus", cpus);
        o.put("cpu_vector_bits", cpuVectorBits);
        o.put("simd_flags", String.join(" ", simdFlags));
        if (vectorApiBits == null) o.putNull("vector_api_preferred_bits");
        else o.put("vector_api_preferred_bits", vectorApiBits);
        o.put("gemm_kernel", gemmKernel);
        o.put("threads", threads);
        o.put("java", java);
        o.put("load_average_start", loadAtStart);
        o.put("load_average_end", loadAtEnd);
        return o;
    }
}
