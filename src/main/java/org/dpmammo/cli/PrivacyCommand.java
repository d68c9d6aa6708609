package org.dpmammo.cli;

import org.dpmammo.util.Csv;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;
import org.dpmammo.privacy.accounting.Accountant;
import org.dpmammo.privacy.accounting.Calibration;
import org.dpmammo.privacy.accounting.Epsilon;
import org.dpmammo.privacy.accounting.EpsilonGrid;
import org.dpmammo.privacy.accounting.PrvAccountant;
import org.dpmammo.privacy.accounting.RdpAccountant;
import org.dpmammo.privacy.accounting.Segment;
import org.dpmammo.privacy.dpsgd.PrivacyPlanner;

/**
 * {@code dpmammo privacy epsilon|sigma|steps}: the privacy accountants from the command line, one setting at a
 * time or a CSV grid of settings. Parsing, validation and printing only; the math is in privacy.accounting.
 */
public final class PrivacyCommand implements Command {
    private static final String CITATIONS = String.join("\n",
            "Accountants:",
            "  prv (default)  Gopi, Lee & Wutschitz, Numerical Composition of Differential Privacy, NeurIPS 2021",
            "                 (arXiv 2106.02848); grid and error parameters as Opacus' PRVAccountant",
            "                 (eps error 0.01, delta error delta/1000). Reports the upper bound; falls back to",
            "                 RDP with a warning where the numerical composition cannot be trusted, and never",
            "                 reports more than the RDP bound.",
            "  rdp            Mironov, Talwar & Zhang, Renyi Differential Privacy of the Sampled Gaussian",
            "                 Mechanism (arXiv 1908.10530), exact signed series as in Opacus; conversion to",
            "                 (eps, delta) by Balle et al., Hypothesis Testing Interpretations and Renyi DP",
            "                 (arXiv 1905.09982, Thm 21). Orders: Opacus' 1.1..10.9, 12..63; --orders extended",
            "                 adds 64..1024.",
            "prv is the default because it is Opacus' default and certifies a lower epsilon (about 5-10% for",
            "DP-SGD settings); rdp answers in about a millisecond where prv takes about a second.",
            "Sampling is Poisson with rate q (add/remove adjacency). With --dataset-size N --batch-size B",
            "--epochs E: q = 1/ceil(N/B) and steps = E * ceil(N/B), as every dpmammo trainer (and Opacus) schedules them.");

    private static final Map<String, String> SUMMARIES = Map.of(
            "epsilon", "epsilon spent by DP-SGD for given sample rate, noise multiplier and steps",
            "sigma", "smallest noise multiplier meeting a target epsilon (to 1e-4 relative, rounded up)",
            "steps", "largest number of steps within a target epsilon");

    /** Options each subcommand accepts besides --help, --json, --accountant and --orders. */
    private static final Map<String, Set<String>> ALLOWED = Map.of(
            "epsilon", Set.of("sample-rate", "noise-multiplier", "steps", "delta", "dataset-size", "batch-size", "epochs", "grid", "eps-error"),
            "sigma", Set.of("sample-rate", "steps", "delta", "target-epsilon", "dataset-size", "batch-size", "epochs", "eps-error"),
            "steps", Set.of("sample-rate", "noise-multiplier", "delta", "target-epsilon", "dataset-size", "batch-size", "eps-error"));

    /** Built on first use: Jackson's set-up costs about 0.1–0.2 s of start-up, and Main creates every command. */
    private static final class Lazy {
        static final ObjectMapper JSON = new ObjectMapper();
    }

    @Override
    public String name() {
        return "privacy";
    }

    @Override
    public String summary() {
        return "privacy accountants: epsilon, sigma and steps (RDP, PRV)";
    }

    @Override
    public boolean computesWithTensors() {
        return false;
    }

