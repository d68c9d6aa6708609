package org.dpmammo.train.gan;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.dpmammo.util.AtomicFiles;

/** A loss-curve PNG drawn with java.awt (no chart library: two lines over epochs are all it needs). */
public final class LossPlot {
    private static final int W = 720, H = 400, LEFT = 60, RIGHT = 20, TOP = 30, BOTTOM = 45;

    private LossPlot() {}

    /** One line per series over x = 1..n; names and colours in the legend. */
    public static void write(Path file, String title, List<String> names, List<double[]> series, List<Color> colors) throws IOException {
        System.setProperty("java.awt.headless", "true");
        BufferedImage img = new BufferedImage(W, H, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, W, H);
        int n = 0;
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        for (double[] s : series) {
            n = Math.max(n, s.length);
            for (double v : s) {
                if (!Double.isFinite(v)) continue;
                lo = Math.min(lo, v);
                hi = Math.max(hi, v);
            }
        }
        if (!(lo <= hi)) {
            lo = 0;
            hi = 1;
        }
        if (hi - lo < 1e-9) {
            lo -= 0.5;
            hi += 0.5;
        }
        int pw = W - LEFT - RIGHT, ph = H - TOP - BOTTOM;
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        g.drawString(title, LEFT, TOP - 10);
        g.drawRect(LEFT, TOP, pw, ph);
        for (int t = 0; t <= 4; t++) {
            double v = lo + (hi - lo) * t / 4;
            int y = TOP + ph - (int) Math.round(ph * t / 4.0);
            g.setColor(new Color(225, 225, 225));
            g.drawLine(LEFT + 1, y, LEFT + pw - 1, y);
            g.setColor(Color.BLACK);
            g.drawString(String.format("%.3f", v), 5, y + 4);
        }
        g.drawString("1", LEFT - 3, TOP + ph + 15);
        g.drawString(Integer.toString(Math.max(1, n)), LEFT + pw - 10, TOP + ph + 15);
        g.drawString("epoch", LEFT + pw / 2 - 15, H - 10);
        g.setStroke(new BasicStroke(1.6f));
        for (int k = 0; k < series.size(); k++) {
            double[] s = series.get(k);
            g.setColor(colors.get(k));
            int px = -1, py = -1;
            for (int i = 0; i < s.length; i++) {
                if (!Double.isFinite(s[i])) continue;
                int x = LEFT + (n <= 1 ? pw / 2 : (int) Math.round(pw * i / (double) (n - 1)));
                int y = TOP + ph - (int) Math.round(ph * (s[i] - lo) / (hi - lo));
                if (px >= 0) g.drawLine(px, py, x, y);
                else g.fillOval(x - 2, y - 2, 4, 4);
                px = x;
                py = y;
            }
            g.fillRect(LEFT + pw - 140, TOP + 10 + 16 * k, 18, 3);
            g.drawString(names.get(k), LEFT + pw - 115, TOP + 15 + 16 * k);
        }
        g.dispose();
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        ImageIO.write(img, "png", buf);
        AtomicFiles.writeBytes(file, buf.toByteArray());
    }
}
