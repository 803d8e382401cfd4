package org.rll4j.eval;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

import org.nd4j.evaluation.BaseEvaluation;
import org.nd4j.evaluation.IEvaluation;
import org.nd4j.evaluation.IMetric;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.serde.base64.Nd4jBase64;
import org.nd4j.serde.json.JsonMappers;
import org.nd4j.shade.jackson.annotation.JsonAutoDetect;
import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonProperty;
import org.rll4j.sampler.LabelIds;

/**
 * Retrieval metrics as an ND4J {@link IEvaluation}, for DL4J's {@code doEvaluation}, {@code evaluate},
 * {@code EvaluativeListener} and SameDiff's {@code evaluate}: Recall@K, Precision@1, R-Precision, MAP@R,
 * NMI and the pairwise clustering F1, as a {@link RetrievalEvaluator} computes them (it is their one
 * implementation; this class only gathers the data for it).
 *
 * <pre>
 * RetrievalEvaluation retrieval = new RetrievalEvaluation(RetrievalEvaluator.builder()
 *         .recallAt(1, 2, 4, 8).nmi(true).seed(42)         // any RetrievalEvaluator settings
 *         .build());
 * net.doEvaluation(testIterator, retrieval);                // labels: class ids [B, 1] or one-hot [B, C]
 * System.out.print(retrieval.stats());                     // each metric with its value and definition
 * double r1 = retrieval.getValue(RetrievalEvaluation.recallAt(1));
 * double mapAtR = retrieval.getValue(RetrievalMetric.MAP_AT_R);
 * </pre>
 * (from the README's example, which rll-loss's tests run.)
 *
 * <p><b>What it evaluates.</b> {@code eval(labels, networkPredictions)} takes the network's output as
 * embeddings {@code [B, D]} (our loss layers, {@code RankedListLossLayer}, {@code MetricLossLayer} and
 * {@code SameDiffRankedListLossLayer} of rll-loss, output the L2-normalised embedding) and the labels as
 * class ids {@code [B, 1]} (or a vector {@code [B]}) or one-hot rows {@code [B, C]}, read by
 * {@link LabelIds}. Every call adds its rows to one set; {@link #stats()}, {@link #getValue(IMetric)}
 * and {@link #report()} evaluate that whole set in the one-set protocol of
 * {@link RetrievalEvaluator#evaluate(INDArray, int[])}: each embedding is a query ranked against all
 * the others, with the evaluator's settings (cosine ranking of L2-normalised copies by default, lone
 * queries left out and counted, k-means with one cluster per class for NMI). For separate query and
 * gallery sets (In-Shop) call {@link RetrievalEvaluator#evaluate(INDArray, int[], INDArray, int[])}.
 *
 * <p><b>Not per batch.</b> Retrieval metrics do not decompose over batches: a query's neighbours come
 * from every batch, so nothing is computed in {@code eval}. The rows are kept until {@link #reset()},
 * and the metrics are computed once, at the first {@code stats()}, {@code getValue} or {@code report()}
 * after a change, and kept until the next. So {@code eval} over several batches gives exactly what one
 * call on all the rows gives, and {@link #merge} (parallel or Spark evaluation) appends the other
 * evaluation's rows after this one's: the same result as one evaluation that saw all of them in that
 * order.
 *
 * <p><b>Memory.</b> It holds every evaluated embedding, {@code N x D} floats off the Java heap (plus an
 * int per row): 60,000 x 512 is 123 MB. Embeddings are stored as {@code FLOAT}, the precision the
 * evaluator computes in. Computing the metrics joins them into one matrix and the evaluator makes a
 * normalised copy, so expect up to three times that while they are computed. {@code N x D} must stay
 * below 2^31.
 *
 * <p><b>Masks.</b> A per-example mask, {@code [B]} or {@code [B, 1]} of 0 and 1, leaves out the rows
 * with 0. Any other mask shape (per output {@code [B, D]}, or time steps) is rejected with an
 * {@link IllegalArgumentException}: retrieval ranks whole embeddings, so a partial embedding has no
 * meaning. Record metadata is accepted and not kept.
 *
 * <p><b>Workspaces.</b> DL4J calls {@code eval} with outputs that live in a workspace it reuses for
 * the next batch; {@code eval} copies what it keeps outside every workspace, so the default
 * (workspaces on) is safe.
 *
 * <p><b>Multi-output graphs.</b> {@code ComputationGraph.doEvaluation(iterator, evaluations...)}
 * evaluates output 0 only. For a multi-level network (RLL-(L,M,H) from rll-models' {@code EmbeddingModel},
 * whose outputs are the low, mid and high heads, each its own loss layer with its own normalised
 * embedding):
 * <ul>
 *   <li>each head's retrieval: {@code net.evaluate(multiDataSetIterator, Map.of(0, new
 *       RetrievalEvaluation[] {low}, 1, new RetrievalEvaluation[] {mid}, 2, new RetrievalEvaluation[]
 *       {high}))}, with the labels at every output (rll-models' {@code MultiHeadIterator} repeats a
 *       {@code DataSetIterator}'s labels for each head);</li>
 *   <li>the paper's retrieval embedding, the raw head outputs concatenated and then normalised, is no
 *       output of the graph: compute it with rll-models' {@code EmbeddingExtractor} and call
 *       {@code eval(labels, extractor.embed(features))} per batch (or give
 *       {@code EmbeddingExtractor.embed(iterator)}'s vectors to {@link RetrievalEvaluator}).
 *       Concatenating the three normalised outputs instead weights the heads equally, which is a
 *       different embedding.</li>
 * </ul>
 *
 * <p><b>Metrics</b> ({@link #getValue(IMetric)}): a {@link RetrievalMetric}, or {@link #recallAt(int)}
 * for Recall@K of one of the configured K ({@link RetrievalMetric#RECALL_AT_K} alone only when a
 * single K is configured). Definitions ({@link RetrievalMetrics}, {@link ClusteringMetrics}):
 * Recall@K, the fraction of queries with a same-class item among their K nearest; R-Precision and
 * MAP@R over the first R neighbours, R the number of the query's other same-class items, as in
 * Musgrave, Belongie and Lim, "A Metric Learning Reality Check", ECCV 2020; NMI
 * {@code I(Y;C) / normaliser(H(Y), H(C))} with the evaluator's {@link NmiNormalization} (arithmetic
 * mean by default), named in the output as e.g. {@code NMI (arithmetic)}. A metric that the evaluator
 * does not compute, a K it was not given or another evaluation's metric throws an
 * {@link IllegalArgumentException} naming it and what is configured; metrics of an evaluation that
 * has seen no rows throw an {@link IllegalStateException}. Invalid data throws an
 * {@link IllegalArgumentException}: a batch with a NaN or infinite value in {@code eval} (naming its row
 * and column in the batch; nothing of the batch is kept), a set of one class, fewer rows than the
 * largest K or a zero embedding when the metrics are computed (the evaluator's message).
 *
 * <p><b>Persistence.</b> {@link #toJson()} / {@link #fromJson(String)} (or
 * {@code BaseEvaluation.fromJson(json, RetrievalEvaluation.class)}) keep the evaluator's settings, the
 * labels and the embeddings (base64 of ND4J's binary format, exact), so an evaluation stored
 * mid-way continues where it stopped; Java serialisation (Spark) keeps the same. {@code equals}
 * compares settings and data exactly. ({@code toYaml()} writes JSON in ND4J 1.0.0-M2.1.)
 *
 * <p>{@link #toString()} is a one-line summary; unlike ND4J's evaluations it does not compute the
 * metrics ({@link #stats()} does). Not thread-safe: give each thread its own and {@link #merge} them.
 */
