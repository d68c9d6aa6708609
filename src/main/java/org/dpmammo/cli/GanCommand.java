package org.dpmammo.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;
import org.dpmammo.data.Dataset;
import org.dpmammo.data.Datasets;
import org.dpmammo.models.gan.GanConfig;
import org.dpmammo.models.gan.Generator;
import org.dpmammo.train.gan.GanSampler;
import org.dpmammo.util.Scope;
import org.dpmammo.train.gan.GanState;
import org.dpmammo.train.gan.GanTrainer;
import org.dpmammo.train.gan.MerfTrainer;
import org.dpmammo.train.gan.QualityReport;

/** {@code dpmammo gan train|sample|evaluate}: the malignancy-conditioned DCGAN of the study. */
public final class GanCommand implements Command {
    private static final String SOURCES = "DIR is a study root or split folder (is_benign_<true|false>/*.png), a flat folder of "
            + "*_benign.png / *_malignant.png, a CSV manifest, or phantom[:size[:count[:seed]]].";

    @Override
    public String name() {
        return "gan";
    }

    @Override
    public String summary() {
        return "train the conditional GAN, sample labelled patches, measure sample quality";
    }

    @Override
    public int run(String[] args, PrintStream out, PrintStream err) throws Exception {
        if (Command.asksForHelp(args)) {
            PrintStream p = args.length == 0 ? err : out;
            p.println("usage: dpmammo gan <subcommand> [options]   (each has --help)");
            p.println();
            p.println("  train --data DIR --out RUN        the study's C-DCGAN loop, resumable, checkpoints and sample grids");
            p.println("  sample --checkpoint F --out DIR   labelled PNGs (*_benign.png / *_malignant.png) and a contact sheet");
            p.println("  evaluate --real DIR --synthetic DIR   Fréchet radiomics distance, per-class precision/recall");
            return args.length == 0 ? 2 : 0;
        }
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        return switch (args[0]) {
            case "train" -> train(rest, out, err);
            case "sample" -> sample(rest, out, err);
            case "evaluate" -> evaluate(rest, out);
            default -> throw new UsageException("unknown subcommand '" + args[0] + "' (train, sample, evaluate)");
        };
    }

