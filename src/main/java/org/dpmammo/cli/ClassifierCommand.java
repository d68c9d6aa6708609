package org.dpmammo.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;
import org.dpmammo.backend.Backend;
import org.dpmammo.backend.Backends;
import org.dpmammo.data.Dataset;
import org.dpmammo.data.Datasets;
import org.dpmammo.models.swin.SwinTransformer;
import org.dpmammo.nn.StateDictFiles;
import org.dpmammo.privacy.accounting.Calibration;
import org.dpmammo.train.Classifier;
import org.dpmammo.train.ClassifierTrainer;
import org.dpmammo.train.CurvePlot;
import org.dpmammo.train.Metrics;
import org.dpmammo.train.ModelSpec;
import org.dpmammo.util.AtomicFiles;
import org.dpmammo.util.Scope;

/** {@code dpmammo classifier train|evaluate|predict}: the study's Swin classifier, with or without DP-SGD. */
public final class ClassifierCommand implements Command {
    /** Built on first use: Jackson's set-up costs about 0.1–0.2 s of start-up, and Main creates every command. */
    private static final class Lazy {
        static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    }

    @Override
    public String name() {
        return "classifier";
    }

    @Override
    public String summary() {
        return "train (optionally with DP-SGD), evaluate and apply the Swin classifier";
    }

    @Override
    public int run(String[] args, PrintStream out, PrintStream err) throws Exception {
        if (Command.asksForHelp(args)) {
            PrintStream p = args.length == 0 ? err : out;
            p.println("usage: dpmammo classifier <subcommand> [options]   (each has --help)");
            p.println();
            p.println("  train     --train DIR [--train DIR2 …] --val DIR --out RUN [--dp --target-epsilon E …]");
            p.println("  evaluate  --checkpoint F [--arch swin_t] --data DIR [--data DIR2 …] [--json]");
            p.println("  predict   --checkpoint F [--arch swin_t] --data DIR --out FILE.csv");
            return args.length == 0 ? 2 : 0;
        }
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        try {
            return switch (args[0]) {
                case "train" -> train(rest, out, err);
                case "evaluate" -> evaluate(rest, out, err);
                case "predict" -> predict(rest, out, err);
                default -> throw new UsageException("unknown subcommand '" + args[0] + "' (train, evaluate, predict)");
            };
        } catch (IllegalArgumentException | IllegalStateException e) {
            // Settings the layers below refuse (a used run folder, a model DP cannot train, an unmet ε) are usage errors.
            throw new UsageException(args[0] + ": " + e.getMessage());
        }
    }

    private static Option opt(String name, String arg, String desc) {
        Option.Builder b = Option.builder().longOpt(name).desc(desc);
        if (arg != null) b.hasArg().argName(arg);
        return b.build();
    }

