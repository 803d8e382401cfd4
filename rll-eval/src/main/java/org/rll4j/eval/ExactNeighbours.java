package org.rll4j.eval;

import java.util.Arrays;
import java.util.Locale;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.reduce.longer.MatchCondition;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.conditions.Conditions;

/**
 * Exact nearest neighbours within one set of L2-normalised embeddings (each item is a query against
 * all others, itself excluded), ranked by decreasing cosine similarity, which on unit vectors is
 * increasing Euclidean distance; ties are broken by the smaller index.
 *
 * <p>This version computes the full {@code N x N} similarity matrix in one GEMM and is meant for
 * small sets (a few thousand items); the blocked, memory-bounded engine for full dataset scale is
 * issue #5.
 */
public final class ExactNeighbours {

    private ExactNeighbours() {
    }

    /**
     * @param embeddings {@code [N, D]}, L2-normalised, finite
     * @param labels class of each row
     * @param k neighbours to return per query, in [1, N - 1]
     * @return {@code [N][k]} labels of each query's k nearest other items, nearest first
     */
    public static int[][] rankedLabels(INDArray embeddings, int[] labels, int k) {
        int n = (int) embeddings.size(0);
        if (labels.length != n) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "labels must have one entry per embedding row (%d), found %d", n, labels.length));
        }
        if (k < 1 || k > n - 1) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "k must be in [1, %d], found %d", n - 1, k));
        }
        if (Nd4j.getExecutioner().exec(new MatchCondition(embeddings, Conditions.notFinite())).getInt(0) > 0) {
            throw new IllegalArgumentException("embeddings contain NaN or infinite values");
        }
        INDArray e = embeddings.castTo(DataType.DOUBLE);
        double[][] sim = e.mmul(e.transpose()).toDoubleMatrix();
        int[][] out = new int[n][k];
        Integer[] order = new Integer[n];
        for (int q = 0; q < n; q++) {
            for (int i = 0; i < n; i++) {
                order[i] = i;
            }
            final double[] row = sim[q];
            final int self = q;
            Arrays.sort(order, (a, b) -> {
                if (a == self || b == self) {
                    return a == self ? (b == self ? 0 : 1) : -1;
                }
                int c = Double.compare(row[b], row[a]);
                return c != 0 ? c : Integer.compare(a, b);
            });
            for (int j = 0; j < k; j++) {
                out[q][j] = labels[order[j]];
            }
        }
        return out;
    }

    /**
     * Mean MAP@R over all queries of one set that have at least one other item of their class
     * (queries alone in their class are skipped).
     *
     * @param embeddings {@code [N, D]}, L2-normalised
     * @param labels class of each row
     * @return mean MAP@R
     */
    public static double meanMapAtR(INDArray embeddings, int[] labels) {
        int n = labels.length;
        java.util.Map<Integer, Integer> counts = new java.util.HashMap<>();
        int maxR = 0;
        for (int l : labels) {
            maxR = Math.max(maxR, counts.merge(l, 1, Integer::sum) - 1);
        }
        if (maxR == 0) {
            throw new IllegalArgumentException("every class has a single item: MAP@R is undefined");
        }
        int[][] ranked = rankedLabels(embeddings, labels, maxR);
        double sum = 0;
        int used = 0;
        for (int q = 0; q < n; q++) {
            int r = counts.get(labels[q]) - 1;
            if (r > 0) {
                sum += RetrievalMetrics.mapAtR(labels[q], ranked[q], r);
                used++;
            }
        }
        return sum / used;
    }
}
