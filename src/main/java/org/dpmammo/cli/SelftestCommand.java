package org.dpmammo.cli;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;
import org.dpmammo.autograd.GradientCheck;
import org.dpmammo.backend.Backends;
import org.dpmammo.backend.ReferenceBackend;
import org.dpmammo.check.BackendCheck;
import org.dpmammo.check.GradChecks;

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
        options.addOption(Option.builder().longOpt("seed").hasArg().argName("S").desc("seed of the random inputs (default 1)").build());
        options.addOption(Option.builder().longOpt("failures-only").desc("print only failing rows and the summary").build());
        CommandLine cl = CliSupport.parse("selftest", options, args);
        if (cl.hasOption("help")) {
            CliSupport.printHelp(out, "dpmammo selftest [options]",
                    "Compares every primitive op of the CPU backend with the plain-loop reference backend (strided views and odd"
                            + " sizes included), and every differentiable op's backward with central finite differences."
                            + " Exit status 1 if any check fails.", options, null);
            return 0;
        }
        long seed = CliSupport.longOpt(cl, "seed", 1);
        boolean failuresOnly = cl.hasOption("failures-only");
        List<String[]> rows = new ArrayList<>();
        int failed = 0;
        for (BackendCheck.Row r : BackendCheck.run(Backends.cpu(), new ReferenceBackend(), seed)) {
            boolean ok = r.passed();
            failed += ok ? 0 : 1;
            rows.add(new String[] {"cpu vs reference", r.op(), r.shapes(), String.format("%.2e", r.error()), String.format("%.0e", r.tolerance()), ok ? "pass" : "FAIL"});
        }
        for (GradChecks.Case c : GradChecks.all()) {
            GradientCheck.Result res;
            try {
                res = c.run(seed);
            } catch (RuntimeException e) {
                res = new GradientCheck.Result(Double.POSITIVE_INFINITY, e.getMessage());
            }
            boolean ok = res.passed(GradChecks.TOLERANCE);
            failed += ok ? 0 : 1;
            rows.add(new String[] {"gradient vs finite diff", c.name(), c.describe(seed), String.format("%.2e", res.maxError()),
                    String.format("%.0e", GradChecks.TOLERANCE), ok ? "pass" : "FAIL " + res.where()});
        }
        out.printf("%-24s %-36s %-34s %-9s %-6s %s%n", "check", "op", "inputs", "error", "tol", "result");
        for (String[] r : rows) {
            if (failuresOnly && r[5].equals("pass")) continue;
            out.printf("%-24s %-36s %-34s %-9s %-6s %s%n", (Object[]) r);
        }
        out.printf("%d checks, %d passed, %d failed (seed %d)%n", rows.size(), rows.size() - failed, failed, seed);
        return failed == 0 ? 0 : 1;
    }
}
