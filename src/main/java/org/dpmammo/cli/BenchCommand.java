package org.dpmammo.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Options;
import org.dpmammo.cli.bench.Benchmark;
import org.dpmammo.cli.bench.PrivacyBench;
import org.dpmammo.cli.bench.DataBench;
import org.dpmammo.cli.bench.DpBench;
import org.dpmammo.cli.bench.GpuBench;
import org.dpmammo.cli.bench.ConvBench;
import org.dpmammo.cli.bench.GanBench;
import org.dpmammo.cli.bench.GemmBench;
import org.dpmammo.cli.bench.Machine;
import org.dpmammo.cli.bench.SwinBench;
import org.dpmammo.util.Scope;

/** {@code dpmammo bench <name>}: speed measurements, never part of the test suite. */
public final class BenchCommand implements Command {
    /** Every benchmark family. */
    static List<Benchmark> benchmarks() {
        return List.of(
                new GemmBench(),
                new ConvBench(),
                new PrivacyBench(),
                new DataBench(),
                new DpBench(),
                new GanBench(),
                new SwinBench(),
                new GpuBench());
    }

    @Override
    public String name() {
        return "bench";
    }

    @Override
    public String summary() {
        return "benchmarks (" + String.join(", ", benchmarks().stream().map(Benchmark::name).toList()) + ")";
    }

    @Override
    public int run(String[] args, PrintStream out, PrintStream err) throws Exception {
        if (Command.asksForHelp(args)) {
            out.println("usage: dpmammo bench <name> [--json] [options]   (dpmammo bench <name> --help)");
            out.println();
            for (Benchmark b : benchmarks()) out.printf("  %-10s %s%n", b.name(), b.summary());
            return args.length == 0 ? 2 : 0;
        }
        for (Benchmark b : benchmarks()) {
            if (!b.name().equals(args[0])) continue;
            Options options = CliSupport.withHelp(b.options());
            options.addOption(CliSupport.flag("json", "print one JSON document instead of a table"));
            if (b instanceof Benchmark.OnDevice) DeviceOption.add(options, "auto");
            CommandLine cl = CliSupport.parse("bench " + b.name(), options, Arrays.copyOfRange(args, 1, args.length));
            if (cl.hasOption("help")) {
                CliSupport.printHelp(out, "dpmammo bench " + b.name() + " [options]", b.summary(), options, null);
                return 0;
            }
            if (!(b instanceof Benchmark.OnDevice)) {
                if (cl.hasOption("json")) runJson(b, cl, out);
                else runText(b, cl, out);
                return 0;
            }
            try (Scope device = DeviceOption.install(cl, "auto", err)) {
                if (cl.hasOption("json")) runJson(b, cl, out);
                else runText(b, cl, out);
            }
            return 0;
        }
        throw new UsageException("unknown benchmark '" + args[0] + "'");
    }

    /** The table, between a line naming the machine and one with the load average at the end. */
    private static void runText(Benchmark b, CommandLine cl, PrintStream out) throws Exception {
        out.println(Machine.now().line());
        b.run(cl, out, false);
        out.printf(Locale.ROOT, "load average %.2f at the end%n", Machine.loadAverage());
    }

    /** The benchmark's JSON document with a "machine" object added (the document is captured, then amended). */
    private static void runJson(Benchmark b, CommandLine cl, PrintStream out) throws Exception {
        Machine machine = Machine.now();
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        b.run(cl, new PrintStream(captured, true, StandardCharsets.UTF_8), true);
        ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        JsonNode doc = mapper.readTree(captured.toString(StandardCharsets.UTF_8));
        if (!(doc instanceof ObjectNode o)) throw new IllegalStateException("bench " + b.name() + " printed no JSON object");
        o.set("machine", machine.json(Machine.loadAverage()));
        out.println(mapper.writeValueAsString(o));
    }
}