    private static int train(String[] args, PrintStream out, PrintStream err) throws Exception {
        Options o = CliSupport.withHelp(new Options());
        o.addOption(Option.builder().longOpt("train").hasArgs().argName("DIR").desc("training data (repeatable: real and synthetic folders are mixed)").build());
        o.addOption(opt("val", "DIR", "validation data, used for model selection"));
        o.addOption(opt("out", "RUN", "run folder"));
        o.addOption(opt("preset", "NAME", "paper (Swin-T, 224×224), cpu (reduced Swin, 64×64), tiny (32×32, tests), vit (ViT-style: one stage of "
                + "global attention with relative-position bias, mean-pooled, no class token; 64×64), scatter (fixed wavelet-scattering "
                + "features, J = 3, L = 8, at 64×64, the learnt part a per-feature affine and the head; needs no pretrained weights), radiomics "
                + "(the same on 26 fixed radiomics features: first order, GLCM texture, central-mass shape; at 64×64), radiomics_128 "
                + "(the same at 128×128) or scatter_radiomics (both concatenated, 64×64); default paper"));
        o.addOption(opt("seed", "S", "seed for initialisation, shuffling, augmentation (and DP randomness with --reproducible-dp); default 42"));
        o.addOption(opt("epochs", "N", "epochs; default 300 (the study's)"));
        o.addOption(opt("batch-size", "B", "logical batch (expected batch under DP); default 128"));
        o.addOption(opt("lr", "LR", "AdamW learning rate; default 1e-5"));
        o.addOption(opt("weight-decay", "WD", "AdamW weight decay; default 1e-8"));
        o.addOption(opt("label-smoothing", "E", "cross-entropy label smoothing; default 0.1"));
        o.addOption(opt("head", "KIND", "linear (Linear(F→2)) or mlp (Linear(F→F/2), LeakyReLU(0.2), Linear(F/2→2)); default mlp"));
        o.addOption(opt("freeze", "WHAT", "backbone (train the head only, on cached features) or none; default backbone"));
        o.addOption(opt("init-weights", "FILE", "a state dict with torchvision names, safetensors or torch.save .pth (e.g. torchvision's swin_t "
                + "ImageNet weights swin_t-704ceda3.pth); tensors that do not fit (a 1000-class head) stay freshly initialised and are reported"));
        o.addOption(opt("dp", null, "train with DP-SGD (Poisson sampling, per-example clipping, Gaussian noise, accounting by --accountant)"));
        o.addOption(opt("target-epsilon", "E", "DP: ε reached after all epochs (noise calibrated to it)"));
        o.addOption(opt("delta", "D", "DP: δ; default 1e-4"));
        o.addOption(opt("max-grad-norm", "C", "DP: per-example clipping norm; default 1.0"));
        o.addOption(opt("accountant", "NAME", "DP: what calibrates σ and reads ε per epoch (and so the selection window): rdp (default, the study's) "
                + "or prv (tighter, so less noise for the same ε)"));
        DpOptions.add(o);
        o.addOption(opt("physical-batch", "B", "examples per forward/backward pass (memory); default 16"));
        o.addOption(opt("aug-multiplicity", "K", "with --freeze backbone: each example's gradient is the mean over K of its 4 flip variants (1-4; default 1, one random flip)"));
        o.addOption(opt("threads", "T", "image decoding threads; default 2"));
        o.addOption(opt("resume", null, "continue the run in --out from its last completed epoch"));
        DeviceOption.add(o, "auto");
        CommandLine cl = CliSupport.parse("classifier train", o, args);
        if (cl.hasOption("help")) {
            CliSupport.printHelp(out, "dpmammo classifier train --train DIR [--train DIR2 …] --val DIR --out RUN [options]",
                    "The study's classifier training (Osuala et al. 2024; docs/STUDY.md §3–4): per-epoch validation, best checkpoint by validation "
                            + "AUPRC (benign positive); under DP only among epochs whose spent ε (by --accountant) is in (0.75, 1.05) × target.", o,
                    "Writes config.json, provenance.json, metrics.csv, metrics.json, ledger.json and dp-run.json (DP), checkpoints/, val-roc.png, val-pr.png. "
                            + "DP randomness is secure unless --reproducible-dp is given.");
            return 0;
        }
        String[] trains = cl.getOptionValues("train");
        if (trains == null) throw new UsageException("missing required option --train");
        for (String t : trains) requireExists(t, "--train");
        requireBothClasses(trains);
        String val = CliSupport.required(cl, "val");
        requireExists(val, "--val");
        Path outDir = CliSupport.outFolder(cl, false); // --resume continues in it
        String preset = cl.getOptionValue("preset", "paper");
        if (!ModelSpec.PRESETS.contains(preset)) throw new UsageException("--preset: expected one of " + String.join(", ", ModelSpec.PRESETS) + ", got '" + preset + "'");
        String head = cl.getOptionValue("head", "mlp");
        if (!List.of("linear", "mlp").contains(head)) throw new UsageException("--head: expected linear or mlp, got '" + head + "'");
        String freeze = cl.getOptionValue("freeze", "backbone");
        if (!List.of("backbone", "none").contains(freeze)) throw new UsageException("--freeze: expected backbone or none, got '" + freeze + "'");
        Path init = cl.hasOption("init-weights") ? Path.of(cl.getOptionValue("init-weights")) : null;
        if (init != null && !Files.isRegularFile(init)) throw new UsageException("--init-weights: " + init + " is not a file");
        boolean dp = cl.hasOption("dp");
        double eps = CliSupport.doubleOpt(cl, "target-epsilon", Double.NaN);
        if (dp && !(eps > 0 && eps < Double.POSITIVE_INFINITY)) throw new UsageException("--dp needs --target-epsilon E with E > 0");
        if (dp) targetInRange(eps);
        if (!dp && (cl.hasOption("target-epsilon") || cl.hasOption("accountant"))) throw new UsageException("--target-epsilon and --accountant need --dp");
        if (!dp) DpOptions.refuseWithoutDp(cl);
        String accountant = cl.getOptionValue("accountant", "rdp");
        if (!List.of("rdp", "prv").contains(accountant)) throw new UsageException("--accountant: expected rdp or prv, got '" + accountant + "'");
        double delta = CliSupport.doubleOpt(cl, "delta", 1e-4);
        if (!(delta > 0 && delta < 1)) throw new UsageException("--delta: expected a value in (0, 1), got " + delta);
        double c = CliSupport.doubleOpt(cl, "max-grad-norm", 1.0);
        if (!(c > 0 && c < Double.POSITIVE_INFINITY)) throw new UsageException("--max-grad-norm: expected a positive value, got " + c);
        int epochs = CliSupport.positiveInt(cl, "epochs", 300);
        int batch = CliSupport.positiveInt(cl, "batch-size", 128);
        double lr = CliSupport.doubleOpt(cl, "lr", 1e-5);
        if (!(lr > 0)) throw new UsageException("--lr: expected a positive value, got " + lr);
        double wd = CliSupport.doubleOpt(cl, "weight-decay", 1e-8);
        if (!(wd >= 0)) throw new UsageException("--weight-decay: expected a value ≥ 0, got " + wd);
        double ls = CliSupport.doubleOpt(cl, "label-smoothing", 0.1);
        if (!(ls >= 0 && ls <= 1)) throw new UsageException("--label-smoothing: expected a value in [0, 1], got " + ls);
        long seed = CliSupport.longOpt(cl, "seed", 42);
        int augMultiplicity = CliSupport.positiveInt(cl, "aug-multiplicity", 1);
        if (augMultiplicity > 4) throw new UsageException("--aug-multiplicity: expected 1 to 4 (the flip variants), got " + augMultiplicity);
        if (augMultiplicity > 1 && !freeze.equals("backbone")) throw new UsageException("--aug-multiplicity needs --freeze backbone (the cached flip variants)");
        ClassifierTrainer.Dp dpSettings = dp ? new ClassifierTrainer.Dp(eps, delta, c, accountant, DpOptions.randomness(cl, seed), DpOptions.ledger(cl),
                DpOptions.budget(cl)) : null;
        ClassifierTrainer.Settings s = new ClassifierTrainer.Settings(List.of(trains), val, outDir, preset, seed, epochs, batch, lr, wd, ls,
                SwinTransformer.Head.valueOf(head.toUpperCase(Locale.ROOT)), freeze.equals("backbone"), init, CliSupport.positiveInt(cl, "physical-batch", 16), augMultiplicity,
                CliSupport.positiveInt(cl, "threads", 2), cl.hasOption("resume"), DpOptions.logPrivateStats(cl), dpSettings);
        ClassifierTrainer.Result r;
        r = CliSupport.inRunFolder(outDir, () -> {
            try (Scope device = DeviceOption.install(cl, "auto", err)) {
                return ClassifierTrainer.run(s, out);
            } catch (StateDictFiles.FormatException e) {
                // Only the --init-weights file is read as a state dict; an unreadable one is bad input.
                throw new UsageException("--init-weights: " + e.getMessage());
            }
        });
        if (r.bestEpoch() < 0) return 1;
        out.printf(Locale.ROOT, "best epoch %d, validation AUPRC %.4f%s; checkpoint %s%n", r.bestEpoch(), r.bestAuprc(),
                dp ? String.format(Locale.ROOT, ", ε spent %.3f%s", r.epsilonSpent(), dpSettings.randomness().epsilonMark()) : "", r.bestCheckpoint());
        return 0;
    }

