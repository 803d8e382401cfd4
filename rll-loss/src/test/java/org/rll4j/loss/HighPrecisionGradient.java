package org.rll4j.loss;

import java.math.BigDecimal;
import java.math.MathContext;

/**
 * The gradient of the batch mean {@code L = (1/N) sum_i L(i)} with respect to the raw embeddings, in
 * 40-digit {@link BigDecimal} arithmetic wherever rounding is amplified near duplicates: the
 * normalisation {@code e_i = x_i / ||x_i||}, the differences {@code e_k - e_j}, the distances, the
 * coefficients {@code c_kj = (M_kj + M_jk) / d_kj}, the sums
 * {@code dS/de_k = sum_j c_kj (e_k - e_j)} and the normalisation's backward pass
 * {@code dS/dx_k = (g_k - e_k (e_k . g_k)) / ||x_k||}.
 *
 * <p>{@code M_ij = dL(i)/dd_ij} is computed in double from the weights of
 * {@link ReferenceRankedListLoss#normalizedWeights} and the high-precision distances: it is a smooth
 * function of the distances (an absolute error of 1e-16 in {@code d} moves it by about
 * {@code |T| 1e-16}), so double is enough there. With hinge {@code h} ({@code d - (alpha - m)} for
 * violating positives, {@code alpha - d} for violating negatives) and normalised weights {@code W}:
 * <pre>
 *   CONSTANT:  M_ij = W+_ij                                 resp.  -lambda W-_ij
 *   FLOW:      M_ij = W+_ij (1 + T_p (h_ij - L_P(i)))       resp.  -lambda W-_ij (1 + T_n (h_ij - L_N(i)))
 * </pre>
 * (FLOW: the derivative of {@code sum_j w_j h_j / sum_j w_j} with {@code w_j = exp(T h_j)}.) A pair
 * at distance 0 contributes nothing, as in the kernel. Batches must keep their pairs away from the
 * boundaries {@code alpha} and {@code alpha - m}: set membership is decided in double.
 */
final class HighPrecisionGradient {

    private static final MathContext MC = new MathContext(40);

    private HighPrecisionGradient() {
    }

    /** {@code dL/dx} of the batch mean, rounded to double at the end. */
    static double[][] of(double[][] rawX, long[] labels, RankedListLossConfig c) {
        int n = rawX.length;
        int dim = rawX[0].length;
        BigDecimal[] norms = new BigDecimal[n];
        BigDecimal[][] e = new BigDecimal[n][dim];
        for (int i = 0; i < n; i++) {
            BigDecimal sq = BigDecimal.ZERO;
            for (double v : rawX[i]) {
                BigDecimal bv = new BigDecimal(v);
                sq = sq.add(bv.multiply(bv));
            }
            norms[i] = sq.sqrt(MC);
            for (int k = 0; k < dim; k++) {
                e[i][k] = new BigDecimal(rawX[i][k]).divide(norms[i], MC);
            }
        }
        BigDecimal[][] d = new BigDecimal[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                BigDecimal sq = BigDecimal.ZERO;
                for (int k = 0; k < dim; k++) {
                    BigDecimal diff = e[i][k].subtract(e[j][k]);
                    sq = sq.add(diff.multiply(diff, MC), MC);
                }
                d[i][j] = sq.sqrt(MC);
            }
        }
        double[][] m = pairDerivatives(d, labels, c, ReferenceRankedListLoss.normalizedWeights(rawX, labels, c));

        BigDecimal[][] ge = new BigDecimal[n][dim];
        for (int i = 0; i < n; i++) {
            java.util.Arrays.fill(ge[i], BigDecimal.ZERO);
            for (int j = 0; j < n; j++) {
                if (d[i][j].signum() == 0 || m[i][j] + m[j][i] == 0) {
                    continue;
                }
                BigDecimal cij = new BigDecimal(m[i][j]).add(new BigDecimal(m[j][i])).divide(d[i][j], MC);
                for (int k = 0; k < dim; k++) {
                    ge[i][k] = ge[i][k].add(cij.multiply(e[i][k].subtract(e[j][k]), MC), MC);
                }
            }
        }
        BigDecimal batch = BigDecimal.valueOf(n);
        double[][] gx = new double[n][dim];
        for (int i = 0; i < n; i++) {
            BigDecimal radial = BigDecimal.ZERO;
            for (int k = 0; k < dim; k++) {
                radial = radial.add(e[i][k].multiply(ge[i][k], MC), MC);
            }
            for (int k = 0; k < dim; k++) {
                gx[i][k] = ge[i][k].subtract(e[i][k].multiply(radial, MC), MC)
                        .divide(norms[i].multiply(batch), MC).doubleValue();
            }
        }
        return gx;
    }

    /** {@code M_ij = dL(i)/dd_ij} (see the class comment) for the pairs with a non-zero weight. */
    private static double[][] pairDerivatives(BigDecimal[][] d, long[] labels, RankedListLossConfig c, double[][] w) {
        int n = d.length;
        boolean flow = c.weightGradient() == RankedListLossConfig.WeightGradient.FLOW;
        double[][] h = new double[n][n];
        double[][] m = new double[n][n];
        for (int i = 0; i < n; i++) {
            double lossP = 0;
            double lossN = 0;
            for (int j = 0; j < n; j++) {
                double dij = d[i][j].doubleValue();
                if (labels[i] == labels[j]) {
                    h[i][j] = dij - (c.alpha() - c.margin());
                    lossP += w[i][j] * h[i][j];
                } else {
                    h[i][j] = c.alpha() - dij;
                    lossN += w[i][j] * h[i][j];
                }
            }
            for (int j = 0; j < n; j++) {
                if (w[i][j] == 0) {
                    continue;
                }
                if (labels[i] == labels[j]) {
                    m[i][j] = w[i][j] * (flow ? 1 + c.tp() * (h[i][j] - lossP) : 1);
                } else {
                    m[i][j] = -c.lambda() * w[i][j] * (flow ? 1 + c.tn() * (h[i][j] - lossN) : 1);
                }
            }
        }
        return m;
    }
}
