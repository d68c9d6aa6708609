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
import org.dpmammo.backend.Backend;
import org.dpmammo.backend.Backends;
import org.dpmammo.util.Parallel;
import org.dpmammo.backend.cpu.Sgemm;
import org.dpmammo.cli.CliSupport;
import org.dpmammo.cli.UsageException;
import org.dpmammo.tensor.Tensor;

/**
 * {@code dpmammo bench gemm}: SGEMM GFLOP/s on square sizes and on the GEMMs the models actually run. The same
 * cases, by the same names, are in tools/bench_peer.py so the two tables line up.
 */
public final class GemmBench implements Benchmark.OnDevice {
    /** One GEMM shape: C[m×n] = op(A)·op(B) with inner size k, {@code batch} times. */
    record Case(String name, boolean transA, boolean transB, int m, int n, int k, int batch) {
        double flops() {
            return 2.0 * m * n * k * batch;
        }
    }

    /** The shapes: squares, Swin-T's per-stage-1 GEMMs, and the C-DCGAN discriminator's im2col GEMMs at batch 8. */
    static List<Case> cases() {
        List<Case> cs = new ArrayList<>();
        for (int s : new int[] {256, 512, 1024, 2048}) cs.add(new Case("square" + s, false, false, s, s, s, 1));
        // Swin-T stage 1: 56×56 = 3136 tokens of 96 channels per image.
        cs.add(new Case("swin-qkv", false, true, 3136, 288, 96, 1));
        cs.add(new Case("swin-mlp1", false, true, 3136, 384, 96, 1));
        cs.add(new Case("swin-mlp2", false, true, 3136, 96, 384, 1));
        // Window attention: 64 windows × 3 heads of 49 tokens, head dim 32: Q·Kᵀ then P·V.
        cs.add(new Case("swin-attn-qk", false, true, 49, 49, 32, 192));
        cs.add(new Case("swin-attn-pv", false, false, 49, 32, 49, 192));
        // Discriminator conv i as one GEMM over the batch of 8: Cout × (Cin·6·6) times (Cin·6·6) × (8·OH·OW).
        int[] ch = {2, 64, 128, 256, 512, 1024};
        for (int i = 0; i < 5; i++) {
            int out = 128 >> (i + 1);
            cs.add(new Case("gan-d" + (i + 1), false, false, ch[i + 1], 8 * out * out, ch[i] * 36, 1));
        }
        return cs;
    }

    @Override
    public String name() {
        return "gemm";
    }

    @Override
    public String summary() {
        return "SGEMM GFLOP/s: square sizes and the models' GEMM shapes (threads: -Ddpmammo.threads=N)";
    }


    @Override
    public Options options() {
        return Benchmark.options(
                CliSupport.valued("only", "NAMES", "comma-separated case names (default: all)"),
                CliSupport.flag("cpu-time", "time in thread CPU time rather than wall time "
                        + "(steadier on a loaded machine; needs -Ddpmammo.threads=1)"),
                CliSupport.valued("runs", "N", "timed runs per case; median and best reported (default 5)"));
    }

