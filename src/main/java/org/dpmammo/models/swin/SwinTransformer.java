package org.dpmammo.models.swin;

import org.dpmammo.autograd.Ops;
import org.dpmammo.models.ImageClassifier;
import org.dpmammo.autograd.Variable;
import org.dpmammo.nn.Conv2d;
import org.dpmammo.nn.Init;
import org.dpmammo.nn.LayerNorm;
import org.dpmammo.nn.LeakyReLU;
import org.dpmammo.nn.Linear;
import org.dpmammo.nn.Module;
import org.dpmammo.nn.Sequential;
import org.dpmammo.tensor.Shape;
import org.dpmammo.util.Rng;

/**
 * Swin Transformer (v1) with torchvision's module tree, so that its state dict names (features.0.0.weight,
 * features.1.0.attn.qkv.weight, features.2.reduction.weight, norm.weight, head.weight, …) match and weights move
 * both ways unchanged:
 * <pre>
 * features.0   Sequential(0 Conv2d patch embedding, 1 Permute NCHW→NHWC, 2 LayerNorm)
 * features.1,3,5,7   stages: Sequential of {@link SwinBlock}s (odd blocks shift by window/2)
 * features.2,4,6     {@link PatchMerging}
 * norm         LayerNorm over the last width; then mean over the grid (torchvision's permute + avgpool + flatten)
 * head         the classifier
 * </pre>
 * Shapes: image [N, 3, S, S] → tokens [N, S/4, S/4, C] → … → feature [N, F] → logits [N, K].
 *
 * <p>Heads: {@link Head#LINEAR} is Linear(F → K) (torchvision's, and the study's full fine-tune); {@link Head#MLP} is
 * the study's frozen-backbone head Linear(F → F/2) → LeakyReLU(0.2) → Linear(F/2 → K) (head.0, head.2).
 */
public final class SwinTransformer extends ImageClassifier {
    public enum Head { LINEAR, MLP }

    public final SwinConfig config;
    public final Head headKind;
    public final int numClasses;
    public final Sequential features;
    public final LayerNorm norm;
    public final Module head;

    /**
     * Builds the model with torchvision's initialisation: every backbone Linear trunc_normal(0.02) with zero bias,
     * bias tables trunc_normal(0.02), convolution and LayerNorm at PyTorch defaults. The {@link Head#LINEAR} head is
     * initialised like the backbone (as torchvision's); the {@link Head#MLP} head with PyTorch's Linear default, as
     * the study's freshly built head.
     */
    public SwinTransformer(SwinConfig config, Head head, int numClasses, Rng rng) {
        this.config = config;
        this.headKind = head;
        this.numClasses = numClasses;
        Rng dropRng = rng.fork(0xD9);
        features = registerModule("features", new Sequential());
        features.add(new Sequential(new Conv2d(3, config.embedDim(), config.patchSize(), config.patchSize(), 0, true, rng),
                new ChannelsLast(), new LayerNorm(config.embedDim())));
        int block = 0, total = config.totalBlocks();
        for (int s = 0; s < config.depths().length; s++) {
            int dim = config.embedDim() << s;
            Sequential stage = new Sequential();
            for (int b = 0; b < config.depths()[s]; b++) {
                float p = total > 1 ? (float) (config.stochasticDepth() * block / (total - 1)) : 0f;
                stage.add(new SwinBlock(dim, config.heads()[s], config.window(), b % 2 == 0 ? 0 : config.window() / 2,
                        config.mlpRatio(), p, dropRng.fork(block)));
                block++;
            }
            features.add(stage);
            if (s < config.depths().length - 1) features.add(new PatchMerging(dim, rng));
        }
        int f = config.numFeatures();
        norm = registerModule("norm", new LayerNorm(f));
        for (Module m : namedModules().values()) {
            if (m instanceof Linear l) {
                Init.truncNormal(l.weight, 0.02, rng);
                if (l.bias != null) Init.constant(l.bias, 0f);
            }
        }
        this.head = registerModule("head", newHead(head, f, numClasses, rng));
    }

    /** A fresh head of the given kind, for {@code f} features. */
    public static Module newHead(Head kind, int f, int numClasses, Rng rng) {
        if (kind == Head.LINEAR) {
            Linear l = new Linear(f, numClasses, rng);
            Init.truncNormal(l.weight, 0.02, rng);
            Init.constant(l.bias, 0f);
            return l;
        }
        return new Sequential(new Linear(f, f / 2, rng), new LeakyReLU(0.2f), new Linear(f / 2, numClasses, rng));
    }

    @Override
    public int imageSize() {
        return config.imageSize();
    }

    @Override
    public int numFeatures() {
        return config.numFeatures();
    }

    @Override
    public Module head() {
        return head;
    }

    /** The pooled feature [N, F]: features, final norm, mean over the token grid. */
    @Override
    public Variable features(Variable images) {
        int[] s = images.value().shapeRef();
        if (s.length != 4 || s[1] != 3 || s[2] != config.imageSize() || s[3] != config.imageSize()) {
            throw new IllegalArgumentException("swin: input " + Shape.str(s) + ", expected [N, 3, " + config.imageSize() + ", " + config.imageSize() + "]");
        }
        return Ops.mean(norm.forward(features.forward(images)), false, 1, 2);
    }

    /** torchvision's Permute([0, 2, 3, 1]) after the patch embedding: NCHW → NHWC, no parameters. */
    static final class ChannelsLast extends Module {
        @Override
        public Variable forward(Variable x) {
            return Ops.contiguous(Ops.permute(x, 0, 2, 3, 1));
        }
    }
}
