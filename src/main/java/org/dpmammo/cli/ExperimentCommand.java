package org.dpmammo.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;
import org.dpmammo.experiment.ExperimentConfig;
import org.dpmammo.experiment.ExperimentData;
import org.dpmammo.experiment.ExperimentRunner;
import org.dpmammo.util.Scope;

/** {@code dpmammo experiment run|report}: the study's grid (conditions × ε × seeds) with results and an HTML report. */
public final class ExperimentCommand implements Command {

    @Override
    public String name() {
        return "experiment";
    }

    @Override
    public String summary() {
        return "run the study's grid (conditions × ε × seeds), write results.csv, summary.csv and report.html";
    }

    @Override
    public int run(String[] args, PrintStream out, PrintStream err) throws Exception {
        if (Command.asksForHelp(args)) {
            PrintStream p = args.length == 0 ? err : out;
            p.println("usage: dpmammo experiment <subcommand> [options]   (each has --help)");
            p.println();
            p.println("  run     (--config FILE | --preset paper|cpu|demo) --out DIR --real-train DIR --val DIR --test DIR");
            p.println("          [--external-test DIR …] [--synthetic DIR | --gan-from-scratch] [--accountant rdp|prv|rdp,prv]");
            p.println("  report  --out DIR     rebuild results.csv, summary.csv and report.html from an experiment folder");
            return args.length == 0 ? 2 : 0;
        }
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        try {
            return switch (args[0]) {
                case "run" -> runGrid(rest, out, err);
                case "report" -> report(rest, out);
                default -> throw new UsageException("unknown subcommand '" + args[0] + "' (run, report)");
            };
        } catch (IllegalArgumentException e) {
            // Bad configs, unreachable ε and a folder holding another experiment are usage errors: nothing has trained.
            throw new UsageException(args[0] + ": " + e.getMessage());
        }
    }

    private static Option opt(String name, String arg, String desc) {
        Option.Builder b = Option.builder().longOpt(name).desc(desc);
        if (arg != null) b.hasArg().argName(arg);
        return b.build();
    }