    @Override
    public void run(CommandLine cl, PrintStream out, boolean json) throws Exception {
        int runs = CliSupport.positiveInt(cl, "runs", 5);
        boolean cpuTime = cl.hasOption("cpu-time");
        Backend device = Backends.current();
        boolean onCpu = device == Backends.cpu();
        if (cpuTime && !onCpu) throw new UsageException("--cpu-time times the CPU kernels; it needs --device cpu");
        if (cpuTime && Parallel.threads() != 1) throw new UsageException("--cpu-time needs -Ddpmammo.threads=1");
        List<Case> cases = cases();
        if (cl.hasOption("only")) {
            List<String> names = List.of(cl.getOptionValue("only").split(","));
            cases = cases.stream().filter(c -> names.contains(c.name())).toList();
            if (cases.isEmpty()) throw new UsageException("--only matched no case; cases: "
                    + String.join(",", cases().stream().map(Case::name).toList()));
        }
        List<Map<String, Object>> rows = new ArrayList<>();
        if (!json) {
            if (onCpu) out.printf("SGEMM, kernel %s, %d threads%s%n", Sgemm.implementation(), Parallel.threads(), cpuTime ? ", thread CPU time" : "");
            else out.printf("SGEMM on %s (backend matmul, operands resident, synchronised)%n", device.describe());
            out.printf("%-14s %6s %6s %6s %6s %10s %9s %9s%n", "case", "m", "n", "k", "batch", "ms", "GFLOP/s", "best");
        }
        for (Case c : cases) {
            Timing.Result t = onCpu ? time(c, runs, cpuTime) : timeOn(device, c, runs);
            double sec = t.median(), gflops = c.flops() / sec / 1e9;
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("case", c.name());
            row.put("m", c.m());
            row.put("n", c.n());
            row.put("k", c.k());
            row.put("batch", c.batch());
            row.put("ms", sec * 1e3);
            row.put("gflops", gflops);
            row.put("best_gflops", c.flops() / t.best() / 1e9);
            rows.add(row);
            if (!json) {
                out.printf("%-14s %6d %6d %6d %6d %10.3f %9.1f %9.1f%n", c.name(), c.m(), c.n(), c.k(), c.batch(), sec * 1e3, gflops,
                        c.flops() / t.best() / 1e9);
                out.flush();
            }
        }
        if (json) {
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("benchmark", "gemm");
            doc.put("implementation", onCpu ? Sgemm.implementation() : device.name());
            doc.put("device", device.describe());
            doc.put("threads", Parallel.threads());
            doc.put("clock", cpuTime ? "thread-cpu" : "wall");
            doc.put("java", System.getProperty("java.vm.version"));
            doc.put("results", rows);
            out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(doc));
        }
    }

    /** The same case as the backend's matmul on operands already on the device, waiting for each product to finish. */
    private static Timing.Result timeOn(Backend device, Case c, int runs) {
        int aRows = c.transA() ? c.k() : c.m(), aCols = c.transA() ? c.m() : c.k();
        int bRows = c.transB() ? c.n() : c.k(), bCols = c.transB() ? c.k() : c.n();
        Tensor a = device.copy(Tensor.of(Timing.randomArray(aRows * aCols * c.batch(), 1), c.batch(), aRows, aCols));
        Tensor b = device.copy(Tensor.of(Timing.randomArray(bRows * bCols * c.batch(), 2), c.batch(), bRows, bCols));
        Runnable body = () -> {
            device.matmul(a, b, c.transA(), c.transB());
            device.synchronize();
        };
        return Timing.measure(body, 1.0, runs, 0.2, false);
    }

    private static Timing.Result time(Case c, int runs, boolean cpuTime) {
        int aRows = c.transA() ? c.k() : c.m(), aCols = c.transA() ? c.m() : c.k();
        int bRows = c.transB() ? c.n() : c.k(), bCols = c.transB() ? c.k() : c.n();
        float[] a = Timing.randomArray(aRows * aCols * c.batch(), 1);
        float[] b = Timing.randomArray(bRows * bCols * c.batch(), 2);
        float[] out = new float[c.m() * c.n() * c.batch()];
        Runnable body = c.batch() == 1
                ? () -> Sgemm.sgemm(c.transA(), c.transB(), c.m(), c.n(), c.k(), 1f, a, 0, aCols, b, 0, bCols, 0f, out, 0, c.n())
                : () -> Sgemm.sgemmBatched(c.transA(), c.transB(), c.m(), c.n(), c.k(), 1f, a, 0, aCols, b, 0, bCols, 0f, out, 0, c.n(),
                        c.batch(), (long) aRows * aCols, (long) bRows * bCols, (long) c.m() * c.n());
        return Timing.measure(body, 1.0, runs, 0.2, cpuTime);
    }
}