@JsonAutoDetect(fieldVisibility = JsonAutoDetect.Visibility.NONE, getterVisibility = JsonAutoDetect.Visibility.NONE,
        isGetterVisibility = JsonAutoDetect.Visibility.NONE, setterVisibility = JsonAutoDetect.Visibility.NONE,
        creatorVisibility = JsonAutoDetect.Visibility.NONE)
public final class RetrievalEvaluation extends BaseEvaluation<RetrievalEvaluation> {

    private static final long serialVersionUID = 1L;

    /** Prefix of label errors. */
    private static final String CONTEXT = "RetrievalEvaluation";

    private final RetrievalEvaluator evaluator;
    /** The evaluated embeddings, {@code FLOAT [n_i, D]}, detached from every workspace; never changed in place. */
    private final List<INDArray> embeddingChunks = new ArrayList<>();
    /** The class ids of the rows of {@link #embeddingChunks}, chunk for chunk. */
    private final List<int[]> labelChunks = new ArrayList<>();
    private int size;
    private long dimension = -1;
    /** The metrics of the current rows; null until computed and after every change. */
    private transient RetrievalReport report;

    /** An evaluation with {@link RetrievalEvaluator}'s defaults: Recall@1, 2, 4, 8, Precision@1, R-Precision, MAP@R. */
    public RetrievalEvaluation() {
        this(RetrievalEvaluator.builder().build());
    }