    private static int evaluate(String[] args, PrintStream out, PrintStream err) throws Exception {
        Options o = CliSupport.withHelp(new Options());
        o.addOption(opt("checkpoint", "FILE", "a checkpoint written by classifier train, or with --arch a plain state dict"));
        o.addOption(archOption());
        o.addOption(classOrderOption());
        o.addOption(Option.builder().longOpt("data").hasArgs().argName("DIR").desc("test data (repeatable)").build());
        o.addOption(opt("json", null, "print one JSON document"));
        o.addOption(opt("bootstrap", "N", "bootstrap resamples for the 95 % intervals; default 1000"));
        o.addOption(opt("seed", "S", "bootstrap seed; default 0"));
        o.addOption(opt("plots", "DIR", "also write ROC and precision-recall PNGs per data set"));
        o.addOption(opt("threads", "T", "image decoding threads; default 2"));
        DeviceOption.add(o, "auto");
        CommandLine cl = CliSupport.parse("classifier evaluate", o, args);
        if (cl.hasOption("help")) {
            CliSupport.printHelp(out, "dpmammo classifier evaluate --checkpoint F [--arch swin_t] --data DIR [--data DIR2 …] [--json]",
                    "Accuracy, F1 (benign), AUROC, AUPRC (benign positive) as the study computed them, and sensitivity and "
                            + "specificity for malignancy at the threshold chosen on validation, each with a 95 % bootstrap interval.", o, null);
            return 0;
        }
        Classifier c = loadCheckpoint(cl, cl.hasOption("json") ? null : out);
        String[] data = cl.getOptionValues("data");
        if (data == null) throw new UsageException("missing required option --data");
        for (String d : data) requireExists(d, "--data");
        int resamples = CliSupport.positiveInt(cl, "bootstrap", 1000);
        long seed = CliSupport.longOpt(cl, "seed", 0);
        ObjectNode doc = Lazy.JSON.createObjectNode();
        doc.put("checkpoint", cl.getOptionValue("checkpoint"));
        doc.put("threshold_malignancy", c.threshold());
        doc.put("threshold_source", c.thresholdFromValidation() ? "validation" : "default");
        ArrayNode sets = doc.putArray("sets");
        Backend backend = DeviceOption.choose(cl, "auto", err);
        for (String d : data) {
            Dataset ds = Datasets.open(d);
            int[] y = Classifier.labels(ds);
            double[] p;
            try (Scope device = Backends.use(backend)) {
                p = c.probabilities(ds, 16, CliSupport.positiveInt(cl, "threads", 2));
            }
            Metrics.Report r = Metrics.report(y, p, c.threshold(), resamples, seed);
            ObjectNode set = sets.addObject();
            set.put("data", d);
            set.set("metrics", Lazy.JSON.valueToTree(r));
            if (cl.hasOption("plots")) {
                Path dir = Path.of(cl.getOptionValue("plots"));
                Files.createDirectories(dir);
                String base = Path.of(d).getFileName() == null ? "data" : Path.of(d).normalize().toString().replaceAll("[^A-Za-z0-9]+", "_");
                CurvePlot.roc(dir.resolve(base + "-roc.png"), Metrics.roc(y, p), String.format(Locale.ROOT, "ROC %s, AUROC %.3f", d, r.auroc().value()));
                CurvePlot.precisionRecall(dir.resolve(base + "-pr.png"), Metrics.precisionRecall(y, p), r.benign() / (double) Math.max(1, r.n()),
                        String.format(Locale.ROOT, "PR (benign) %s, AUPRC %.3f", d, r.auprc().value()));
            }
            if (!cl.hasOption("json")) {
                out.printf(Locale.ROOT, "%s: %d images (%d benign)%n", d, r.n(), r.benign());
                row(out, "accuracy", r.accuracy());
                row(out, "F1 (benign)", r.f1());
                row(out, "AUROC", r.auroc());
                row(out, "AUPRC (benign)", r.auprc());
                row(out, String.format(Locale.ROOT, "sensitivity (malignant, t=%.3f)", r.threshold()), r.sensitivity());
                row(out, String.format(Locale.ROOT, "specificity (malignant, t=%.3f)", r.threshold()), r.specificity());
            }
        }
        if (cl.hasOption("json")) out.println(Lazy.JSON.writeValueAsString(doc));
        return 0;
    }

