package org.dpmammo.cli.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Options;
import org.dpmammo.cli.CliSupport;
import org.dpmammo.cli.UsageException;
import org.dpmammo.data.BatchSampler;
import org.dpmammo.data.DataLoader;
import org.dpmammo.data.Dataset;
import org.dpmammo.data.Datasets;
import org.dpmammo.data.Pipeline;

/**
 * {@code dpmammo bench data}: the classifier's input path on the real patches: read and decode every PNG, resize to
 * 224×224 (bilinear upsampling), replicate to 3 channels, scale to [-1, 1] and stack into [B, 3, 224, 224] batches.
 * Load average and core count are reported with the times, since on a shared machine they explain most of the
 * spread. Passes: decoding alone on one thread (twice: the first pays for JIT compilation), a full loader epoch that decodes
 * and transforms, and an epoch from the cache of decoded sources (what later training epochs cost).
 */
public final class DataBench implements Benchmark {
    @Override
    public String name() {
        return "data";
    }

    @Override
    public String summary() {
        return "decode all CBIS-DDSM patches and build 224x224 classifier batches";
    }

    @Override
    public Options options() {
        return Benchmark.options(
                CliSupport.valued("root", "DIR", "labelled images to load, e.g. a CBIS-DDSM patch folder (required)"),
                CliSupport.valued("size", "PX", "output side (default 224)"),
                CliSupport.valued("batch", "B", "batch size (default 64)"),
                CliSupport.valued("threads", "T", "decoding threads (default 2)"),
                CliSupport.valued("repeat", "N", "timed repetitions, best reported (default 3)"));
    }

    @Override
    public void run(CommandLine cl, PrintStream out, boolean json) throws Exception {
        Path root = Path.of(CliSupport.required(cl, "root"));
        if (!Files.exists(root)) throw new UsageException("--root " + root + ": no such folder");
        int size = CliSupport.positiveInt(cl, "size", 224);
        int batch = CliSupport.positiveInt(cl, "batch", 64);
        int threads = CliSupport.positiveInt(cl, "threads", 2);
        int repeat = CliSupport.positiveInt(cl, "repeat", 3);
        Dataset data = Datasets.open(root);
        int n = data.size();

        // The first pass includes class loading and JIT compilation, which a real run also pays once.
        long pixels = 0;
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) pixels += data.image(i).samples().length;
        double decodeColdS = (System.nanoTime() - t0) / 1e9;
        double decodeS = Double.MAX_VALUE;
        for (int rep = 0; rep < repeat; rep++) {
            t0 = System.nanoTime();
            for (int i = 0; i < n; i++) data.image(i);
            decodeS = Math.min(decodeS, (System.nanoTime() - t0) / 1e9);
        }
        resetPeaks();
        double coldS = Double.MAX_VALUE;
        double warmS = Double.MAX_VALUE;
        long heapPeak;
        int batches = 0;
        try (DataLoader plain = new DataLoader(data, Pipeline.classifier(size, true), BatchSampler.shuffled(batch, false), 0, threads, false);
                DataLoader cached = new DataLoader(data, Pipeline.classifier(size, true), BatchSampler.shuffled(batch, false), 0, threads, true)) {
            for (Iterator<DataLoader.Batch> it = cached.epoch(0); it.hasNext(); ) it.next();
            for (int rep = 0; rep < repeat; rep++) {
                batches = 0;
                long t1 = System.nanoTime();
                for (Iterator<DataLoader.Batch> it = plain.epoch(rep); it.hasNext(); batches++) it.next();
                coldS = Math.min(coldS, (System.nanoTime() - t1) / 1e9);
                long t2 = System.nanoTime();
                for (Iterator<DataLoader.Batch> it = cached.epoch(rep + 1); it.hasNext(); ) it.next();
                warmS = Math.min(warmS, (System.nanoTime() - t2) / 1e9);
            }
            heapPeak = heapPeak();
        }
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("images", n);
        r.put("source", root.toString());
        r.put("outputShape", "[" + batch + ", 3, " + size + ", " + size + "]");
        r.put("threads", threads);
        r.put("cores", Runtime.getRuntime().availableProcessors());
        r.put("loadAverage", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        r.put("repeat", repeat);
        r.put("batches", batches);
        r.put("decodeFirstPassOneThreadS", round(decodeColdS));
        r.put("decodeOnlyOneThreadS", round(decodeS));
        r.put("epochDecodeAndResizeS", round(coldS));
        r.put("epochFromCacheS", round(warmS));
        r.put("imagesPerSecondCold", Math.round(n / coldS));
        r.put("imagesPerSecondCached", Math.round(n / warmS));
        r.put("heapPeakMiB", heapPeak >> 20);
        r.put("batchMiB", ((long) batch * 3 * size * size * 4) >> 20);
        r.put("sourcePixels", pixels);
        if (json) {
            out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(r));
            return;
        }
        out.printf("data loading: %d images from %s -> batches %s, %d thread(s); best of %d; %d cores, load average %.1f%n",
                n, root, r.get("outputShape"), threads, repeat, r.get("cores"), r.get("loadAverage"));
        out.printf("  decode only, first pass (1 thread) %7.3f s  (includes JIT warm-up)%n", decodeColdS);
        out.printf("  decode only (1 thread)            %7.3f s%n", decodeS);
        out.printf("  epoch: decode + resize + batch    %7.3f s  (%d images/s)%n", coldS, r.get("imagesPerSecondCold"));
        out.printf("  epoch from decoded-source cache   %7.3f s  (%d images/s)%n", warmS, r.get("imagesPerSecondCached"));
        out.printf("  peak heap %d MiB (one batch is %d MiB; at most three exist at once)%n", heapPeak >> 20, r.get("batchMiB"));
    }

    private static double round(double s) {
        return Math.round(s * 1000) / 1000.0;
    }

    private static void resetPeaks() {
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) p.resetPeakUsage();
    }

    /** The sum of heap pools' peak usage since the last reset: an upper bound on live data, garbage included. */
    private static long heapPeak() {
        long sum = 0;
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
            if (p.getType() == MemoryType.HEAP) sum += p.getPeakUsage().getUsed();
        }
        return sum;
    }
}
