package org.rll4j.app.report;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Random;

import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Size;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.rll4j.listeners.AtomicFiles;
import org.rll4j.app.run.MetricsLog;
import org.rll4j.app.run.RetrievalRun;
import org.rll4j.app.run.RunData;
import org.rll4j.data.ExampleSource;
import org.rll4j.eval.ExactNeighbours;

/**
 * The run's HTML retrieval report ({@code report.html}), one self-contained file: the metrics table
 * (baselines and the trained model), the loss and metric charts, and a sample of test queries, each
 * with its top-K neighbours framed green (same class) or red (another class), with distances.
 */
public final class HtmlReport {

    private HtmlReport() {
    }

    /**
     * @param file where to write (atomically)
     * @param title heading, e.g. the run directory's name
     * @param summary lines describing the run (dataset, model, settings)
     * @param data the run's examples
     * @param result the final evaluation of the trained network (its embeddings)
     * @param log the run's metrics
     * @param queries how many queries to show
     * @param k neighbours per query
     * @param seed which queries are shown
     */
    public static void write(Path file, String title, List<String> summary, RunData data, RetrievalRun.Result result,
                             MetricsLog log, int queries, int k, long seed) throws IOException {
        StringBuilder h = new StringBuilder();
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>").append(esc(title))
                .append(" - rll4j retrieval report</title>\n<style>")
                .append("body{font-family:sans-serif;margin:24px;color:#222} table{border-collapse:collapse;margin:8px 0}")
                .append("td,th{border:1px solid #ccc;padding:4px 8px;text-align:right} th:first-child,td:first-child{text-align:left}")
                .append(".q{display:flex;align-items:flex-start;gap:6px;margin:10px 0} .cell{text-align:center;font-size:11px;width:76px}")
                .append(".cell img{width:64px;height:64px;image-rendering:pixelated;border:4px solid #999;display:block;margin:auto}")
                .append(".query img{border-color:#1f77b4} .hit img{border-color:#2ca02c} .miss img{border-color:#d62728}")
                .append(".name{overflow:hidden;text-overflow:ellipsis;white-space:nowrap}</style></head><body>\n");
        h.append("<h1>").append(esc(title)).append("</h1>\n<ul>");
        summary.forEach(s -> h.append("<li>").append(esc(s)).append("</li>"));
        h.append("</ul>\n<h2>Retrieval on the unseen classes</h2>\n").append(table(log));
        h.append("<p>").append(esc(result.report().protocol().description())).append(". Recall@K: a query counts if a same-class ")
                .append("item is among its K nearest neighbours; MAP@R and R-Precision as in Musgrave et al. 2020; NMI of k-means ")
                .append("with one cluster per class, normalisation named in the column.</p>\n");
        h.append("<h2>Training</h2>\n<img alt=\"loss\" src=\"data:image/png;base64,")
                .append(Base64.getEncoder().encodeToString(Plots.loss(log))).append("\">\n<img alt=\"metrics\" src=\"data:image/png;base64,")
                .append(Base64.getEncoder().encodeToString(Plots.metrics(log))).append("\">\n");
        h.append("<h2>Queries and their ").append(k).append(" nearest neighbours</h2>\n<p>Blue: the query; green: same class; ")
                .append("red: another class; the number is the Euclidean distance between unit embeddings.</p>\n");
        examples(h, data, result, queries, k, seed);
        h.append("</body></html>\n");
        AtomicFiles.writeString(file, h.toString());
    }

