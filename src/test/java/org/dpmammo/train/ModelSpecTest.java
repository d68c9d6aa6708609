package org.dpmammo.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import org.dpmammo.autograd.Variable;
import org.dpmammo.models.ImageClassifier;
import org.dpmammo.models.radiomics.RadiomicsNet;
import org.dpmammo.models.scatter.ScatterNet;
import org.dpmammo.models.swin.SwinTransformer;
import org.dpmammo.nn.Parameter;
import org.dpmammo.nn.SafeTensors;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.util.Rng;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Model descriptions of the fixed-feature backbones through JSON and through a checkpoint. */
class ModelSpecTest {
    @Test
    void theFixedFeaturePresetsRoundTripThroughJson() {
        assertEquals(new RadiomicsNet.Config(64, null), ModelSpec.of("radiomics", SwinTransformer.Head.LINEAR, 2).radiomics());
        assertEquals(new RadiomicsNet.Config(64, ScatterNet.Config.preset()), ModelSpec.of("scatter_radiomics", SwinTransformer.Head.MLP, 2).radiomics());
        for (String preset : new String[] {"scatter", "radiomics", "radiomics_128", "scatter_radiomics", "tiny"}) {
            ModelSpec s = ModelSpec.of(preset, SwinTransformer.Head.MLP, 2);
            assertEquals(s, ModelSpec.fromJson(s.toJson()), preset);
        }
        assertEquals("{\"backbone\":\"radiomics\",\"image\":64,\"head\":\"linear\",\"classes\":2}",
                ModelSpec.of("radiomics", SwinTransformer.Head.LINEAR, 2).toJson());
        assertEquals("{\"backbone\":\"scatter_radiomics\",\"image\":64,\"scales\":3,\"angles\":8,\"head\":\"linear\",\"classes\":2}",
                ModelSpec.of("scatter_radiomics", SwinTransformer.Head.LINEAR, 2).toJson());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ModelSpec.fromJson("{\"backbone\":\"radiomix\",\"image\":64,\"head\":\"linear\",\"classes\":2}"));
        assertTrue(e.getMessage().contains("radiomix"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new ModelSpec(null, ScatterNet.Config.preset(), RadiomicsNet.Config.preset(), SwinTransformer.Head.LINEAR, 2));
    }

    /** A checkpoint written with the description and read back by {@link Classifier#load} gives the same logits. */
    @Test
    void aRadiomicsCheckpointLoadsIntoTheSameModel(@TempDir Path dir) throws Exception {
        for (String preset : new String[] {"radiomics", "scatter_radiomics"}) {
            ModelSpec spec = ModelSpec.of(preset, SwinTransformer.Head.MLP, 2);
            ImageClassifier model = spec.build(new Rng(5));
            // Move the affine off the identity, so the file must carry it.
            Rng rng = new Rng(6);
            for (Parameter p : model.parameters()) {
                float[] v = p.mutableValue().data();
                for (int i = 0; i < v.length; i++) v[i] += (float) (0.1 * rng.nextGaussian());
            }
            Path file = dir.resolve(preset + ".safetensors");
            SafeTensors.save(file, model, Map.of(ModelSpec.KEY, spec.toJson()));
            Classifier loaded = Classifier.load(file);
            assertEquals(spec, loaded.spec());
            int n = 2;
            float[] images = new float[n * 3 * 64 * 64];
            for (int i = 0; i < images.length; i++) images[i] = (float) (2 * rng.nextDouble() - 1);
            Tensor x = Tensor.of(images, n, 3, 64, 64);
            model.eval();
            float[] want = model.forward(Variable.constant(x)).value().compact().data();
            assertArrayEquals(want, loaded.model().forward(Variable.constant(x)).value().compact().data(), 0f, preset);
        }
    }
}
