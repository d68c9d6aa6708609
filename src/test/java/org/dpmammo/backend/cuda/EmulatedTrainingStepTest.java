package org.dpmammo.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.dpmammo.backend.Backend;
import org.dpmammo.backend.Backends;
import org.dpmammo.backend.BinaryOp;
import org.dpmammo.backend.UnaryOp;
import org.dpmammo.check.BackendCheck;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.train.DeviceStepCheck;
import org.junit.jupiter.api.Test;

/**
 * One non-private and one DP training step of a tiny Swin and of the GAN's networks through CudaBackend on the kernel
 * emulator against the CPU backend ({@link DeviceStepCheck}: outputs, parameter gradients, per-example norms, clipped
 * sums, the update of a seeded DP-SGD step), and a backend whose products are off by 1e-4 failing it.
 */
class EmulatedTrainingStepTest {
    @Test
    void everyStepQuantityAgreesWithTheCpu() throws Exception {
        try (EmulatedCuda emu = EmulatedCuda.startOrSkip()) {
            List<BackendCheck.Row> rows = DeviceStepCheck.run(emu.backend(), 3);
            assertEquals(15, rows.size());
            for (BackendCheck.Row r : rows) assertTrue(r.passed(), r.toString());
        }
    }

    /** The CPU backend with every matmul and convolution off by 1e-4 relative: a kernel bug the check must catch. */
    private static final class Skewed implements Backend {
        private final Backend cpu = Backends.cpu();

        private static Tensor skew(Tensor t) {
            return Backends.cpu().unary(UnaryOp.MUL_SCALAR, t, 1.0001f);
        }

        public String name() {
            return "skewed";
        }

        public Tensor binary(BinaryOp op, Tensor a, Tensor b) {
            return cpu.binary(op, a, b);
        }

        public Tensor unary(UnaryOp op, Tensor x, float param) {
            return cpu.unary(op, x, param);
        }

        public Tensor unaryBackward(UnaryOp op, Tensor x, Tensor y, Tensor gradOut, float param) {
            return cpu.unaryBackward(op, x, y, gradOut, param);
        }

        public Tensor sum(Tensor x, int[] axes, boolean keepDims) {
            return cpu.sum(x, axes, keepDims);
        }

        public Tensor max(Tensor x, int axis, boolean keepDims) {
            return cpu.max(x, axis, keepDims);
        }

        public Tensor argmax(Tensor x, int axis) {
            return cpu.argmax(x, axis);
        }

        public Tensor softmax(Tensor x, boolean log) {
            return cpu.softmax(x, log);
        }

        public Tensor softmaxBackward(Tensor y, Tensor gradOut, boolean log) {
            return cpu.softmaxBackward(y, gradOut, log);
        }

        public Tensor matmul(Tensor a, Tensor b, boolean transA, boolean transB) {
            return skew(cpu.matmul(a, b, transA, transB));
        }

        public Tensor indexSelect(Tensor x, int axis, int[] index) {
            return cpu.indexSelect(x, axis, index);
        }

        public Tensor indexAdd(Tensor src, int axis, int[] index, int axisSize) {
            return cpu.indexAdd(src, axis, index, axisSize);
        }

        public Tensor copy(Tensor x) {
            return cpu.copy(x);
        }

        public Tensor concat(Tensor[] parts, int axis) {
            return cpu.concat(parts, axis);
        }

        public Tensor conv2d(Tensor x, Tensor w, Tensor bias, int sh, int sw, int ph, int pw) {
            return skew(cpu.conv2d(x, w, bias, sh, sw, ph, pw));
        }

        public Tensor conv2dBackwardInput(Tensor g, Tensor w, int inH, int inW, int sh, int sw, int ph, int pw) {
            return cpu.conv2dBackwardInput(g, w, inH, inW, sh, sw, ph, pw);
        }

        public Tensor unfold(Tensor x, int kH, int kW, int sh, int sw, int ph, int pw) {
            return cpu.unfold(x, kH, kW, sh, sw, ph, pw);
        }

        public Tensor conv2dBackwardWeight(Tensor x, Tensor g, int kH, int kW, int sh, int sw, int ph, int pw) {
            return cpu.conv2dBackwardWeight(x, g, kH, kW, sh, sw, ph, pw);
        }
    }

    @Test
    void aBackendWithSlightlyWrongProductsFails() {
        List<BackendCheck.Row> rows = DeviceStepCheck.run(new Skewed(), 3);
        for (String model : new String[] {"tiny Swin", "GAN discriminator", "GAN generator"}) {
            for (String what : new String[] {" output", " parameter gradients", " DP-SGD step's update"}) {
                BackendCheck.Row r = rows.stream().filter(x -> x.op().equals(model + what)).findFirst().orElseThrow();
                assertFalse(r.passed(), r.toString());
            }
        }
    }
}
