package org.dpmammo.models.swin;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.dpmammo.autograd.Grad;
import org.dpmammo.autograd.Ops;
import org.dpmammo.autograd.Variable;
import org.dpmammo.nn.Module;
import org.dpmammo.nn.SafeTensors;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.util.Rng;
import org.dpmammo.util.Scope;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Field-by-field comparison with a once-generated torchvision dump (src/test/resources/fixtures/swin-tiny, see its
 * README): the state dict loads strictly, every features.i output and the logits agree.
 */
class SwinReferenceTest {
    static final Path FIXTURE = Path.of("src/test/resources/fixtures/swin-tiny");
    static final SwinConfig TINY = new SwinConfig(32, 4, 24, new int[] {2, 2}, new int[] {2, 4}, 4, 4.0, 0.2);

    static SwinTransformer tiny() throws Exception {
        SwinTransformer m = new SwinTransformer(TINY, SwinTransformer.Head.LINEAR, 3, new Rng(1));
        Module.LoadReport r = SafeTensors.load(FIXTURE.resolve("model.safetensors"), m, true);
        assertTrue(r.clean(), r.toString());
        m.eval();
        return m;
    }

    static double maxRelative(Tensor got, Tensor want) {
        float[] g = got.toArray(), w = want.toArray();
        assertEquals(w.length, g.length);
        double diff = 0, scale = 0;
        for (int i = 0; i < g.length; i++) {
            diff = Math.max(diff, Math.abs(g[i] - w[i]));
            scale = Math.max(scale, Math.abs(w[i]));
        }
        return diff / scale;
    }

    @Test
    void matchesTorchvisionStageByStageAndInLogits() throws Exception {
        SwinTransformer m = tiny();
        Map<String, Tensor> io = SafeTensors.read(FIXTURE.resolve("io.safetensors")).tensors();
        try (Scope s = Grad.noGrad()) {
            Variable h = Variable.constant(io.get("x.input"));
            for (int i = 0; i < m.features.size(); i++) {
                h = m.features.get(i).forward(h);
                Tensor want = io.get("x.features." + i);
                assertArrayEquals(want.shape(), h.value().shape(), "features." + i);
                assertTrue(maxRelative(h.value(), want) <= 1e-4, "features." + i + " relative error " + maxRelative(h.value(), want));
            }
            Tensor logits = m.forward(Variable.constant(io.get("x.input"))).value();
            double rel = maxRelative(logits, io.get("x.logits"));
            assertTrue(rel <= 1e-4, "logits relative error " + rel);
        }
    }

    @Test
    void stateDictNamesAndShapesAreTorchvisions() throws Exception {
        SwinTransformer m = new SwinTransformer(SwinConfig.swinT(), SwinTransformer.Head.LINEAR, 1000, new Rng(0));
        Map<String, Tensor> sd = m.stateDict();
        assertArrayEquals(new int[] {96, 3, 4, 4}, sd.get("features.0.0.weight").shape());
        assertArrayEquals(new int[] {96}, sd.get("features.0.2.weight").shape());
        assertArrayEquals(new int[] {169, 3}, sd.get("features.1.0.attn.relative_position_bias_table").shape());
        assertArrayEquals(new int[] {2401}, sd.get("features.1.1.attn.relative_position_index").shape());
        assertArrayEquals(new int[] {384, 96}, sd.get("features.1.1.mlp.0.weight").shape());
        assertArrayEquals(new int[] {96, 384}, sd.get("features.1.1.mlp.3.weight").shape());
        assertArrayEquals(new int[] {192, 384}, sd.get("features.2.reduction.weight").shape());
        assertArrayEquals(new int[] {384}, sd.get("features.2.norm.weight").shape());
        assertArrayEquals(new int[] {1152, 384}, sd.get("features.5.5.attn.qkv.weight").shape());
        assertArrayEquals(new int[] {1000, 768}, sd.get("head.weight").shape());
        assertTrue(m.integerStateKeys().contains("features.7.1.attn.relative_position_index"));
        // torchvision's swin_t: 28,288,354 parameters (docs/STUDY.md §3.1)
        assertEquals(28_288_354L, m.numParameters());
        // the study's frozen-backbone head: 296,066 trainable parameters
        SwinTransformer f = new SwinTransformer(SwinConfig.swinT(), SwinTransformer.Head.MLP, 2, new Rng(0));
        f.freezeBackbone();
        long trainable = 0;
        for (var p : f.trainableParameters()) trainable += p.value().numel();
        assertEquals(296_066L, trainable);
    }

