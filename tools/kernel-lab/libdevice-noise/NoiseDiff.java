import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.dpmammo.util.ChaCha20;

/** Compares draws.cpp's hardened normals with GaussianNoise's formula on the JVM (Math), coordinate by coordinate. */
public class NoiseDiff {
    static long word(int[] w, int j) {
        return ((long) w[j] << 32) | (w[j + 1] & 0xffffffffL);
    }

    static double hardened(int[] w, int o) {
        double sum = 0;
        for (int p = 0; p < 2; p++) {
            double u1 = ((word(w, o + 4 * p) >>> 11) + 1) * 0x1p-53, u2 = (word(w, o + 4 * p + 2) >>> 11) * 0x1p-53;
            double angle = 2 * Math.PI * u2;
            sum += Math.sqrt(-2 * Math.log(u1)) * (Math.cos(angle) + Math.sin(angle));
        }
        return sum / 2;
    }

    public static void main(String[] a) throws Exception {
        int n = Integer.parseInt(a[0]);
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(Path.of(a[1]))).order(ByteOrder.LITTLE_ENDIAN);
        int[] key = {1, 2, 3, 4, 5, 6, 7, 8};
        long differ = 0, snapped = 0;
        double worst = 0, r = 0x1p-12;  // the snapping grid of σ = 1
        for (int i = 0; i < n; i++) {
            double jvm = hardened(ChaCha20.block(key, (i % 8192) / 2, 0, 0, 1 + i / 8192), 8 * (i % 2)), cuda = b.getDouble();
            if (jvm != cuda) differ++;
            worst = Math.max(worst, Math.abs(jvm - cuda));
            if ((float) (Math.rint(jvm / r) * r) != (float) (Math.rint(cuda / r) * r)) snapped++;
        }
        System.out.printf("%d coordinates: z differs in %d (%.2f %%), by at most %.0f × 2^-52; snapped to σ = 1's grid, %d differ%n",
                n, differ, 100.0 * differ / n, worst / 0x1p-52, snapped);
    }
}
