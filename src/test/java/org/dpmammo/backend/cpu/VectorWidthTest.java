package org.dpmammo.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The SIMD elementwise kernels (GELU, the rectifier gradient, the NaN scan) take their width from the GEMM kernel in use, fixed once
 * per JVM; this runs their checks against the scalar formulas in a child JVM for each width this CPU runs natively
 * ({@code -Ddpmammo.simd=vector256}, and {@code vector512} on AVX-512), so both paths are tested on one machine.
 * The GEMM kernels of both widths are compared in one JVM by {@link SgemmTest}.
 */
class VectorWidthTest {
    /** Child entry point: the kernel and width in use, then the elementwise checks; a failed check exits non-zero. */
    public static void main(String[] args) throws Exception {
        System.out.println("kernel " + Sgemm.implementation() + " bits " + Sgemm.vectorBits());
        VectorGeluTest gelu = new VectorGeluTest();
        gelu.forwardAndBackwardMatchTheScalarFormulas();
        gelu.specialValues();
        RectifierKernelsTest rect = new RectifierKernelsTest();
        rect.kernelsMatchTheDefinitionsByCases();
        rect.vectorBackwardMatchesTheScalarDefinitionAtOffsets();
        NanScanTest nan = new NanScanTest();
        nan.findsEveryNaNAndNothingElse();
        nan.largeAndStridedTensorsAgreeWithTheScalarScan();
        System.out.println("checks passed");
    }

    @ParameterizedTest
    @ValueSource(ints = {256, 512})
    void elementwiseKernelsAtEachWidth(int bits) throws Exception {
        assumeTrue(Sgemm.nativeVectorBits(bits), bits + "-bit vectors are not native on this CPU");
        String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        List<String> cmd = new ArrayList<>(List.of(java, "--add-modules", "jdk.incubator.vector", "-Ddpmammo.simd=vector" + bits,
                "-cp", System.getProperty("java.class.path"), VectorWidthTest.class.getName()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "child JVM timed out");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("kernel vector" + bits + "-") && out.contains("bits " + bits), out);
        assertTrue(out.contains("checks passed"), out);
    }
}
