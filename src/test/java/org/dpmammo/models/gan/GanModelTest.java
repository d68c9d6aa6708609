package org.dpmammo.models.gan;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.dpmammo.autograd.Grad;
import org.dpmammo.autograd.Variable;
import org.dpmammo.nn.BatchNorm2d;
import org.dpmammo.nn.Conv2d;
import org.dpmammo.nn.ConvTranspose2d;
import org.dpmammo.nn.InstanceNorm2d;
import org.dpmammo.nn.Module;
import org.dpmammo.nn.Upsample;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.util.Rng;
import org.dpmammo.util.Scope;
import org.junit.jupiter.api.Test;

/** The networks against the study's tables (docs/STUDY.md §2.3, §2.4), counted by hand. */
class GanModelTest {
    private static Tensor gaussian(Rng rng, int... shape) {
        int n = 1;
        for (int d : shape) n *= d;
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) rng.nextGaussian();
        return Tensor.of(v, shape);
    }

    @Test
    void parameterCountsMatchAHandCountAt128And64() {
        GanConfig paper = GanConfig.paper();
        // G at 128: embedding 2·50 = 100; linear 50·100 + 100 = 5,100; transposed convs (no bias, k4):
        // 200·1024·16 = 3,276,800; 1024·512·16 = 8,388,608; 512·256·16 = 2,097,152; 256·128·16 = 524,288;
        // 128·64·16 = 131,072; 64·1·16 = 1,024. InstanceNorm has no parameters. Total 14,424,144.
        assertEquals(14_424_144L, new Generator(paper, new Rng(1)).numParameters());
        // D at 128: embedding 100; linear 50·16384 + 16384 = 835,584; convs (no bias, k6): 2·64·36 = 4,608;
        // 64·128·36 = 294,912; 128·256·36 = 1,179,648; 256·512·36 = 4,718,592; 512·1024·36 = 18,874,368;
        // 1024·1·36 = 36,864. Total 25,944,676.
        assertEquals(25_944_676L, new Discriminator(paper, new Rng(1)).numParameters());
        GanConfig at64 = new GanConfig(64, 100, 64, 64, 50, GanConfig.Norm.INSTANCE, GanConfig.RealRange.UNIT);
        // G at 64: 100 + 5,100 + 200·512·16 = 1,638,400 + 2,097,152 + 524,288 + 131,072 + 1,024 = 4,397,136.
        assertEquals(4_397_136L, new Generator(at64, new Rng(1)).numParameters());
        // D at 64: 100 + (50·4096 + 4096 = 208,896) + 4,608 + 294,912 + 1,179,648 + 4,718,592 + 512·36 = 18,432
        // = 6,425,188.
        assertEquals(6_425_188L, new Discriminator(at64, new Rng(1)).numParameters());
        // BatchNorm adds γ and β per hidden channel: G (1024 + 512 + 256 + 128 + 64)·2, D (128 + 256 + 512 + 1024)·2.
        GanConfig bn = new GanConfig(128, 100, 64, 64, 50, GanConfig.Norm.BATCH, GanConfig.RealRange.UNIT);
        assertEquals(14_424_144L + 3_968, new Generator(bn, new Rng(1)).numParameters());
        assertEquals(25_944_676L + 3_840, new Discriminator(bn, new Rng(1)).numParameters());
    }

    @Test
    void layersHaveTheStudysKernelsStridesPaddingsAndNoBias() {
        GanConfig paper = GanConfig.paper();
        Generator g = new Generator(paper, new Rng(2));
        List<ConvTranspose2d> tconvs = g.namedModules().values().stream().filter(m -> m instanceof ConvTranspose2d).map(m -> (ConvTranspose2d) m).toList();
        assertEquals(6, tconvs.size());
        int[] gOut = {1024, 512, 256, 128, 64, 1};
        for (int i = 0; i < 6; i++) {
            ConvTranspose2d c = tconvs.get(i);
            assertEquals(gOut[i], c.outChannels);
            assertEquals(4, c.kernel);
            assertEquals(i == 0 ? 1 : 2, c.stride);
            assertEquals(i == 0 ? 0 : 1, c.padding);
            assertEquals(null, c.bias);
        }
        Discriminator d = new Discriminator(paper, new Rng(2));
        List<Conv2d> convs = d.namedModules().values().stream().filter(m -> m instanceof Conv2d).map(m -> (Conv2d) m).toList();
        int[] dOut = {64, 128, 256, 512, 1024, 1};
        for (int i = 0; i < 6; i++) {
            Conv2d c = convs.get(i);
            assertEquals(dOut[i], c.outChannels);
            assertEquals(6, c.kernel);
            assertEquals(i == 5 ? 1 : 2, c.stride);
            assertEquals(i == 5 ? 1 : 2, c.padding);
            assertEquals(null, c.bias);
        }
        // Norms after every hidden G layer and after D's layers 2–5, not after D's first.
        assertEquals(5, g.namedModules().values().stream().filter(m -> m instanceof InstanceNorm2d).count());
        assertEquals(4, d.namedModules().values().stream().filter(m -> m instanceof InstanceNorm2d).count());
        // Conv weights N(0, 0.02): the sample std over 3.3M weights is within 1 % of 0.02.
        float[] w = tconvs.get(0).weight.value().toArray();
        double ss = 0;
        for (float x : w) ss += x * x;
        assertEquals(0.02, Math.sqrt(ss / w.length), 2e-4);
        Module bn = new Generator(new GanConfig(64, 8, 4, 4, 4, GanConfig.Norm.BATCH, GanConfig.RealRange.UNIT), new Rng(2));
        assertTrue(bn.namedModules().values().stream().anyMatch(m -> m instanceof BatchNorm2d));
        // No norm in D: no norm layer at all, the same parameter names and count as InstanceNorm (which has none).
        GanConfig none = new GanConfig(128, 100, 64, 64, 50, GanConfig.Norm.BATCH, GanConfig.Norm.NONE, GanConfig.RealRange.UNIT);
        Discriminator plain = new Discriminator(none, new Rng(2));
        assertTrue(plain.namedModules().values().stream().noneMatch(m -> m instanceof InstanceNorm2d || m instanceof BatchNorm2d));
        assertEquals(d.stateDict().keySet(), plain.stateDict().keySet());
        assertEquals(25_944_676L, plain.numParameters());
        // Resize convolutions at 64, ngf 64: 100 + 5,100 + 200·512·16 = 1,638,400 (the first layer stays transposed)
        // + 3×3 convs 512·256·9 = 1,179,648 + 256·128·9 = 294,912 + 128·64·9 = 73,728 + 64·1·9 = 576 = 3,192,464.
        GanConfig resize = new GanConfig(64, 100, 64, 64, 50, GanConfig.Norm.INSTANCE, GanConfig.Norm.INSTANCE, GanConfig.RealRange.SIGNED,
                GanConfig.Upsampling.RESIZE);
        Generator rg = new Generator(resize, new Rng(2));
        assertEquals(3_192_464L, rg.numParameters());
        assertEquals(4, rg.namedModules().values().stream().filter(m -> m instanceof Upsample).count());
        assertEquals(4, rg.namedModules().values().stream().filter(m -> m instanceof Conv2d c && c.kernel == 3 && c.stride == 1 && c.padding == 1 && c.bias == null).count());
        Tensor z = Tensor.zeros(3, 100, 1, 1);
        assertArrayEquals(new int[] {3, 1, 64, 64}, rg.forward(Variable.constant(z), new int[] {0, 1, 1}).value().shape());
    }

    @Test
    void shapesAt128AndTheConditionChangesBothNetworks() {
        GanConfig paper = GanConfig.paper();
        Rng rng = new Rng(3);
        Generator g = new Generator(paper, rng);
        Discriminator d = new Discriminator(paper, rng);
        Tensor z = gaussian(rng, 1, 100, 1, 1);
        try (Scope s = Grad.noGrad()) {
            Variable benign = g.forward(Variable.constant(z), new int[] {1});
            Variable malignant = g.forward(Variable.constant(z), new int[] {0});
            assertArrayEquals(new int[] {1, 1, 128, 128}, benign.value().shape());
            float[] a = benign.value().toArray(), b = malignant.value().toArray();
            double diff = 0;
            for (int i = 0; i < a.length; i++) {
                assertTrue(a[i] > -1 && a[i] < 1, "tanh range");
                diff += Math.abs(a[i] - b[i]);
            }
            assertTrue(diff / a.length > 1e-4, "the label must change the generated image, mean |Δ| " + diff / a.length);
            Variable p1 = d.forward(benign, new int[] {1}), p0 = d.forward(benign, new int[] {0});
            assertArrayEquals(new int[] {1}, p1.value().shape());
            assertTrue(p1.value().item() > 0 && p1.value().item() < 1);
            assertTrue(p1.value().item() != p0.value().item(), "the label must change D's output");
        }
    }

    @Test
    void shapesAt64AndBadInputs() {
        GanConfig c = new GanConfig(64, 8, 4, 4, 5, GanConfig.Norm.BATCH, GanConfig.RealRange.SIGNED);
        Rng rng = new Rng(4);
        Generator g = new Generator(c, rng);
        Discriminator d = new Discriminator(c, rng);
        Variable x = g.forward(Variable.constant(gaussian(rng, 3, 8, 1, 1)), new int[] {0, 1, 1});
        assertArrayEquals(new int[] {3, 1, 64, 64}, x.value().shape());
        assertArrayEquals(new int[] {3}, d.forward(x, new int[] {0, 1, 1}).value().shape());
        assertThrows(IllegalArgumentException.class, () -> g.forward(Variable.constant(gaussian(rng, 2, 8, 1, 1)), new int[] {0, 1, 1}));
        assertThrows(IllegalArgumentException.class, () -> d.forward(x, new int[] {0, 1}));
        assertThrows(IllegalArgumentException.class, () -> g.forward(Variable.constant(gaussian(rng, 1, 8, 1, 1)), new int[] {2}));
        assertThrows(IllegalArgumentException.class, () -> new GanConfig(96, 8, 4, 4, 5, GanConfig.Norm.BATCH, GanConfig.RealRange.SIGNED));
    }
}
