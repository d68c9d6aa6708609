package org.dpmammo.data;

/**
 * A float image in channel-major layout [C, H, W], the unit the transforms work on and the loader stacks into a
 * [B, C, H, W] tensor.
 */
public record FloatImage(int channels, int height, int width, float[] data) {
    public FloatImage {
        if (channels <= 0 || height <= 0 || width <= 0) {
            throw new IllegalArgumentException("image shape must be positive, got [" + channels + ", " + height + ", " + width + "]");
        }
        if ((long) channels * height * width != data.length) {
            throw new IllegalArgumentException(data.length + " values do not fill [" + channels + ", " + height + ", " + width + "]");
        }
    }

    public float get(int c, int y, int x) {
        return data[(c * height + y) * width + x];
    }

    public int[] shape() {
        return new int[] {channels, height, width};
    }
}
