package org.dpmammo.models;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import org.dpmammo.tensor.Shape;
import org.dpmammo.tensor.Tensor;
import org.dpmammo.util.Parallel;

/**
 * The fixed part of a backbone whose features are a function of the pixels alone (no parameters, no data: the
 * scattering and radiomics classifiers). Images come as the classifier pipeline makes them, [N, 3, S, S] in [−1, 1]
 * with equal channels; channel 0 mapped back to [0, 1] is what each image's transform sees. Such transforms cost
 * milliseconds per image and the grid meets the same images again and again (flip variants, conditions, seeds,
 * evaluation), so the vector of each distinct (transform, pixels) pair — keyed by SHA-256 of the transform's id and
 * the pixels — is kept in one bounded, process-wide memo.
 */
public final class FixedFeatures {
    /** One image's feature vector from its S × S pixels in [0, 1]; a pure function of the pixels. */
    @FunctionalInterface
    public interface Transform {
        float[] apply(float[] pixels);
    }

    private static final int MEMO_ENTRIES = 60_000;
    private static final Map<String, float[]> MEMO = new LinkedHashMap<>(1024, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, float[]> e) {
            return size() > MEMO_ENTRIES;
        }
    };

    private FixedFeatures() {}

    /**
     * The features [N, F] of a batch [N, 3, S, S]. {@code model} names the caller in the shape error; {@code id} must
     * change whenever the transform does (its configuration), since it keys the memo.
     */
    public static Tensor batch(String model, String id, Tensor images, int size, int features, Transform transform) {
        int[] s = images.shapeRef();
        if (s.length != 4 || s[1] != 3 || s[2] != size || s[3] != size) {
            throw new IllegalArgumentException(model + ": input " + Shape.str(s) + ", expected [N, 3, " + size + ", " + size + "]");
        }
        float[] d = images.compact().data();
        int n = s[0], plane = size * size, image = 3 * plane;
        float[] out = new float[n * features];
        Parallel.forRange(n, 1, (from, to) -> {
            for (int i = from; i < to; i++) {
                float[] pixels = new float[plane];
                for (int p = 0; p < plane; p++) pixels[p] = (d[i * image + p] + 1f) / 2f;
                float[] v = of(id, pixels, transform);
                if (v.length != features) throw new IllegalStateException(model + ": " + v.length + " features, expected " + features);
                System.arraycopy(v, 0, out, i * features, features);
            }
        });
        return Tensor.of(out, n, features);
    }

    /** One image's vector, from the memo when this transform saw these pixels before. */
    public static float[] of(String id, float[] pixels, Transform transform) {
        String key = key(id, pixels);
        float[] v;
        synchronized (MEMO) {
            v = MEMO.get(key);
        }
        if (v != null) return v;
        v = transform.apply(pixels);
        synchronized (MEMO) {
            MEMO.put(key, v);
        }
        return v;
    }

    private static String key(String id, float[] pixels) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update((id + "\n").getBytes(StandardCharsets.UTF_8)); // ids hold no newline, so no two (id, pixels) pairs share a digest input
            ByteBuffer b = ByteBuffer.allocate(pixels.length * 4);
            for (float p : pixels) b.putFloat(p);
            md.update(b.array());
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
