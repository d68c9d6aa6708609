package org.dpmammo.cli.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Options;
import org.dpmammo.backend.Backends;
import org.dpmammo.cli.CliSupport;
import org.dpmammo.cli.UsageException;
import org.dpmammo.models.gan.GanConfig;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.train.gan.GanState;
import org.dpmammo.train.gan.GanStep;
import org.dpmammo.util.Rng;

/**
 * {@code dpmammo bench gan}: wall time of one training iteration (D step + G step, as {@link GanStep}) of the study's
 * 128×128 model at batch 8 on the CPU, the number {@code tools/bench_gan_peer.py} measures for PyTorch. Threads
 * follow {@code -Ddpmammo.threads} (the peer script takes the same count). Besides wall time it reports the process
 * CPU time per iteration, which stays meaningful on a machine shared with other jobs, where wall time does not.
 */
public final class GanBench implements Benchmark.OnDevice {
    /** CPU time of every thread of this process, from the JVM's operating-system bean. */
    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    @Override
    public String name() {
        return "gan";
    }

    @Override
    public String summary() {
        return "one C-DCGAN training iteration (D + G step), study model 128x128, batch 8";
    }


    @Override
    public Options options() {
        return Benchmark.options(
                CliSupport.valued("preset", "NAME", "paper (default) or cpu"),
                CliSupport.valued("batch", "B", "batch size (default 8)"),
                CliSupport.valued("iters", "N", "timed iterations (default 3)"),
                CliSupport.valued("warmup", "N", "untimed iterations first (default 1)"));
    }

    @Override
    public void run(CommandLine cl, PrintStream out, boolean json) throws Exception {
        GanConfig c;
        try {
            c = GanConfig.preset(cl.getOptionValue("preset", "paper"));
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        int batch = CliSupport.positiveInt(cl, "batch", 8), iters = CliSupport.positiveInt(cl, "iters", 3), warmup = CliSupport.intOpt(cl, "warmup", 1);
        if (warmup < 0) throw new UsageException("--warmup must be >= 0, got " + warmup);
        GanState s = new GanState(c, 1, 1e-4, 0.5, 0.999);
        Rng rng = new Rng(2);
        int size = c.imageSize();
        float[] x = new float[batch * size * size];
        for (int i = 0; i < x.length; i++) x[i] = rng.nextFloat();
        Tensor real = Tensor.of(x, batch, 1, size, size);
        int[] labels = new int[batch];
        for (int i = 0; i < batch; i++) labels[i] = i % 2;
        for (int i = 0; i < warmup; i++) GanStep.run(s, real, labels, rng);
        double[] ms = new double[iters], cpuMs = new double[iters];
        for (int i = 0; i < iters; i++) {
            long t0 = System.nanoTime(), c0 = processCpuNanos();
            GanStep.run(s, real, labels, rng);
            Backends.current().synchronize();
            ms[i] = (System.nanoTime() - t0) / 1e6;
            cpuMs[i] = (processCpuNanos() - c0) / 1e6;
        }
        double[] cpuSorted = cpuMs.clone();
        Arrays.sort(cpuSorted);
        double cpuMedian = cpuSorted[iters / 2];
        double[] sorted = ms.clone();
        Arrays.sort(sorted);
        double median = sorted[iters / 2];
        int threads = Integer.getInteger("dpmammo.threads", Runtime.getRuntime().availableProcessors());
        if (json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("benchmark", "gan");
            m.put("image_size", size);
            m.put("ngf", c.ngf());
            m.put("batch", batch);
            m.put("device", Backends.current().describe());
            m.put("threads", threads);
            m.put("iteration_ms", ms);
            m.put("median_ms", median);
            m.put("cpu_ms", cpuMs);
            m.put("median_cpu_ms", cpuMedian);
            m.put("images_per_s", batch / (median / 1000));
            out.println(new ObjectMapper().writeValueAsString(m));
        } else {
            out.printf("C-DCGAN %dx%d (ngf=ndf=%d), batch %d, %d threads, on %s: one iteration (D step + G step)%n", size, size, c.ngf(), batch, threads,
                    Backends.current().describe());
            out.printf("  wall: median %.0f ms  min %.0f ms  (%d timed, %d warm-up)  %.2f images/s%n", median, sorted[0], iters, warmup, batch / (median / 1000));
            out.printf("  process CPU time: median %.0f ms per iteration%n", cpuMedian);
        }
    }
}
