package org.dpmammo.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A run that never asks for CUDA never loads a JCuda class (so no native library and no start-up cost). */
class CudaIsolationTest {
    private static String classesLoaded(String... args) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new java.util.ArrayList<>(List.of(java, "-verbose:class", "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), out.lines().filter(l -> !l.contains("[class,load]")).toList().toString());
        return out;
    }

    @Test
    void cpuCommandsLoadNoJcudaClass() throws Exception {
        for (String[] args : new String[][] {{"--help"}, {"selftest", "--help"}, {"bench", "gpu", "--help"}}) {
            String log = classesLoaded(args);
            assertFalse(log.contains(" jcuda."), String.join(" ", args) + " loaded JCuda");
            assertFalse(log.contains("org.dpmammo.backend.cuda.CudaBackend "), String.join(" ", args) + " loaded the CUDA backend");
        }
    }
}
