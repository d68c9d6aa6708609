package org.dpmammo.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.dpmammo.testing.RequiredTools;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The committed kernel binaries are current: the manifest's SHA-256 of every .cu matches the source, every kernel
 * the Java side launches is an entry of its PTX, and, where nvcc is on the PATH, a fresh compile gives the same PTX.
 * After editing a .cu, run tools/build-ptx.sh and commit what it writes.
 */
class KernelResourcesTest {
    private static final Path SOURCES = Path.of("src/main/cuda");
    private static final Path RESOURCES = Path.of("src/main/resources/org/dpmammo/cuda");

    private static Map<String, String[]> manifest() throws IOException {
        Map<String, String[]> m = new HashMap<>();
        for (String line : Files.readAllLines(RESOURCES.resolve("kernels.manifest"))) {
            if (line.isBlank() || line.startsWith("#")) continue;
            String[] f = line.trim().split("\\s+");
            m.put(f[0], f);
        }
        return m;
    }

    private static List<Path> sources() throws IOException {
        try (Stream<Path> s = Files.list(SOURCES)) {
            return s.filter(p -> p.toString().endsWith(".cu")).sorted().toList();
        }
    }

    private static String family(Path cu) {
        String n = cu.getFileName().toString();
        return n.substring(0, n.length() - 3);
    }

    @Test
    void manifestMatchesEverySourceAndBinariesExist() throws Exception {
        Map<String, String[]> m = manifest();
        List<Path> cus = sources();
        assertEquals(cus.size(), m.size(), "manifest lists " + m.keySet() + "; run tools/build-ptx.sh");
        for (Path cu : cus) {
            String[] entry = m.get(family(cu));
            assertTrue(entry != null, cu + " is not in kernels.manifest; run tools/build-ptx.sh");
            String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(cu)));
            assertEquals(sha, entry[1], cu + " changed since its PTX was built; run tools/build-ptx.sh and commit the result");
            assertTrue(Files.size(RESOURCES.resolve(family(cu) + ".ptx")) > 0);
            assertTrue(Files.size(RESOURCES.resolve(family(cu) + ".sm_90.cubin")) > 0);
        }
    }

    @Test
    void everyLaunchedKernelIsAnEntryOfItsFamily() throws Exception {
        String java = Files.readString(Path.of("src/main/java/org/dpmammo/backend/cuda/CudaBackend.java"));
        Matcher launch = Pattern.compile("launch\\(\"(\\w+)\", \"(\\w+)\"").matcher(java);
        int found = 0;
        while (launch.find()) {
            String ptx = Files.readString(RESOURCES.resolve(launch.group(1) + ".ptx"));
            assertTrue(ptx.contains(".entry " + launch.group(2) + "("), launch.group(2) + " is not an entry of " + launch.group(1) + ".ptx");
            found++;
        }
        assertTrue(found >= 15, "expected the backend's launches, found " + found);
        // The two GEMM families are chosen by a flag rather than by a literal launch call.
        assertTrue(Files.readString(RESOURCES.resolve("sgemm.ptx")).contains(".entry sgemm_f32("));
        assertTrue(Files.readString(RESOURCES.resolve("sgemm_tf32.ptx")).contains(".entry sgemm_tf32("));
    }

    private static boolean onPath(String exe) {
        String path = System.getenv("PATH");
        if (path == null) return false;
        for (String dir : path.split(File.pathSeparator)) if (Files.isExecutable(Path.of(dir, exe))) return true;
        return false;
    }

    /** Recompiles every family to PTX (in parallel) and compares with the committed file, when nvcc is here. */
    @Test
    @Tag("nvcc")
    void committedPtxEqualsAFreshCompile() throws Exception {
        RequiredTools.require(onPath("nvcc"), "nvcc not on PATH: PTX freshness checked by hash only");
        Path out = Files.createDirectories(Path.of("target/ptx-check"));
        Map<String, String[]> m = manifest();
        List<Process> jobs = new ArrayList<>();
        List<Path> cus = sources();
        List<Path> stale = new ArrayList<>();
        for (Path cu : cus) {
            // A compile already in target/ and newer than its source is reused: CI starts clean, local reruns are quick.
            Path ptx = out.resolve(family(cu) + ".ptx");
            if (Files.exists(ptx) && Files.getLastModifiedTime(ptx).compareTo(Files.getLastModifiedTime(cu)) > 0) continue;
            stale.add(cu);
            List<String> cmd = new ArrayList<>(List.of("nvcc", "-ptx", "-arch=" + m.get(family(cu))[2]));
            cmd.addAll(extraFlags(cu));
            cmd.addAll(List.of("-o", ptx.toString(), cu.toString()));
            jobs.add(new ProcessBuilder(cmd).redirectErrorStream(true).start());
        }
        for (int i = 0; i < stale.size(); i++) {
            Process p = jobs.get(i);
            assertTrue(p.waitFor(300, TimeUnit.SECONDS), "nvcc timed out on " + stale.get(i));
            String log = new String(p.getInputStream().readAllBytes());
            if (p.exitValue() != 0) Files.deleteIfExists(out.resolve(family(stale.get(i)) + ".ptx"));
            assertEquals(0, p.exitValue(), "nvcc failed on " + stale.get(i) + ":\n" + log);
        }
        for (Path cu : cus) {
            byte[] fresh = Files.readAllBytes(out.resolve(family(cu) + ".ptx"));
            byte[] committed = Files.readAllBytes(RESOURCES.resolve(family(cu) + ".ptx"));
            String freshVersion = compilerLine(fresh), committedVersion = compilerLine(committed);
            Assumptions.assumeTrue(freshVersion.equals(committedVersion),
                    "nvcc here is '" + freshVersion + "', the PTX was built by '" + committedVersion + "': compile checked, bytes not compared");
            assertArrayEquals(committed, fresh, cu + ": committed PTX differs from a fresh compile; run tools/build-ptx.sh");
        }
    }

    /** The flags a family asks for on its first line ("// nvcc-flags: -fmad=false"), as tools/build-ptx.sh reads them. */
    private static List<String> extraFlags(Path cu) throws IOException {
        String first = Files.readAllLines(cu).get(0);
        return first.startsWith("// nvcc-flags: ") ? List.of(first.substring(15).trim().split("\\s+")) : List.of();
    }

    private static String compilerLine(byte[] ptx) {
        for (String line : new String(ptx).split("\n", 12)) if (line.startsWith("// Cuda compilation tools")) return line;
        return "unknown";
    }
}
