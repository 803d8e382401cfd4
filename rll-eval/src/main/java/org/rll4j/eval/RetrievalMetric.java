package org.rll4j.eval;

/**
 * The metrics {@link RetrievalEvaluator} can compute. The neighbour metrics share one exact k-nearest
 * neighbour search; the clustering metrics share one k-means run. Definitions: {@link RetrievalMetrics}
 * and {@link ClusteringMetrics}.
 */
public enum RetrievalMetric {
    /** Recall@K for each K of the evaluator (the deep-metric-learning definition: a hit in the top K). */
    RECALL_AT_K(true),
    /** Precision@1 (Musgrave et al. 2020); equal to Recall@1 by definition. */
    PRECISION_AT_1(true),
    /** R-Precision (Musgrave et al. 2020). */
    R_PRECISION(true),
    /** MAP@R (Musgrave et al. 2020). */
    MAP_AT_R(true),
    /** NMI of k-means with one cluster per class, normalisation named in the report. */
    NMI(false),
    /** Pairwise clustering F1 of Oh Song et al. 2016 on the same k-means clustering. */
    CLUSTERING_F1(false);

    private final boolean knn;

    RetrievalMetric(boolean knn) {
        this.knn = knn;
    }

    /** @return whether the metric needs the nearest-neighbour search */
    public boolean requiresKnn() {
        return knn;
    }

    /** @return whether the metric needs the k-means clustering */
    public boolean requiresClustering() {
        return !knn;
    }
}
