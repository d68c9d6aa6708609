package org.dpmammo.cli.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Options;
import org.dpmammo.backend.cuda.CudaProvider;
import org.dpmammo.backend.cuda.GpuBenchRunner;
import org.dpmammo.backend.cuda.GpuBenchRunner.Measurement;
import org.dpmammo.cli.CliSupport;
import org.dpmammo.util.AtomicFiles;

/**
 * {@code dpmammo bench gpu}: SGEMM (float32 and TF32) at square sizes and the DP kernels' throughput on CUDA
 * device 0. Inputs are generated on the device by the noise kernel, so no host copy enters a timing; every timing
 * is the median of several synchronised runs after one warm-up run.
 */
public final class GpuBench implements Benchmark {
    @Override
    public String name() {
        return "gpu";
    }

    @Override
    public String summary() {
        return "CUDA SGEMM float32/TF32 GFLOP/s and DP-kernel throughput (needs a GPU)";
    }

    @Override
    public Options options() {
        return Benchmark.options(
                CliSupport.valued("sizes", "LIST", "square GEMM sizes (default 1024,2048,4096,8192)"),
                CliSupport.valued("json-file", "PATH", "also write the JSON document to PATH (for tools/gpu_peer.py)"),
                CliSupport.valued("repeats", "R", "timed runs per measurement (default 5)"));
    }

    @Override
    public void run(CommandLine cl, PrintStream out, boolean json) throws java.io.IOException {
        CudaProvider.Availability cuda = CudaProvider.open(0);
        if (!cuda.available()) throw new IllegalStateException("bench gpu: no usable CUDA device: " + cuda.reason());
        int repeats = CliSupport.positiveInt(cl, "repeats", 5);
        List<Integer> sizes = new ArrayList<>();
        for (String s : cl.getOptionValue("sizes", "1024,2048,4096,8192").split(",")) sizes.add(Integer.parseInt(s.trim()));
        List<Measurement> results = GpuBenchRunner.run(cuda.backend(), sizes, repeats);
        String device = GpuBenchRunner.describe(cuda.backend());
        String doc = jsonDocument(device, results, GpuBenchRunner.memoryReport(cuda.backend()));
        if (cl.hasOption("json-file")) AtomicFiles.writeString(Path.of(cl.getOptionValue("json-file")), doc + "\n");
        if (json) {
            out.println(doc);
            return;
        }
        out.println("device: " + device);
        out.printf(Locale.ROOT, "%-34s %-22s %12s %12s%n", "kernel", "shape", "median ms", "rate");
        for (Measurement r : results) {
            out.printf(Locale.ROOT, "%-34s %-22s %12.3f %9.1f %s%n", r.what(), r.shape(), r.seconds() * 1e3, r.rate(), r.unit());
        }
        out.println("device memory: " + GpuBenchRunner.memoryReport(cuda.backend()));
        out.println("Swin-T / GAN training steps on the GPU: not benchmarked yet (the models do not exist yet).");
    }

    private static String jsonDocument(String device, List<Measurement> results, String memory) {
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode root = mapper.createObjectNode().put("device", device).put("memory", memory);
        ArrayNode rows = root.putArray("results");
        for (Measurement r : results) {
            rows.addObject().put("what", r.what()).put("shape", r.shape()).put("seconds", r.seconds()).put("rate", r.rate()).put("unit", r.unit());
        }
        return root.toString();
    }
}
