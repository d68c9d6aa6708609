package org.dpmammo.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A run that never asks for CUDA never loads a JCuda class (so no native library and no start-up cost). */
class CudaIsolationTest {
    /** A --help takes about a second; a child that is still running after this is hung, not slow. */
    private static final long CHILD_TIMEOUT_SECONDS = 120;

    private static String classesLoaded(Path dir, String... args) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "-verbose:class", "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(List.of(args));
        // Output goes to a file, so that waiting is bounded by the timeout rather than by the child closing its pipe.
        Path log = Files.createTempFile(dir, "child", ".log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(CHILD_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
            fail(String.join(" ", args) + ": the child JVM did not finish within " + CHILD_TIMEOUT_SECONDS + " s");
        }
        String out = Files.readString(log);
        assertEquals(0, p.exitValue(), out.lines().filter(l -> !l.contains("[class,load]")).toList().toString());
        return out;
    }

    @Test
    void cpuCommandsLoadNoJcudaClass(@TempDir Path dir) throws Exception {
        for (String[] args : new String[][] {{"--help"}, {"selftest", "--help"}, {"bench", "gpu", "--help"}}) {
            String log = classesLoaded(dir, args);
            assertFalse(log.contains(" jcuda."), String.join(" ", args) + " loaded JCuda");
            assertFalse(log.contains("org.dpmammo.backend.cuda.CudaBackend "), String.join(" ", args) + " loaded the CUDA backend");
        }
    }
}
