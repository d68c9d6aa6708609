package org.dpmammo.cli;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Options;
import org.dpmammo.autograd.GradientCheck;
import org.dpmammo.backend.Backend;
import org.dpmammo.backend.Backends;
import org.dpmammo.backend.ReferenceBackend;
import org.dpmammo.util.Parallel;
import org.dpmammo.backend.cpu.Sgemm;
import org.dpmammo.check.CudaChecks;
import org.dpmammo.check.BackendCheck;
import org.dpmammo.check.GradChecks;
import org.dpmammo.train.DeviceStepCheck;

/** {@code dpmammo selftest}: every backend op against the reference, every gradient against finite differences. */
public final class SelftestCommand implements Command {
    @Override
    public String name() {
        return "selftest";
    }

    @Override
    public String summary() {
        return "check every op against its reference on random inputs (pass/fail table)";
    }

    @Override
    public int run(String[] args, PrintStream out, PrintStream err) {
        Options options = CliSupport.withHelp(new Options());
        options.addOption(CliSupport.valued("seed", "S", "seed of the random inputs (default 1)"));
        options.addOption(CliSupport.flag("failures-only", "print only failing rows and the summary"));
        DeviceOption.add(options, "cpu");
        CommandLine cl = CliSupport.parse("selftest", options, args);
        if (cl.hasOption("help")) {
            CliSupport.printHelp(out, "dpmammo selftest [options]",
                    "Compares every primitive op of the CPU backend with the plain-loop reference backend (strided views and odd"
                            + " sizes included), and every differentiable op's backward with central finite differences."
                            + " With --device cuda, compares every op and DP kernel of the GPU, and one non-private and one DP training step"
                            + " of a tiny Swin and of the GAN, with the CPU backend instead."
                            + " Exit status 1 if any check fails, or if --device cuda finds no usable GPU.", options, null);
            return 0;
        }
        long seed = CliSupport.longOpt(cl, "seed", 1);
        boolean failuresOnly = cl.hasOption("failures-only");
        List<String[]> rows = new ArrayList<>();
        // Only for cuda/auto does the JVM load the CUDA backend's classes and natives.
        Backend backend;
        try {
            backend = DeviceOption.choose(cl, "cpu", err);
        } catch (DeviceOption.Unavailable e) {
            err.println("selftest: " + e.getMessage());
            return 1;
        }
        if (backend != Backends.cpu()) return printTable(out, gpuRows(backend, seed), failuresOnly, seed);
        for (BackendCheck.Row r : BackendCheck.run(Backends.cpu(), new ReferenceBackend(), seed)) {
            rows.add(tableRow("cpu vs reference", r));
        }
        for (GradChecks.Case c : GradChecks.all()) {
            GradientCheck.Result res;
            try {
                res = c.run(seed);
            } catch (RuntimeException e) {
                res = new GradientCheck.Result(Double.POSITIVE_INFINITY, e.getMessage());
            }
            boolean ok = res.passed(GradChecks.TOLERANCE);
            rows.add(new String[] {"gradient vs finite diff", c.name(), c.describe(seed), String.format("%.2e", res.maxError()),
                    String.format("%.0e", GradChecks.TOLERANCE), ok ? "pass" : "FAIL " + res.where()});
        }
        return printTable(out, rows, failuresOnly, seed);
    }

    private static String[] tableRow(String check, BackendCheck.Row r) {
        return new String[] {check, r.op(), r.shapes(), String.format("%.2e", r.error()), String.format("%.0e", r.tolerance()), r.passed() ? "pass" : "FAIL"};
    }

    /**
     * The CUDA backend against the CPU backend: every primitive, then the DP kernels and TF32 GEMMs, then one
     * non-private and one DP training step of a tiny Swin and of the GAN's networks.
     */
    private static List<String[]> gpuRows(Backend cuda, long seed) {
        List<String[]> rows = new ArrayList<>();
        for (BackendCheck.Row r : CudaChecks.primitives(cuda, seed)) rows.add(tableRow("cuda vs cpu", r));
        for (BackendCheck.Row r : CudaChecks.dpKernels(cuda, seed)) rows.add(tableRow("cuda kernels vs java", r));
        for (BackendCheck.Row r : DeviceStepCheck.run(cuda, seed)) rows.add(tableRow("training step vs cpu", r));
        return rows;
    }

    private static int printTable(PrintStream out, List<String[]> rows, boolean failuresOnly, long seed) {
        int failed = 0;
        out.printf("%-24s %-36s %-34s %-9s %-6s %s%n", "check", "op", "inputs", "error", "tol", "result");
        for (String[] r : rows) {
            boolean ok = r[5].equals("pass");
            failed += ok ? 0 : 1;
            if (failuresOnly && ok) continue;
            out.printf("%-24s %-36s %-34s %-9s %-6s %s%n", (Object[]) r);
        }
        out.printf("%d checks, %d passed, %d failed (seed %d; GEMM kernel %s, %d threads)%n", rows.size(), rows.size() - failed, failed, seed,
                Sgemm.implementation(), Parallel.threads());
        return failed == 0 ? 0 : 1;
    }
}
