package org.dpmammo.cli;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;
import org.dpmammo.data.Datasets;
import org.dpmammo.experiment.ExperimentConfig;
import org.dpmammo.experiment.ExperimentData;
import org.dpmammo.experiment.ExperimentRunner;
import org.dpmammo.util.Scope;

/**
 * {@code dpmammo demo}: the whole study in minutes. The demo preset's reduced grid (ε ∈ {1, 8, ∞}, one seed, all
 * four conditions, synthetic only without DP alone, a GAN trained from scratch) on the built-in phantom patches, or on
 * a study-layout folder.
 */
public final class DemoCommand implements Command {
    /** Phantom splits: 64×64 patches (the GAN's smallest size), disjoint generator seeds per split. */
    static final String TRAIN = "phantom:64:800:101", VAL = "phantom:64:160:102", TEST = "phantom:64:300:103", EXTERNAL = "phantom:64:300:104";

    @Override
    public String name() {
        return "demo";
    }

    @Override
    public String summary() {
        return "run a reduced study grid on built-in phantom data (or --data DIR) and write the HTML report";
    }

    @Override
    public int run(String[] args, PrintStream out, PrintStream err) throws Exception {
        Options o = CliSupport.withHelp(new Options());
        o.addOption(Option.builder().longOpt("out").hasArg().argName("DIR").desc("experiment folder; default demo-out (rerun to resume)").build());
        o.addOption(Option.builder().longOpt("data").hasArg().argName("DIR")
                .desc("a study-layout root (train/, val/, test/, further splits as external tests) instead of the phantom").build());
        o.addOption(Option.builder().longOpt("accountant").hasArg().argName("LIST").desc(ExperimentCommand.ACCOUNTANT_HELP + "; default rdp").build());
        DeviceOption.add(o, "auto");
        CommandLine cl = CliSupport.parse("demo", o, args);
        if (cl.hasOption("help")) {
            CliSupport.printHelp(out, "dpmammo demo [--out DIR] [--data DIR] [--accountant rdp|prv|rdp,prv]",
                    "Trains a GAN, then the four conditions of the study (real, real + synthetic, synthetic pretraining → DP fine-tuning at "
                            + "ε ∈ {1, 8, ∞}; synthetic only without DP, since the GAN is not private) with one seed, with a small DP-trainable CNN in "
                            + "place of the Swin (without ImageNet weights a frozen tiny Swin learns nothing at this scale), and writes the report, "
                            + "whose first line says what the run showed.", o,
                    "About 5 minutes on 2 idle cores with the phantom data; --accountant rdp,prv trains the 6 DP cells twice. "
                            + "See --help of 'experiment run' for the full grid.");
            return 0;
        }
        Path root = Path.of(cl.getOptionValue("out", "demo-out"));
        ExperimentData data;
        if (cl.hasOption("data")) {
            Path dir = Path.of(cl.getOptionValue("data"));
            if (!Files.isDirectory(dir)) throw new UsageException("--data: " + dir + " is not a folder");
            Map<String, org.dpmammo.data.FileDataset> splits = Datasets.splits(dir);
            for (String s : new String[] {"train", "val", "test"}) {
                if (!splits.containsKey(s)) throw new UsageException("--data: " + dir + " has no " + s + "/ split (expected <root>/<split>/is_benign_<true|false>/)");
            }
            Map<String, String> tests = new LinkedHashMap<>();
            tests.put("test", dir.resolve("test").toString());
            for (String s : splits.keySet()) if (!s.equals("train") && !s.equals("val") && !s.equals("test")) tests.put(s, dir.resolve(s).toString());
            data = new ExperimentData(dir.resolve("train").toString(), dir.resolve("val").toString(), tests, null,
                    null, "study layout at " + dir);
        } else {
            Map<String, String> tests = new LinkedHashMap<>();
            tests.put("phantom test", TEST);
            tests.put("phantom test B", EXTERNAL);
            data = new ExperimentData(TRAIN, VAL, tests, null, null,
                    "built-in phantom patches, 64×64: train 800, val 160, two test sets of 300 (independent draws)");
        }
        ExperimentConfig config = ExperimentConfig.preset("demo");
        if (cl.hasOption("accountant")) config = ExperimentCommand.withAccountants(config, cl.getOptionValue("accountant"));
        try (Scope device = DeviceOption.install(cl, "auto", err)) {
            long t0 = System.nanoTime();
            Path report = new ExperimentRunner(config, data, root, org.dpmammo.experiment.Trainers.forConfig(config, root.resolve("cache")), out).run();
            out.printf("demo finished in %.1f s%nreport: %s%n", (System.nanoTime() - t0) / 1e9, report.toAbsolutePath().normalize());
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        return 0;
    }
}
