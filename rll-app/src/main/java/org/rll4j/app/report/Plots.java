package org.rll4j.app.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import javax.imageio.ImageIO;

import org.rll4j.app.run.MetricsLog;

/**
 * Line charts of a run as PNG, drawn with Java2D (headless): the training loss over iterations (raw
 * and a moving average) and each retrieval metric over iterations.
 */
public final class Plots {

    private static final Color[] PALETTE = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c), new Color(0xff7f0e),
        new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2), new Color(0x17becf), new Color(0x7f7f7f)};

    private Plots() {
    }

    /** The loss chart: every iteration (light) and its moving average over 5% of the run. */
    public static byte[] loss(MetricsLog log) throws IOException {
        List<MetricsLog.LossPoint> points = log.losses();
        double[] x = new double[points.size()];
        double[] y = new double[points.size()];
        for (int i = 0; i < x.length; i++) {
            x[i] = points.get(i).iteration();
            y[i] = points.get(i).loss();
        }
        int window = Math.max(1, x.length / 20);
        double[] avg = new double[y.length];
        double sum = 0;
        for (int i = 0; i < y.length; i++) {
            sum += y[i];
            if (i >= window) {
                sum -= y[i - window];
            }
            avg[i] = sum / Math.min(i + 1, window);
        }
        Map<String, double[][]> series = new LinkedHashMap<>();
        series.put("loss", new double[][] {x, y});
        series.put("moving average (" + window + " it)", new double[][] {x, avg});
        return chart("Training loss (Ranked List Loss, batch mean)", "iteration", series, true);
    }

    /** One line per metric of the trained network's evaluations. */
    public static byte[] metrics(MetricsLog log) throws IOException {
        List<MetricsLog.Evaluation> evals = log.trained();
        Map<String, double[][]> series = new LinkedHashMap<>();
        for (MetricsLog.Evaluation e : evals) {
            for (String name : e.values().keySet()) {
                series.computeIfAbsent(name, k -> new double[2][0]);
            }
        }
        for (Map.Entry<String, double[][]> s : series.entrySet()) {
            double[] x = new double[evals.size()];
            double[] y = new double[evals.size()];
            for (int i = 0; i < x.length; i++) {
                x[i] = evals.get(i).iteration();
                Double v = evals.get(i).values().get(s.getKey());
                y[i] = v == null ? Double.NaN : v;
            }
            s.setValue(new double[][] {x, y});
        }
        return chart("Retrieval on the unseen test classes", "iteration", series, false);
    }

    /**
     * @param series name to {x[], y[]}; NaN values leave a gap
     * @param firstLight draw the first series thin and light (the raw loss under its average)
     * @return PNG bytes, 900 x 420
     */
    static byte[] chart(String title, String xLabel, Map<String, double[][]> series, boolean firstLight) throws IOException {
        int w = 900;
        int h = 420;
        int left = 70;
        int right = 230;
        int top = 40;
        int bottom = 50;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = blank(img);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
        g.setColor(Color.BLACK);
        g.drawString(title, left, 25);
        double xMin = Double.POSITIVE_INFINITY;
        double xMax = Double.NEGATIVE_INFINITY;
        double yMin = Double.POSITIVE_INFINITY;
        double yMax = Double.NEGATIVE_INFINITY;
        for (double[][] s : series.values()) {
            for (int i = 0; i < s[0].length; i++) {
                if (Double.isFinite(s[1][i])) {
                    xMin = Math.min(xMin, s[0][i]);
                    xMax = Math.max(xMax, s[0][i]);
                    yMin = Math.min(yMin, s[1][i]);
                    yMax = Math.max(yMax, s[1][i]);
                }
            }
        }
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        int pw = w - left - right;
        int ph = h - top - bottom;
        if (!Double.isFinite(xMin)) {
            g.drawString("no data yet", left + pw / 2 - 30, top + ph / 2);
            return png(img, g);
        }
        if (xMax == xMin) {
            xMin -= 1;
            xMax += 1;
        }
        double pad = (yMax - yMin) * 0.05 + 1e-9;
        yMin -= pad;
        yMax += pad;
        g.setColor(new Color(0xdddddd));
        for (int t = 0; t <= 5; t++) {
            int yy = top + ph - t * ph / 5;
            g.drawLine(left, yy, left + pw, yy);
            int xx = left + t * pw / 5;
            g.drawLine(xx, top, xx, top + ph);
        }
        g.setColor(Color.DARK_GRAY);
        g.drawRect(left, top, pw, ph);
        for (int t = 0; t <= 5; t++) {
            double yv = yMin + t * (yMax - yMin) / 5;
            g.drawString(String.format(Locale.ROOT, "%.3f", yv), 10, top + ph - t * ph / 5 + 4);
            double xv = xMin + t * (xMax - xMin) / 5;
            g.drawString(String.format(Locale.ROOT, "%.0f", xv), left + t * pw / 5 - 10, top + ph + 18);
        }
        g.drawString(xLabel, left + pw / 2 - 25, h - 10);
        int c = 0;
        int legendY = top + 10;
        for (Map.Entry<String, double[][]> s : series.entrySet()) {
            boolean light = firstLight && c == 0;
            Color color = light ? new Color(0xa8c8e8) : PALETTE[(firstLight ? c - 1 : c) % PALETTE.length];
            g.setColor(color);
            g.setStroke(new BasicStroke(light ? 1f : 2f));
            Path2D.Double path = new Path2D.Double();
            boolean pen = false;
            double[] x = s.getValue()[0];
            double[] y = s.getValue()[1];
            for (int i = 0; i < x.length; i++) {
                if (!Double.isFinite(y[i])) {
                    pen = false;
                    continue;
                }
                double px = left + (x[i] - xMin) / (xMax - xMin) * pw;
                double py = top + ph - (y[i] - yMin) / (yMax - yMin) * ph;
                if (pen) {
                    path.lineTo(px, py);
                } else {
                    path.moveTo(px, py);
                    pen = true;
                }
                if (!firstLight && x.length <= 60) {
                    g.fillOval((int) px - 3, (int) py - 3, 6, 6);
                }
            }
            g.draw(path);
            g.fillRect(left + pw + 15, legendY - 8, 14, 8);
            g.setColor(Color.BLACK);
            g.drawString(s.getKey(), left + pw + 35, legendY);
            legendY += 18;
            c++;
        }
        return png(img, g);
    }

    /**
     * Horizontal bars with error whiskers, one per label, for comparing models on one metric (e.g. R@1 mean and
     * standard deviation over seeds); the axis starts at 0.
     *
     * @param title chart title
     * @param labels bar labels, top to bottom
     * @param values bar lengths (finite, at least 0)
     * @param spreads half-length of each whisker (0 draws none)
     * @return PNG bytes, 900 x (80 + 30 per bar)
     */
    public static byte[] bars(String title, List<String> labels, double[] values, double[] spreads) throws IOException {
        if (labels.size() != values.length || values.length != spreads.length) {
            throw new IllegalArgumentException("need one value and one spread per label, found " + labels.size() + " labels, "
                    + values.length + " values and " + spreads.length + " spreads");
        }
        int w = 900;
        int left = 200;
        int right = 130;
        int top = 40;
        int row = 30;
        int h = top + 40 + row * labels.size();
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = blank(img);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
        g.setColor(Color.BLACK);
        g.drawString(title, 10, 25);
        double max = 1e-9;
        for (int i = 0; i < values.length; i++) {
            max = Math.max(max, values[i] + spreads[i]);
        }
        int pw = w - left - right;
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        for (int i = 0; i < values.length; i++) {
            int y = top + i * row;
            int len = (int) Math.round(values[i] / max * pw);
            g.setColor(PALETTE[i % PALETTE.length]);
            g.fillRect(left, y + 5, len, row - 10);
            g.setColor(Color.BLACK);
            g.drawString(labels.get(i), 10, y + row / 2 + 4);
            if (spreads[i] > 0) {
                int lo = left + (int) Math.round(Math.max(0, values[i] - spreads[i]) / max * pw);
                int hi = left + (int) Math.round((values[i] + spreads[i]) / max * pw);
                int mid = y + row / 2;
                g.drawLine(lo, mid, hi, mid);
                g.drawLine(lo, mid - 5, lo, mid + 5);
                g.drawLine(hi, mid - 5, hi, mid + 5);
            }
            g.drawString(String.format(Locale.ROOT, spreads[i] > 0 ? "%.4f ± %.4f" : "%.4f", values[i], spreads[i]),
                    left + pw + 8, y + row / 2 + 4);
        }
        g.setColor(Color.DARK_GRAY);
        g.drawLine(left, top, left, top + row * values.length);
        return png(img, g);
    }

    /** White, antialiased graphics on {@code img}. */
    private static Graphics2D blank(BufferedImage img) {
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, img.getWidth(), img.getHeight());
        return g;
    }

    private static byte[] png(BufferedImage img, Graphics2D g) throws IOException {
        g.dispose();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(img, "png", out);
        return out.toByteArray();
    }
}
