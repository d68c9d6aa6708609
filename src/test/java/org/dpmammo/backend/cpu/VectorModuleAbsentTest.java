package org.dpmammo.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@code java -jar dpmammo.jar} runs without --add-modules: a JVM without jdk.incubator.vector must still load
 * Sgemm, pick the scalar kernel, and compute. Runs a child JVM on this test's class path.
 */
class VectorModuleAbsentTest {
    /** Child entry point: prints the kernel in use and one checked product. */
    public static void main(String[] args) {
        float[] a = {1, 2, 3, 4, 5, 6}, b = {1, 0, 0, 1, 1, 1}, c = new float[4];
        Sgemm.sgemm(false, false, 2, 2, 3, 1f, a, 0, 3, b, 0, 2, 0f, c, 0, 2);
        System.out.println(Sgemm.implementation() + " " + c[0] + " " + c[1] + " " + c[2] + " " + c[3]);
    }

    @Test
    void scalarKernelWithoutTheModule() throws Exception {
        String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        for (String simd : List.of("auto", "vector")) {
            Process p = new ProcessBuilder(java, "-Ddpmammo.simd=" + simd, "-cp", System.getProperty("java.class.path"),
                    VectorModuleAbsentTest.class.getName()).redirectErrorStream(true).start();
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "child JVM timed out");
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, p.exitValue(), out);
            assertTrue(out.contains("scalar-4x4 4.0 5.0 10.0 11.0"), out);
            if (simd.equals("vector")) assertTrue(out.contains("not available"), "forcing vector should say why it fell back: " + out);
        }
    }
}
