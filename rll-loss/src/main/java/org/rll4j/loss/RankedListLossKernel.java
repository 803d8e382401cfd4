package org.rll4j.loss;

/**
 * The one place where the Ranked List Loss and its derivatives are computed. Definitions, symbols and
 * citations are on {@link RankedListLossConfig}; the normalisation, the distances and the backward pass
 * to the embeddings are {@link PairwiseEngine}'s, shared with the other pair-based losses.
 *
 * <p>Per query, over its row of pairs with the gallery (the batch, {@code B x B}; with a {@link CrossBatchMemory},
 * the batch and the memory, {@code B x (B + M)}: the sets, thresholds and weights are the same over the larger
 * gallery, and only the query's own column {@code j = i} is skipped): the violating sets by strict comparison against
 * {@code alpha - m} and {@code alpha}; the normalised weights as a softmax of {@code T_p (d - (alpha - m))}
 * resp. {@code T_n (alpha - d)} over the violating set, with the set's maximum exponent subtracted (every
 * exponential is at most 1, the normaliser at least 1; no epsilon); {@code L(i) = L_P(i) + lambda L_N(i)},
 * 0 for empty sets. For the gradient, {@code M_ij = dL(i)/dd_ij} is {@code W+_ij} resp.
 * {@code -lambda W-_ij} with constant weights, and {@code W+_ij (1 + T_p (h_ij - L_P(i)))} resp.
 * {@code -lambda W-_ij (1 + T_n (h_ij - L_N(i)))} when the gradient flows through the weights (h the hinge).
 * Pairs that cannot violate (by a bound on the Gram form's squared distance, widened far beyond its
 * rounding) get no distance at all ({@link #mayContribute}). At B = 180, D = 512 the whole loss with its
 * gradient takes about 2 ms on 2 cores ({@code rll bench loss}); a collapsed batch (all pairs close) about
 * 17-21 ms, for the close pairs' exact differences.
 */
final class RankedListLossKernel implements PairwiseEngine.DistanceTerms {

    private final RankedListLossConfig cfg;

    private RankedListLossKernel(RankedListLossConfig cfg) {
        this.cfg = cfg;
    }

    /** The loss's terms for the engine. */
    static RankedListLossKernel of(RankedListLossConfig cfg) {
        return new RankedListLossKernel(cfg);
    }

    @Override
    public boolean mayContribute(boolean sameClass, double squaredDistance) {
        return PairwiseEngine.hingesMayContribute(sameClass, squaredDistance, cfg.positiveBoundary(), cfg.alpha());
    }

    @Override
    public boolean acceptsMemory() {
        return true;
    }

    @Override
    public void evaluate(PairwiseEngine.Pairs pairs, double[] loss, double[] m, double[] gradS) {
        int b = pairs.size();
        int n = pairs.gallerySize();
        double alpha = cfg.alpha();
        double posBoundary = cfg.positiveBoundary();
        double tn = cfg.tn();
        double tp = cfg.tp();
        double lambda = cfg.lambda();
        boolean flow = cfg.weightGradient() == RankedListLossConfig.WeightGradient.FLOW;

        double[] w = new double[n];                             // scratch: per-query weights
        for (int i = 0; i < b; i++) {
            int row = i * n;
            long id = pairs.id(i);
            // Maximum exponent of each violating set (the softmax shift).
            double maxPos = Double.NEGATIVE_INFINITY;
            double maxNeg = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < n; j++) {
                double dij = pairs.distance(i, j);
                if (pairs.id(j) == id) {
                    if (j != i && dij > posBoundary) {
                        maxPos = Math.max(maxPos, tp * (dij - posBoundary));
                    }
                } else if (dij < alpha) {
                    maxNeg = Math.max(maxNeg, tn * (alpha - dij));
                }
            }
            double zPos = 0;
            double zNeg = 0;
            double sumPos = 0;
            double sumNeg = 0;
            for (int j = 0; j < n; j++) {
                double dij = pairs.distance(i, j);
                w[j] = 0;
                if (pairs.id(j) == id) {
                    if (j != i && dij > posBoundary) {
                        double h = dij - posBoundary;
                        w[j] = Math.exp(tp * h - maxPos);
                        zPos += w[j];
                        sumPos += w[j] * h;
                    }
                } else if (dij < alpha) {
                    double h = alpha - dij;
                    w[j] = Math.exp(tn * h - maxNeg);
                    zNeg += w[j];
                    sumNeg += w[j] * h;
                }
            }
            double lossP = zPos > 0 ? sumPos / zPos : 0;
            double lossN = zNeg > 0 ? sumNeg / zNeg : 0;
            loss[i] = lossP + lambda * lossN;
            if (m == null) {
                continue;
            }
            for (int j = 0; j < n; j++) {
                if (w[j] == 0) {
                    continue;
                }
                double dij = pairs.distance(i, j);
                if (pairs.id(j) == id) {
                    double wn = w[j] / zPos;
                    m[row + j] = flow ? wn * (1 + tp * ((dij - posBoundary) - lossP)) : wn;
                } else {
                    double wn = w[j] / zNeg;
                    m[row + j] = flow ? -lambda * wn * (1 + tn * ((alpha - dij) - lossN)) : -lambda * wn;
                }
            }
        }
    }
}
