package org.dpmammo.examples;

import java.nio.file.Path;
import org.dpmammo.api.PrivateTrainer;
import org.dpmammo.data.Dataset;
import org.dpmammo.data.Datasets;
import org.dpmammo.nn.Conv2d;
import org.dpmammo.nn.Flatten;
import org.dpmammo.nn.GroupNorm;
import org.dpmammo.nn.LeakyReLU;
import org.dpmammo.nn.Linear;
import org.dpmammo.nn.Sequential;
import org.dpmammo.optim.Adam;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.util.Rng;

/**
 * Private training: a small CNN trained with DP-Adam on 600 built-in phantom mass patches (32 × 32) to ε = 8
 * (δ = 1e-5), every step recorded in the run folder's privacy ledger first. Prints σ, ε after each epoch (read from
 * the ledger) and the accuracy on 200 other phantom patches: near chance after these 80 noisy steps on small,
 * deliberately overlapping phantoms (the demo trains longer). The example shows the calls, not a good model.
 *
 * <p>usage: PrivateTrainingExample RUN_FOLDER
 */
public final class PrivateTrainingExample {
    private PrivateTrainingExample() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: PrivateTrainingExample RUN_FOLDER");
            System.exit(2);
        }
        Dataset train = Datasets.open("phantom:32:600:1"), test = Datasets.open("phantom:32:200:2");
        Rng init = new Rng(7);
        // GroupNorm, not BatchNorm: DP-SGD needs each example's gradient on its own.
        Sequential model = new Sequential(
                new Conv2d(1, 16, 4, 2, 1, true, init), new GroupNorm(4, 16), new LeakyReLU(0.2f),
                new Conv2d(16, 32, 4, 2, 1, true, init), new GroupNorm(8, 32), new LeakyReLU(0.2f),
                new Conv2d(32, 32, 4, 2, 1, true, init), new GroupNorm(8, 32), new LeakyReLU(0.2f),
                new Flatten(), new Linear(32 * 4 * 4, 2, init));

        try (PrivateTrainer trainer = PrivateTrainer.builder(model, new Adam(model.parameters(), 3e-3), train, 32)
                .targetEpsilon(8).delta(1e-5).maxGradNorm(1).epochs(8).batchSize(64).accountant("rdp")
                .runFolder(Path.of(args[0])).build()) {
            System.out.printf("σ = %.4f for %d steps at q = %.4f%n", trainer.noiseMultiplier(), trainer.schedule().steps(), trainer.schedule().sampleRate());
            while (trainer.hasNextEpoch()) {
                PrivateTrainer.Epoch e = trainer.epoch(PrivateTrainer.Loss.crossEntropy());
                System.out.printf("epoch %d: %d steps, ε spent %.3f%n", e.index(), e.steps(), e.spent().epsilon());
            }
            PrivateTrainer.Spent spent = trainer.spent();
            System.out.printf("ε spent %.4f at δ %s (%s, %d steps, ledger %s)%s%n", spent.epsilon(), spent.delta(), spent.accountant(), spent.steps(),
                    trainer.ledgerFile(), spent.guarantee() ? "" : " (reproducible randomness: not a guarantee)");
            Tensor logits = trainer.outputs(PrivateTrainer.inputs(test, 32));
            int right = 0;
            for (int i = 0; i < test.size(); i++) {
                int predicted = logits.get(i, 1) > logits.get(i, 0) ? 1 : 0; // index 1 is benign, the study's label 1
                if (predicted == test.label(i)) right++;
            }
            System.out.printf("test accuracy %.3f on %d other phantom patches%n", (double) right / test.size(), test.size());
        }
    }
}
