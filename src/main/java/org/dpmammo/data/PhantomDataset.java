package org.dpmammo.data;

import java.lang.ref.SoftReference;
import java.security.MessageDigest;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The {@link Phantom} as a {@link Dataset} of a fixed number of patches. Each patch is its own "patient" with id
 * {@code PH_<index>}, so per-patient code paths work unchanged. Images are generated on first use and then shared
 * through a process-wide cache of soft references: an experiment opens the same splits in every cell (training, record
 * hashes for the ledger, predictions on the tests), and drawing a 64×64 patch costs about 1.5 ms, which was a tenth of
 * the demo's time. A patch is a pure function of (config, seed, index), so a cached one is the one a fresh draw gives;
 * the garbage collector drops them under memory pressure.
 */
public final class PhantomDataset implements Dataset {
    private record Key(Phantom.Config config, long seed, int index) {}

    private static final Map<Key, SoftReference<GrayImage>> DRAWN = new ConcurrentHashMap<>();

    private final Phantom phantom;
    private final int count;

    public PhantomDataset(Phantom.Config config, int count, long seed) {
        if (count < 0) throw new IllegalArgumentException("phantom count must be non-negative, got " + count);
        this.phantom = new Phantom(config, seed);
        this.count = count;
    }

    /** {@code phantom[:size[:count[:seed]]]}, defaults 128, 1000, 0. */
    public static PhantomDataset fromSpec(String spec) {
        String[] p = spec.split(":", -1);
        if (!p[0].equals("phantom") || p.length > 4) {
            throw new IllegalArgumentException("phantom spec must be phantom[:size[:count[:seed]]], got '" + spec + "'");
        }
        try {
            int size = p.length > 1 ? Integer.parseInt(p[1]) : 128;
            int count = p.length > 2 ? Integer.parseInt(p[2]) : 1000;
            long seed = p.length > 3 ? Long.parseLong(p[3]) : 0;
            return new PhantomDataset(Phantom.Config.of(size), count, seed);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("phantom spec must be phantom[:size[:count[:seed]]] with numbers, got '" + spec + "'");
        }
    }

    public Phantom phantom() {
        return phantom;
    }

    @Override
    public int size() {
        return count;
    }

    @Override
    public int label(int i) {
        return phantom.label(check(i));
    }

    @Override
    public String patientId(int i) {
        return String.format("PH_%05d", check(i));
    }

    @Override
    public String name(int i) {
        // The study's naming, so the patient parser and every folder reader treat written phantoms like real patches.
        return "patientphantom__" + patientId(i) + "_image" + i + "_mass0_is_benign_" + label(i) + ".png";
    }

    @Override
    public GrayImage image(int i) {
        Key k = new Key(phantom.config(), phantom.seed(), check(i));
        SoftReference<GrayImage> ref = DRAWN.get(k);
        GrayImage g = ref == null ? null : ref.get();
        if (g == null) {
            g = phantom.sample(i).image();
            DRAWN.put(k, new SoftReference<>(g));
        }
        return g;
    }

    @Override
    public byte[] contentHash(int i) {
        MessageDigest md = Dataset.sha256();
        return md.digest(image(i).toBytes8());
    }

    @Override
    public String description() {
        Phantom.Config c = phantom.config();
        return "phantom v" + Phantom.VERSION + " (size " + c.size() + ", count " + count + ", seed " + phantom.seed() + ", overlap " + c.overlap()
                + ", label noise " + c.labelNoise() + ")";
    }

    private int check(int i) {
        if (i < 0 || i >= count) throw new IndexOutOfBoundsException("phantom index " + i + " outside [0, " + count + ")");
        return i;
    }
}
