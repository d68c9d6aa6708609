package org.dpmammo.data;

import java.util.List;

/**
 * Tiles images into one grid image, for looking at data and generator samples side by side. Tiles of another size
 * are resized to the first tile's size; empty cells and gaps take the background level.
 */
public final class ContactSheet {
    private ContactSheet() {}

    /** A grid with the given number of columns, tiles in row-major order, gap pixels between tiles and around. */
    public static GrayImage grid(List<GrayImage> tiles, int columns, int gap, float background) {
        if (tiles.isEmpty()) throw new IllegalArgumentException("contact sheet needs at least one image");
        if (columns <= 0 || gap < 0) throw new IllegalArgumentException("contact sheet needs columns > 0 and gap >= 0");
        int th = tiles.get(0).height();
        int tw = tiles.get(0).width();
        int rows = (tiles.size() + columns - 1) / columns;
        int w = columns * tw + (columns + 1) * gap;
        int h = rows * th + (rows + 1) * gap;
        float[] out = new float[w * h];
        java.util.Arrays.fill(out, background);
        for (int t = 0; t < tiles.size(); t++) {
            FloatImage img = Transforms.resize(tiles.get(t).toUnit(), th, tw);
            int x0 = gap + (t % columns) * (tw + gap);
            int y0 = gap + (t / columns) * (th + gap);
            for (int y = 0; y < th; y++) System.arraycopy(img.data(), y * tw, out, (y0 + y) * w + x0, tw);
        }
        return GrayImage.fromUnit(out, w, h);
    }

    /**
     * Benign tiles in the upper rows, malignant tiles in the lower rows, the two blocks separated by a white band
     * as tall as a quarter tile, so the classes can be compared at a glance without text rendering.
     */
    public static GrayImage byClass(List<GrayImage> benign, List<GrayImage> malignant, int columns, int gap) {
        GrayImage top = grid(benign, columns, gap, 0f);
        GrayImage bottom = grid(malignant, columns, gap, 0f);
        int w = Math.max(top.width(), bottom.width());
        int band = Math.max(2, benign.get(0).height() / 4);
        int h = top.height() + band + bottom.height();
        short[] s = new short[w * h];
        paste(s, w, top, 0);
        for (int i = top.height() * w; i < (top.height() + band) * w; i++) s[i] = 255;
        paste(s, w, bottom, top.height() + band);
        return new GrayImage(w, h, 255, s);
    }

    private static void paste(short[] dst, int w, GrayImage src, int y0) {
        for (int y = 0; y < src.height(); y++) System.arraycopy(src.samples(), y * src.width(), dst, (y0 + y) * w, src.width());
    }
}
