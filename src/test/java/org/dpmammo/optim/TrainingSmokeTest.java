package org.dpmammo.optim;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dpmammo.autograd.NnOps;
import org.dpmammo.autograd.Ops;
import org.dpmammo.autograd.Variable;
import org.dpmammo.nn.Conv2d;
import org.dpmammo.nn.Flatten;
import org.dpmammo.nn.GELU;
import org.dpmammo.nn.GroupNorm;
import org.dpmammo.nn.LeakyReLU;
import org.dpmammo.nn.Linear;
import org.dpmammo.nn.Sequential;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.testing.TestTensors;
import org.dpmammo.util.Rng;
import org.junit.jupiter.api.Test;

/** Layers, autograd and optimizers together: small models fit small problems. */
class TrainingSmokeTest {
    private static float train(Sequential model, Optimizer opt, Tensor x, int[] labels, int steps) {
        float loss = Float.NaN;
        for (int s = 0; s < steps; s++) {
            opt.zeroGrad();
            Variable l = Ops.mean(NnOps.crossEntropy(model.forward(Variable.constant(x)), labels, 0f), false);
            l.backward();
            opt.step();
            loss = l.value().item();
        }
        return loss;
    }

    @Test
    void mlpLearnsXorWithAdamW() {
        Rng rng = new Rng(90);
        Sequential mlp = new Sequential(new Linear(2, 16, rng), new GELU(), new Linear(16, 2, rng));
        Tensor x = Tensor.of(new float[] {0, 0, 0, 1, 1, 0, 1, 1}, 4, 2);
        int[] y = {0, 1, 1, 0};
        float first = train(mlp, new AdamW(mlp.trainableParameters(), 0.05), x, y, 1);
        float last = train(mlp, new AdamW(mlp.trainableParameters(), 0.05), x, y, 200);
        assertTrue(last < 0.05 && last < first, "loss " + first + " → " + last);
    }

    @Test
    void convNetFitsABatchWithSgdMomentum() {
        Rng rng = new Rng(91);
        Sequential net = new Sequential(new Conv2d(1, 4, 3, 2, 1, false, rng), new GroupNorm(2, 4), new LeakyReLU(0.1f),
                new Flatten(), new Linear(4 * 4 * 4, 2, rng));
        Tensor x = TestTensors.randn(rng, 6, 1, 8, 8);
        int[] y = {0, 1, 0, 1, 1, 0};
        SGD sgd = new SGD(net.trainableParameters(), 0.1, 0.9, 0, 1e-4, true);
        float first = train(net, sgd, x, y, 1);
        float last = train(net, sgd, x, y, 60);
        assertTrue(last < 0.1 * first, "loss " + first + " → " + last);
    }
}
