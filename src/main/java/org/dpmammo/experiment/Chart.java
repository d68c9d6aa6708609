package org.dpmammo.experiment;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.Stroke;
import java.awt.geom.Line2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * A small line chart drawn with java.awt: axes with ticks, a grid, series with markers and optional error bars,
 * dashed and dotted series, a legend. The x axis can be logarithmic with one extra slot at the right for ∞ (the non-private
 * runs), separated by an axis break, which is how a privacy–utility curve reads.
 */
final class Chart {
    /** How a series' line is drawn; dashed lines get open squares as markers, dotted ones open circles, solid ones filled circles. */
    enum Line { SOLID, DASHED, DOTTED }

    /** One series; ys may hold NaN (gap); err (half-widths) may be null. */
    record Series(String name, Color color, double[] xs, double[] ys, double[] err, Line line, boolean markers) {}

    static final Color[] PALETTE = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c), new Color(0x9467bd),
            new Color(0xff7f0e), new Color(0x8c564b), new Color(0xe377c2), new Color(0x17becf)};

    private final String title, xLabel, yLabel;
    private final List<Series> series = new ArrayList<>();
    private final int width, height;
    private boolean logX, infinitySlot, diagonal, integerX;
    private double xMin = Double.NaN, xMax, yMin = Double.NaN, yMax;

    Chart(String title, String xLabel, String yLabel, int width, int height) {
        this.title = title;
        this.xLabel = xLabel;
        this.yLabel = yLabel;
        this.width = width;
        this.height = height;
    }

    /** Log-scaled x; x = +∞ is drawn in a slot right of a break. */
    Chart logXWithInfinity() {
        logX = true;
        infinitySlot = true;
        return this;
    }

    /** The chance line y = x (ROC plots). */
    Chart diagonal() {
        diagonal = true;
        return this;
    }

    /** Only whole-number x ticks (epochs). */
    Chart integerX() {
        integerX = true;
        return this;
    }

    Chart xRange(double lo, double hi) {
        xMin = lo;
        xMax = hi;
        return this;
    }

    Chart yRange(double lo, double hi) {
        yMin = lo;
        yMax = hi;
        return this;
    }

    Chart add(Series s) {
        series.add(s);
        return this;
    }

    byte[] png() throws IOException {
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, height);
        draw(g);
        g.dispose();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(img, "png", out);
        return out.toByteArray();
    }

    private void draw(Graphics2D g) {
        fitRanges();
        Font base = new Font(Font.SANS_SERIF, Font.PLAIN, 12);
        g.setFont(base.deriveFont(Font.BOLD, 14f));
        FontMetrics tf = g.getFontMetrics();
        g.setColor(Color.BLACK);
        g.drawString(title, (width - tf.stringWidth(title)) / 2, 20);
        int rows = legendRows(g.getFontMetrics(base), 62);
        int left = 62, right = width - 16, top = 34, bottom = height - 58 - 16 * rows;
        int plotRight = infinitySlot ? right - 56 : right;
        g.setFont(base);
        FontMetrics fm = g.getFontMetrics();
        // grid and y ticks
        for (double t : ticks(yMin, yMax, 6)) {
            int y = py(t, top, bottom);
            g.setColor(new Color(0xE6E6E6));
            g.drawLine(left, y, right, y);
            g.setColor(Color.DARK_GRAY);
            String s = fmt(t);
            g.drawString(s, left - 6 - fm.stringWidth(s), y + 4);
        }
        // x ticks
        List<Double> xt = logX ? logTicks() : ticks(xMin, xMax, 6);
        if (integerX) xt.removeIf(t -> t != Math.rint(t));
        for (double t : xt) {
            int x = px(t, left, plotRight);
            g.setColor(new Color(0xE6E6E6));
            g.drawLine(x, top, x, bottom);
            g.setColor(Color.DARK_GRAY);
            String s = fmt(t);
            g.drawString(s, x - fm.stringWidth(s) / 2, bottom + 16);
        }
        if (infinitySlot) {
            int x = infX(plotRight, right);
            g.setColor(new Color(0xE6E6E6));
            g.drawLine(x, top, x, bottom);
            g.setColor(Color.DARK_GRAY);
            g.drawString("∞", x - fm.stringWidth("∞") / 2, bottom + 16);
            // the axis break between the finite range and ∞
            g.setColor(Color.GRAY);
            int bx = plotRight + 14;
            g.drawLine(bx - 4, bottom + 5, bx + 2, bottom - 5);
            g.drawLine(bx + 2, bottom + 5, bx + 8, bottom - 5);
        }
        g.setColor(Color.BLACK);
        g.drawLine(left, bottom, right, bottom);
        g.drawLine(left, top, left, bottom);
        g.drawString(xLabel, (left + right - fm.stringWidth(xLabel)) / 2, bottom + 34);
        Graphics2D r = (Graphics2D) g.create();
        r.rotate(-Math.PI / 2);
        r.drawString(yLabel, -(top + bottom + fm.stringWidth(yLabel)) / 2, 16);
        r.dispose();
        if (diagonal) {
            g.setColor(Color.LIGHT_GRAY);
            g.setStroke(new BasicStroke(1f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {4f, 4f}, 0f));
            g.draw(new Line2D.Double(px(xMin, left, plotRight), py(yMin, top, bottom), px(xMax, left, plotRight), py(yMax, top, bottom)));
        }
        for (Series s : series) {
            g.setStroke(stroke(s.line()));
            g.setColor(s.color());
            double lx = Double.NaN, ly = Double.NaN;
            for (int i = 0; i < s.xs().length; i++) {
                if (Double.isNaN(s.ys()[i])) {
                    lx = Double.NaN;
                    continue;
                }
                double x = xPixel(s.xs()[i], left, plotRight, right), y = py(s.ys()[i], top, bottom);
                // no line across the axis break: ∞ is not a point on the ε scale
                boolean crossesBreak = infinitySlot && Double.isInfinite(s.xs()[i]) != (i > 0 && Double.isInfinite(s.xs()[i - 1]));
                if (!Double.isNaN(lx) && !crossesBreak) g.draw(new Line2D.Double(lx, ly, x, y));
                lx = x;
                ly = y;
            }
            g.setStroke(new BasicStroke(1.4f));
            for (int i = 0; i < s.xs().length; i++) {
                if (Double.isNaN(s.ys()[i])) continue;
                double x = xPixel(s.xs()[i], left, plotRight, right), y = py(s.ys()[i], top, bottom);
                if (s.err() != null && s.err()[i] > 0) {
                    double y0 = py(s.ys()[i] - s.err()[i], top, bottom), y1 = py(s.ys()[i] + s.err()[i], top, bottom);
                    g.draw(new Line2D.Double(x, y0, x, y1));
                    g.draw(new Line2D.Double(x - 4, y0, x + 4, y0));
                    g.draw(new Line2D.Double(x - 4, y1, x + 4, y1));
                }
                if (s.markers()) {
                    switch (s.line()) {
                        case DASHED -> g.drawRect((int) x - 3, (int) y - 3, 6, 6);
                        case DOTTED -> g.drawOval((int) x - 4, (int) y - 4, 8, 8);
                        case SOLID -> g.fillOval((int) x - 4, (int) y - 4, 8, 8);
                    }
                }
            }
        }
        legend(g, fm, left, bottom + 56);
    }

    private static Stroke stroke(Line line) {
        return switch (line) {
            case SOLID -> new BasicStroke(2f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND);
            case DASHED -> new BasicStroke(1.6f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 10f, new float[] {6f, 4f}, 0f);
            case DOTTED -> new BasicStroke(2f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND, 10f, new float[] {0.5f, 4f}, 0f);
        };
    }

    /** How many rows the legend needs, so the plot leaves room for all of them. */
    private int legendRows(FontMetrics fm, int x0) {
        int x = x0, rows = 1;
        for (Series s : series) {
            int w = 30 + fm.stringWidth(s.name()) + 18;
            if (x + w > width - 10 && x > x0) {
                x = x0;
                rows++;
            }
            x += w;
        }
        return rows;
    }

    /** The legend in rows under the plot. */
    private void legend(Graphics2D g, FontMetrics fm, int x0, int y0) {
        int x = x0, y = y0;
        for (Series s : series) {
            int w = 30 + fm.stringWidth(s.name()) + 18;
            if (x + w > width - 10 && x > x0) {
                x = x0;
                y += 16;
            }
            g.setColor(s.color());
            g.setStroke(stroke(s.line()));
            g.drawLine(x, y - 4, x + 24, y - 4);
            g.setColor(Color.BLACK);
            g.drawString(s.name(), x + 30, y);
            x += w;
        }
    }

    private void fitRanges() {
        if (Double.isNaN(xMin)) {
            xMin = Double.POSITIVE_INFINITY;
            xMax = Double.NEGATIVE_INFINITY;
            for (Series s : series) for (double x : s.xs()) if (Double.isFinite(x)) {
                xMin = Math.min(xMin, x);
                xMax = Math.max(xMax, x);
            }
            if (!(xMax > xMin)) {
                xMin = Double.isFinite(xMin) ? xMin / 2 : 0;
                xMax = Double.isFinite(xMax) ? xMax * 2 + 1 : 1;
            }
            if (logX) {
                xMin = Math.pow(10, Math.floor(Math.log10(xMin)));
                xMax = Math.pow(10, Math.ceil(Math.log10(xMax)));
            }
        }
        if (Double.isNaN(yMin)) {
            yMin = Double.POSITIVE_INFINITY;
            yMax = Double.NEGATIVE_INFINITY;
            for (Series s : series) for (int i = 0; i < s.ys().length; i++) {
                double y = s.ys()[i], e = s.err() == null ? 0 : s.err()[i];
                if (Double.isFinite(y)) {
                    yMin = Math.min(yMin, y - e);
                    yMax = Math.max(yMax, y + e);
                }
            }
            if (!(yMax > yMin)) {
                yMin = Double.isFinite(yMin) ? yMin - 0.5 : 0;
                yMax = Double.isFinite(yMax) ? yMax + 0.5 : 1;
            }
            double pad = (yMax - yMin) * 0.08;
            yMin -= pad;
            yMax += pad;
        }
    }

    private double xPixel(double x, int left, int plotRight, int right) {
        return Double.isInfinite(x) && infinitySlot ? infX(plotRight, right) : px(x, left, plotRight);
    }

    private static int infX(int plotRight, int right) {
        return plotRight + (right - plotRight) / 2 + 8;
    }

    private int px(double x, int left, int right) {
        double f = logX ? (Math.log(x) - Math.log(xMin)) / (Math.log(xMax) - Math.log(xMin)) : (x - xMin) / (xMax - xMin);
        return (int) Math.round(left + f * (right - left));
    }

    private int py(double y, int top, int bottom) {
        return (int) Math.round(bottom - (y - yMin) / (yMax - yMin) * (bottom - top));
    }

    /** 1, 2, 5 × 10ᵏ inside the range. */
    private List<Double> logTicks() {
        List<Double> t = new ArrayList<>();
        for (double d = xMin; d <= xMax * 1.0001; d *= 10) for (double m : new double[] {1, 2, 5}) if (d * m <= xMax * 1.0001) t.add(d * m);
        return t;
    }

    /** About n "nice" ticks (steps of 1, 2 or 5 × 10ᵏ) inside [lo, hi]. */
    static List<Double> ticks(double lo, double hi, int n) {
        double raw = (hi - lo) / n, mag = Math.pow(10, Math.floor(Math.log10(raw)));
        double step = raw / mag < 1.5 ? mag : raw / mag < 3 ? 2 * mag : raw / mag < 7 ? 5 * mag : 10 * mag;
        List<Double> t = new ArrayList<>();
        for (double v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) t.add(Math.abs(v) < step * 1e-9 ? 0 : v);
        return t;
    }

    private static String fmt(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e6) return Long.toString((long) v);
        String s = String.format(Locale.ROOT, "%.3f", v);
        return s.replaceAll("0+$", "").replaceAll("\\.$", "");
    }
}