    @Override
    public int run(String[] args, PrintStream out, PrintStream err) throws Exception {
        if (Command.asksForHelp(args)) {
            PrintStream to = args.length == 0 ? err : out;
            to.println("usage: dpmammo privacy <epsilon|sigma|steps|ledger> [options]   (dpmammo privacy <sub> --help)");
            to.println();
            for (String sub : List.of("epsilon", "sigma", "steps")) to.printf("  %-8s %s%n", sub, SUMMARIES.get(sub));
            to.printf("  %-8s %s%n", "ledger", LedgerCommand.SUMMARY);
            to.println();
            to.println(CITATIONS);
            return args.length == 0 ? 2 : 0;
        }
        String sub = args[0];
        if (sub.equals("ledger")) return LedgerCommand.run(Arrays.copyOfRange(args, 1, args.length), out, err);
        if (!ALLOWED.containsKey(sub)) throw new UsageException("unknown subcommand '" + sub + "' (epsilon, sigma, steps or ledger)");
        Options options = options(sub);
        CommandLine cl = CliSupport.parse("privacy " + sub, options, Arrays.copyOfRange(args, 1, args.length));
        if (cl.hasOption("help")) {
            CliSupport.printHelp(out, usage(sub), SUMMARIES.get(sub), options, CITATIONS);
            return 0;
        }
        if (!cl.getArgList().isEmpty()) throw new UsageException("unexpected argument '" + cl.getArgList().get(0) + "'");
        Accountant accountant = accountant(cl);
        boolean json = cl.hasOption("json");
        try {
            switch (sub) {
                case "epsilon" -> {
                    if (cl.hasOption("grid")) grid(cl, accountant, out, err);
                    else epsilon(cl, accountant, json, out, err);
                }
                case "sigma" -> sigma(cl, accountant, json, out, err);
                default -> steps(cl, accountant, json, out, err);
            }
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        return 0;
    }

    private static String usage(String sub) {
        return switch (sub) {
            case "epsilon" -> "dpmammo privacy epsilon (--sample-rate Q --steps T | --dataset-size N --batch-size B --epochs E)"
                    + " --noise-multiplier S --delta D [--accountant prv|rdp] [--json]\n"
                    + "       dpmammo privacy epsilon --grid FILE.csv [--accountant prv|rdp]";
            case "sigma" -> "dpmammo privacy sigma --target-epsilon EPS (--sample-rate Q --steps T | --dataset-size N"
                    + " --batch-size B --epochs E) --delta D [--accountant prv|rdp] [--json]";
            default -> "dpmammo privacy steps --target-epsilon EPS (--sample-rate Q | --dataset-size N --batch-size B)"
                    + " --noise-multiplier S --delta D [--accountant prv|rdp] [--json]";
        };
    }

    private static Options options(String sub) {
        Options all = new Options();
        all.addOption(CliSupport.valued("sample-rate", "Q", "Poisson sampling rate q, in (0, 1]"));
        all.addOption(CliSupport.valued("noise-multiplier", "S", "noise multiplier sigma (noise std / clipping norm), > 0"));
        all.addOption(CliSupport.valued("steps", "T", "number of DP-SGD steps, >= 0"));
        all.addOption(CliSupport.valued("delta", "D", "target delta, in (0, 1)"));
        all.addOption(CliSupport.valued("target-epsilon", "EPS", "privacy budget epsilon, > 0"));
        all.addOption(CliSupport.valued("dataset-size", "N", "training set size; with --batch-size gives q = 1/ceil(N/B), the trainers' q"));
        all.addOption(CliSupport.valued("batch-size", "B", "expected (logical) batch size"));
        all.addOption(CliSupport.valued("epochs", "E", "epochs; steps = E * ceil(N/B)"));
        all.addOption(CliSupport.valued("grid", "FILE", "CSV with columns q,sigma,steps,delta (others passed through); prints it with"
                + " an eps column (and order for rdp)"));
        all.addOption(CliSupport.valued("eps-error", "X", "PRV: epsilon error bound (default " + PrvAccountant.DEFAULT_EPS_ERROR + ")"));
        Options o = new Options();
        for (Option opt : all.getOptions()) if (ALLOWED.get(sub).contains(opt.getLongOpt())) o.addOption(opt);
        o.addOption(CliSupport.valued("accountant", "NAME", "prv (default, tight) or rdp"));
        o.addOption(CliSupport.valued("orders", "SET", "rdp orders: default (Opacus') or extended (adds 64..1024)"));
        o.addOption(CliSupport.flag("json", "print one JSON object"));
        return CliSupport.withHelp(o);
    }

    private static Accountant accountant(CommandLine cl) {
        String orders = cl.getOptionValue("orders", "default");
        double[] o = switch (orders) {
            case "default" -> RdpAccountant.DEFAULT_ORDERS;
            case "extended" -> RdpAccountant.EXTENDED_ORDERS;
            default -> throw new UsageException("--orders: expected default or extended, got '" + orders + "'");
        };
        String name = cl.getOptionValue("accountant", "prv");
        return switch (name) {
            case "rdp" -> {
                if (cl.hasOption("eps-error")) throw new UsageException("--eps-error applies to --accountant prv only");
                yield new RdpAccountant(o);
            }
            case "prv" -> {
                if (cl.hasOption("orders")) throw new UsageException("--orders applies to --accountant rdp only");
                double epsError = CliSupport.doubleOpt(cl, "eps-error", PrvAccountant.DEFAULT_EPS_ERROR);
                if (!(epsError > 0 && epsError < 1)) throw new UsageException("--eps-error must be in (0, 1), got " + epsError);
                yield new PrvAccountant(epsError, PrvAccountant.DEFAULT_DELTA_ERROR_FRACTION, PrvAccountant.DEFAULT_MAX_POINTS);
            }
            default -> throw new UsageException("--accountant: expected rdp or prv, got '" + name + "'");
        };
    }

    /** q and steps from --sample-rate/--steps, or from --dataset-size/--batch-size/--epochs. */
    private record Schedule(double q, long steps) {}

    private static Schedule schedule(CommandLine cl, boolean needSteps) {
        boolean fromData = cl.hasOption("dataset-size") || cl.hasOption("batch-size") || cl.hasOption("epochs");
        if (fromData) {
            if (cl.hasOption("sample-rate") || cl.hasOption("steps")) {
                throw new UsageException("give either --sample-rate/--steps or --dataset-size/--batch-size/--epochs, not both");
            }
            long n = positiveLong(cl, "dataset-size");
            long b = positiveLong(cl, "batch-size");
            if (b > n) throw new UsageException("--batch-size " + b + " exceeds --dataset-size " + n);
            long steps = 0;
            if (needSteps) {
                long epochs = CliSupport.longOpt(cl, "epochs", -1);
                if (!cl.hasOption("epochs")) throw new UsageException("missing required option --epochs");
                if (epochs < 0) throw new UsageException("--epochs must be >= 0, got " + epochs);
                steps = epochs == 0 ? 0 : plannedSteps(n, b, epochs);
            }
            // The trainers' schedule (PrivacyPlanner.schedule), so that the σ printed here is the σ training uses.
            return new Schedule(PrivacyPlanner.schedule(n, b, 1).sampleRate(), steps);
        }
        double q = probability(cl, "sample-rate");
        long steps = needSteps ? nonNegativeLong(cl, "steps") : 0;
        return new Schedule(q, steps);
    }

    private static long plannedSteps(long n, long b, long epochs) {
        try {
            return PrivacyPlanner.schedule(n, b, epochs).steps();
        } catch (IllegalArgumentException e) {
            throw new UsageException("--epochs " + epochs + ": " + e.getMessage());
        }
    }

    private static double probability(CommandLine cl, String name) {
        double q = number(cl, name);
        if (!(q > 0 && q <= 1)) throw new UsageException("--" + name + " must be in (0, 1], got " + q);
        return q;
    }

    private static double number(CommandLine cl, String name) {
        if (!cl.hasOption(name)) throw new UsageException("missing required option --" + name);
        return CliSupport.doubleOpt(cl, name, Double.NaN);
    }

    private static double sigma(CommandLine cl) {
        double s = number(cl, "noise-multiplier");
        if (!(s > 0 && s < Double.POSITIVE_INFINITY)) throw new UsageException("--noise-multiplier must be finite and > 0, got " + s);
        return s;
    }

    private static double delta(CommandLine cl) {
        double d = number(cl, "delta");
        if (!(d > 0 && d < 1)) throw new UsageException("--delta must be in (0, 1), got " + d);
        return d;
    }

    private static double target(CommandLine cl) {
        double e = number(cl, "target-epsilon");
        if (!(e > 0 && e < Double.POSITIVE_INFINITY)) throw new UsageException("--target-epsilon must be finite and > 0, got " + e);
        return e;
    }

    private static long nonNegativeLong(CommandLine cl, String name) {
        if (!cl.hasOption(name)) throw new UsageException("missing required option --" + name);
        long v = CliSupport.longOpt(cl, name, 0);
        if (v < 0) throw new UsageException("--" + name + " must be >= 0, got " + v);
        return v;
    }

    private static long positiveLong(CommandLine cl, String name) {
        if (!cl.hasOption(name)) throw new UsageException("missing required option --" + name);
        long v = CliSupport.longOpt(cl, name, 0);
        if (v <= 0) throw new UsageException("--" + name + " must be > 0, got " + v);
        return v;
    }

    private static void epsilon(CommandLine cl, Accountant accountant, boolean json, PrintStream out, PrintStream err) throws IOException {
        Schedule s = schedule(cl, true);
        double sigma = sigma(cl);
        double delta = delta(cl);
        Epsilon e = accountant.epsilon(List.of(new Segment(s.q(), sigma, s.steps())), delta);
        if (json) {
            ObjectNode o = result(accountant, e);
            o.put("sample_rate", s.q());
            o.put("noise_multiplier", sigma);
            o.put("steps", s.steps());
            out.println(Lazy.JSON.writeValueAsString(o));
        } else {
            out.printf(Locale.ROOT, "epsilon = %s at delta = %s%n", fmt(e.epsilon()), fmt(delta));
            out.println(describe(accountant, e));
            out.printf(Locale.ROOT, "sample rate q = %s, noise multiplier sigma = %s, steps = %d%n", fmt(s.q()), fmt(sigma), s.steps());
        }
        warn(err, "", e.warnings());
    }

    private static void sigma(CommandLine cl, Accountant accountant, boolean json, PrintStream out, PrintStream err) throws IOException {
        Schedule s = schedule(cl, true);
        double delta = delta(cl);
        double target = target(cl);
        Calibration.Result r = Calibration.noiseMultiplier(accountant, target, delta, s.q(), s.steps());
        if (json) {
            ObjectNode o = result(accountant, r.epsilon());
            o.put("noise_multiplier", r.noiseMultiplier());
            o.put("target_epsilon", target);
            o.put("sample_rate", s.q());
            o.put("steps", s.steps());
            replaceWarnings(o, r.warnings());
            out.println(Lazy.JSON.writeValueAsString(o));
        } else {
            out.printf(Locale.ROOT, "noise multiplier sigma = %s (smallest to 1e-4 relative, rounded up)%n", fmt(r.noiseMultiplier()));
            out.printf(Locale.ROOT, "epsilon = %s <= target %s at delta = %s%n", fmt(r.epsilon().epsilon()), fmt(target), fmt(delta));
            out.println(describe(accountant, r.epsilon()));
            out.printf(Locale.ROOT, "sample rate q = %s, steps = %d%n", fmt(s.q()), s.steps());
        }
        warn(err, "", r.warnings());
    }

    private static void steps(CommandLine cl, Accountant accountant, boolean json, PrintStream out, PrintStream err) throws IOException {
        Schedule s = schedule(cl, false);
        double sigma = sigma(cl);
        double delta = delta(cl);
        double target = target(cl);
        Calibration.Result r = Calibration.maxSteps(accountant, target, delta, s.q(), sigma);
        if (json) {
            ObjectNode o = result(accountant, r.epsilon());
            o.put("steps", r.steps());
            o.put("target_epsilon", target);
            o.put("sample_rate", s.q());
            o.put("noise_multiplier", sigma);
            replaceWarnings(o, r.warnings());
            out.println(Lazy.JSON.writeValueAsString(o));
        } else {
            out.printf(Locale.ROOT, "steps = %d (largest within the budget)%n", r.steps());
            if (cl.hasOption("dataset-size")) {
                long perEpoch = (positiveLong(cl, "dataset-size") + positiveLong(cl, "batch-size") - 1) / positiveLong(cl, "batch-size");
                out.printf(Locale.ROOT, "= %d full epochs of %d steps (+ %d steps)%n", r.steps() / perEpoch, perEpoch, r.steps() % perEpoch);
            }
            out.printf(Locale.ROOT, "epsilon = %s <= target %s at delta = %s%n", fmt(r.epsilon().epsilon()), fmt(target), fmt(delta));
            out.println(describe(accountant, r.epsilon()));
            out.printf(Locale.ROOT, "sample rate q = %s, noise multiplier sigma = %s%n", fmt(s.q()), fmt(sigma));
        }
        warn(err, "", r.warnings());
    }

    private static ObjectNode result(Accountant accountant, Epsilon e) {
        ObjectNode o = Lazy.JSON.createObjectNode();
        o.put("accountant", accountant.name());
        o.put("method", e.method());
        o.put("epsilon", e.epsilon());
        o.put("delta", e.delta());
        if (Double.isNaN(e.order())) o.putNull("order");
        else o.put("order", e.order());
        if (e.method().equals("prv")) {
            o.put("epsilon_error", e.epsilonError());
            o.put("epsilon_estimate", e.estimate());
        }
        replaceWarnings(o, e.warnings());
        return o;
    }

    private static void replaceWarnings(ObjectNode o, List<String> warnings) {
        ArrayNode w = o.putArray("warnings");
        warnings.forEach(w::add);
    }

    private static String describe(Accountant accountant, Epsilon e) {
        if (e.method().equals("prv")) {
            return String.format(Locale.ROOT, "accountant: PRV (Gopi et al. 2021), upper bound; estimate %s, error bound %s",
                    fmt(e.estimate()), fmt(e.epsilonError()));
        }
        String how = accountant.name().equals("prv") ? " (PRV requested; the RDP bound is the one reported)" : "";
        return String.format(Locale.ROOT, "accountant: RDP (Mironov et al. 2019, Balle et al. 2020 conversion), optimal order %s%s",
                Double.isNaN(e.order()) ? "n/a" : fmt(e.order()), how);
    }

    private static void warn(PrintStream err, String prefix, List<String> warnings) {
        for (String w : warnings) err.println("warning: " + prefix + w);
    }

    private static String fmt(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e15) return Long.toString((long) v);
        String s = String.format(Locale.ROOT, "%.10g", v);
        if (s.contains("e")) {
            String[] p = s.split("e");
            return stripZeros(p[0]) + "e" + p[1].replaceFirst("^\\+", "").replaceFirst("^(-?)0+(\\d)", "$1$2");
        }
        return stripZeros(s);
    }

