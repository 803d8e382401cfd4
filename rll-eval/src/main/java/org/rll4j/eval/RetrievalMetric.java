package org.rll4j.eval;

/**
 * The metrics {@link RetrievalEvaluator} can compute. The neighbour metrics share one exact k-nearest
 * neighbour search; the clustering metrics share one k-means run. Definitions: {@link RetrievalMetrics}
 * and {@link ClusteringMetrics}, and one line each in {@link #definition()}.
 *
 * <p>Each is also an ND4J {@code IMetric} of {@link RetrievalEvaluation} ({@link RetrievalEvaluation.Metric}):
 * {@code evaluation.getValue(MAP_AT_R)}. {@link #RECALL_AT_K} stands for one K only when the evaluation has a
 * single K; otherwise name the K with {@link RetrievalEvaluation#recallAt(int)}. Every metric is better when larger
 * ({@code minimize()} is false).
 */
public enum RetrievalMetric implements RetrievalEvaluation.Metric {
    /** Recall@K for each K of the evaluator (the deep-metric-learning definition: a hit in the top K). */
    RECALL_AT_K(true, "fraction of queries with a same-class item among their K nearest neighbours"),
    /** Precision@1 (Musgrave et al. 2020); equal to Recall@1 by definition. */
    PRECISION_AT_1(true, "fraction of queries whose nearest neighbour has their class (Musgrave et al. 2020)"),
    /** R-Precision (Musgrave et al. 2020). */
    R_PRECISION(true, "mean fraction of same-class items among the first R neighbours, R = the query's other "
            + "same-class items (Musgrave et al. 2020)"),
    /** MAP@R (Musgrave et al. 2020). */
    MAP_AT_R(true, "mean of (1/R) sum_{i<=R} P@i rel(i) over the first R neighbours (Musgrave et al. 2020)"),
    /** NMI of k-means with one cluster per class, normalisation named in the report. */
    NMI(false, "I(Y;C) / normaliser(H(Y), H(C)), classes Y against k-means clusters C, one cluster per class"),
    /** Pairwise clustering F1 of Oh Song et al. 2016 on the same k-means clustering. */
    CLUSTERING_F1(false, "F1 of same-cluster pairs against same-class pairs, same k-means (Oh Song et al. 2016)");

    private final boolean knn;
    private final String definition;

    RetrievalMetric(boolean knn, String definition) {
        this.knn = knn;
        this.definition = definition;
    }

    /** @return whether the metric needs the nearest-neighbour search */
    public boolean requiresKnn() {
        return knn;
    }

    /** @return whether the metric needs the k-means clustering */
    public boolean requiresClustering() {
        return !knn;
    }

    /**
     * @return the definition in one line (neighbour metrics: means over the evaluated queries, lone ones
     *         excluded); the full ones are on {@link RetrievalMetrics} and {@link ClusteringMetrics}
     */
    public String definition() {
        return definition;
    }
}
