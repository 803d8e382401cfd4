package org.rll4j.eval;

import java.io.Serializable;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.shade.jackson.annotation.JsonAutoDetect;
import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * Evaluates embeddings for retrieval: Recall@K, Precision@1, R-Precision and MAP@R from an exact
 * nearest-neighbour search ({@link ExactNeighbours}), and NMI and the pairwise F1 of a k-means
 * clustering with one cluster per class ({@link KMeans}), as defined on {@link RetrievalMetrics} and
 * {@link ClusteringMetrics}.
 *
 * <pre>
 * RetrievalReport report = RetrievalEvaluator.builder().recallAt(1, 2, 4, 8).nmi(true).seed(42).build()
 *         .evaluate(embeddings, labels);
 * double r1 = report.recallAt(1);
 * report.writeJson(Path.of("retrieval.json"));
 * </pre>
 *
 * <p><b>Protocols.</b> {@link #evaluate(INDArray, int[])}: one set is queries and gallery, and each
 * query's own item is excluded from its neighbours (CUB, CARS196, SOP). {@link #evaluate(INDArray,
 * int[], INDArray, int[])}: separate query and gallery sets (In-Shop). Ranking is by cosine
 * similarity: rows are L2-normalised (a copy; the inputs are not changed) unless
 * {@code l2Normalize(false)}, in which case rows must already have norm 1 within 1e-3.
 *
 * <p><b>Lone queries.</b> A query whose class has no other item in the gallery ({@code R = 0}) can
 * never be answered correctly; it is excluded from <em>all</em> neighbour metrics (Recall@K and
 * Precision@1 as well as R-Precision and MAP@R, as in pytorch-metric-learning's
 * {@code AccuracyCalculator}) and counted in {@link RetrievalReport#loneQueries()}. Clustering
 * metrics use every query.
 *
 * <p><b>Neighbours.</b> One blocked pass over the similarities ({@link ExactNeighbours}), ties broken
 * by the smaller gallery index everywhere. R-Precision and MAP@R use each query's top {@code max R}
 * list (R = the query's same-class gallery items; for classes of thousands of items this grows the
 * selection buffers, not the similarity tiles). Recall@K and Precision@1 use the rank of each query's
 * first same-class item, found in the same pass (items clearly above the query's best same-class
 * similarity are counted, the few within float rounding of it are resolved exactly afterwards), so
 * any K (1000 for SOP) costs no selection of K items.
 *
 * <p><b>Clustering.</b> k-means runs on the query set with as many clusters as query classes,
 * seeded by {@code seed}; NMI uses the named normalisation (arithmetic mean by default).
 *
 * <p><b>Errors.</b> NaN or infinite values (naming row and column), zero rows when normalising,
 * label arrays of the wrong length, K larger than the gallery a query can see, a gallery of one
 * class, empty sets, or no query with a same-class gallery item: {@link IllegalArgumentException}
 * naming the value and the fix. No metric is ever computed over zero queries.
 *
 * <p><b>Persistence.</b> An evaluator is an immutable value ({@code equals} compares every setting).
 * It is {@link Serializable} and Jackson-serialisable (shaded {@code org.nd4j.shade.jackson}) as its
 * settings ({@code recallAt}, {@code metrics}, {@code nmiNormalization}, {@code kMeansMaxIterations},
 * {@code kMeansTolerance}, {@code kMeansRestarts}, {@code seed}, {@code blockSize},
 * {@code l2Normalize}); both ways back go through {@link Builder#build()}, so a stored evaluator is
 * validated like a built one, and a setting missing from the JSON takes the builder's default.
 * {@link RetrievalEvaluation} stores it this way.
 */
@JsonAutoDetect(fieldVisibility = JsonAutoDetect.Visibility.NONE, getterVisibility = JsonAutoDetect.Visibility.NONE,
        isGetterVisibility = JsonAutoDetect.Visibility.NONE, setterVisibility = JsonAutoDetect.Visibility.NONE,
        creatorVisibility = JsonAutoDetect.Visibility.NONE)
public final class RetrievalEvaluator implements Serializable {

    private static final long serialVersionUID = 1L;

    @JsonProperty("recallAt")
    private final int[] ks;
    @JsonProperty("metrics")
    private final Set<RetrievalMetric> metrics;
    @JsonProperty("nmiNormalization")
    private final NmiNormalization nmiNormalization;
    @JsonProperty("kMeansMaxIterations")
    private final int kMeansMaxIterations;
    @JsonProperty("kMeansTolerance")
    private final double kMeansTolerance;
    @JsonProperty("kMeansRestarts")
    private final int kMeansRestarts;
    @JsonProperty("seed")
    private final long seed;
    @JsonProperty("blockSize")
    private final int blockSize;
    @JsonProperty("l2Normalize")
    private final boolean l2Normalize;

    private RetrievalEvaluator(Builder b) {
        this.ks = b.ks.clone();
        this.metrics = EnumSet.copyOf(b.metrics);
        this.nmiNormalization = b.nmiNormalization;
        this.kMeansMaxIterations = b.kMeansMaxIterations;
        this.kMeansTolerance = b.kMeansTolerance;
        this.kMeansRestarts = b.kMeansRestarts;
        this.seed = b.seed;
        this.blockSize = b.blockSize;
        this.l2Normalize = b.l2Normalize;
    }

    /**
     * The JSON form back: every present setting through the builder and its validation, absent ones at their
     * defaults.
     */
    @JsonCreator
    private static RetrievalEvaluator fromSettings(@JsonProperty("recallAt") int[] recallAt,
                                                   @JsonProperty("metrics") Set<RetrievalMetric> metrics,
                                                   @JsonProperty("nmiNormalization") NmiNormalization nmiNormalization,
                                                   @JsonProperty("kMeansMaxIterations") Integer kMeansMaxIterations,
                                                   @JsonProperty("kMeansTolerance") Double kMeansTolerance,
                                                   @JsonProperty("kMeansRestarts") Integer kMeansRestarts,
                                                   @JsonProperty("seed") Long seed,
                                                   @JsonProperty("blockSize") Integer blockSize,
                                                   @JsonProperty("l2Normalize") Boolean l2Normalize) {
        Builder b = builder();
        ifPresent(recallAt, b::recallAt);
        ifPresent(metrics, m -> b.metrics(m.toArray(new RetrievalMetric[0])));
        ifPresent(nmiNormalization, b::nmiNormalization);
        ifPresent(kMeansMaxIterations, b::kMeansMaxIterations);
        ifPresent(kMeansTolerance, b::kMeansTolerance);
        ifPresent(kMeansRestarts, b::kMeansRestarts);
        ifPresent(seed, b::seed);
        ifPresent(blockSize, b::blockSize);
        ifPresent(l2Normalize, b::l2Normalize);
        return b.build();
    }

    private static <T> void ifPresent(T value, Consumer<T> setter) {
        if (value != null) {
            setter.accept(value);
        }
    }

    /** Java deserialisation goes through the builder's validation too. */
    private Object readResolve() {
        return fromSettings(ks, metrics, nmiNormalization, kMeansMaxIterations, kMeansTolerance, kMeansRestarts, seed,
                blockSize, l2Normalize);
    }

    /** @return a builder with the defaults listed on its methods */
    public static Builder builder() {
        return new Builder();
    }

    /** @return the K values of Recall@K, increasing */
    public int[] ks() {
        return ks.clone();
    }

    /** @return the metrics to compute */
    public Set<RetrievalMetric> metrics() {
        return EnumSet.copyOf(metrics);
    }

    /** @return the normalisation of NMI */
    public NmiNormalization nmiNormalization() {
        return nmiNormalization;
    }

    /** @return the seed of the k-means seeding */
    public long seed() {
        return seed;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof RetrievalEvaluator e)) {
            return false;
        }
        return Arrays.equals(ks, e.ks) && metrics.equals(e.metrics) && nmiNormalization == e.nmiNormalization
                && kMeansMaxIterations == e.kMeansMaxIterations && Double.compare(kMeansTolerance, e.kMeansTolerance) == 0
                && kMeansRestarts == e.kMeansRestarts && seed == e.seed && blockSize == e.blockSize
                && l2Normalize == e.l2Normalize;
    }

    @Override
    public int hashCode() {
        return Objects.hash(Arrays.hashCode(ks), metrics, nmiNormalization, kMeansMaxIterations, kMeansTolerance,
                kMeansRestarts, seed, blockSize, l2Normalize);
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT,
                "RetrievalEvaluator{recallAt=%s, metrics=%s, nmiNormalization=%s, kMeans(maxIterations=%d, tolerance=%s, "
                        + "restarts=%d), seed=%d, blockSize=%d, l2Normalize=%s}",
                Arrays.toString(ks), metrics, nmiNormalization.label(), kMeansMaxIterations, kMeansTolerance,
                kMeansRestarts, seed, blockSize, l2Normalize);
    }

    /**
     * One set as queries and gallery, each query's own item excluded.
     *
     * @param embeddings {@code [N, D]}, finite
     * @param labels class of each row
     * @return the report
     */
    public RetrievalReport evaluate(INDArray embeddings, int[] labels) {
        checkLabels(embeddings, labels, "embeddings", "labels");
        INDArray x = prepare(embeddings, "embeddings");
        return run(x, labels, x, labels, true);
    }

    /**
     * Separate query and gallery sets.
     *
     * @param queries {@code [Q, D]}, finite
     * @param queryLabels class of each query
     * @param gallery {@code [G, D]}, finite
     * @param galleryLabels class of each gallery item
     * @return the report
     */
    public RetrievalReport evaluate(INDArray queries, int[] queryLabels, INDArray gallery, int[] galleryLabels) {
        checkLabels(queries, queryLabels, "queries", "queryLabels");
        checkLabels(gallery, galleryLabels, "gallery", "galleryLabels");
        if (queries.size(1) != gallery.size(1)) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "queries and gallery must have the same embedding dimension, found %d and %d",
                    queries.size(1), gallery.size(1)));
        }
        return run(prepare(queries, "queries"), queryLabels, prepare(gallery, "gallery"), galleryLabels, false);
    }

    private INDArray prepare(INDArray x, String name) {
        if (l2Normalize) {
            return Embeddings.normalisedCopy(x, name);
        }
        INDArray f = Embeddings.checkedFloatMatrix(x, name);
        Embeddings.checkUnitRows(f, name);
        return f;
    }

    private static void checkLabels(INDArray x, int[] labels, String name, String labelName) {
        if (x == null || labels == null) {
            throw new IllegalArgumentException(name + " and " + labelName + " must not be null");
        }
        if (x.rank() != 2) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "%s must be a matrix [N, D], found shape %s", name, Arrays.toString(x.shape())));
        }
        if (x.size(0) == 0) {
            throw new IllegalArgumentException(name + " must not be empty, found 0 rows");
        }
        if (labels.length != x.size(0)) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "%s must have one entry per row of %s (%d), found %d", labelName, name, x.size(0), labels.length));
        }
    }

    private RetrievalReport run(INDArray q, int[] qLabels, INDArray g, int[] gLabels, boolean sameSet) {
        int nq = qLabels.length;
        int ng = gLabels.length;
        Map<Integer, Integer> galleryCounts = counts(gLabels);
        Map<Integer, Integer> queryCounts = sameSet ? galleryCounts : counts(qLabels);
        if (galleryCounts.size() < 2) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "the gallery must hold at least 2 classes, found 1 (class %d, %d items): every neighbour would "
                            + "match and the metrics would be trivially 1; evaluate on a set with several classes",
                    gLabels[0], ng));
        }
        boolean knn = metrics.stream().anyMatch(RetrievalMetric::requiresKnn);
        int available = sameSet ? ng - 1 : ng;
        int[] r = new int[nq];
        int lone = 0;
        int maxR = 0;
        for (int i = 0; i < nq; i++) {
            r[i] = galleryCounts.getOrDefault(qLabels[i], 0) - (sameSet ? 1 : 0);
            if (r[i] == 0) {
                lone++;
            }
            maxR = Math.max(maxR, r[i]);
        }
        if (metrics.contains(RetrievalMetric.RECALL_AT_K)) {
            int maxK = ks[ks.length - 1];
            if (maxK > available) {
                throw new IllegalArgumentException(String.format(Locale.ROOT,
                        "recallAt K must be at most the number of gallery items a query is ranked against (%d%s), "
                                + "found K = %d; remove that K or evaluate on a larger set", available,
                        sameSet ? ": the set minus the query" : "", maxK));
            }
        }
        boolean needRank = metrics.contains(RetrievalMetric.RECALL_AT_K) || metrics.contains(RetrievalMetric.PRECISION_AT_1);
        boolean needTopR = metrics.contains(RetrievalMetric.R_PRECISION) || metrics.contains(RetrievalMetric.MAP_AT_R);
        int topR = needTopR ? maxR : 0;
        double[] recallSums = new double[ks.length];
        double[] sums = new double[3]; // P@1, R-Precision, MAP@R
        double neighbourMillis = 0;
        if (knn) {
            if (lone == nq) {
                throw new IllegalArgumentException(String.format(Locale.ROOT,
                        "at least one query must have another item of its class in the gallery, found none of %d "
                                + "(every query is lone); check that queries and gallery share classes", nq));
            }
            long t0 = System.nanoTime();
            int[] ranked = new int[topR];
            ExactNeighbours.BlockListener listener = (first, rows, k, idx, sims) -> {
                for (int i = 0; i < rows; i++) {
                    int query = first + i;
                    if (r[query] == 0) {
                        continue;
                    }
                    for (int j = 0; j < r[query]; j++) { // the query's R neighbours; slots beyond are empty
                        ranked[j] = gLabels[idx[i * k + j]];
                    }
                    int label = qLabels[query];
                    if (metrics.contains(RetrievalMetric.R_PRECISION)) {
                        sums[1] += RetrievalMetrics.rPrecision(label, ranked, r[query]);
                    }
                    if (metrics.contains(RetrievalMetric.MAP_AT_R)) {
                        sums[2] += RetrievalMetrics.mapAtR(label, ranked, r[query]);
                    }
                }
            };
            FirstHitRanks firstHits = needRank ? new FirstHitRanks(q, qLabels, g, gLabels, sameSet) : null;
            ExactNeighbours.observe(q, g, sameSet, topR, needTopR ? r : null, blockSize, listener, firstHits);
            if (needRank) {
                int[] rank = firstHits.ranks();
                for (int i = 0; i < nq; i++) {
                    if (r[i] == 0) {
                        continue;
                    }
                    for (int t = 0; t < ks.length; t++) {
                        recallSums[t] += RetrievalMetrics.hitWithinK(rank[i], ks[t]);
                    }
                    sums[0] += RetrievalMetrics.hitWithinK(rank[i], 1);
                }
            }
            neighbourMillis = (System.nanoTime() - t0) / 1e6;
        }
        int evaluated = nq - lone;
        double[] recall = new double[ks.length];
        for (int t = 0; t < ks.length; t++) {
            recall[t] = recallSums[t] / evaluated;
        }
        double nmi = Double.NaN;
        double f1 = Double.NaN;
        RetrievalReport.Clustering clustering = null;
        double clusteringMillis = 0;
        if (metrics.contains(RetrievalMetric.NMI) || metrics.contains(RetrievalMetric.CLUSTERING_F1)) {
            if (queryCounts.size() < 2) {
                throw new IllegalArgumentException(String.format(Locale.ROOT,
                        "NMI and clustering F1 need at least 2 classes among the queries, found 1 (class %d); "
                                + "evaluate on a set with several classes", qLabels[0]));
            }
            long t0 = System.nanoTime();
            KMeans kMeans = KMeans.builder().clusters(queryCounts.size()).maxIterations(kMeansMaxIterations)
                    .tolerance(kMeansTolerance).restarts(kMeansRestarts).seed(seed).blockSize(blockSize).build();
            KMeans.Result result = kMeans.fit(q);
            int[] assignments = result.assignments();
            if (metrics.contains(RetrievalMetric.NMI)) {
                nmi = ClusteringMetrics.nmi(qLabels, assignments, nmiNormalization);
            }
            if (metrics.contains(RetrievalMetric.CLUSTERING_F1)) {
                f1 = ClusteringMetrics.pairwiseF1(qLabels, assignments);
            }
            clustering = new RetrievalReport.Clustering(kMeans, result);
            clusteringMillis = (System.nanoTime() - t0) / 1e6;
        }
        return new RetrievalReport(sameSet ? RetrievalReport.Protocol.SAME_SET : RetrievalReport.Protocol.SEPARATE_SETS,
                metrics, ks, recall, sums[0] / evaluated, sums[1] / evaluated, sums[2] / evaluated, nmi, nmiNormalization, f1,
                nq, lone, ng, galleryCounts.size(), queryCounts.size(), topR, blockSize, l2Normalize, clustering,
                neighbourMillis, clusteringMillis);
    }

    private static Map<Integer, Integer> counts(int[] labels) {
        Map<Integer, Integer> m = new HashMap<>();
        for (int l : labels) {
            m.merge(l, 1, Integer::sum);
        }
        return m;
    }

    /** Builder; every setting has a default. */
    public static final class Builder {
        private int[] ks = {1, 2, 4, 8};
        private final Set<RetrievalMetric> metrics = EnumSet.of(RetrievalMetric.RECALL_AT_K,
                RetrievalMetric.PRECISION_AT_1, RetrievalMetric.R_PRECISION, RetrievalMetric.MAP_AT_R);
        private NmiNormalization nmiNormalization = NmiNormalization.ARITHMETIC;
        private int kMeansMaxIterations = 50;
        private double kMeansTolerance = 1e-4;
        private int kMeansRestarts = 1;
        private long seed = 0;
        private int blockSize = ExactNeighbours.DEFAULT_BLOCK_SIZE;
        private boolean l2Normalize = true;

        private Builder() {
        }

        /**
         * @param values the K of Recall@K: distinct, each >= 1 (default 1, 2, 4, 8; the paper uses
         *        1, 10, 100, 1000 for SOP and 1, 10, 20, 30, 40, 50 for In-Shop)
         * @return this
         */
        public Builder recallAt(int... values) {
            ks = values == null ? null : values.clone();
            return this;
        }

        /**
         * @param values the metrics to compute, replacing the default (Recall@K, Precision@1,
         *        R-Precision, MAP@R)
         * @return this
         */
        public Builder metrics(RetrievalMetric... values) {
            metrics.clear();
            metrics.addAll(Arrays.asList(values));
            return this;
        }

        /** @param on whether to compute NMI (default false: k-means costs more than the neighbours) @return this */
        public Builder nmi(boolean on) {
            return toggle(RetrievalMetric.NMI, on);
        }

        /** @param on whether to compute the pairwise clustering F1 (default false) @return this */
        public Builder clusteringF1(boolean on) {
            return toggle(RetrievalMetric.CLUSTERING_F1, on);
        }

        /** @param v NMI normalisation (default {@link NmiNormalization#ARITHMETIC}) @return this */
        public Builder nmiNormalization(NmiNormalization v) {
            nmiNormalization = v;
            return this;
        }

        /** @param v k-means iterations per restart, >= 1 (default 50) @return this */
        public Builder kMeansMaxIterations(int v) {
            kMeansMaxIterations = v;
            return this;
        }

        /** @param v k-means relative tolerance, >= 0 (default 1e-4; see {@link KMeans}) @return this */
        public Builder kMeansTolerance(double v) {
            kMeansTolerance = v;
            return this;
        }

        /** @param v k-means restarts, best inertia kept, >= 1 (default 1) @return this */
        public Builder kMeansRestarts(int v) {
            kMeansRestarts = v;
            return this;
        }

        /** @param v seed of the k-means seeding (default 0) @return this */
        public Builder seed(long v) {
            seed = v;
            return this;
        }

        /** @param v gallery rows per similarity tile (half as many query rows), >= 1 (default {@link ExactNeighbours#DEFAULT_BLOCK_SIZE}: 2 MB tiles) @return this */
        public Builder blockSize(int v) {
            blockSize = v;
            return this;
        }

        /**
         * @param v true (default): L2-normalise copies of the rows; false: require unit rows
         * @return this
         */
        public Builder l2Normalize(boolean v) {
            l2Normalize = v;
            return this;
        }

        private Builder toggle(RetrievalMetric m, boolean on) {
            if (on) {
                metrics.add(m);
            } else {
                metrics.remove(m);
            }
            return this;
        }

        /** @return the validated evaluator */
        public RetrievalEvaluator build() {
            if (ks == null || ks.length == 0) {
                throw new IllegalArgumentException("recallAt must list at least one K, found none");
            }
            int[] sorted = ks.clone();
            Arrays.sort(sorted);
            for (int i = 0; i < sorted.length; i++) {
                if (sorted[i] < 1) {
                    throw new IllegalArgumentException("recallAt values must be >= 1, found " + sorted[i]);
                }
                if (i > 0 && sorted[i] == sorted[i - 1]) {
                    throw new IllegalArgumentException("recallAt values must be distinct, found " + sorted[i] + " twice");
                }
            }
            ks = sorted;
            if (metrics.isEmpty()) {
                throw new IllegalArgumentException("metrics must name at least one metric, found none");
            }
            if (nmiNormalization == null) {
                throw new IllegalArgumentException("nmiNormalization must not be null; use ARITHMETIC (the default)");
            }
            if (blockSize < 1) {
                throw new IllegalArgumentException("blockSize must be >= 1, found " + blockSize);
            }
            try { // the same validation as KMeans itself
                KMeans.builder().clusters(1).maxIterations(kMeansMaxIterations).tolerance(kMeansTolerance)
                        .restarts(kMeansRestarts).blockSize(blockSize).build();
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("k-means " + e.getMessage()
                        + " (set with kMeansMaxIterations / kMeansTolerance / kMeansRestarts)", e);
            }
            return new RetrievalEvaluator(this);
        }
    }
}
