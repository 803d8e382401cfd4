package org.rll4j.eval;

import java.util.Locale;

/**
 * Retrieval metrics of one query as pure functions of its ranked neighbour labels, with the
 * definitions of Musgrave et al., "A Metric Learning Reality Check" (ECCV 2020,
 * https://arxiv.org/abs/2003.08505), as fixed for this project (the README, "Evaluating retrieval").
 * {@link RetrievalEvaluator} averages them over the queries; this is their only implementation.
 *
 * <p>Inputs: the query's class label, the labels of its gallery neighbours sorted by increasing
 * distance (the query itself excluded), and {@code R}, the number of gallery items of the query's
 * class other than the query itself.
 *
 * <p>Example, query of class 1 with ranked labels {@code 1 0 1 1} and R = 3: Recall@1 = 1,
 * Recall@2 = 1; Precision@1 = 1; R-Precision = 2/3; MAP@R = (1/1 + 2/3) / 3.
 *
 * <p>Precision@1 of Musgrave et al. is {@code recallAtK(label, ranked, 1)}: with K = 1 "a hit among
 * the first K" and "the fraction of hits among the first 1" coincide.
 */
public final class RetrievalMetrics {

    private RetrievalMetrics() {
    }

    /**
     * MAP@R of one query: {@code (1/R) sum_{i=1..R} P@i * rel(i)}, where {@code rel(i) = 1} when the
     * i-th neighbour has the query's class and {@code P@i} is the precision of the first i.
     *
     * @param queryLabel class of the query
     * @param ranked neighbour labels, nearest first; at least {@code r} of them
     * @param r number of same-class gallery items, {@code > 0}
     * @return MAP@R in [0, 1]
     */
    public static double mapAtR(int queryLabel, int[] ranked, int r) {
        checkR(ranked, r);
        double sum = 0;
        int hits = 0;
        for (int i = 0; i < r; i++) {
            if (ranked[i] == queryLabel) {
                hits++;
                sum += (double) hits / (i + 1);
            }
        }
        return sum / r;
    }

    /**
     * R-Precision of one query: the fraction of same-class items among its first {@code R} neighbours.
     *
     * @param queryLabel class of the query
     * @param ranked neighbour labels, nearest first; at least {@code r} of them
     * @param r number of same-class gallery items, {@code > 0}
     * @return R-Precision in [0, 1]
     */
    public static double rPrecision(int queryLabel, int[] ranked, int r) {
        checkR(ranked, r);
        int hits = 0;
        for (int i = 0; i < r; i++) {
            if (ranked[i] == queryLabel) {
                hits++;
            }
        }
        return (double) hits / r;
    }

    /**
     * Recall@K of one query in the deep-metric-learning sense: 1 if at least one of the first
     * {@code k} neighbours has the query's class, else 0 ({@code hitWithinK(firstHitRank(..), k)}).
     *
     * @param queryLabel class of the query
     * @param ranked neighbour labels, nearest first; at least {@code k} of them
     * @param k cut-off, {@code >= 1}
     * @return 1 or 0
     */
    public static double recallAtK(int queryLabel, int[] ranked, int k) {
        if (k < 1 || k > ranked.length) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "k must be in [1, %d] (the neighbours given), found %d", ranked.length, k));
        }
        return hitWithinK(firstHitRank(queryLabel, ranked, k), k);
    }

    /**
     * The rank of the first same-class neighbour among the first {@code limit}.
     *
     * @param queryLabel class of the query
     * @param ranked neighbour labels, nearest first
     * @param limit how many to look at, at most {@code ranked.length}
     * @return 1-based rank of the first neighbour with the query's class, or {@code limit + 1} if none
     */
    public static int firstHitRank(int queryLabel, int[] ranked, int limit) {
        for (int i = 0; i < limit; i++) {
            if (ranked[i] == queryLabel) {
                return i + 1;
            }
        }
        return limit + 1;
    }

    /**
     * Recall@K from the rank of the first same-class neighbour: 1 when it is within the first
     * {@code k}, else 0. This is the definition every Recall@K here goes through;
     * {@link RetrievalEvaluator} finds the rank without listing the top K.
     *
     * @param firstHitRank 1-based rank of the query's first same-class neighbour
     * @param k cut-off, {@code >= 1}
     * @return 1 or 0
     */
    public static double hitWithinK(int firstHitRank, int k) {
        if (firstHitRank < 1) {
            throw new IllegalArgumentException("firstHitRank must be >= 1, found " + firstHitRank
                    + "; a lone query (no same-class item) has no rank and must be excluded");
        }
        return firstHitRank <= k ? 1 : 0;
    }

    private static void checkR(int[] ranked, int r) {
        if (r < 1) {
            throw new IllegalArgumentException("R (same-class gallery items) must be >= 1, found " + r
                    + "; a query alone in its class has no MAP@R or R-Precision and must be excluded");
        }
        if (r > ranked.length) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "R = %d needs at least R ranked neighbours, found %d", r, ranked.length));
        }
    }
}
