package org.dpmammo.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.dpmammo.testing.ModuleClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The JPMS module org.dpmammo: what it exports and requires, and that it runs on the module path — the CPU path with
 * the SIMD kernels and DP training, with JCuda absent — and hides its internals from callers outside it. (The other
 * tests run on the class path: several start child JVMs from it.)
 */
class JpmsModuleTest {
    private static final Path CLASSES = Path.of(Main.class.getProtectionDomain().getCodeSource().getLocation().getPath());

    /** The compiled module and its runtime dependencies from the test class path, JCuda left out. */
    private static String modulePath() {
        List<String> path = new ArrayList<>(List.of(CLASSES.toString()));
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (e.matches(".*/(commons-cli|jackson-(core|databind|annotations))-[^/]*\\.jar")) path.add(e);
        }
        assertEquals(5, path.size(), "module, commons-cli and three Jackson jars: " + path);
        return String.join(File.pathSeparator, path);
    }

    private record Run(int rc, String out) {}

    private static Run java(Path cwd, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(Arrays.asList(args));
        Process p = new ProcessBuilder(cmd).directory(cwd.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        return new Run(p.waitFor(), out);
    }

    @Test
    void theModuleExportsTheApiAndTheTypesItTakesAndNeedsNeitherJcudaNorTheVectorApi() {
        ModuleDescriptor d = ModuleFinder.of(CLASSES).find("org.dpmammo").orElseThrow().descriptor();
        assertFalse(d.isOpen());
        Set<String> exports = d.exports().stream().filter(e -> !e.isQualified()).map(ModuleDescriptor.Exports::source).collect(Collectors.toSet());
        assertEquals(Set.of("org.dpmammo.api", "org.dpmammo.autograd", "org.dpmammo.data", "org.dpmammo.nn", "org.dpmammo.optim", "org.dpmammo.tensor",
                "org.dpmammo.util"), exports);
        assertTrue(d.exports().stream().noneMatch(ModuleDescriptor.Exports::isQualified));
        assertTrue(d.opens().stream().allMatch(o -> o.targets().equals(Set.of("com.fasterxml.jackson.databind"))), "only Jackson may reflect");
        for (String optional : List.of("jcuda", "jdk.incubator.vector")) {
            ModuleDescriptor.Requires r = d.requires().stream().filter(q -> q.name().equals(optional)).findFirst().orElseThrow();
            assertEquals(Set.of(ModuleDescriptor.Requires.Modifier.STATIC), r.modifiers(), optional);
        }
    }

    @Test
    void theCpuPathRunsOnTheModulePathWithoutJcuda(@TempDir Path dir) throws Exception {
        String mp = modulePath();
        assertTrue(ModuleFinder.of(Arrays.stream(mp.split(File.pathSeparator)).map(Path::of).toArray(Path[]::new)).find("jcuda").isEmpty());
        Run version = java(dir, "--module-path", mp, "--add-modules", "jdk.incubator.vector", "-m", "org.dpmammo/" + Main.class.getName(), "--version");
        assertEquals(0, version.rc(), version.out());
        assertTrue(version.out().contains("GEMM kernel vector"), version.out());
        Run train = java(dir, "--module-path", mp, "--add-modules", "jdk.incubator.vector", "-m", "org.dpmammo/" + Main.class.getName(), "classifier",
                "train", "--train", "phantom:32:24:1", "--val", "phantom:32:12:2", "--out", "run", "--preset", "tiny", "--epochs", "1", "--batch-size", "12",
                "--threads", "1", "--dp", "--target-epsilon", "8");
        assertEquals(0, train.rc(), train.out());
        assertTrue(train.out().contains("ε spent"), train.out());
        assertTrue(Files.exists(dir.resolve("run/metrics.json")), "JSON written through Jackson from the module");
        Run epsilon = java(dir, "--module-path", mp, "--add-modules", "jdk.incubator.vector", "-m", "org.dpmammo/" + Main.class.getName(), "privacy",
                "epsilon", "--sample-rate", "0.04", "--noise-multiplier", "1.5", "--steps", "2250", "--delta", "1e-5", "--accountant", "rdp");
        assertEquals(0, epsilon.rc(), epsilon.out());
        assertTrue(epsilon.out().contains("epsilon = 7.329111171"), epsilon.out());
    }

    @Test
    void aCallerOutsideTheModuleReachesTheExportsAndNothingElse(@TempDir Path dir) throws Exception {
        String client = Path.of(ModuleClient.class.getProtectionDomain().getCodeSource().getLocation().getPath()).toString();
        Run api = java(dir, "--module-path", modulePath(), "--add-modules", "org.dpmammo", "-cp", client, ModuleClient.class.getName(), "api");
        assertEquals(0, api.rc(), api.out());
        assertTrue(api.out().contains("epsilon 7.329111171") && api.out().contains("parameters 2"), api.out());
        Run internal = java(dir, "--module-path", modulePath(), "--add-modules", "org.dpmammo", "-cp", client, ModuleClient.class.getName(), "internal");
        assertEquals(3, internal.rc(), internal.out());
        assertTrue(internal.out().contains("does not export org.dpmammo.privacy.accounting"), internal.out());
    }
}
