package org.dpmammo.experiment;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import org.dpmammo.data.Dataset;

/**
 * The training steps the grid needs, behind one small interface: the runner plans, resumes and books results;
 * an implementation only trains. {@link StudyTrainers} wires the project's GAN and Swin trainers; tests use a fake.
 * Every method must resume what a killed call left in its folder rather than start over or refuse.
 */
public interface Trainers {
    /** The trainers for a config's classifier model: the small CNN for "cnn", the Swin trainer otherwise. */
    static Trainers forConfig(ExperimentConfig config, Path featureCache) {
        return config.classifier().model().equals("cnn") ? new CnnTrainers(config) : new StudyTrainers(config, featureCache);
    }

    /**
     * What one classifier training needs beyond the experiment config.
     *
     * @param accountant what calibrates σ under DP (rdp or prv); null without DP (ε = ∞)
     */
    record ClassifierJob(List<String> train, String val, Path out, long seed, boolean fullModel, boolean linearHead,
                         Path initWeights, double epsilon, String accountant, int epochs, double lr) {
        public boolean dp() {
            return !Double.isInfinite(epsilon);
        }
    }

    /**
     * Trains the seed's GAN on the real training set in runDir and writes its labelled samples as a flat folder
     * ({@code *_benign.png}, {@code *_malignant.png}) into samplesDir, which does not exist yet.
     */
    void gan(long seed, Dataset realTrain, Path runDir, Path samplesDir, PrintStream log) throws IOException;

    /**
     * Trains a classifier into job.out (its DP spend, if any, in job.out/ledger.json; per-epoch rows in
     * job.out/metrics.csv) and returns the selected checkpoint, or null when no epoch was eligible.
     */
    Path classifier(ClassifierJob job, PrintStream log) throws IOException;

    /** P(benign) for every example of data, in order, from a checkpoint returned by {@link #classifier}. */
    double[] predict(Path checkpoint, Dataset data) throws IOException;
}