    private static int runGrid(String[] args, PrintStream out, PrintStream err) throws Exception {
        Options o = CliSupport.withHelp(new Options());
        o.addOption(opt("config", "FILE", "JSON config laid over a preset (\"preset\": paper|cpu|demo); unknown keys are errors"));
        o.addOption(opt("preset", "NAME", "a complete config: paper (the study), cpu (the study's grid on fixed radiomics features, for a CPU without pretrained weights) or demo (minutes)"));
        o.addOption(opt("out", "DIR", "experiment folder; running again with the same settings resumes it"));
        o.addOption(opt("real-train", "DIR", "real training data"));
        o.addOption(opt("val", "DIR", "validation data (model selection)"));
        o.addOption(opt("test", "DIR", "internal test data"));
        o.addOption(Option.builder().longOpt("external-test").hasArgs().argName("DIR").desc("external test data (repeatable)").build());
        o.addOption(opt("synthetic", "DIR", "a labelled synthetic set used for every seed (e.g. the study's 3000 published patches)"));
        o.addOption(opt("reference-samples", "DIR", "labelled synthetic patches shown beside the run's own in the report (e.g. the study's"
                + " published set); read for the picture only"));
        o.addOption(opt("gan-from-scratch", null, "train one GAN per seed on --real-train and use its samples"));
        o.addOption(opt("accountant", "LIST", ACCOUNTANT_HELP));
        DeviceOption.add(o, "auto");
        CommandLine cl = CliSupport.parse("experiment run", o, args);
        if (cl.hasOption("help")) {
            CliSupport.printHelp(out, "dpmammo experiment run (--config FILE | --preset NAME) --out DIR --real-train DIR --val DIR --test DIR [options]",
                    "Runs the study's conditions (real, real_synth, synth, pretrain_dp) at every ε of the grid for every seed, reusing one GAN, "
                            + "one synthetic set and one pretrained model per seed and the frozen backbone's features. Finished cells are kept: "
                            + "running the same command again continues where it stopped. With --accountant rdp,prv (or \"accountant\": "
                            + "[\"rdp\", \"prv\"] in the config) every DP cell runs once calibrated by each accountant, the ε = ∞ cells once, "
                            + "and the report puts the two grids side by side. The accountants are the one setting a rerun may change: "
                            + "--accountant rdp,prv on a finished rdp grid trains only the PRV cells.", o,
                    "Writes config.json, data.json, provenance.json, cells/*/ (a classifier run folder each, with ledger.json and result.json), "
                            + "results.csv, summary.csv, plots/ and report.html.");
            return 0;
        }
        if (cl.hasOption("config") == cl.hasOption("preset")) throw new UsageException("give exactly one of --config FILE and --preset NAME");
        ExperimentConfig config;
        if (cl.hasOption("config")) {
            Path f = Path.of(cl.getOptionValue("config"));
            if (!Files.isRegularFile(f)) throw new UsageException("--config: " + f + " is not a file");
            config = ExperimentConfig.parse(Files.readString(f));
        } else {
            config = ExperimentConfig.preset(cl.getOptionValue("preset"));
        }
        if (cl.hasOption("accountant")) config = withAccountants(config, cl.getOptionValue("accountant"));
        Path root = CliSupport.outFolder(cl, false); // a rerun resumes in it
        String train = existing(cl, "real-train"), val = existing(cl, "val");
        Map<String, String> tests = new LinkedHashMap<>();
        tests.put("internal test", existing(cl, "test"));
        String[] ext = cl.getOptionValues("external-test");
        if (ext != null) {
            for (int i = 0; i < ext.length; i++) {
                requireExists(ext[i], "--external-test");
                tests.put(ext.length == 1 ? "external test" : "external test " + (i + 1), ext[i]);
            }
        }
        String synthetic = cl.getOptionValue("synthetic");
        if (synthetic != null) requireExists(synthetic, "--synthetic");
        if (synthetic != null && cl.hasOption("gan-from-scratch")) throw new UsageException("give at most one of --synthetic and --gan-from-scratch");
        if (config.needsSynthetic() && synthetic == null && !cl.hasOption("gan-from-scratch")) {
            throw new UsageException("the grid uses synthetic data: give --synthetic DIR (e.g. the study's published patches) or --gan-from-scratch");
        }
        String reference = cl.getOptionValue("reference-samples");
        if (reference != null) requireExists(reference, "--reference-samples");
        ExperimentData data = new ExperimentData(train, val, tests, synthetic, reference, "train " + train + ", val " + val + ", tests " + tests.values());
        Path report;
        try (Scope device = DeviceOption.install(cl, "auto", err)) {
            report = new ExperimentRunner(config, data, root, org.dpmammo.experiment.Trainers.forConfig(config, root.resolve("cache")), out).run();
        }
        out.println("report: " + report.toAbsolutePath().normalize());
        return 0;
    }

    private static int report(String[] args, PrintStream out) throws IOException {
        Options o = CliSupport.withHelp(new Options());
        o.addOption(opt("out", "DIR", "an experiment folder"));
        CommandLine cl = CliSupport.parse("experiment report", o, args);
        if (cl.hasOption("help")) {
            CliSupport.printHelp(out, "dpmammo experiment report --out DIR", "Rebuilds the tables and the report from the finished cells (also mid-run).", o, null);
            return 0;
        }
        Path root = Path.of(CliSupport.required(cl, "out"));
        if (!Files.isRegularFile(root.resolve("config.json"))) throw new UsageException("--out: " + root + " is not an experiment folder (no config.json)");
        out.println("report: " + ExperimentRunner.report(root).toAbsolutePath().normalize());
        return 0;
    }

    static final String ACCOUNTANT_HELP = "what calibrates σ, replacing the preset's or config's: rdp (the study's), prv (less noise for the same ε), "
            + "or rdp,prv (every DP cell under each, side by side in the report)";

    /** config with --accountant's comma-separated names; a bad name is a usage error naming the option. */
    static ExperimentConfig withAccountants(ExperimentConfig config, String list) {
        try {
            return config.withAccountants(Arrays.stream(list.split(",", -1)).map(String::trim).toList());
        } catch (IllegalArgumentException e) {
            throw new UsageException("--accountant: " + e.getMessage().replace("config key 'accountant': ", ""));
        }
    }

    private static String existing(CommandLine cl, String name) {
        String v = CliSupport.required(cl, name);
        requireExists(v, "--" + name);
        return v;
    }

    /** Missing data fails before anything trains; phantom specs are generated, not read. */
    static void requireExists(String path, String option) {
        if (!(path.equals("phantom") || path.startsWith("phantom:")) && !Files.exists(Path.of(path))) {
            throw new UsageException(option + ": " + path + " does not exist");
        }
    }
}
