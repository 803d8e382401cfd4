package org.rll4j.eval;

import java.util.Arrays;
import java.util.Locale;

/**
 * Agreement between a clustering and the true classes, as pure functions of two label arrays.
 *
 * <p>Both work from the contingency table {@code n_ij} (items of class i in cluster j), with class
 * sizes {@code a_i = sum_j n_ij}, cluster sizes {@code b_j = sum_i n_ij} and {@code N} items. Label
 * values are arbitrary ints; only equality matters.
 */
public final class ClusteringMetrics {

    private ClusteringMetrics() {
    }

    /**
     * Normalised mutual information (Strehl and Ghosh, "Cluster ensembles", JMLR 2002), with natural
     * logarithms:
     * <pre>
     * I(Y;C) = sum_ij (n_ij / N) log(N n_ij / (a_i b_j))
     * H(Y)   = -sum_i (a_i / N) log(a_i / N),   H(C) likewise with b_j
     * NMI    = I(Y;C) / normaliser(H(Y), H(C))        (see {@link NmiNormalization})
     * </pre>
     * Limit cases as in scikit-learn's {@code normalized_mutual_info_score}: 1 when both labelings
     * have a single value (nothing is split), 0 when {@code I(Y;C) = 0}.
     *
     * @param truth class of each item
     * @param clusters cluster of each item
     * @param normalisation the normaliser
     * @return NMI in [0, 1]
     */
    public static double nmi(int[] truth, int[] clusters, NmiNormalization normalisation) {
        Contingency t = Contingency.of(truth, clusters);
        if (t.classSizes.length == 1 && t.clusterSizes.length == 1) {
            return 1.0;
        }
        double n = t.n;
        double logN = Math.log(n);
        double mi = 0;
        for (int c = 0; c < t.cellCounts.length; c++) {
            double nij = t.cellCounts[c];
            mi += nij / n * (Math.log(nij) + logN - Math.log(t.classSizes[t.cellClass[c]])
                    - Math.log(t.clusterSizes[t.cellCluster[c]]));
        }
        mi = Math.max(0, mi);
        if (mi == 0) {
            return 0.0;
        }
        double normaliser = normalisation.normaliser(entropy(t.classSizes, n), entropy(t.clusterSizes, n));
        return mi / Math.max(normaliser, Math.ulp(1.0));
    }

    /**
     * The clustering F1 of Oh Song et al., "Deep Metric Learning via Lifted Structured Feature
     * Embedding" (CVPR 2016): the harmonic mean of precision and recall over unordered item pairs,
     * where a pair is predicted positive when both items share a cluster and is truly positive when
     * they share a class:
     * <pre>
     * TP = sum_ij C(n_ij, 2),  same-cluster pairs P = sum_j C(b_j, 2),  same-class pairs T = sum_i C(a_i, 2)
     * precision = TP / P,  recall = TP / T,  F1 = 2 precision recall / (precision + recall) = 2 TP / (P + T)
     * </pre>
     * When no pair shares a cluster (P = 0) precision is taken as 0 and F1 is 0.
     *
     * @param truth class of each item; at least one class must hold two items
     * @param clusters cluster of each item
     * @return F1 in [0, 1]
     */
    public static double pairwiseF1(int[] truth, int[] clusters) {
        Contingency t = Contingency.of(truth, clusters);
        double tp = 0;
        for (long nij : t.cellCounts) {
            tp += pairs(nij);
        }
        double same = 0;
        for (long b : t.clusterSizes) {
            same += pairs(b);
        }
        double positive = 0;
        for (long a : t.classSizes) {
            positive += pairs(a);
        }
        if (positive == 0) {
            throw new IllegalArgumentException("pairwise F1 needs at least one class with two items, found "
                    + t.classSizes.length + " classes of one item each; recall over same-class pairs is undefined");
        }
        return 2 * tp / (same + positive);
    }

    private static double pairs(long m) {
        return m * (m - 1) / 2.0;
    }

    private static double entropy(long[] sizes, double n) {
        double h = 0;
        for (long s : sizes) {
            double p = s / n;
            h -= p * Math.log(p);
        }
        return Math.max(0, h);
    }

    /** Sparse contingency table: only non-empty cells. */
    private static final class Contingency {
        long n;
        long[] classSizes;
        long[] clusterSizes;
        int[] cellClass;
        int[] cellCluster;
        long[] cellCounts;

        static Contingency of(int[] truth, int[] clusters) {
            if (truth == null || clusters == null) {
                throw new IllegalArgumentException("truth and clusters must not be null");
            }
            if (truth.length != clusters.length) {
                throw new IllegalArgumentException(String.format(Locale.ROOT,
                        "truth and clusters must have the same length, found %d and %d", truth.length, clusters.length));
            }
            if (truth.length == 0) {
                throw new IllegalArgumentException("truth and clusters must not be empty");
            }
            int[] y = dense(truth);
            int[] c = dense(clusters);
            int nY = max(y) + 1;
            int nC = max(c) + 1;
            Contingency t = new Contingency();
            t.n = truth.length;
            t.classSizes = new long[nY];
            t.clusterSizes = new long[nC];
            long[] cells = new long[y.length];
            for (int i = 0; i < y.length; i++) {
                t.classSizes[y[i]]++;
                t.clusterSizes[c[i]]++;
                cells[i] = (long) y[i] * nC + c[i];
            }
            Arrays.sort(cells);
            int distinct = 0;
            for (int i = 0; i < cells.length; i++) {
                if (i == 0 || cells[i] != cells[i - 1]) {
                    distinct++;
                }
            }
            t.cellClass = new int[distinct];
            t.cellCluster = new int[distinct];
            t.cellCounts = new long[distinct];
            int cell = -1;
            for (int i = 0; i < cells.length; i++) {
                if (i == 0 || cells[i] != cells[i - 1]) {
                    cell++;
                    t.cellClass[cell] = (int) (cells[i] / nC);
                    t.cellCluster[cell] = (int) (cells[i] % nC);
                }
                t.cellCounts[cell]++;
            }
            return t;
        }

        /** Maps values to 0..m-1 in increasing order. */
        private static int[] dense(int[] v) {
            int[] sorted = v.clone();
            Arrays.sort(sorted);
            int m = 0;
            for (int i = 0; i < sorted.length; i++) {
                if (i == 0 || sorted[i] != sorted[i - 1]) {
                    sorted[m++] = sorted[i];
                }
            }
            int[] out = new int[v.length];
            for (int i = 0; i < v.length; i++) {
                out[i] = Arrays.binarySearch(sorted, 0, m, v[i]);
            }
            return out;
        }

        private static int max(int[] v) {
            int m = 0;
            for (int x : v) {
                m = Math.max(m, x);
            }
            return m;
        }
    }
}
