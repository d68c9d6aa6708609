package org.dpmammo.experiment;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.dpmammo.data.Dataset;
import org.dpmammo.models.gan.GanConfig;
import org.dpmammo.models.swin.SwinTransformer;
import org.dpmammo.train.Classifier;
import org.dpmammo.train.ClassifierTrainer;
import org.dpmammo.train.gan.GanSampler;
import org.dpmammo.train.gan.GanState;
import org.dpmammo.train.gan.GanTrainer;
import org.dpmammo.train.gan.MerfTrainer;
import org.dpmammo.models.gan.Generator;

/**
 * The grid's steps on the project's own trainers: {@link GanTrainer} (the study's conditional DCGAN, trained without
 * DP as the study's was) and {@link ClassifierTrainer} (Swin, frozen backbone on cached features or full fine-tune,
 * DP-AdamW with σ calibrated by the cell's accountant and a write-ahead ledger, selection by validation AUPRC inside the ε window).
 */
public final class StudyTrainers implements Trainers {
    private final ExperimentConfig config;
    private final Path featureCache;

    /** featureCache: one folder shared by every run, so a frozen backbone's features are computed once per (weights, data). */
    public StudyTrainers(ExperimentConfig config, Path featureCache) {
        this.config = config;
        this.featureCache = featureCache;
    }

    @Override
    public void gan(long seed, Dataset realTrain, Path runDir, Path samplesDir, PrintStream log) throws IOException {
        trainGan(config, seed, realTrain, runDir, samplesDir, log);
    }

    /**
     * The study's GAN (resuming from its last checkpoint) and its balanced samples: shared by every classifier backend.
     * With {@code gan.dp_epsilon} the discriminator trains under DP (InstanceNorm in D, the experiment's δ and C, σ by
     * its first accountant, noise from the seed as every cell's) and the run folder holds its ledger.
     */
    static void trainGan(ExperimentConfig config, long seed, Dataset realTrain, Path runDir, Path samplesDir, PrintStream log) throws IOException {
        ExperimentConfig.Gan g = config.gan();
        if (g.model().equals(MerfTrainer.KIND)) {
            MerfTrainer.Options m = merfOptions(config, seed, realTrain.size());
            Generator generator = MerfTrainer.run(m, realTrain, runDir, MerfTrainer.lastCheckpoint(runDir.resolve("checkpoints")) != null
                    || Files.exists(runDir.resolve(MerfTrainer.EMBEDDING_FILE)), log);
            generator.eval();
            GanSampler.write(generator, "balanced", g.samples(), seed, samplesDir);
            return;
        }
        GanTrainer.Options study = GanTrainer.Options.preset(g.model(), ganModel(config), g.epochs(), seed);
        GanTrainer.Options o = new GanTrainer.Options(study.model(), study.epochs(), study.batchSize(), study.lr(), study.beta1(),
                study.beta2(), seed, study.augment(), study.checkpointEvery(), study.collapseFraction(), config.threads(), ganDp(config, seed));
        GanState state = GanTrainer.run(o, realTrain, runDir, true, log);
        state.generator.eval();
        GanSampler.write(state.generator, "balanced", g.samples(), seed, samplesDir);
    }

    /**
     * DP-MERF as measured in docs/GAN.md: the cpu generator at width 16, 1000 random features, length scale 22, batches
     * of 32 at Adam 1e-3; the experiment's δ, its first accountant and the seed's DP randomness. C is fixed at 1.
     */
    static MerfTrainer.Options merfOptions(ExperimentConfig config, long seed, int realSize) {
        GanConfig cpu = GanConfig.cpu();
        GanConfig model = new GanConfig(cpu.imageSize(), cpu.latentSize(), 16, 16, cpu.embeddingSize(), cpu.generatorNorm(), GanConfig.Norm.NONE, cpu.realRange(),
                cpu.upsampling());
        GanTrainer.Dp dp = new GanTrainer.Dp(config.gan().dpEpsilon(), config.delta(), 1.0, config.accountants().get(0), config.dpRandomness(seed), 64);
        int steps = config.gan().epochs() * ((realSize + 31) / 32);
        return new MerfTrainer.Options(model, 1000, 22, steps, 32, 1e-3, seed, 50, dp);
    }

    /** The GAN preset, with InstanceNorm in the discriminator when it trains under DP (BatchNorm mixes examples). */
    static GanConfig ganModel(ExperimentConfig config) {
        GanConfig m = GanConfig.preset(config.gan().model());
        if (config.gan().dpEpsilon() == null) return m;
        return new GanConfig(m.imageSize(), m.latentSize(), m.ngf(), m.ndf(), m.embeddingSize(), m.generatorNorm(), GanConfig.Norm.INSTANCE, m.realRange(), m.upsampling());
    }

    /** The GAN's DP settings, or null for the study's non-private GAN. */
    static GanTrainer.Dp ganDp(ExperimentConfig config, long seed) {
        Double eps = config.gan().dpEpsilon();
        return eps == null ? null : new GanTrainer.Dp(eps, config.delta(), config.maxGradNorm(), config.accountants().get(0), config.dpRandomness(seed), 64);
    }

    @Override
    public Path classifier(ClassifierJob job, PrintStream log) throws IOException {
        ExperimentConfig.Classifier c = config.classifier();
        Files.createDirectories(job.out());
        // The trainer keys its cache files by model, weights and data, so one folder can serve every run safely.
        Path cache = job.out().resolve("cache");
        if (!Files.exists(cache, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            Files.createDirectories(featureCache);
            // Relative, so the experiment folder can be moved; a link is resolved from the folder that holds it.
            Files.createSymbolicLink(cache, job.out().toAbsolutePath().relativize(featureCache.toAbsolutePath()));
        }
        Path init = job.initWeights() != null ? job.initWeights() : c.initWeights() == null ? null : Path.of(c.initWeights());
        ClassifierTrainer.Settings s = new ClassifierTrainer.Settings(job.train(), job.val(), job.out(), c.model(), job.seed(), job.epochs(),
                c.batchSize(), job.lr(), c.weightDecay(), c.labelSmoothing(), job.linearHead() ? SwinTransformer.Head.LINEAR : SwinTransformer.Head.MLP,
                !job.fullModel(), init, c.physicalBatch(), job.fullModel() ? 1 : c.augMultiplicity(), config.threads(), true, false,
                job.dp() ? new ClassifierTrainer.Dp(job.epsilon(), config.delta(), config.maxGradNorm(), job.accountant(), config.dpRandomness(job.seed()), null,
                        Double.POSITIVE_INFINITY) : null);
        return ClassifierTrainer.run(s, log).bestCheckpoint();
    }

    @Override
    public double[] predict(Path checkpoint, Dataset data) throws IOException {
        return Classifier.load(checkpoint).probabilities(data, config.classifier().physicalBatch(), config.threads());
    }
}
