package org.dpmammo.models.gan;

import org.dpmammo.autograd.Ops;
import org.dpmammo.autograd.Variable;
import org.dpmammo.nn.BatchNorm2d;
import org.dpmammo.nn.Conv2d;
import org.dpmammo.nn.ConvTranspose2d;
import org.dpmammo.nn.Embedding;
import org.dpmammo.nn.Identity;
import org.dpmammo.nn.Init;
import org.dpmammo.nn.InstanceNorm2d;
import org.dpmammo.nn.LeakyReLU;
import org.dpmammo.nn.Linear;
import org.dpmammo.nn.Module;
import org.dpmammo.nn.ReLU;
import org.dpmammo.nn.Sequential;
import org.dpmammo.nn.Tanh;
import org.dpmammo.nn.Upsample;
import org.dpmammo.util.Rng;

/**
 * The study's conditional generator (docs/STUDY.md §2.3). Shapes at 128 (B = batch, nz = latent size):
 * <pre>
 *   label [B] → embedding [B, 50] → linear [B, nz] → LeakyReLU(0.1) → [B, nz, 1, 1]
 *   concat(z [B, nz, 1, 1], that) [B, 2nz, 1, 1]
 *   → ConvT k4 s1 p0 → [B, 16ngf, 4, 4] → norm, ReLU
 *   → ConvT k4 s2 p1 → [B, 8ngf, 8, 8] … [B, ngf, 64, 64] (norm, ReLU after each)
 *   → ConvT k4 s2 p1 → [B, 1, 128, 128] → tanh
 * </pre>
 * At 64 the first layer has 8ngf channels and there is one stage fewer. With {@link GanConfig.Upsampling#RESIZE}
 * each stride-2 transposed convolution becomes nearest ×2 then Conv2d k3 s1 p1 (a two-module Sequential). Convolutions have no bias; their weights are
 * N(0, 0.02), BatchNorm γ is N(1, 0.02) and β 0, the embedding and linear layers keep PyTorch's defaults.
 *
 * <p>Member names ({@code label_embedding}, {@code label_linear}, {@code main.<i>}) are those of
 * {@code tools/gan_reference.py}, so state dicts move between the two unchanged.
 */
public final class Generator extends Module {
    public final GanConfig config;
    private final Embedding labelEmbedding;
    private final Linear labelLinear;
    private final LeakyReLU labelAct = new LeakyReLU(GanConfig.LEAK);
    private final Sequential main;

    public Generator(GanConfig config, Rng rng) {
        this.config = config;
        labelEmbedding = registerModule("label_embedding", new Embedding(GanConfig.CLASSES, config.embeddingSize(), rng));
        labelLinear = registerModule("label_linear", new Linear(config.embeddingSize(), config.latentSize(), rng));
        main = registerModule("main", new Sequential());
        int stages = config.stages();
        int channels = config.ngf() << (stages - 1);
        main.add(conv(2 * config.latentSize(), channels, 1, 0, rng));
        main.add(norm(config.generatorNorm(), channels, rng));
        main.add(new ReLU());
        for (int s = 1; s < stages; s++) {
            main.add(upsample(config, channels, channels / 2, rng));
            channels /= 2;
            main.add(norm(config.generatorNorm(), channels, rng));
            main.add(new ReLU());
        }
        main.add(upsample(config, channels, 1, rng));
        main.add(new Tanh());
    }

    /** One ×2 stage: the study's transposed convolution, or nearest ×2 then a 3×3 convolution (named main.i.1). */
    private static Module upsample(GanConfig config, int in, int out, Rng rng) {
        if (config.upsampling() == GanConfig.Upsampling.TRANSPOSED) return conv(in, out, 2, 1, rng);
        Conv2d c = new Conv2d(in, out, 3, 1, 1, false, rng);
        Init.normal(c.weight, 0, GanConfig.INIT_STD, rng);
        return new Sequential(new Upsample(2), c);
    }

    private static ConvTranspose2d conv(int in, int out, int stride, int padding, Rng rng) {
        ConvTranspose2d c = new ConvTranspose2d(in, out, 4, stride, padding, 0, false, rng);
        Init.normal(c.weight, 0, GanConfig.INIT_STD, rng);
        return c;
    }

    /** The normalisation layer both networks use after a hidden convolution. */
    static Module norm(GanConfig.Norm norm, int channels, Rng rng) {
        if (norm == GanConfig.Norm.INSTANCE) return new InstanceNorm2d(channels);
        if (norm == GanConfig.Norm.NONE) return new Identity();
        BatchNorm2d bn = new BatchNorm2d(channels);
        Init.normal(bn.weight, 1, GanConfig.INIT_STD, rng);
        return bn;
    }

    /** Images [B, 1, size, size] in (−1, 1) from z [B, nz, 1, 1] (or [B, nz]) and labels [B] (0 malignant, 1 benign). */
    public Variable forward(Variable z, int[] labels) {
        int b = labels.length, nz = config.latentSize();
        if (z.value().numel() != b * nz) {
            throw new IllegalArgumentException("generator: z has " + z.value().numel() + " values for " + b + " labels × latent size " + nz);
        }
        Variable cond = labelAct.forward(labelLinear.forward(labelEmbedding.forward(labels, b)));
        Variable in = Ops.concat(1, Ops.reshape(z, b, nz, 1, 1), Ops.reshape(cond, b, nz, 1, 1));
        return main.forward(in);
    }
}
