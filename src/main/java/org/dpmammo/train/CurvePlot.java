package org.dpmammo.train;

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

/** ROC and precision–recall curves drawn as small PNGs with java.awt (headless), written atomically. */
public final class CurvePlot {
    private static final int SIZE = 420, MARGIN = 50;

    private CurvePlot() {}

    /** ROC curve with the chance diagonal. */
    public static void roc(Path file, List<Metrics.Point> points, String title) throws IOException {
        write(file, points, title, "false-positive rate", "true-positive rate", true, false, Double.NaN);
    }

    /**
     * Precision–recall curve drawn as scikit-learn's step function (precision held until recall changes), with the
     * prevalence of the positive class, the chance level of AUPRC, as a dashed line.
     */
    public static void precisionRecall(Path file, List<Metrics.Point> points, double prevalence, String title) throws IOException {
        write(file, points, title, "recall (benign)", "precision (benign)", false, true, prevalence);
    }

    private static void write(Path file, List<Metrics.Point> points, String title, String xLabel, String yLabel,
                              boolean diagonal, boolean steps, double baseline) throws IOException {
        System.setProperty("java.awt.headless", "true");
        BufferedImage img = new BufferedImage(SIZE + 2 * MARGIN, SIZE + 2 * MARGIN, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, img.getWidth(), img.getHeight());
        g.setColor(new Color(225, 225, 225));
        for (int i = 0; i <= 10; i++) {
            g.drawLine(px(i / 10.0), py(0), px(i / 10.0), py(1));
            g.drawLine(px(0), py(i / 10.0), px(1), py(i / 10.0));
        }
        g.setColor(Color.BLACK);
        g.drawRect(px(0), py(1), SIZE, SIZE);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        for (int i = 0; i <= 5; i++) {
            String s = String.format("%.1f", i / 5.0);
            g.drawString(s, px(i / 5.0) - 8, py(0) + 16);
            g.drawString(s, px(0) - 28, py(i / 5.0) + 4);
        }
        g.drawString(xLabel, px(0.5) - 50, py(0) + 36);
        g.rotate(-Math.PI / 2);
        g.drawString(yLabel, -py(0.5) - 50, MARGIN - 34);
        g.rotate(Math.PI / 2);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
        g.drawString(title, MARGIN, MARGIN - 16);
        float[] dash = {6f, 6f};
        g.setColor(Color.GRAY);
        g.setStroke(new BasicStroke(1f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, dash, 0f));
        if (diagonal) g.drawLine(px(0), py(0), px(1), py(1));
        if (!Double.isNaN(baseline)) g.drawLine(px(0), py(baseline), px(1), py(baseline));
        g.setColor(new Color(31, 119, 180));
        g.setStroke(new BasicStroke(2f));
        for (int i = 1; i < points.size(); i++) {
            Metrics.Point a = points.get(i - 1), b = points.get(i);
            if (steps) {
                g.drawLine(px(a.x()), py(b.y()), px(b.x()), py(b.y()));
                g.drawLine(px(a.x()), py(a.y()), px(a.x()), py(b.y()));
            } else {
                g.drawLine(px(a.x()), py(a.y()), px(b.x()), py(b.y()));
            }
        }
        g.dispose();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ImageIO.write(img, "png", bytes);
        AtomicFiles.writeBytes(file, bytes.toByteArray());
    }

    private static int px(double x) {
        return MARGIN + (int) Math.round(x * SIZE);
    }

    private static int py(double y) {
        return MARGIN + SIZE - (int) Math.round(y * SIZE);
    }
}