    private static void row(PrintStream out, String name, Metrics.Estimate e) {
        out.printf(Locale.ROOT, "  %-34s %.4f  [%.4f, %.4f]%n", name, e.value(), e.lo(), e.hi());
    }

    private static int predict(String[] args, PrintStream out, PrintStream err) throws Exception {
        Options o = CliSupport.withHelp(new Options());
        o.addOption(opt("checkpoint", "FILE", "a checkpoint written by classifier train, or with --arch a plain state dict"));
        o.addOption(archOption());
        o.addOption(classOrderOption());
        o.addOption(opt("data", "DIR", "images to classify"));
        o.addOption(opt("out", "FILE", "CSV to write: name,label,p_benign,p_malignant,argmax,malignant_at_threshold"));
        o.addOption(opt("threads", "T", "image decoding threads; default 2"));
        DeviceOption.add(o, "auto");
        CommandLine cl = CliSupport.parse("classifier predict", o, args);
        if (cl.hasOption("help")) {
            CliSupport.printHelp(out, "dpmammo classifier predict --checkpoint F [--arch swin_t] --data DIR --out FILE.csv",
                    "Per-image probabilities; argmax is the study's decision, malignant_at_threshold uses the validation threshold.", o, null);
            return 0;
        }
        Classifier c = loadCheckpoint(cl, out);
        String d = CliSupport.required(cl, "data");
        requireExists(d, "--data");
        Path file = Path.of(CliSupport.required(cl, "out"));
        Dataset ds = Datasets.open(d);
        double[] p;
        try (Scope device = DeviceOption.install(cl, "auto", err)) {
            p = c.probabilities(ds, 16, CliSupport.positiveInt(cl, "threads", 2));
        }
        StringBuilder sb = new StringBuilder("name,label,p_benign,p_malignant,argmax,malignant_at_threshold\n");
        for (int i = 0; i < p.length; i++) {
            sb.append(String.format(Locale.ROOT, "%s,%s,%.6f,%.6f,%s,%b%n", ds.name(i), ds.label(i) == 1 ? "benign" : "malignant", p[i], 1 - p[i],
                    p[i] > 0.5 ? "benign" : "malignant", 1 - p[i] >= c.threshold()));
        }
        AtomicFiles.writeString(file, sb.toString());
        out.printf("%d predictions written to %s%n", p.length, file);
        return 0;
    }

