package org.dpmammo.cli.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Options;
import org.dpmammo.backend.cpu.Conv2dKernels;
import org.dpmammo.backend.cpu.Conv2dShape;
import org.dpmammo.backend.cpu.ConvTranspose2dShape;
import org.dpmammo.util.Parallel;
import org.dpmammo.backend.cpu.Sgemm;
import org.dpmammo.cli.CliSupport;
import org.dpmammo.cli.UsageException;

/**
 * {@code dpmammo bench conv}: forward and backward (data + weight gradients) of the 128×128 C-DCGAN's layers at the
 * study's batch of 8: the discriminator's convolutions and the generator's transposed convolutions
 * (docs/STUDY.md §2.3 and §2.4). tools/bench_peer.py runs the same layers through PyTorch.
 */
public final class ConvBench implements Benchmark {
    /** One layer: a convolution, or a transposed convolution when {@code transpose} is set. */
    record Layer(String name, Conv2dShape conv, ConvTranspose2dShape transpose) {
        double flops() {
            return conv != null ? conv.flops() : transpose.flops();
        }

        String geometry() {
            if (conv != null)
                return conv.inC() + "x" + conv.inH() + "x" + conv.inW() + " -> " + conv.outC() + "x" + conv.outH() + "x" + conv.outW()
                        + " k" + conv.kH() + " s" + conv.strideH() + " p" + conv.padH();
            return transpose.inC() + "x" + transpose.inH() + "x" + transpose.inW() + " -> " + transpose.outC() + "x" + transpose.outH()
                    + "x" + transpose.outW() + " k" + transpose.kH() + " s" + transpose.strideH() + " p" + transpose.padH();
        }
    }

    static List<Layer> layers(int batch) {
        List<Layer> ls = new ArrayList<>();
        int[] dch = {2, 64, 128, 256, 512, 1024};
        for (int i = 0; i < 5; i++) {
            int size = 128 >> i;
            ls.add(new Layer("d" + (i + 1), Conv2dShape.of(batch, dch[i], size, size, dch[i + 1], 6, 2, 2), null));
        }
        ls.add(new Layer("d6", Conv2dShape.of(batch, 1024, 4, 4, 1, 6, 1, 1), null));
        ls.add(new Layer("g1", null, ConvTranspose2dShape.of(batch, 200, 1, 1, 1024, 4, 1, 0)));
        int[] gch = {1024, 512, 256, 128, 64, 1};
        for (int i = 0; i < 5; i++) {
            int size = 4 << i;
            ls.add(new Layer("g" + (i + 2), null, ConvTranspose2dShape.of(batch, gch[i], size, size, gch[i + 1], 4, 2, 1)));
        }
        return ls;
    }

    @Override
    public String name() {
        return "conv";
    }

    @Override
    public String summary() {
        return "C-DCGAN conv / conv-transpose layers, forward and backward (threads: -Ddpmammo.threads=N)";
    }

    @Override
    public Options options() {
        return Benchmark.options(
                CliSupport.valued("batch", "N", "batch size (default 8, the study's)"),
                CliSupport.valued("only", "NAMES", "comma-separated layer names, e.g. d2,g3"),
                CliSupport.valued("runs", "N", "timed runs per layer; median reported, best in --json (default 5)"));
    }

    @Override
    public void run(CommandLine cl, PrintStream out, boolean json) throws Exception {
        int batch = CliSupport.positiveInt(cl, "batch", 8), runs = CliSupport.positiveInt(cl, "runs", 5);
        List<Layer> layers = layers(batch);
        if (cl.hasOption("only")) {
            List<String> names = List.of(cl.getOptionValue("only").split(","));
            layers = layers.stream().filter(l -> names.contains(l.name())).toList();
            if (layers.isEmpty()) throw new UsageException("--only matched no layer (d1..d6, g1..g6)");
        }
        List<Map<String, Object>> rows = new ArrayList<>();
        if (!json) {
            out.printf("Convolution, batch %d, GEMM kernel %s, %d threads%n", batch, Sgemm.implementation(), Parallel.threads());
            out.printf("%-5s %-34s %10s %10s %9s %9s%n", "layer", "shape", "fwd ms", "bwd ms", "fwd GF/s", "bwd GF/s");
        }
        double totalF = 0, totalB = 0;
        for (Layer l : layers) {
            Timing.Result[] r = time(l, runs);
            double[] t = {r[0].median(), r[1].median()};
            totalF += t[0];
            totalB += t[1];
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("layer", l.name());
            row.put("shape", l.geometry());
            row.put("forward_ms", t[0] * 1e3);
            row.put("backward_ms", t[1] * 1e3);
            row.put("forward_best_ms", r[0].best() * 1e3);
            row.put("backward_best_ms", r[1].best() * 1e3);
            row.put("forward_gflops", l.flops() / t[0] / 1e9);
            row.put("backward_gflops", 2 * l.flops() / t[1] / 1e9);
            rows.add(row);
            if (!json) {
                out.printf("%-5s %-34s %10.3f %10.3f %9.1f %9.1f%n", l.name(), l.geometry(), t[0] * 1e3, t[1] * 1e3,
                        l.flops() / t[0] / 1e9, 2 * l.flops() / t[1] / 1e9);
                out.flush();
            }
        }
        if (json) {
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("benchmark", "conv");
            doc.put("implementation", Sgemm.implementation());
            doc.put("threads", Parallel.threads());
            doc.put("batch", batch);
            doc.put("results", rows);
            out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(doc));
        } else {
            out.printf("%-5s %-34s %10.3f %10.3f%n", "total", "", totalF * 1e3, totalB * 1e3);
        }
    }

    /** Seconds of {forward, backward = data gradient + weight gradient}. */
    private static Timing.Result[] time(Layer l, int runs) {
        if (l.conv() != null) {
            Conv2dShape s = l.conv();
            float[] x = Timing.randomArray((int) s.inputSize(), 1), w = Timing.randomArray((int) s.weightSize(), 2);
            float[] y = new float[(int) s.outputSize()], dy = Timing.randomArray((int) s.outputSize(), 3);
            float[] dx = new float[x.length], dw = new float[w.length];
            Timing.Result f = Timing.measure(() -> Conv2dKernels.forward(s, x, w, null, y), 0.5, runs, 0.2);
            Timing.Result b = Timing.measure(() -> {
                Conv2dKernels.backwardData(s, dy, w, dx);
                Conv2dKernels.backwardWeight(s, x, dy, dw, null);
            }, 0.5, runs, 0.2);
            return new Timing.Result[] {f, b};
        }
        ConvTranspose2dShape t = l.transpose();
        float[] x = Timing.randomArray((int) t.inputSize(), 1), w = Timing.randomArray((int) t.weightSize(), 2);
        float[] y = new float[(int) t.outputSize()], dy = Timing.randomArray((int) t.outputSize(), 3);
        float[] dx = new float[x.length], dw = new float[w.length];
        Timing.Result f = Timing.measure(() -> Conv2dKernels.transposeForward(t, x, w, null, y), 0.5, runs, 0.2);
        Timing.Result b = Timing.measure(() -> {
            Conv2dKernels.transposeBackwardData(t, dy, w, dx);
            Conv2dKernels.transposeBackwardWeight(t, x, dy, dw, null);
        }, 0.5, runs, 0.2);
        return new Timing.Result[] {f, b};
    }
}
