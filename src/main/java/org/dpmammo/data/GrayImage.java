package org.dpmammo.data;

/**
 * A single-channel image as decoded from a file: unsigned integer samples in [0, maxValue], row-major.
 *
 * <p>Samples keep the file's own precision (8-bit PNG: maxValue 255; 16-bit PNG: 65535; PGM: its declared maxval), so
 * a cache of decoded sources costs two bytes a pixel and no precision is lost before the transforms turn it into
 * floats in [0, 1].
 */
public final class GrayImage {
    private final int width;
    private final int height;
    private final int maxValue;
    private final short[] samples;

    /** Wraps samples (not copied); each must be in [0, maxValue] read as unsigned 16-bit. */
    public GrayImage(int width, int height, int maxValue, short[] samples) {
        if (width <= 0 || height <= 0) throw new IllegalArgumentException("image size must be positive, got " + width + "x" + height);
        if (maxValue < 1 || maxValue > 65535) throw new IllegalArgumentException("maxValue must be in [1, 65535], got " + maxValue);
        if ((long) width * height != samples.length) {
            throw new IllegalArgumentException(samples.length + " samples do not fill " + width + "x" + height);
        }
        this.width = width;
        this.height = height;
        this.maxValue = maxValue;
        this.samples = samples;
    }

    /** An 8-bit image from values in [0, 1], clamped and rounded to the nearest level (NaN becomes 0). */
    public static GrayImage fromUnit(float[] values, int width, int height) {
        short[] s = new short[values.length];
        for (int i = 0; i < values.length; i++) {
            float v = values[i];
            // Clamp before rounding: a generator's tanh output just outside [0, 1] must saturate, not wrap.
            float c = v > 0 ? Math.min(v, 1f) : 0f;
            s[i] = (short) Math.round(c * 255f);
        }
        return new GrayImage(width, height, 255, s);
    }

    public int width() {
        return width;
    }

    public int height() {
        return height;
    }

    public int maxValue() {
        return maxValue;
    }

    /** Bits needed for maxValue: 8 for 8-bit sources, 16 for 16-bit ones. */
    public int bitDepth() {
        return 32 - Integer.numberOfLeadingZeros(maxValue);
    }

    public int get(int x, int y) {
        return samples[y * width + x] & 0xFFFF;
    }

    /** The sample array itself, read-only by convention; values are unsigned 16-bit. */
    public short[] samples() {
        return samples;
    }

    /** Samples divided by maxValue, as a one-channel float image in [0, 1]. */
    public FloatImage toUnit() {
        float[] out = new float[samples.length];
        float inv = 1f / maxValue;
        for (int i = 0; i < out.length; i++) out[i] = (samples[i] & 0xFFFF) * inv;
        return new FloatImage(1, height, width, out);
    }

    /** Samples as unsigned bytes for 8-bit images; used for hashing and writing. */
    public byte[] toBytes8() {
        if (maxValue != 255) throw new IllegalStateException("toBytes8: image has maxValue " + maxValue + ", not 255");
        byte[] b = new byte[samples.length];
        for (int i = 0; i < b.length; i++) b[i] = (byte) samples[i];
        return b;
    }
}