    /** The DP settings of --dp, or null; DP options without --dp are a mistake worth stopping for. */
    private static GanTrainer.Dp dpOptions(CommandLine cl) {
        String[] dpOnly = {"target-epsilon", "delta", "max-grad-norm", "accountant", "physical-batch"};
        if (!cl.hasOption("dp")) {
            for (String name : dpOnly) if (cl.hasOption(name)) throw new UsageException("--" + name + " needs --dp");
            DpOptions.refuseWithoutDp(cl);
            return null;
        }
        double eps = CliSupport.doubleOpt(cl, "target-epsilon", Double.NaN);
        if (!(eps > 0 && eps < Double.POSITIVE_INFINITY)) throw new UsageException("--dp needs --target-epsilon E with E > 0");
        ClassifierCommand.targetInRange(eps);
        try {
            return new GanTrainer.Dp(eps, CliSupport.doubleOpt(cl, "delta", 1e-4), CliSupport.doubleOpt(cl, "max-grad-norm", 1.0),
                    cl.getOptionValue("accountant", "rdp"), DpOptions.randomness(cl, CliSupport.longOpt(cl, "seed", 42)), CliSupport.positiveInt(cl, "physical-batch", 64),
                    DpOptions.ledger(cl), DpOptions.budget(cl), DpOptions.logPrivateStats(cl));
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
    }

    private static double learningRate(CommandLine cl, double dflt) {
        double lr = CliSupport.doubleOpt(cl, "lr", dflt);
        if (!(lr > 0 && lr < 1)) throw new UsageException("--lr must be in (0, 1), got " + cl.getOptionValue("lr"));
        return lr;
    }

    private static int train(String[] args, PrintStream out, PrintStream err) throws Exception {
        Options o = CliSupport.withHelp(new Options());
        o.addOption(Option.builder().longOpt("data").hasArg().argName("DIR").desc("labelled training images (required)").build());
        o.addOption(Option.builder().longOpt("out").hasArg().argName("RUN").desc("run folder (required)").build());
        o.addOption(Option.builder().longOpt("model").hasArg().argName("gan|merf")
                .desc("gan (default): the conditional DCGAN; merf: DP-MERF, one DP release of a random-feature mean embedding per class, then the same generator fitted to it (needs --dp)").build());
        o.addOption(Option.builder().longOpt("steps").hasArg().argName("N").desc("merf: generator steps (default 600; with --model merf, --width defaults to 16, --batch to 32, --lr to 1e-3: the measured recipe, docs/GAN.md)").build());
        o.addOption(Option.builder().longOpt("merf-features").hasArg().argName("D").desc("merf: random Fourier features, even (default " + MERF_FEATURES + ")").build());
        o.addOption(Option.builder().longOpt("merf-bandwidth").hasArg().argName("L").desc("merf: Gaussian kernel length scale on flattened images in the model's range (default " + MERF_BANDWIDTH + ")").build());
        o.addOption(Option.builder().longOpt("preset").hasArg().argName("NAME")
                .desc("paper: the study's 128x128 model, ngf=ndf=64, InstanceNorm, real images in [0,1], batch 8, Adam 1e-4; cpu (default): 64x64, ngf=ndf=32, BatchNorm, resize upsampling, real images in [-1,1], batch 16, Adam 2e-4").build());
        o.addOption(Option.builder().longOpt("epochs").hasArg().argName("N").desc("epochs (default 50)").build());
        o.addOption(Option.builder().longOpt("seed").hasArg().argName("S").desc("seed of initialisation, data order, augmentation and noise (default 42)").build());
        o.addOption(Option.builder().longOpt("resume").desc("continue from the run folder's last checkpoint").build());
        o.addOption(Option.builder().longOpt("checkpoint-every").hasArg().argName("K").desc("checkpoint and sample grid every K epochs (default 10)").build());
        o.addOption(Option.builder().longOpt("norm").hasArg().argName("instance|batch|none").desc("override the preset's normalisation of both networks").build());
        o.addOption(Option.builder().longOpt("norm-g").hasArg().argName("instance|batch|none").desc("the generator's normalisation (after --norm)").build());
        o.addOption(Option.builder().longOpt("norm-d").hasArg().argName("instance|batch|none").desc("the discriminator's normalisation (after --norm); --dp needs instance or none").build());
        o.addOption(Option.builder().longOpt("real-range").hasArg().argName("unit|signed")
                .desc("override the preset's real-image range: unit = [0,1] as the study, signed = [-1,1] to match tanh").build());
        o.addOption(Option.builder().longOpt("upsample").hasArg().argName("transposed|resize")
                .desc("how G doubles its resolution: transposed = the study's ConvTranspose2d k4 s2; resize = nearest x2 then Conv2d k3 (no checkerboard, 9/4 the cost)").build());
        o.addOption(Option.builder().longOpt("width").hasArg().argName("W").desc("override the preset's ngf = ndf").build());
        o.addOption(Option.builder().longOpt("width-d").hasArg().argName("W").desc("the discriminator's width ndf alone (after --width); a smaller D has less DP noise in total").build());
        o.addOption(Option.builder().longOpt("batch").hasArg().argName("B").desc("batch size (default: paper 8, the study's; cpu 16)").build());
        o.addOption(Option.builder().longOpt("lr").hasArg().argName("LR").desc("Adam learning rate of both networks (default: paper 1e-4, the study's; cpu 2e-4)").build());
        o.addOption(Option.builder().longOpt("d-steps").hasArg().argName("N").desc("discriminator steps per generator step (default 1, the study's); under --dp every D step is a DP step, planned and spent").build());
        o.addOption(Option.builder().longOpt("ema-decay").hasArg().argName("D").desc("keep an exponential moving average of G's weights with decay D in [0, 1) for samples and sampling checkpoints (default 0: none)").build());
        o.addOption(Option.builder().longOpt("beta1-d").hasArg().argName("B").desc("the discriminator's Adam beta1 (default: as G's, 0.5)").build());
        o.addOption(Option.builder().longOpt("no-augment").desc("turn off the flips and light random resized crop").build());
        o.addOption(Option.builder().longOpt("threads").hasArg().argName("T").desc("data loading threads (default 1)").build());
        o.addOption(Option.builder().longOpt("dp").desc("train the discriminator with DP-SGD (Poisson batches, per-example clipping, Gaussian noise, ledger)").build());
        o.addOption(Option.builder().longOpt("target-epsilon").hasArg().argName("E").desc("DP: ε reached after all epochs (noise calibrated to it)").build());
        o.addOption(Option.builder().longOpt("delta").hasArg().argName("D").desc("DP: δ; default 1e-4").build());
        o.addOption(Option.builder().longOpt("max-grad-norm").hasArg().argName("C").desc("DP: per-example clipping norm; default 1.0").build());
        o.addOption(Option.builder().longOpt("accountant").hasArg().argName("rdp|prv").desc("DP: accountant that calibrates σ; default rdp").build());
        DpOptions.add(o);
        o.addOption(Option.builder().longOpt("physical-batch").hasArg().argName("P").desc("DP: examples per backward pass (memory bound); default 64").build());
        DeviceOption.add(o, "auto");
        CommandLine cl = CliSupport.parse("gan train", o, args);
        if (cl.hasOption("help")) {
            CliSupport.printHelp(out, "dpmammo gan train --data DIR --out RUN [--preset paper|cpu] [--epochs N] [--seed S] [--resume] [--dp --target-epsilon E]",
                    "Trains the study's malignancy-conditioned DCGAN: BCE with real targets U(0.7, 1.2), Adam with betas (0.5, 0.999), one D step per "
                            + "G step. Writes config.json, provenance.json, losses.csv, loss_curve.png, samples/ and checkpoints/ into RUN. "
                            + "With --dp, the discriminator (the only network that reads real images) trains with DP-SGD: Poisson batches of expected "
                            + "size --batch, each real example's gradient clipped to C, Gaussian noise, σ calibrated to the target (ε, δ) over all "
                            + "epochs; the gradient of the loss on generated images is added without noise (it reads no record), scaled to norm at most C, and the generator is post-processing. "
                            + "Every step is written ahead to the ledger (RUN/ledger.json, or --ledger FILE) under the training records' content ids: a "
                            + "classifier that spends against the same ledger composes with it on the records they share (privacy ledger report shows "
                            + "the combined ε). DP randomness is secure unless --reproducible-dp is given. DP needs instance norm or none in the discriminator (--norm-d instance|none). "
                            + "--model merf (DP-MERF) instead releases, once, each class's mean of random Fourier features of the images with Gaussian noise "
                            + "(one DP step at q = 1, sensitivity 1, in the same ledger) and fits the generator to the released embedding for --steps steps; "
                            + "gan sample reads either kind of checkpoint.", o, SOURCES);
            return 0;
        }
        Dataset data = openData(CliSupport.required(cl, "data"));
        try {
            Datasets.requireBothClasses(List.of(data), "--data");
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        Path runDir = CliSupport.outFolder(cl, false); // --resume continues in it
        String model = cl.getOptionValue("model", "gan");
        if (!model.equals("gan") && !model.equals("merf")) throw new UsageException("--model must be gan or merf, got '" + model + "'");
        for (String name : model.equals("gan") ? new String[] {"steps", "merf-features", "merf-bandwidth"} : new String[] {"d-steps", "ema-decay", "beta1-d", "width-d", "norm-d", "max-grad-norm", "epochs"}) {
            if (cl.hasOption(name)) throw new UsageException("--" + name + " does not apply to --model " + model);
        }
        GanConfig base;
        try {
            base = GanConfig.preset(cl.getOptionValue("preset", "cpu"));
            // DP-MERF's generator is fitted for a few hundred steps: its measured recipe uses half the GAN's width.
            int width = CliSupport.intOpt(cl, "width", model.equals("merf") ? MERF_WIDTH : base.ngf());
            base = new GanConfig(base.imageSize(), base.latentSize(), width, CliSupport.intOpt(cl, "width-d", width), base.embeddingSize(),
                    GanConfig.Norm.parse(cl.getOptionValue("norm-g", cl.getOptionValue("norm", base.generatorNorm().name()))),
                    GanConfig.Norm.parse(cl.getOptionValue("norm-d", cl.getOptionValue("norm", base.discriminatorNorm().name()))),
                    cl.hasOption("real-range") ? GanConfig.RealRange.parse(cl.getOptionValue("real-range")) : base.realRange(),
                    cl.hasOption("upsample") ? GanConfig.Upsampling.parse(cl.getOptionValue("upsample")) : base.upsampling());
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        if (model.equals("merf")) return merf(cl, base, data, runDir, out, err);
        int epochs = CliSupport.positiveInt(cl, "epochs", 50);
        GanTrainer.Options study = GanTrainer.Options.preset(cl.getOptionValue("preset", "cpu"), base, epochs, CliSupport.longOpt(cl, "seed", 42));
        GanTrainer.Options opts = new GanTrainer.Options(base, epochs, CliSupport.positiveInt(cl, "batch", study.batchSize()), learningRate(cl, study.lr()), study.beta1(), study.beta2(),
                study.seed(), !cl.hasOption("no-augment"), CliSupport.positiveInt(cl, "checkpoint-every", study.checkpointEvery()), study.collapseFraction(),
                CliSupport.positiveInt(cl, "threads", 1), dpOptions(cl));
        double ema = CliSupport.doubleOpt(cl, "ema-decay", 0), beta1D = CliSupport.doubleOpt(cl, "beta1-d", opts.beta1());
        if (!(ema >= 0 && ema < 1)) throw new UsageException("--ema-decay must be in [0, 1), got " + cl.getOptionValue("ema-decay"));
        if (!(beta1D >= 0 && beta1D < 1)) throw new UsageException("--beta1-d must be in [0, 1), got " + cl.getOptionValue("beta1-d"));
        opts = opts.withStabilisers(CliSupport.positiveInt(cl, "d-steps", 1), ema, beta1D);
        if (data.size() < opts.batchSize()) throw new UsageException("--data has " + data.size() + " images, fewer than one batch of " + opts.batchSize());
        if (opts.dp() != null && base.discriminatorNorm().mixesExamples()) {
            throw new UsageException("--dp needs instance norm or none in the discriminator: BatchNorm mixes the examples of a batch, so per-example gradients do not exist (use --norm-d instance or none)");
        }
        // One decode pass before anything is written: a damaged image would otherwise stop the run part-way, after
        // config.json and the first checkpoints (and, under --dp, ledger entries) exist.
        Datasets.verifyDecodable(data);
        out.printf("gan train: %s, %d images; %dx%d, ngf %d, ndf %d, %s norm, %s upsampling, real images %s; %d epochs, batch %d, lr %s, %d D step(s) per G step, EMA %s, seed %d%n",
                data.description(), data.size(), base.imageSize(), base.imageSize(), base.ngf(), base.ndf(), base.normDescription(), base.upsampling().name().toLowerCase(Locale.ROOT),
                base.realRange() == GanConfig.RealRange.UNIT ? "[0,1]" : "[-1,1]", epochs, opts.batchSize(), opts.lr(), opts.dSteps(),
                opts.emaDecay() > 0 ? Double.toString(opts.emaDecay()) : "off", opts.seed());
        GanTrainer.Options settings = opts;
        GanState s = CliSupport.inRunFolder(runDir, () -> {
            try (Scope device = DeviceOption.install(cl, "auto", err)) {
                return GanTrainer.run(settings, data, runDir, cl.hasOption("resume"), out);
            }
        });
        out.printf("done: epoch %d; checkpoints in %s%n", s.epoch(), runDir.resolve("checkpoints"));
        return 0;
    }

    /**
     * DP-MERF's defaults. The length scale is the median pairwise distance of the study's published synthetic patches
     * (a public set) at 64 px in [−1, 1], 21.9: the median heuristic without looking at private images.
     */
    private static final int MERF_FEATURES = 1000, MERF_WIDTH = 16, MERF_STEPS = 600, MERF_BATCH = 32;
    private static final double MERF_BANDWIDTH = 22, MERF_LR = 1e-3;

    private static int merf(CommandLine cl, GanConfig base, Dataset data, Path runDir, PrintStream out, PrintStream err) throws Exception {
        GanTrainer.Dp dp = dpOptions(cl);
        if (dp == null) throw new UsageException("--model merf needs --dp --target-epsilon E (it is a DP generator)");
        MerfTrainer.Options o;
        try {
            o = new MerfTrainer.Options(base, CliSupport.positiveInt(cl, "merf-features", MERF_FEATURES), CliSupport.doubleOpt(cl, "merf-bandwidth", MERF_BANDWIDTH),
                    CliSupport.positiveInt(cl, "steps", MERF_STEPS), CliSupport.positiveInt(cl, "batch", MERF_BATCH), learningRate(cl, MERF_LR), CliSupport.longOpt(cl, "seed", 42), CliSupport.positiveInt(cl, "checkpoint-every", 50), dp);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        Datasets.verifyDecodable(data);
        out.printf("gan train --model merf: %s, %d images; generator %dx%d, ngf %d, %s norm, %s upsampling; %d features, length scale %s; %d steps of %d, lr %s, seed %d%n",
                data.description(), data.size(), base.imageSize(), base.imageSize(), base.ngf(), base.generatorNorm().name().toLowerCase(Locale.ROOT),
                base.upsampling().name().toLowerCase(Locale.ROOT), o.features(), o.bandwidth(), o.steps(), o.batchSize(), o.lr(), o.seed());
        CliSupport.inRunFolder(runDir, () -> {
            try (Scope device = DeviceOption.install(cl, "auto", err)) {
                MerfTrainer.run(o, data, runDir, cl.hasOption("resume"), out);
                return null;
            }
        });
        out.printf("done: checkpoints in %s%n", runDir.resolve("checkpoints"));
        return 0;
    }

    private static int sample(String[] args, PrintStream out, PrintStream err) throws Exception {
        Options o = CliSupport.withHelp(new Options());
        o.addOption(Option.builder().longOpt("checkpoint").hasArg().argName("F").desc("a gan train checkpoint (required)").build());
        o.addOption(Option.builder().longOpt("count").hasArg().argName("N").desc("number of images (default 100)").build());
        o.addOption(Option.builder().longOpt("class").hasArg().argName("C").desc("benign, malignant or balanced (default balanced)").build());
        o.addOption(Option.builder().longOpt("out").hasArg().argName("DIR").desc("output folder (required)").build());
        o.addOption(Option.builder().longOpt("seed").hasArg().argName("S").desc("seed of z (default 0)").build());
        DeviceOption.add(o, "auto");
        CommandLine cl = CliSupport.parse("gan sample", o, args);
        if (cl.hasOption("help")) {
            CliSupport.printHelp(out, "dpmammo gan sample --checkpoint F --count N --class benign|malignant|balanced --out DIR [--seed S]",
                    "Writes sample_<i>_<benign|malignant>.png (8-bit) into DIR and preview/contact_sheet.png (benign above the white band).", o, null);
            return 0;
        }
        String mode = cl.getOptionValue("class", "balanced");
        if (!mode.equals("benign") && !mode.equals("malignant") && !mode.equals("balanced")) {
            throw new UsageException("--class must be benign, malignant or balanced, got '" + mode + "'");
        }
        Path ck = Path.of(CliSupport.required(cl, "checkpoint"));
        if (!Files.isRegularFile(ck)) throw new UsageException("--checkpoint " + ck + ": no such file");
        int count = CliSupport.positiveInt(cl, "count", 100);
        // Sample sets are not merged: a second set in the same folder would reuse the file names of the first.
        Path dir = CliSupport.outFolder(cl, true);
        Generator g;
        try {
            g = GanState.loadGenerator(ck);
        } catch (IOException | IllegalArgumentException e) {
            String m = e.getMessage();
            throw new UsageException("--checkpoint " + (m != null && m.startsWith(ck.toString()) ? m : ck + ": " + m));
        }
        int[] labels;
        try (Scope device = DeviceOption.install(cl, "auto", err)) {
            labels = GanSampler.write(g, mode, count, CliSupport.longOpt(cl, "seed", 0), dir, out);
        }
        long benign = Arrays.stream(labels).filter(l -> l == 1).count();
        out.printf("wrote %d images (%d benign, %d malignant) and preview/contact_sheet.png to %s%n", count, benign, count - benign, dir);
        return 0;
    }

    private static int evaluate(String[] args, PrintStream out) throws Exception {
        Options o = CliSupport.withHelp(new Options());
        o.addOption(Option.builder().longOpt("real").hasArg().argName("DIR").desc("real labelled images (required)").build());
        o.addOption(Option.builder().longOpt("synthetic").hasArg().argName("DIR").desc("synthetic labelled images (required)").build());
        o.addOption(Option.builder().longOpt("size").hasArg().argName("S").desc("resize every image to S x S first (default 128)").build());
        o.addOption(Option.builder().longOpt("k").hasArg().argName("K").desc("neighbours for precision/recall (default 3)").build());
        o.addOption(Option.builder().longOpt("repeats").hasArg().argName("R").desc("random draws per distance (default 3, as the study)").build());
        o.addOption(Option.builder().longOpt("seed").hasArg().argName("S").desc("seed of the draws (default 0)").build());
        o.addOption(Option.builder().longOpt("json").desc("print one JSON document").build());
        CommandLine cl = CliSupport.parse("gan evaluate", o, args);
        if (cl.hasOption("help")) {
            CliSupport.printHelp(out, "dpmammo gan evaluate --real DIR --synthetic DIR [--json]",
                    "Radiomics features (first order, GLCM, mass shape) per image, standardised on the real set; Fréchet distance for "
                            + "real-real, real-synthetic and synthetic-synthetic pairs of equal-size disjoint sets; manifold precision and "
                            + "recall (Kynkäänniemi et al. 2019) per class.", o, SOURCES);
            return 0;
        }
        Dataset real = openData(CliSupport.required(cl, "real"));
        Dataset synth = openData(CliSupport.required(cl, "synthetic"));
        int size = CliSupport.positiveInt(cl, "size", 128);
        if (size < 16) throw new UsageException("--size must be at least 16, got " + size);
        int k = CliSupport.positiveInt(cl, "k", 3);
        int repeats = CliSupport.positiveInt(cl, "repeats", 3);
        if (Math.min(real.size(), synth.size()) < 4) throw new UsageException("need at least 4 real and 4 synthetic images, got " + real.size() + " and " + synth.size());
        QualityReport.Report r = QualityReport.evaluate(QualityReport.extract(real, size), QualityReport.extract(synth, size), repeats, k,
                CliSupport.longOpt(cl, "seed", 0));
        if (cl.hasOption("json")) out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(r));
        else out.print(QualityReport.text(r));
        return 0;
    }

    private static Dataset openData(String spec) {
        try {
            Dataset d = Datasets.open(spec);
            if (d.size() == 0) throw new UsageException(spec + ": no labelled images found");
            return d;
        } catch (java.io.IOException e) {
            throw new UsageException(e.getMessage());
        }
    }
}
