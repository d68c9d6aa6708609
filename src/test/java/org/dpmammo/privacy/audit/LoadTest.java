package org.dpmammo.privacy.audit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import org.dpmammo.nn.Sequential;
import org.dpmammo.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Load: three DP runs on one JVM's threads, sharing read-only data, end exactly as the same runs one after another
 * (grad mode and backend are per thread, every random draw comes from the run's own seeded source); and 10,000 images
 * in a folder stream through the data loader on a 64 MB heap.
 */
class LoadTest {
    static Map<String, Tensor> train(Tensor x, int[] y, long seed, Path dir) throws IOException {
        Sequential m = KillResumeChild.model();
        CrashSafeRun.Settings s = new CrashSafeRun.Settings("load-" + seed, "synthetic", 0.1, 0.9, 1.0, 1.0, 0.25, 40, 16, 1e-5, 1e3, "rdp", false, seed, 40);
        // The sequential and the concurrent run of one seed replay one reproducible run id.
        org.dpmammo.testing.PinnedRun.pin(dir, seed);
        new CrashSafeRun(m, x, y, s, dir, dir.resolve("ledger.json")).run();
        return m.stateDict();
    }

    @Test
    void threeConcurrentRunsEqualTheSameRunsInSequence(@TempDir Path dir) throws Exception {
        Tensor x = KillResumeChild.inputs();
        int[] y = KillResumeChild.labels(x);
        float[] pristine = x.toArray();
        List<Map<String, Tensor>> sequential = new ArrayList<>();
        for (long seed = 1; seed <= 3; seed++) sequential.add(train(x, y, seed, dir.resolve("seq" + seed)));
        ExecutorService pool = Executors.newFixedThreadPool(3);
        List<Future<Map<String, Tensor>>> concurrent = new ArrayList<>();
        for (long seed = 1; seed <= 3; seed++) {
            long s = seed;
            concurrent.add(pool.submit(() -> train(x, y, s, dir.resolve("par" + s))));
        }
        for (int i = 0; i < 3; i++) {
            Map<String, Tensor> a = sequential.get(i), b = concurrent.get(i).get(5, TimeUnit.MINUTES);
            for (String k : a.keySet()) assertArrayEquals(a.get(k).toArray(), b.get(k).toArray(), "run " + (i + 1) + ": " + k);
        }
        pool.shutdown();
        assertArrayEquals(pristine, x.toArray(), "the shared data was not written to");
        // Different seeds must give different models, or the comparison above proves nothing.
        assertTrue(sequential.get(0).get("0.weight").get(0, 0) != sequential.get(1).get("0.weight").get(0, 0));
    }

    @Test
    void tenThousandImagesStreamOnASmallHeap(@TempDir Path dir) throws Exception {
        int n = 10_000;
        Path folder = Files.createDirectories(dir.resolve("images"));
        // A handful of distinct 64×64 PNGs written without fsync: the test is about reading, not writing.
        byte[][] variants = new byte[16][];
        for (int v = 0; v < variants.length; v++) {
            BufferedImage bi = new BufferedImage(64, 64, BufferedImage.TYPE_BYTE_GRAY);
            for (int px = 0; px < 64 * 64; px++) bi.getRaster().setSample(px % 64, px / 64, 0, (px * (v + 1)) & 0xFF);
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            ImageIO.write(bi, "png", b);
            variants[v] = b.toByteArray();
        }
        for (int i = 0; i < n; i++) Files.write(folder.resolve(String.format("img%05d_%s.png", i, i % 2 == 0 ? "benign" : "malignant")), variants[i % variants.length]);
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "--add-modules=jdk.incubator.vector",
                "-Xmx64m", "-cp", System.getProperty("java.class.path"), StreamingChild.class.getName(), folder.toString());
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertTrue(p.waitFor(5, TimeUnit.MINUTES));
        assertEquals(0, p.exitValue(), "the child ran out of its 64 MB heap or failed: " + out);
        String[] f = out.split(" ");
        assertEquals(n, Long.parseLong(f[0]));
        // 10,000 decoded 32×32 float images alone would take 41 MB; all 10,000 64×64 sources 82 MB.
        System.out.printf("streamed %d PNGs in %.1f s on -Xmx64m, peak heap %.1f MB%n", n, (System.nanoTime() - t0) / 1e9, Long.parseLong(f[3]) / 1e6);
    }
}
