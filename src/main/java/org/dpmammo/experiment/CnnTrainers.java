package org.dpmammo.experiment;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import org.dpmammo.data.Dataset;
import org.dpmammo.train.CnnTrainer;

/**
 * The grid's trainers when the config asks for the demo's CNN ({@code classifier.model = "cnn"}): each classifier
 * job becomes a {@link CnnTrainer} run with the experiment's settings; the GAN is the study's, as for the Swin.
 */
public final class CnnTrainers implements Trainers {
    private final ExperimentConfig config;

    public CnnTrainers(ExperimentConfig config) {
        this.config = config;
    }

    @Override
    public void gan(long seed, Dataset realTrain, Path runDir, Path samplesDir, PrintStream log) throws IOException {
        StudyTrainers.trainGan(config, seed, realTrain, runDir, samplesDir, log);
    }

    @Override
    public Path classifier(ClassifierJob job, PrintStream log) throws IOException {
        ExperimentConfig.Classifier c = config.classifier();
        CnnTrainer.Dp dp = job.dp()
                ? new CnnTrainer.Dp(job.epsilon(), config.delta(), config.maxGradNorm(), job.accountant(), config.dpRandomness(job.seed()))
                : null;
        return CnnTrainer.train(new CnnTrainer.Job(job.train(), job.val(), job.out(), job.seed(), job.fullModel(), job.initWeights(), c.activation(), job.epochs(),
                job.lr(), c.batchSize(), c.weightDecay(), c.labelSmoothing(), c.physicalBatch(), dp), log);
    }

    @Override
    public double[] predict(Path checkpoint, Dataset data) throws IOException {
        return CnnTrainer.predict(checkpoint, data);
    }
}
