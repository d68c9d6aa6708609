package org.dpmammo.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.dpmammo.autograd.Variable;
import org.dpmammo.backend.Backend;
import org.dpmammo.backend.Backends;
import org.dpmammo.backend.cuda.EmulatedCuda;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.util.Rng;
import org.dpmammo.util.Scope;
import org.junit.jupiter.api.Test;

/** BatchNorm2d's running statistics updated on the (emulated) device against the host's double-precision loop. */
class BatchNormOnDeviceTest {
    private record Stats(float[] mean, float[] var, long tracked, boolean onDevice) {}

    private static Stats train(Backend backend) {
        try (Scope s = Backends.use(backend)) {
            BatchNorm2d bn = new BatchNorm2d(3);
            bn.train();
            Rng r = new Rng(4);
            for (int step = 0; step < 3; step++) {
                Tensor x = Tensor.zeros(4, 3, 5, 5);
                for (int i = 0; i < x.numel(); i++) x.data()[i] = (float) (r.nextGaussian() * (1 + step) + 0.5 * step);
                bn.forward(Variable.constant(backend.upload(x)));
            }
            return new Stats(bn.runningMean().toArray(), bn.runningVar().toArray(), bn.numBatchesTracked(), bn.runningMean().isOnDevice());
        }
    }

    @Test
    void runningStatisticsOnTheDeviceMatchTheHost() throws Exception {
        try (EmulatedCuda emu = EmulatedCuda.startOrSkip()) {
            Stats host = train(Backends.cpu()), dev = train(emu.backend());
            assertTrue(dev.onDevice(), "the statistics stay on the device");
            assertEquals(3, host.tracked());
            assertEquals(3, dev.tracked());
            for (int c = 0; c < 3; c++) {
                assertEquals(host.mean()[c], dev.mean()[c], 1e-5, "running mean " + c);
                assertEquals(host.var()[c], dev.var()[c], 1e-4 * host.var()[c], "running var " + c);
            }
        }
    }
}