    private static Option archOption() {
        return opt("arch", "NAME", "read --checkpoint as a plain state dict with torchvision names (safetensors or torch.save .pth, e.g. a "
                + "swin_t fine-tuned in PyTorch) of this architecture: swin_t (torchvision's Swin-T, 224×224, the paper preset) or a preset "
                + "(cpu, tiny, vit). Its head must have 2 outputs, index 0 malignant and 1 benign (see --class-order); inputs are prepared as in training "
                + "(gray repeated to 3 channels, resized, scaled to [-1, 1]); the decision threshold is 0.5 on P(malignant)");
    }

    private static Option classOrderOption() {
        return opt("class-order", "ORDER", "with --arch: the head's output order, malignant,benign (the study's, default) or benign,malignant "
                + "(what torchvision's ImageFolder gives folders named benign and malignant)");
    }

    /** The --checkpoint (and --arch) classifier; says on {@code out}, unless null, when the threshold is the default. */
    private static Classifier loadCheckpoint(CommandLine cl, PrintStream out) throws Exception {
        Path f = Path.of(CliSupport.required(cl, "checkpoint"));
        if (!Files.isRegularFile(f)) throw new UsageException("--checkpoint: " + f + " is not a file");
        String arch = cl.getOptionValue("arch");
        if (arch != null && !Classifier.ARCHITECTURES.contains(arch)) {
            throw new UsageException("--arch: expected one of " + String.join(", ", Classifier.ARCHITECTURES) + ", got '" + arch + "'");
        }
        String order = cl.getOptionValue("class-order", "malignant,benign");
        if (!List.of("malignant,benign", "benign,malignant").contains(order)) {
            throw new UsageException("--class-order: expected malignant,benign or benign,malignant, got '" + order + "'");
        }
        if (arch == null && cl.hasOption("class-order")) throw new UsageException("--class-order needs --arch (a dpmammo checkpoint has the study's order)");
        Classifier c;
        try {
            c = arch == null ? Classifier.load(f) : Classifier.loadStateDict(f, arch, order.startsWith("benign"));
        } catch (Classifier.NoModelDescription e) {
            throw new UsageException("--checkpoint: " + e.getMessage() + "; for a plain state dict name its architecture with --arch ("
                    + String.join(", ", Classifier.ARCHITECTURES) + ")");
        } catch (java.io.IOException e) {
            throw new UsageException("--checkpoint: " + e.getMessage());
        }
        if (out != null && !c.thresholdFromValidation()) {
            out.printf(Locale.ROOT, "%s: %s, head %s; no validation threshold in the file, so malignant means P(malignant) ≥ %.1f%n",
                    f, c.spec().describeBackbone(), c.spec().head().name().toLowerCase(Locale.ROOT), c.threshold());
        }
        return c;
    }

    /** Opens the training sources (listing only) to refuse one-class data before anything is written or trained. */
    private static void requireBothClasses(String[] trains) {
        List<Dataset> parts = new ArrayList<>();
        try {
            for (String t : trains) parts.add(Datasets.open(t));
            Datasets.requireBothClasses(parts, "--train");
        } catch (IOException | IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
    }

    static void targetInRange(double eps) {
        try {
            Calibration.checkTrainingTarget(eps, "--target-epsilon");
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
    }

    private static void requireExists(String path, String option) {
        if (!(path.equals("phantom") || path.startsWith("phantom:")) && !Files.exists(Path.of(path))) {
            throw new UsageException(option + ": " + path + " does not exist");
        }
    }
}