    /**
     * @param evaluator the metrics and their settings
     */
    public RetrievalEvaluation(RetrievalEvaluator evaluator) {
        if (evaluator == null) {
            throw new IllegalArgumentException("evaluator must not be null; use RetrievalEvaluator.builder().build() "
                    + "for the defaults");
        }
        this.evaluator = evaluator;
    }

    /** The JSON form back: the settings through the builder's validation, the rows through eval's checks. */
    @JsonCreator
    private RetrievalEvaluation(@JsonProperty("evaluator") RetrievalEvaluator evaluator,
                                @JsonProperty("labels") int[] labels,
                                @JsonProperty("embeddings") String embeddingsBase64) {
        this(evaluator == null ? RetrievalEvaluator.builder().build() : evaluator);
        int n = labels == null ? 0 : labels.length;
        if (embeddingsBase64 == null) {
            if (n > 0) {
                throw new IllegalArgumentException(String.format(Locale.ROOT,
                        "embeddings must hold a row per label (%d), found none", n));
            }
            return;
        }
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            INDArray embeddings;
            try {
                embeddings = Nd4jBase64.fromBase64(embeddingsBase64);
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("embeddings must be an array in ND4J's base64 format (as toJson "
                        + "writes it), found a string of " + embeddingsBase64.length() + " characters that is not: "
                        + e.getMessage(), e);
            }
            if (embeddings.rank() != 2 || embeddings.size(0) != n) {
                throw new IllegalArgumentException(String.format(Locale.ROOT,
                        "embeddings must be [labels, D] = [%d, D], found shape %s", n, Arrays.toString(embeddings.shape())));
            }
            if (n > 0) {
                add(Embeddings.checkedFloatCopy(embeddings, "embeddings"), labels.clone());
            }
        }
    }

    /**
     * The metric Recall@K for {@link #getValue(IMetric)}.
     *
     * @param k one of the evaluator's K
     * @return the metric
     */
    public static RecallAt recallAt(int k) {
        return new RecallAt(k);
    }

    /**
     * A metric of this evaluation, for {@link #getValue(IMetric)}: a {@link RetrievalMetric}, or {@link RecallAt}
     * for one K. Every one is better when larger.
     */
    public sealed interface Metric extends IMetric permits RetrievalMetric, RecallAt {

        /** @return {@link RetrievalEvaluation}, the ND4J evaluation that computes it */
        @Override
        default Class<? extends IEvaluation> getEvaluationClass() {
            return RetrievalEvaluation.class;
        }

        /** @return false: every retrieval metric is better when larger */
        @Override
        default boolean minimize() {
            return false;
        }
    }

    /**
     * Recall@K for one K, as an ND4J {@link IMetric} of {@link RetrievalEvaluation}.
     *
     * @param k the K, {@code >= 1}
     */
    public record RecallAt(int k) implements Metric {

        /** Checks that K is at least 1. */
        public RecallAt {
            if (k < 1) {
                throw new IllegalArgumentException("k of Recall@K must be >= 1, found " + k);
            }
        }

        /** @return e.g. "Recall@1" */
        @Override
        public String toString() {
            return "Recall@" + k;
        }
    }

    /**
     * Reads an evaluation written by {@link #toJson()}.
     *
     * @param json the JSON
     * @return the evaluation, with its settings and rows
     * @throws IllegalArgumentException naming the setting or value when the JSON is not a valid evaluation
     */
    public static RetrievalEvaluation fromJson(String json) {
        if (json == null) {
            throw new IllegalArgumentException("json must not be null");
        }
        try {
            return JsonMappers.getMapper().readValue(json, RetrievalEvaluation.class);
        } catch (IOException e) {
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof IllegalArgumentException invalid) { // a setting or the data, named by the validation
                    throw new IllegalArgumentException("RetrievalEvaluation JSON: " + invalid.getMessage(), e);
                }
            }
            throw new IllegalArgumentException("RetrievalEvaluation JSON could not be read: " + e.getMessage(), e);
        }
    }

    /** @return the settings the metrics are computed with */
    @JsonProperty("evaluator")
    public RetrievalEvaluator evaluator() {
        return evaluator;
    }

    /** @return the number of embeddings evaluated so far */
    public int size() {
        return size;
    }

    /**
     * Adds a batch: the rows of {@code networkPredictions} whose mask is not 0, with their labels.
     *
     * @param labels class ids {@code [B, 1]} or {@code [B]} (integral values), or one-hot {@code [B, C]}
     * @param networkPredictions embeddings {@code [B, D]}, finite (masked rows too); D the same in every call
     * @param maskArray null, or a per-example mask {@code [B]} or {@code [B, 1]} of 0 (leave out) and 1
     * @param recordMetaData ignored
     */
    @Override
    public void eval(INDArray labels, INDArray networkPredictions, INDArray maskArray,
                     List<? extends Serializable> recordMetaData) {
        if (labels == null || networkPredictions == null) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "labels and networkPredictions must not be null, found labels %s and networkPredictions %s",
                    labels == null ? "null" : "non-null", networkPredictions == null ? "null" : "non-null"));
        }
        if (networkPredictions.rank() != 2) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "networkPredictions must be embeddings [batch, D], found shape %s; RetrievalEvaluation takes one "
                            + "embedding per example (no time-series or image outputs): evaluate the output of a layer "
                            + "that emits [batch, D], such as rll-loss's loss layers",
                    Arrays.toString(networkPredictions.shape())));
        }
        int batch = Math.toIntExact(networkPredictions.size(0));
        long d = networkPredictions.size(1);
        int[] ids = classIds(labels, batch);
        int[] kept = keptRows(maskArray, batch);
        if (dimension >= 0 && d != dimension) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "networkPredictions must have the embedding dimension of the earlier batches (%d), found %d "
                            + "(shape %s); evaluate one output of one network per RetrievalEvaluation",
                    dimension, d, Arrays.toString(networkPredictions.shape())));
        }
        int n = kept == null ? batch : kept.length;
        if (n == 0) {
            return;
        }
        if (((long) size + n) * d > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "RetrievalEvaluation holds at most 2^31 - 1 embedding values, found %d rows x %d dimensions after "
                            + "this batch; evaluate a subset, or smaller embeddings", (long) size + n, d));
        }
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            INDArray copy = Embeddings.checkedFloatCopy(networkPredictions, "networkPredictions");
            if (kept == null) {
                add(copy, ids);
            } else {
                int[] keptIds = new int[n];
                for (int i = 0; i < n; i++) {
                    keptIds[i] = ids[kept[i]];
                }
                add(Nd4j.pullRows(copy, 1, kept, 'c'), keptIds);
            }
        }
    }

    /** Appends a detached FLOAT chunk and its labels. */
    private void add(INDArray chunk, int[] ids) {
        embeddingChunks.add(chunk);
        labelChunks.add(ids);
        size += ids.length;
        dimension = chunk.size(1);
        report = null;
    }

    private static int[] classIds(INDArray labels, int batch) {
        INDArray asMatrix = labels.rank() == 1 ? labels.reshape(labels.length(), 1) : labels;
        int[] ids = LabelIds.intClassIds(asMatrix, CONTEXT);
        if (ids.length != batch) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "%s: labels must have one row per row of networkPredictions (%d), found %d (shape %s)",
                    CONTEXT, batch, ids.length, Arrays.toString(labels.shape())));
        }
        return ids;
    }

    /** @return the rows to keep, increasing, or null for all of them */
    private static int[] keptRows(INDArray mask, int batch) {
        if (mask == null) {
            return null;
        }
        boolean perExample = mask.rank() == 1 || mask.rank() == 2 && mask.size(1) == 1;
        if (!perExample) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "%s: maskArray must be per example, [batch] or [batch, 1], found shape %s; retrieval ranks whole "
                            + "embeddings, so a per-output [batch, D] or time-series mask has no meaning here: leave "
                            + "examples out with a per-example mask", CONTEXT, Arrays.toString(mask.shape())));
        }
        if (mask.length() != batch) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "%s: maskArray must have one entry per example (%d), found %d (shape %s)", CONTEXT, batch,
                    mask.length(), Arrays.toString(mask.shape())));
        }
        double[] m = mask.castTo(DataType.DOUBLE).reshape(batch).toDoubleVector();
        int[] kept = new int[batch];
        int n = 0;
        for (int i = 0; i < batch; i++) {
            if (m[i] == 1) {
                kept[n++] = i;
            } else if (m[i] != 0) {
                throw new IllegalArgumentException(String.format(Locale.ROOT,
                        "%s: maskArray values must be 0 (leave the example out) or 1 (keep it), found %s at row %d",
                        CONTEXT, m[i], i));
            }
        }
        return n == batch ? null : Arrays.copyOf(kept, n);
    }

    /**
     * Not supported: retrieval takes one embedding per example.
     *
     * @throws UnsupportedOperationException always
     */
    @Override
    public void evalTimeSeries(INDArray labels, INDArray predicted, INDArray labelsMask) {
        throw new UnsupportedOperationException("RetrievalEvaluation takes one embedding per example [batch, D] and has "
                + "no time-series form; evaluate per-sequence embeddings (e.g. after a global pooling or last-time-step "
                + "layer) with eval(labels, embeddings)");
    }

    /**
     * Appends the other evaluation's rows after this one's (parallel or Spark evaluation). The chunks are shared,
     * not copied: neither evaluation changes them.
     *
     * @param other an evaluation with equal settings, or null (nothing to merge, as in ND4J's evaluations)
     */
    @Override
    public void merge(RetrievalEvaluation other) {
        if (other == null || other.size == 0) {
            return;
        }
        if (!evaluator.equals(other.evaluator)) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "can only merge RetrievalEvaluations with equal settings, found %s and %s; build both from the "
                            + "same RetrievalEvaluator (newInstance() does)", evaluator, other.evaluator));
        }
        if (dimension >= 0 && other.dimension != dimension) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "can only merge RetrievalEvaluations of the same embedding dimension, found %d and %d",
                    dimension, other.dimension));
        }
        if ((long) size + other.size > Integer.MAX_VALUE
                || ((long) size + other.size) * other.dimension > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "RetrievalEvaluation holds at most 2^31 - 1 embedding values, found %d rows x %d dimensions after "
                            + "the merge", (long) size + other.size, other.dimension));
        }
        List<INDArray> chunks = new ArrayList<>(other.embeddingChunks);
        List<int[]> labels = new ArrayList<>(other.labelChunks);
        for (int i = 0; i < chunks.size(); i++) {
            add(chunks.get(i), labels.get(i));
        }
    }

    /** Drops every row; the settings stay. */
    @Override
    public void reset() {
        embeddingChunks.clear();
        labelChunks.clear();
        size = 0;
        dimension = -1;
        report = null;
    }

    /** @return an empty evaluation with the same settings */
    @Override
    public RetrievalEvaluation newInstance() {
        return new RetrievalEvaluation(evaluator);
    }

    /**
     * The evaluator's report on every row so far: all metrics, counts (lone queries), settings, timings;
     * computed at the first call after a change.
     *
     * @return the report
     * @throws IllegalStateException when no rows were evaluated
     */
    public RetrievalReport report() {
        if (size == 0) {
            throw new IllegalStateException("RetrievalEvaluation has no embeddings yet: call eval(labels, predictions) "
                    + "or net.doEvaluation(iterator, evaluation) first");
        }
        if (report == null) {
            try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
                consolidate();
                report = evaluator.evaluate(embeddingChunks.get(0), labelChunks.get(0));
            }
        }
        return report;
    }

    /** Joins the chunks into one {@code [N, D]} chunk (outside workspaces). */
    private void consolidate() {
        if (embeddingChunks.size() <= 1) {
            return;
        }
        try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            INDArray all = Nd4j.create(DataType.FLOAT, size, dimension);
            int[] labels = new int[size];
            int row = 0;
            for (int i = 0; i < embeddingChunks.size(); i++) {
                int[] ids = labelChunks.get(i);
                all.get(NDArrayIndex.interval(row, row + ids.length), NDArrayIndex.all()).assign(embeddingChunks.get(i));
                System.arraycopy(ids, 0, labels, row, ids.length);
                row += ids.length;
            }
            embeddingChunks.clear();
            labelChunks.clear();
            embeddingChunks.add(all);
            labelChunks.add(labels);
        }
    }

    /**
     * @return a table of every configured metric on the rows so far, with its definition, the counts and the
     *         k-means run; a line saying so when no rows were evaluated
     */
    @Override
    public String stats() {
        if (size == 0) {
            return "RetrievalEvaluation: no embeddings evaluated yet; settings " + evaluator;
        }
        RetrievalReport r = report();
        List<RetrievalReport.Value> values = r.valueList();
        int width = "metric".length();
        for (RetrievalReport.Value v : values) {
            width = Math.max(width, v.name().length());
        }
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "RetrievalEvaluation: %d embeddings (D = %d) of %d classes, one set: each "
                + "query ranked against all the others%n", size, dimension, r.galleryClasses()));
        sb.append(String.format(Locale.ROOT, "  queries evaluated %d; lone (no other item of their class), left out of "
                + "the neighbour metrics: %d%n", r.evaluatedQueries(), r.loneQueries()));
        String row = "  %-" + width + "s  %8s  %s%n";
        sb.append(String.format(Locale.ROOT, row, "metric", "value", "definition"));
        for (RetrievalReport.Value v : values) {
            sb.append(String.format(Locale.ROOT, row, v.name(), String.format(Locale.ROOT, "%.4f", v.value()),
                    v.metric().definition()));
            if (v.metric() == RetrievalMetric.NMI) {
                sb.append(String.format(Locale.ROOT, row, "", "", "normaliser(H(Y), H(C)) = "
                        + r.nmiNormalization().formula() + " (" + r.nmiNormalization().label() + ")"));
            }
        }
        RetrievalReport.Clustering c = r.clustering();
        if (c != null) {
            sb.append(String.format(Locale.ROOT, "  k-means: %d clusters, %d iterations (%s), %d restart(s), seed %d%n",
                    c.settings().clusters(), c.iterations(), c.converged() ? "converged" : "iteration limit",
                    c.settings().restarts(), c.settings().seed()));
        }
        return sb.toString();
    }

    /**
     * @param metric a {@link RetrievalMetric} the evaluator computes, or {@link #recallAt(int)} of one of its K
     * @return the metric on every row so far
     * @throws IllegalArgumentException when the metric is not configured or is not a retrieval metric
     * @throws IllegalStateException when no rows were evaluated
     */
    @Override
    public double getValue(IMetric metric) {
        if (metric instanceof RecallAt recall) {
            int[] ks = evaluator.ks();
            if (!evaluator.metrics().contains(RetrievalMetric.RECALL_AT_K)
                    || Arrays.stream(ks).noneMatch(k -> k == recall.k())) {
                throw new IllegalArgumentException(String.format(Locale.ROOT,
                        "%s was not configured: this evaluation computes Recall@K for K in %s; add K with "
                                + "RetrievalEvaluator.builder().recallAt(...)", recall,
                        evaluator.metrics().contains(RetrievalMetric.RECALL_AT_K) ? Arrays.toString(ks) : "[] (no Recall@K)"));
            }
            return report().recallAt(recall.k());
        }
        if (!(metric instanceof RetrievalMetric m)) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "metric must be a RetrievalMetric or RetrievalEvaluation.recallAt(k), found %s%s", metric,
                    metric == null ? "" : " (" + metric.getClass().getName() + ", a metric of "
                            + metric.getEvaluationClass().getSimpleName() + ")"));
        }
        if (!evaluator.metrics().contains(m)) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "%s was not configured: this evaluation computes %s; request it with RetrievalEvaluator.builder()%s",
                    m, evaluator.metrics(), m == RetrievalMetric.NMI ? ".nmi(true)"
                            : m == RetrievalMetric.CLUSTERING_F1 ? ".clusteringF1(true)" : ".metrics(...)"));
        }
        return switch (m) {
            case RECALL_AT_K -> {
                int[] ks = evaluator.ks();
                if (ks.length != 1) {
                    throw new IllegalArgumentException(String.format(Locale.ROOT,
                            "RECALL_AT_K names no single K: this evaluation has K = %s; use "
                                    + "RetrievalEvaluation.recallAt(k), e.g. getValue(RetrievalEvaluation.recallAt(%d))",
                            Arrays.toString(ks), ks[0]));
                }
                yield report().recallAt(ks[0]);
            }
            case PRECISION_AT_1 -> report().precisionAt1();
            case R_PRECISION -> report().rPrecision();
            case MAP_AT_R -> report().mapAtR();
            case NMI -> report().nmi();
            case CLUSTERING_F1 -> report().clusteringF1();
        };
    }

    /** @return the class id of every row so far, in order (the JSON form) */
    @JsonProperty("labels")
    private int[] labels() {
        consolidate();
        return labelChunks.isEmpty() ? new int[0] : labelChunks.get(0).clone();
    }

    /** @return every row so far as one {@code [N, D]} array, or null when there are none */
    private INDArray embeddings() {
        consolidate();
        return embeddingChunks.isEmpty() ? null : embeddingChunks.get(0);
    }

    /**
     * @return the JSON form of {@link #embeddings()}: ND4J's binary array format in base64 ({@code Nd4jBase64}, as
     *         ND4J's own {@code NDArraySerializer} writes arrays), exact; null when there are no rows
     */
    @JsonProperty("embeddings")
    private String embeddingsBase64() {
        INDArray all = embeddings();
        if (all == null) {
            return null;
        }
        try {
            return Nd4jBase64.base64String(all);
        } catch (IOException e) {
            throw new UncheckedIOException("could not write the embeddings of a RetrievalEvaluation as base64", e);
        }
    }

    /**
     * @param o another object
     * @return whether it is a RetrievalEvaluation with equal settings and the same rows (labels and embedding
     *         values exactly), in the same order
     */
    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof RetrievalEvaluation e) || !evaluator.equals(e.evaluator) || size != e.size) {
            return false;
        }
        if (size == 0) {
            return true;
        }
        return dimension == e.dimension && Arrays.equals(labels(), e.labels())
                && Arrays.equals(embeddings().data().asFloat(), e.embeddings().data().asFloat());
    }

    @Override
    public int hashCode() {
        return Objects.hash(evaluator, size, Arrays.hashCode(labels()));
    }

    /** @return a one-line summary (the metrics are in {@link #stats()}) */
    @Override
    public String toString() {
        return String.format(Locale.ROOT, "RetrievalEvaluation{%d embeddings%s, %s}", size,
                size == 0 ? "" : " of dimension " + dimension, evaluator);
    }
}
