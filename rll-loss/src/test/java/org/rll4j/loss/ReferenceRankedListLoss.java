package org.rll4j.loss;

import java.util.ArrayList;
import java.util.List;

/**
 * Brute-force Ranked List Loss in plain Java {@code double} loops over pairs, written from the
 * formula on {@link RankedListLossConfig} (the paper's section 3) and independently of the kernel
 * ({@code RankedListLossKernel}) and of {@link SameDiffRankedListLoss}: explicit sets, direct (unstabilised) exponentials, per-pair distances
 * from coordinate differences rather than a Gram matrix.
 *
 * <p>Shared with other modules' tests and with the benchmark through the rll-loss test-jar.
 */
public final class ReferenceRankedListLoss {

    private ReferenceRankedListLoss() {
    }

    /** Row-wise L2 normalisation. */
    public static double[][] normalize(double[][] x) {
        double[][] e = new double[x.length][];
        for (int i = 0; i < x.length; i++) {
            double n = 0;
            for (double v : x[i]) {
                n += v * v;
            }
            n = Math.sqrt(n);
            e[i] = new double[x[i].length];
            for (int k = 0; k < x[i].length; k++) {
                e[i][k] = x[i][k] / n;
            }
        }
        return e;
    }

    /** Euclidean distance between rows. */
    public static double distance(double[] a, double[] b) {
        double s = 0;
        for (int k = 0; k < a.length; k++) {
            double diff = a[k] - b[k];
            s += diff * diff;
        }
        return Math.sqrt(s);
    }

    /**
     * Normalised pair weights of the loss at {@code x}: {@code W[i][j]} is the weight of pair (i, j)
     * in L_P(i) (if j is a violating positive) or in L_N(i) (if j is a violating negative), and 0
     * for non-violating pairs. Each non-empty violating set's weights sum to 1.
     */
    public static double[][] normalizedWeights(double[][] rawX, long[] labels, RankedListLossConfig c) {
        double[][] e = normalize(rawX);
        int n = e.length;
        double[][] w = new double[n][n];
        for (int i = 0; i < n; i++) {
            double sumPos = 0;
            double sumNeg = 0;
            for (int j = 0; j < n; j++) {
                if (j == i) {
                    continue;
                }
                double d = distance(e[i], e[j]);
                if (labels[i] == labels[j] && d > c.alpha() - c.margin()) {
                    w[i][j] = Math.exp(c.tp() * (d - (c.alpha() - c.margin())));
                    sumPos += w[i][j];
                } else if (labels[i] != labels[j] && d < c.alpha()) {
                    w[i][j] = Math.exp(c.tn() * (c.alpha() - d));
                    sumNeg += w[i][j];
                }
            }
            for (int j = 0; j < n; j++) {
                if (w[i][j] != 0) {
                    w[i][j] /= labels[i] == labels[j] ? sumPos : sumNeg;
                }
            }
        }
        return w;
    }

    /** Per-query losses {@code L(i)} of the raw embeddings {@code rawX} (normalised here). */
    public static double[] perQuery(double[][] rawX, long[] labels, RankedListLossConfig c) {
        return perQueryWithWeights(rawX, labels, c, normalizedWeights(rawX, labels, c));
    }

    /**
     * Per-query losses with the pair weights (and hence the violating sets: the pairs with a
     * non-zero weight) given rather than computed: {@code L(i) = sum_j W_ij h_ij}, with the hinge
     * {@code h_ij = d_ij - (alpha - m)} for same-class and {@code lambda (alpha - d_ij)} for
     * other-class pairs. With {@code W = normalizedWeights(x0)} this is the objective "with the
     * weights frozen at x0", whose gradient at x0 is the constant-weights gradient.
     */
    public static double[] perQueryWithWeights(double[][] rawX, long[] labels, RankedListLossConfig c, double[][] w) {
        double[][] e = normalize(rawX);
        int n = e.length;
        double[] loss = new double[n];
        for (int i = 0; i < n; i++) {
            double lp = 0;
            double ln = 0;
            for (int j = 0; j < n; j++) {
                if (w[i][j] == 0) {
                    continue;
                }
                double d = distance(e[i], e[j]);
                if (labels[i] == labels[j]) {
                    lp += w[i][j] * (d - (c.alpha() - c.margin()));
                } else {
                    ln += w[i][j] * (c.alpha() - d);
                }
            }
            loss[i] = lp + c.lambda() * ln;
        }
        return loss;
    }