    private static void examples(StringBuilder h, RunData data, RetrievalRun.Result result, int count, int k, long seed)
            throws IOException {
        int[] ql = result.queryLabels();
        boolean within = result.gallery() == null;
        int[] gl = within ? ql : result.galleryLabels();
        int[] qx = result.queryExamples();
        int[] gx = within ? qx : result.galleryExamples();
        ExampleSource qs = data.query();
        ExampleSource gs = within ? qs : data.gallery();
        int n = ql.length;
        // queries whose class has another item in the gallery, in a seeded random order
        int[] classCount = new int[java.util.Arrays.stream(gl).max().orElse(0) + 1];
        for (int c : gl) {
            classCount[c]++;
        }
        List<Integer> eligible = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            if (ql[i] < classCount.length && classCount[ql[i]] > (within ? 1 : 0)) {
                eligible.add(i);
            }
        }
        java.util.Collections.shuffle(eligible, new Random(seed));
        List<Integer> chosen = eligible.subList(0, Math.min(count, eligible.size()));
        if (chosen.isEmpty()) {
            h.append("<p>No query has another item of its class in the gallery.</p>\n");
            return;
        }
        INDArray galleryVectors = within ? result.queries() : result.gallery();
        int kk = Math.min(k + (within ? 1 : 0), (int) galleryVectors.size(0));
        INDArray q = result.queries().get(NDArrayIndex.indices(chosen.stream().mapToLong(Integer::longValue).toArray()),
                NDArrayIndex.all());
        ExactNeighbours.Result nn = ExactNeighbours.of(kk, ExactNeighbours.DEFAULT_BLOCK_SIZE).searchBetween(q, galleryVectors);
        for (int r = 0; r < chosen.size(); r++) {
            int query = chosen.get(r);
            h.append("<div class=\"q\">").append(cell("query", qs, qx[query], className(qs, qx[query]), null));
            int shown = 0;
            for (int rank = 0; rank < kk && shown < k; rank++) {
                int j = nn.index(r, rank);
                if (within && j == query) {
                    continue;
                }
                double distance = RetrievalRun.distance(q, r, galleryVectors, j);
                h.append(cell(gl[j] == ql[query] ? "hit" : "miss", gs, gx[j], className(gs, gx[j]), distance));
                shown++;
            }
            h.append("</div>\n");
        }
    }

    private static String className(ExampleSource s, int i) {
        return s.labels().className(s.labels().label(i));
    }

    private static String cell(String kind, ExampleSource source, int index, String label, Double distance) throws IOException {
        return "<div class=\"cell " + kind + "\"><img alt=\"" + esc(label) + "\" title=\"" + esc(source.describe(index))
                + "\" src=\"data:image/png;base64," + thumbnail(source, index) + "\"><div class=\"name\">" + esc(label) + "</div>"
                + (distance == null ? "<div>query</div>" : String.format(Locale.ROOT, "<div>%.3f</div>", distance)) + "</div>";
    }

    /** The image as a PNG at most 64 pixels on its longer side (larger ones shrink, smaller stay crisp via CSS). */
    private static String thumbnail(ExampleSource source, int index) throws IOException {
        Mat m = source.read(index);
        try {
            int longer = Math.max(m.rows(), m.cols());
            Mat small = m;
            if (longer > 64) {
                small = new Mat();
                opencv_imgproc.resize(m, small, new Size(m.cols() * 64 / longer, m.rows() * 64 / longer), 0, 0,
                        opencv_imgproc.INTER_AREA);
            }
            try {
                return Base64.getEncoder().encodeToString(Png.encode(small));
            } finally {
                if (small != m) {
                    small.release();
                }
            }
        } finally {
            m.release();
        }
    }

    /** Baselines and the last evaluation of the trained network. */
    static String table(MetricsLog log) {
        List<MetricsLog.Evaluation> rows = log.finalRows();
        if (rows.isEmpty()) {
            return "<p>No evaluation.</p>\n";
        }
        List<String> names = new ArrayList<>(rows.get(rows.size() - 1).values().keySet());
        StringBuilder t = new StringBuilder("<table id=\"metrics\"><tr><th>model</th>");
        names.forEach(n -> t.append("<th>").append(esc(n)).append("</th>"));
        t.append("</tr>\n");
        for (MetricsLog.Evaluation r : rows) {
            t.append("<tr><td>").append(esc(r.label().equals("trained") ? "trained (iteration " + r.iteration() + ")" : r.label()))
                    .append("</td>");
            for (String n : names) {
                Double v = r.values().get(n);
                t.append("<td>").append(v == null ? "-" : String.format(Locale.ROOT, "%.4f", v)).append("</td>");
            }
            t.append("</tr>\n");
        }
        return t.append("</table>\n").toString();
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