    @Test
    void perBlockShapes() {
        SwinTransformer m = new SwinTransformer(TINY, SwinTransformer.Head.MLP, 2, new Rng(3));
        m.eval();
        try (Scope s = Grad.noGrad()) {
            Variable h = Variable.constant(Tensor.zeros(2, 3, 32, 32));
            int[][] want = {{2, 8, 8, 24}, {2, 8, 8, 24}, {2, 4, 4, 48}, {2, 4, 4, 48}};
            for (int i = 0; i < m.features.size(); i++) {
                h = m.features.get(i).forward(h);
                assertArrayEquals(want[i], h.value().shape(), "features." + i);
            }
            assertArrayEquals(new int[] {2, 48}, m.features(Variable.constant(Tensor.zeros(2, 3, 32, 32))).value().shape());
        }
    }

    /** Gradients flow to every parameter, and a frozen backbone gets none. */
    @Test
    void backwardReachesEveryParameter() throws Exception {
        SwinTransformer m = tiny();
        m.train();
        Tensor x = SafeTensors.read(FIXTURE.resolve("io.safetensors")).tensors().get("x.input");
        Ops.sum(m.forward(Variable.constant(x)), false, 0, 1).backward();
        m.namedParameters().forEach((k, p) -> assertTrue(p.grad() != null, k));
        m.zeroGrad();
        m.freezeBackbone();
        Ops.sum(m.forward(Variable.constant(x)), false, 0, 1).backward();
        m.namedParameters().forEach((k, p) -> assertEquals(k.startsWith("head."), p.grad() != null, k));
    }

    /**
     * Checkpoint round trip: save, reload into a fresh model, same logits; the file is also written where the
     * tools script's {@code check} can load it into torchvision (run by hand; see the fixture README).
     */
    @Test
    void checkpointRoundTrip(@TempDir Path dir) throws Exception {
        SwinTransformer m = tiny();
        Path f = dir.resolve("ours.safetensors");
        Tensor x = SafeTensors.read(FIXTURE.resolve("io.safetensors")).tensors().get("x.input");
        Tensor logits;
        try (Scope s = Grad.noGrad()) {
            logits = m.forward(Variable.constant(x)).value();
        }
        Map<String, Tensor> all = new LinkedHashMap<>(m.stateDict());
        all.put("x.input", x);
        all.put("x.logits", logits);
        SafeTensors.write(f, all, m.integerStateKeys(), Map.of("config",
                "{\"image\":32,\"patch\":4,\"embed\":24,\"depths\":[2,2],\"heads\":[2,4],\"window\":4,\"drop_path\":0.2,\"classes\":3}"));
        String keep = System.getProperty("dpmammo.swinExport");
        if (keep != null) Files.copy(f, Path.of(keep), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        SwinTransformer back = new SwinTransformer(TINY, SwinTransformer.Head.LINEAR, 3, new Rng(99));
        Map<String, Tensor> read = new LinkedHashMap<>(SafeTensors.read(f).tensors());
        read.remove("x.input");
        read.remove("x.logits");
        assertTrue(back.loadStateDict(read, true).clean());
        back.eval();
        try (Scope s = Grad.noGrad()) {
            assertArrayEquals(logits.toArray(), back.forward(Variable.constant(x)).value().toArray());
        }
    }

    /** The full Swin-T at 224×224 against torchvision: local only (the dump is ~110 MB), see the fixture README. */
    @Test
    void fullSwinTWhenADumpIsGiven() throws Exception {
        String file = System.getProperty("dpmammo.swinFull");
        assumeTrue(file != null, "no full Swin-T dump given (-Ddpmammo.swinFull=FILE from tools/swin_reference.py full)");
        Map<String, Tensor> all = new LinkedHashMap<>(SafeTensors.read(Path.of(file)).tensors());
        Tensor x = all.remove("x.input"), want = all.remove("x.logits");
        SwinTransformer m = new SwinTransformer(SwinConfig.swinT(), SwinTransformer.Head.LINEAR, 1000, new Rng(0));
        assertTrue(m.loadStateDict(all, true).clean());
        m.eval();
        try (Scope s = Grad.noGrad()) {
            double rel = maxRelative(m.forward(Variable.constant(x)).value(), want);
            System.out.println("full Swin-T 224x224: max relative logit error " + rel);
            assertTrue(rel <= 1e-4, "relative error " + rel);
        }
    }
}