    /** Mean of {@link #perQuery}. */
    public static double mean(double[][] rawX, long[] labels, RankedListLossConfig c) {
        double s = 0;
        double[] l = perQuery(rawX, labels, c);
        for (double v : l) {
            s += v;
        }
        return s / l.length;
    }

    /**
     * Hand-derived gradient of the batch mean with respect to the raw embeddings, with constant
     * weights: {@code dL/dd_ij = (1/N) (W+_ij - lambda W-_ij)}, {@code dd_ij/de_i = (e_i - e_j)/d_ij}
     * (and the opposite for e_j), then through the normalisation
     * {@code dL/dx_i = (g_i - e_i (e_i . g_i)) / ||x_i||}.
     */
    public static double[][] gradientConstantWeights(double[][] rawX, long[] labels, RankedListLossConfig c) {
        double[][] e = normalize(rawX);
        double[][] w = normalizedWeights(rawX, labels, c);
        int n = e.length;
        int dim = e[0].length;
        double[][] ge = new double[n][dim];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                if (w[i][j] == 0) {
                    continue;
                }
                double d = distance(e[i], e[j]);
                if (d == 0) {
                    continue;
                }
                double dLdd = (labels[i] == labels[j] ? w[i][j] : -c.lambda() * w[i][j]) / n;
                for (int k = 0; k < dim; k++) {
                    double g = dLdd * (e[i][k] - e[j][k]) / d;
                    ge[i][k] += g;
                    ge[j][k] -= g;
                }
            }
        }
        double[][] gx = new double[n][dim];
        for (int i = 0; i < n; i++) {
            double norm = 0;
            double dot = 0;
            for (int k = 0; k < dim; k++) {
                norm += rawX[i][k] * rawX[i][k];
                dot += e[i][k] * ge[i][k];
            }
            norm = Math.sqrt(norm);
            for (int k = 0; k < dim; k++) {
                gx[i][k] = (ge[i][k] - e[i][k] * dot) / norm;
            }
        }
        return gx;
    }

    /**
     * Per-query losses over the gallery of the batch and a cross-batch memory: query {@code i} (a raw row,
     * normalised here) against every other batch row and every memory row {@code mem[j]} (taken as given, labels
     * {@code memLabels[j]}), with the same explicit sets and direct exponentials as {@link #perQuery}.
     */
    public static double[] perQueryWithMemory(double[][] rawX, long[] labels, double[][] mem, long[] memLabels,
                                              RankedListLossConfig c) {
        double[][] e = normalize(rawX);
        int n = e.length;
        double[] loss = new double[n];
        for (int i = 0; i < n; i++) {
            List<double[]> gallery = new ArrayList<>();   // {distance, same class}
            for (int j = 0; j < n; j++) {
                if (j != i) {
                    gallery.add(new double[] {distance(e[i], e[j]), labels[j] == labels[i] ? 1 : 0});
                }
            }
            for (int j = 0; j < mem.length; j++) {
                gallery.add(new double[] {distance(e[i], mem[j]), memLabels[j] == labels[i] ? 1 : 0});
            }
            double zp = 0;
            double sp = 0;
            double zn = 0;
            double sn = 0;
            for (double[] g : gallery) {
                double d = g[0];
                if (g[1] == 1 && d > c.alpha() - c.margin()) {
                    double w = Math.exp(c.tp() * (d - (c.alpha() - c.margin())));
                    zp += w;
                    sp += w * (d - (c.alpha() - c.margin()));
                } else if (g[1] == 0 && d < c.alpha()) {
                    double w = Math.exp(c.tn() * (c.alpha() - d));
                    zn += w;
                    sn += w * (c.alpha() - d);
                }
            }
            loss[i] = (zp > 0 ? sp / zp : 0) + c.lambda() * (zn > 0 ? sn / zn : 0);
        }
        return loss;
    }
}
