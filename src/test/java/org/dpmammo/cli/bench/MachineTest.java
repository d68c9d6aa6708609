package org.dpmammo.cli.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.dpmammo.backend.cpu.Sgemm;
import org.dpmammo.cli.Main;
import org.junit.jupiter.api.Test;

/** Benchmark results name the machine: parsed from /proc/cpuinfo excerpts, and present in both output forms. */
class MachineTest {
    private static final String XEON = """
            processor\t: 0
            vendor_id\t: GenuineIntel
            model name\t: Intel(R) Xeon(R) Platinum 8481C CPU @ 2.70GHz
            flags\t\t: fpu sse2 ssse3 fma sse4_1 sse4_2 avx avx2 avx512f avx512dq avx512bw
            """;
    private static final String EPYC = """
            processor\t: 0
            model name\t: AMD EPYC 7B13
            flags\t\t: fpu sse2 sse4_2 fma avx avx2 bmi2
            """;
    private static final String ARM = """
            processor\t: 0
            Features\t: fp asimd evtstrm aes crc32
            CPU part\t: 0xd0c
            """;

    @Test
    void cpuModelAndWidestSimdFromCpuinfo() {
        assertEquals("Intel(R) Xeon(R) Platinum 8481C CPU @ 2.70GHz", Machine.cpuModel(XEON));
        assertEquals(512, Machine.widestSimdBits(XEON));
        assertEquals(List.of("avx512f", "avx2", "avx", "sse4_2", "sse2"), Machine.simdFlags(XEON));
        assertEquals("AMD EPYC 7B13", Machine.cpuModel(EPYC));
        assertEquals(256, Machine.widestSimdBits(EPYC));
        assertEquals("0xd0c", Machine.cpuModel(ARM));
        assertEquals(128, Machine.widestSimdBits(ARM));
        assertEquals(0, Machine.widestSimdBits(""));
        assertEquals(System.getProperty("os.arch"), Machine.cpuModel(""));
    }

    private static String bench(String... args) {
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        int rc = Main.run(args, new PrintStream(o, true, StandardCharsets.UTF_8), new PrintStream(e, true, StandardCharsets.UTF_8));
        assertEquals(0, rc, e.toString(StandardCharsets.UTF_8));
        return o.toString(StandardCharsets.UTF_8);
    }

    @Test
    void everyResultCarriesTheMachine() throws Exception {
        String[] small = {"bench", "privacy", "--steps", "100", "--rows", "2", "--prv-rows", "0", "--reps", "1"};
        String text = bench(small);
        assertTrue(text.startsWith("machine: "), text);
        assertTrue(text.lines().findFirst().orElseThrow().contains("GEMM kernel " + Sgemm.implementation()), text);
        assertTrue(text.strip().lines().reduce((a, b) -> b).orElseThrow().startsWith("load average "), text);

        String[] json = java.util.Arrays.copyOf(small, small.length + 1);
        json[small.length] = "--json";
        JsonNode doc = new ObjectMapper().readTree(bench(json));
        assertEquals("privacy", doc.get("benchmark").asText(), "the benchmark's own document is kept");
        assertEquals(3, doc.get("results").size(), "RDP and PRV queries and the RDP grid (no PRV rows asked for)");
        JsonNode m = doc.get("machine");
        assertEquals(Runtime.getRuntime().availableProcessors(), m.get("cpus").asInt());
        assertEquals(Sgemm.implementation(), m.get("gemm_kernel").asText());
        assertTrue(m.get("cpu").asText().length() > 0);
        assertTrue(m.has("load_average_start") && m.has("load_average_end") && m.has("cpu_vector_bits"), m.toString());
        // Surefire loads the module, so the preferred species is known: a whole number of floats, at least 64 bits.
        assertTrue(m.get("vector_api_preferred_bits").asInt() >= 64, m.toString());
    }
}