    private static String stripZeros(String s) {
        return s.contains(".") ? s.replaceFirst("0+$", "").replaceFirst("\\.$", "") : s;
    }

    // ---- grid mode ----

    /** One validated grid row: its line number and text (passed through unchanged) and its setting. */
    private record GridRow(int line, String raw, EpsilonGrid.Row setting) {}

    private static void grid(CommandLine cl, Accountant accountant, PrintStream out, PrintStream err) {
        for (String o : List.of("sample-rate", "noise-multiplier", "steps", "delta", "dataset-size", "batch-size", "epochs")) {
            if (cl.hasOption(o)) throw new UsageException("--grid takes q, sigma, steps and delta from the file; drop --" + o);
        }
        if (cl.hasOption("json")) throw new UsageException("--grid prints CSV; --json is not supported with it");
        Path file = Path.of(cl.getOptionValue("grid"));
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new UsageException("--grid: no such file " + file);
        } catch (IOException e) {
            throw new UsageException("--grid: cannot read " + file + ": " + e.getMessage());
        }
        int headerLine = 0;
        while (headerLine < lines.size() && lines.get(headerLine).isBlank()) headerLine++;
        if (headerLine == lines.size()) throw new UsageException("--grid: " + file + " is empty (expected a header q,sigma,steps,delta)");
        String header = stripBom(lines.get(headerLine));
        List<String> names = splitCsv(header, headerLine + 1);
        Map<String, Integer> col = new HashMap<>();
        for (int i = 0; i < names.size(); i++) col.putIfAbsent(names.get(i).trim().toLowerCase(Locale.ROOT), i);
        for (String need : List.of("q", "sigma", "steps", "delta")) {
            if (!col.containsKey(need)) throw new UsageException("--grid: header (line " + (headerLine + 1) + ") lacks column '" + need + "'");
        }
        // Every row is checked before anything is printed, so a bad row never leaves half a table on stdout.
        List<GridRow> rows = new ArrayList<>();
        for (int i = headerLine + 1; i < lines.size(); i++) {
            String raw = lines.get(i);
            if (raw.isBlank()) continue;
            List<String> f = splitCsv(raw, i + 1);
            if (f.size() != names.size()) {
                throw new UsageException("--grid row " + (i + 1) + ": expected " + names.size() + " fields, found " + f.size());
            }
            double q = cell(f, col.get("q"), "q", i + 1);
            double sigma = cell(f, col.get("sigma"), "sigma", i + 1);
            double delta = cell(f, col.get("delta"), "delta", i + 1);
            String stepsText = f.get(col.get("steps")).trim();
            long steps;
            try {
                steps = Long.parseLong(stepsText);
            } catch (NumberFormatException e) {
                throw new UsageException("--grid row " + (i + 1) + ": steps must be a whole number, got '" + stepsText + "'");
            }
            if (!(q > 0 && q <= 1)) throw new UsageException("--grid row " + (i + 1) + ": q must be in (0, 1], got " + q);
            if (!(sigma > 0 && sigma < Double.POSITIVE_INFINITY)) throw new UsageException("--grid row " + (i + 1) + ": sigma must be finite and > 0, got " + sigma);
            if (steps < 0) throw new UsageException("--grid row " + (i + 1) + ": steps must be >= 0, got " + steps);
            if (!(delta > 0 && delta < 1)) throw new UsageException("--grid row " + (i + 1) + ": delta must be in (0, 1), got " + delta);
            rows.add(new GridRow(i + 1, raw, new EpsilonGrid.Row(q, sigma, steps, delta)));
        }
        Epsilon[] results = EpsilonGrid.evaluate(accountant, rows.stream().map(GridRow::setting).toList());
        boolean rdp = accountant.name().equals("rdp");
        out.println(header + ",eps" + (rdp ? ",order" : ""));
        for (int i = 0; i < rows.size(); i++) {
            Epsilon e = results[i];
            String order = Double.isNaN(e.order()) ? "" : Double.toString(e.order());
            out.println(rows.get(i).raw() + "," + e.epsilon() + (rdp ? "," + order : ""));
            warn(err, "row " + rows.get(i).line() + ": ", e.warnings());
        }
    }

    private static double cell(List<String> fields, int index, String name, int line) {
        String v = fields.get(index).trim();
        try {
            return Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new UsageException("--grid row " + line + ": " + name + " must be a number, got '" + v + "'");
        }
    }

    private static String stripBom(String s) {
        return s.startsWith("\uFEFF") ? s.substring(1) : s;
    }

    /** Splits one CSV record, naming the grid row in the error. */
    static List<String> splitCsv(String line, int lineNumber) {
        try {
            return Csv.split(line);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--grid row " + lineNumber + ": " + e.getMessage());
        }
    }
}
