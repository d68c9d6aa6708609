package org.dpmammo.cli.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Options;
import org.dpmammo.autograd.Grad;
import org.dpmammo.autograd.Ops;
import org.dpmammo.autograd.Variable;
import org.dpmammo.backend.Backends;
import org.dpmammo.cli.CliSupport;
import org.dpmammo.cli.UsageException;
import org.dpmammo.models.swin.SwinConfig;
import org.dpmammo.models.swin.SwinTransformer;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.util.Rng;
import org.dpmammo.util.Scope;

/**
 * {@code dpmammo bench swin}: Swin-T (torchvision's swin_t shape, 224×224, 1000 classes) on the backend of --device: a
 * forward pass without the tape (what feature caching for a frozen backbone costs) and a forward + backward pass in
 * training mode with every parameter trainable (full fine-tuning). Compare with tools/bench_swin_peer.py, the same
 * measurement in PyTorch with two threads. The first iteration is discarded (JIT compilation). Process CPU seconds are
 * reported next to wall seconds: on a shared machine the wall time mostly measures the other tenants.
 */
public final class SwinBench implements Benchmark.OnDevice {
    @Override
    public String name() {
        return "swin";
    }

    @Override
    public String summary() {
        return "Swin-T forward and forward+backward on --device (compare tools/bench_swin_peer.py, tools/gpu_peer.py)";
    }


    @Override
    public Options options() {
        return Benchmark.options(
                CliSupport.valued("batch", "B", "batch size (default 8)"),
                CliSupport.valued("preset", "NAME", "paper (Swin-T 224x224, default) or cpu (64x64)"),
                CliSupport.valued("repeat", "N", "timed iterations after one warm-up, best reported (default 3)"));
    }

    @Override
    public void run(CommandLine cl, PrintStream out, boolean json) throws Exception {
        int batch = CliSupport.positiveInt(cl, "batch", 8);
        int repeat = CliSupport.positiveInt(cl, "repeat", 3);
        String preset = cl.getOptionValue("preset", "paper");
        SwinConfig cfg = switch (preset) {
            case "paper" -> SwinConfig.swinT();
            case "cpu" -> SwinConfig.cpu();
            default -> throw new UsageException("--preset: expected paper or cpu, got '" + preset + "'");
        };
        SwinTransformer model = new SwinTransformer(cfg, SwinTransformer.Head.LINEAR, 1000, new Rng(0));
        Rng rng = new Rng(1);
        float[] x = new float[batch * 3 * cfg.imageSize() * cfg.imageSize()];
        for (int i = 0; i < x.length; i++) x[i] = (float) rng.uniform(-1, 1);
        Tensor input = Tensor.of(x, batch, 3, cfg.imageSize(), cfg.imageSize());

        double fwd = Double.MAX_VALUE, fwdBwd = Double.MAX_VALUE, fwdCpu = Double.MAX_VALUE, fwdBwdCpu = Double.MAX_VALUE;
        for (int it = 0; it <= repeat; it++) {
            model.eval();
            long t0 = System.nanoTime(), c0 = cpuNanos();
            try (Scope s = Grad.noGrad()) {
                model.forward(Variable.constant(input));
            }
            Backends.current().synchronize();
            double f = (System.nanoTime() - t0) / 1e9, fc = (cpuNanos() - c0) / 1e9;
            model.train();
            model.zeroGrad();
            t0 = System.nanoTime();
            c0 = cpuNanos();
            Ops.mean(model.forward(Variable.constant(input)), false, 0, 1).backward();
            Backends.current().synchronize();
            double fb = (System.nanoTime() - t0) / 1e9, fbc = (cpuNanos() - c0) / 1e9;
            if (it > 0) {
                fwd = Math.min(fwd, f);
                fwdBwd = Math.min(fwdBwd, fb);
                fwdCpu = Math.min(fwdCpu, fc);
                fwdBwdCpu = Math.min(fwdBwdCpu, fbc);
            }
        }
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("model", cfg.toString());
        r.put("device", Backends.current().describe());
        r.put("batch", batch);
        r.put("parameters", model.numParameters());
        r.put("cores", Runtime.getRuntime().availableProcessors());
        r.put("loadAverage", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        r.put("repeat", repeat);
        r.put("forwardS", Math.round(fwd * 1000) / 1000.0);
        r.put("forwardBackwardS", Math.round(fwdBwd * 1000) / 1000.0);
        r.put("forwardCpuS", Math.round(fwdCpu * 1000) / 1000.0);
        r.put("forwardBackwardCpuS", Math.round(fwdBwdCpu * 1000) / 1000.0);
        r.put("imagesPerSecondForward", Math.round(batch / fwd * 100) / 100.0);
        r.put("imagesPerSecondForwardBackward", Math.round(batch / fwdBwd * 100) / 100.0);
        if (json) {
            out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(r));
            return;
        }
        out.printf("swin: %s on %s, batch %d, %,d parameters; best of %d after one warm-up; %d cores, load average %.1f%n",
                cfg, r.get("device"), batch, model.numParameters(), repeat, r.get("cores"), r.get("loadAverage"));
        out.printf("  forward (no tape, eval)             %8.3f s wall, %8.3f s CPU  (%.2f images/s)%n", fwd, fwdCpu, batch / fwd);
        out.printf("  forward + backward (train, all)     %8.3f s wall, %8.3f s CPU  (%.2f images/s)%n", fwdBwd, fwdBwdCpu, batch / fwdBwd);
    }

    /** CPU time of the whole process (all threads, GC and JIT included), as the peer's time.process_time(). */
    private static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }
}
