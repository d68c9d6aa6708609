package org.dpmammo.models.gan;

import org.dpmammo.autograd.Ops;
import org.dpmammo.autograd.Variable;
import org.dpmammo.nn.Conv2d;
import org.dpmammo.nn.Embedding;
import org.dpmammo.nn.Init;
import org.dpmammo.nn.LeakyReLU;
import org.dpmammo.nn.Linear;
import org.dpmammo.nn.Module;
import org.dpmammo.nn.Sequential;
import org.dpmammo.nn.Sigmoid;
import org.dpmammo.util.Rng;

/**
 * The study's conditional discriminator (docs/STUDY.md §2.4). Shapes at 128 (B = batch, S = image size):
 * <pre>
 *   label [B] → embedding [B, 50] → linear [B, S·S] → LeakyReLU(0.1) → a condition channel [B, 1, S, S]
 *   concat(x [B, 1, S, S], that) [B, 2, S, S]
 *   → Conv k6 s2 p2 → [B, ndf, 64, 64] → LeakyReLU(0.1)               (no norm on the first layer)
 *   → Conv k6 s2 p2 → [B, 2ndf, 32, 32] … [B, 16ndf, 4, 4]            (norm, LeakyReLU(0.1) after each)
 *   → Conv k6 s1 p1 → [B, 1, 1, 1] → sigmoid → [B]
 * </pre>
 * At 64 there is one stage fewer (the last hidden layer has 8ndf channels). Convolutions have no bias and N(0, 0.02)
 * weights. The condition enters as a learned input channel: no projection, no auxiliary classifier.
 */
public final class Discriminator extends Module {
    public final GanConfig config;
    private final Embedding labelEmbedding;
    private final Linear labelLinear;
    private final LeakyReLU labelAct = new LeakyReLU(GanConfig.LEAK);
    private final Sequential main;

    public Discriminator(GanConfig config, Rng rng) {
        this.config = config;
        int size = config.imageSize();
        labelEmbedding = registerModule("label_embedding", new Embedding(GanConfig.CLASSES, config.embeddingSize(), rng));
        labelLinear = registerModule("label_linear", new Linear(config.embeddingSize(), size * size, rng));
        main = registerModule("main", new Sequential());
        int channels = config.ndf();
        main.add(conv(2, channels, 2, 2, rng));
        main.add(new LeakyReLU(GanConfig.LEAK));
        for (int s = 1; s < config.stages(); s++) {
            main.add(conv(channels, channels * 2, 2, 2, rng));
            channels *= 2;
            main.add(Generator.norm(config.discriminatorNorm(), channels, rng));
            main.add(new LeakyReLU(GanConfig.LEAK));
        }
        main.add(conv(channels, 1, 1, 1, rng));
        main.add(new Sigmoid());
    }

    private static Conv2d conv(int in, int out, int stride, int padding, Rng rng) {
        Conv2d c = new Conv2d(in, out, 6, stride, padding, false, rng);
        Init.normal(c.weight, 0, GanConfig.INIT_STD, rng);
        return c;
    }

    /** The probability [B] that each image x [B, 1, S, S] is real, given its label (0 malignant, 1 benign). */
    public Variable forward(Variable x, int[] labels) {
        int b = labels.length, size = config.imageSize();
        int[] s = x.value().shapeRef();
        if (s.length != 4 || s[0] != b || s[1] != 1 || s[2] != size || s[3] != size) {
            throw new IllegalArgumentException("discriminator: images " + java.util.Arrays.toString(s) + " for " + b + " labels at size " + size);
        }
        Variable cond = labelAct.forward(labelLinear.forward(labelEmbedding.forward(labels, b)));
        Variable in = Ops.concat(1, x, Ops.reshape(cond, b, 1, size, size));
        return Ops.reshape(main.forward(in), b);
    }
}
