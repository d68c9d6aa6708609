package org.dpmammo.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.dpmammo.autograd.Variable;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.testing.TestTensors;
import org.dpmammo.util.Rng;
import org.junit.jupiter.api.Test;

class ModuleTest {
    /** features = Sequential(Sequential(Conv2d, BatchNorm2d), Sequential(LayerNorm)); head = Linear. */
    static final class Net extends Module {
        final Sequential features;
        final Linear head;

        Net(Rng rng) {
            features = registerModule("features", new Sequential(
                    new Sequential(new Conv2d(2, 4, 3, 1, 0, true, rng), new BatchNorm2d(4)),
                    new Sequential(new LayerNorm(4))));
            head = registerModule("head", new Linear(4, 2, rng));
        }
    }

    /** The keys and order PyTorch 1.13 prints for the same module tree (state_dict() of the equivalent nn.Module). */
    static final List<String> TORCH_KEYS = List.of("features.0.0.weight", "features.0.0.bias", "features.0.1.weight", "features.0.1.bias",
            "features.0.1.running_mean", "features.0.1.running_var", "features.0.1.num_batches_tracked",
            "features.1.0.weight", "features.1.0.bias", "head.weight", "head.bias");

    @Test
    void namesFollowPyTorch() {
        Net net = new Net(new Rng(60));
        assertEquals(TORCH_KEYS, List.copyOf(net.stateDict().keySet()));
        assertEquals(List.of("features.0.0.weight", "features.0.0.bias", "features.0.1.weight", "features.0.1.bias",
                "features.1.0.weight", "features.1.0.bias", "head.weight", "head.bias"), List.copyOf(net.namedParameters().keySet()));
        assertEquals(Set.of("features.0.1.num_batches_tracked"), net.integerStateKeys());
        TestTensors.assertShape(net.stateDict().get("features.0.1.num_batches_tracked"));
        assertEquals(4 * 2 * 9 + 4 + 4 + 4 + 4 + 4 + 8 + 2, net.numParameters());
        assertTrue(net.namedModules().containsKey("features.0.1"));
    }

    @Test
    void swinPatchEmbeddingNamesSkipThePermuteSlot() {
        // torchvision's swin_t: features.0 = Sequential(Conv2d(3, 96, 4, 4), Permute, LayerNorm(96)), whose
        // state-dict keys are features.0.0.{weight,bias} and features.0.2.{weight,bias}.
        Module channelsLast = new Module() {
            @Override
            public Variable forward(Variable x) {
                return org.dpmammo.autograd.Ops.contiguous(org.dpmammo.autograd.Ops.permute(x, 0, 2, 3, 1));
            }
        };
        Sequential patch = new Sequential(new Conv2d(3, 96, 4, 4, 0, true, new Rng(1)), channelsLast, new LayerNorm(96));
        assertEquals(List.of("0.weight", "0.bias", "2.weight", "2.bias"), List.copyOf(patch.stateDict().keySet()));
        TestTensors.assertShape(patch.forward(Variable.constant(Tensor.zeros(1, 3, 8, 8))).value(), 1, 2, 2, 96);
    }

    @Test
    void freezingAndModes() {
        Net net = new Net(new Rng(61));
        net.features.setFrozen(true);
        assertEquals(List.of(net.head.weight, net.head.bias), net.trainableParameters());
        assertEquals(8, net.parameters().size());
        net.eval();
        for (Module m : net.namedModules().values()) assertFalse(m.isTraining());
        net.train();
        for (Module m : net.namedModules().values()) assertTrue(m.isTraining());
    }

    @Test
    void sharedParameterIsListedOnceButSavedUnderBothNames() {
        Rng rng = new Rng(62);
        Linear shared = new Linear(2, 2, rng);
        Sequential s = new Sequential(shared, shared);
        assertEquals(List.of("0.weight", "0.bias"), List.copyOf(s.namedParameters().keySet()));
        assertEquals(List.of("0.weight", "0.bias", "1.weight", "1.bias"), List.copyOf(s.stateDict().keySet()));
    }

    @Test
    void loadStateDictCopiesValues() {
        Net a = new Net(new Rng(63)), b = new Net(new Rng(64));
        a.features.get(0).forward(Variable.constant(TestTensors.randn(new Rng(65), 2, 2, 4, 4)));
        Module.LoadReport r = b.loadStateDict(a.stateDict(), true);
        assertTrue(r.clean());
        for (Map.Entry<String, Tensor> e : a.stateDict().entrySet()) {
            Tensor got = b.stateDict().get(e.getKey());
            assertNotSame(e.getValue(), got, "loaded values are copies");
            assertArrayEquals(e.getValue().toArray(), got.toArray(), e.getKey());
        }
        assertEquals(1, ((BatchNorm2d) ((Sequential) b.features.get(0)).get(1)).numBatchesTracked());
    }

    @Test
    void strictLoadReportsAndRefusesEverything() {
        Net net = new Net(new Rng(66));
        Map<String, Tensor> state = new LinkedHashMap<>(new Net(new Rng(67)).stateDict());
        state.remove("head.bias");
        state.put("head.extra", Tensor.zeros(1));
        state.put("head.weight", Tensor.zeros(3, 4));
        Tensor convBefore = net.features.get(0).stateDict().get("0.weight").copy();
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> net.loadStateDict(state, true));
        assertFalse(ex.getMessage().contains("\n"), "one line");
        assertTrue(ex.getMessage().contains("head.bias") && ex.getMessage().contains("head.extra") && ex.getMessage().contains("head.weight"), ex.getMessage());
        assertArrayEquals(convBefore.toArray(), net.stateDict().get("features.0.0.weight").toArray(), "strict failure loads nothing");

        Module.LoadReport r = net.loadStateDict(state, false);
        assertEquals(List.of("head.bias"), r.missing());
        assertEquals(List.of("head.extra"), r.unexpected());
        assertEquals(1, r.misShaped().size());
        assertTrue(r.misShaped().get(0).startsWith("head.weight"));
        assertArrayEquals(state.get("features.0.0.weight").toArray(), net.stateDict().get("features.0.0.weight").toArray(),
                "non-strict load takes every matching key");
    }

    @Test
    void duplicateMemberNamesAreRefused() {
        Module m = new Module() {
            {
                registerParameter("w", new Parameter(Tensor.zeros(1)));
                assertThrows(IllegalArgumentException.class, () -> registerModule("w", new ReLU()));
                assertThrows(IllegalArgumentException.class, () -> registerParameter("a.b", new Parameter(Tensor.zeros(1))));
            }
        };
        assertEquals(1, m.numParameters());
    }
}
