package org.dpmammo.privacy.audit;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.dpmammo.nn.Linear;
import org.dpmammo.nn.ReLU;
import org.dpmammo.nn.SafeTensors;
import org.dpmammo.nn.Sequential;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.util.Rng;

/**
 * The child process of {@link KillAndResumeTest}: a tiny crash-safe DP run that prints "ready" when training starts
 * and "done k" after step k is complete and checkpointed, and writes the final model to final.safetensors.
 */
public final class KillResumeChild {
    static final int N = 64, FEATURES = 16, STEPS = 300;

    static Sequential model() {
        Rng rng = new Rng(3);
        return new Sequential(new Linear(FEATURES, 8, rng), new ReLU(), new Linear(8, 2, rng));
    }

    static Tensor inputs() {
        Rng rng = new Rng(5);
        float[] v = new float[N * FEATURES];
        for (int i = 0; i < v.length; i++) v[i] = (float) rng.nextGaussian();
        return Tensor.of(v, N, FEATURES);
    }

    static int[] labels(Tensor x) {
        int[] y = new int[N];
        for (int i = 0; i < N; i++) y[i] = x.get(i, 0) + x.get(i, 1) > 0 ? 1 : 0;
        return y;
    }

    static CrashSafeRun.Settings settings(String phase) {
        return new CrashSafeRun.Settings(phase, "synthetic-64x16-seed5", 0.1, 0.9, 1.0, 1.0, 0.25, STEPS, 16, 1e-5, 1e3, "rdp", false, 42, 1);
    }

    /** Runs to the end (resuming whatever is in dir) and returns the final weights. */
    static Map<String, Tensor> run(Path dir, CrashSafeRun.StepListener listener) throws IOException {
        Sequential m = model();
        Tensor x = inputs();
        new CrashSafeRun(m, x, labels(x), settings("kill-resume"), dir, dir.resolve("ledger.json")).onStep(listener).run();
        return m.stateDict();
    }

    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args[0]);
        System.out.println("ready");
        System.out.flush();
        Map<String, Tensor> w = run(dir, step -> {
            System.out.println("done " + step);
            System.out.flush();
        });
        SafeTensors.write(dir.resolve("final.safetensors"), w, Map.of());
        System.out.println("finished");
        System.out.flush();
    }
}
