package org.rll4j.loss;

/**
 * Brute-force baseline losses in plain Java {@code double}, written from the papers' formulas as stated on each
 * config class and independently of the engine: explicit sets, direct (unshifted) exponentials, distances from
 * coordinate differences, similarities as dot products. The rows are normalised first, except for the lifted
 * structured and N-pair losses, which read the raw rows. Each returns {@code L(i)}.
 */
final class ReferenceBaselineLosses {

    private ReferenceBaselineLosses() {
    }

    static double[] perQuery(MetricLossConfig config, double[][] rawX, long[] y) {
        double[][] e = ReferenceRankedListLoss.normalize(rawX);
        if (config instanceof ContrastiveLossConfig c) {
            return contrastive(e, y, c);
        }
        if (config instanceof TripletLossConfig t) {
            return t.mining() == TripletLossConfig.Mining.BATCH_HARD ? batchHard(e, y, t.margin()) : semiHard(e, y, t.margin());
        }
        if (config instanceof LiftedStructureLossConfig l) {
            return lifted(rawX, y, l.margin());
        }
        if (config instanceof NPairLossConfig n) {
            return nPair(rawX, y, n.l2Regularization());
        }
        return multiSimilarity(e, y, (MultiSimilarityLossConfig) config);
    }

    static double mean(MetricLossConfig config, double[][] rawX, long[] y) {
        double s = 0;
        for (double v : perQuery(config, rawX, y)) {
            s += v;
        }
        return s / rawX.length;
    }

    private static double d(double[][] e, int i, int j) {
        return ReferenceRankedListLoss.distance(e[i], e[j]);
    }

    private static double s(double[][] e, int i, int j) {
        double v = 0;
        for (int k = 0; k < e[i].length; k++) {
            v += e[i][k] * e[j][k];
        }
        return v;
    }

    /** The batch-wide mean of the non-zero positive terms plus that of the non-zero negative terms, as L(i) shares. */
    private static double[] contrastive(double[][] e, long[] y, ContrastiveLossConfig c) {
        int b = e.length;
        double[] pos = new double[b];
        double[] neg = new double[b];
        int nonZeroPos = 0;
        int nonZeroNeg = 0;
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < b; j++) {
                if (j != i && y[j] == y[i]) {
                    double t = Math.max(0, d(e, i, j) - c.positiveMargin());
                    pos[i] += t;
                    nonZeroPos += t > 0 ? 1 : 0;
                } else if (y[j] != y[i]) {
                    double t = Math.max(0, c.negativeMargin() - d(e, i, j));
                    neg[i] += t;
                    nonZeroNeg += t > 0 ? 1 : 0;
                }
            }
        }
        double[] out = new double[b];
        for (int i = 0; i < b; i++) {
            out[i] = (nonZeroPos > 0 ? b * pos[i] / nonZeroPos : 0) + (nonZeroNeg > 0 ? b * neg[i] / nonZeroNeg : 0);
        }
        return out;
    }

    private static double[] batchHard(double[][] e, long[] y, double m) {
        double[] out = new double[e.length];
        for (int i = 0; i < e.length; i++) {
            double farPos = -1;
            double nearNeg = Double.POSITIVE_INFINITY;
            for (int j = 0; j < e.length; j++) {
                if (j != i && y[j] == y[i]) {
                    farPos = Math.max(farPos, d(e, i, j));
                } else if (y[j] != y[i]) {
                    nearNeg = Math.min(nearNeg, d(e, i, j));
                }
            }
            out[i] = farPos < 0 || nearNeg == Double.POSITIVE_INFINITY ? 0 : Math.max(0, m + farPos - nearNeg);
        }
        return out;
    }

    private static double[] semiHard(double[][] e, long[] y, double m) {
        double[] out = new double[e.length];
        for (int i = 0; i < e.length; i++) {
            int np = 0;
            double sum = 0;
            for (int p = 0; p < e.length; p++) {
                if (p == i || y[p] != y[i]) {
                    continue;
                }
                np++;
                double dp = d(e, i, p);
                double semi = Double.POSITIVE_INFINITY;
                double far = Double.NEGATIVE_INFINITY;
                for (int k = 0; k < e.length; k++) {
                    if (y[k] != y[i]) {
                        double dk = d(e, i, k);
                        far = Math.max(far, dk);
                        if (dk > dp) {
                            semi = Math.min(semi, dk);
                        }
                    }
                }
                if (far == Double.NEGATIVE_INFINITY) {
                    np = 0;
                    break;
                }
                sum += Math.max(0, m + dp - (semi < Double.POSITIVE_INFINITY ? semi : far));
            }
            out[i] = np > 0 ? sum / np : 0;
        }
        return out;
    }

    private static double[] lifted(double[][] e, long[] y, double m) {
        int b = e.length;
        int pairs = 0;
        for (int i = 0; i < b; i++) {
            for (int j = i + 1; j < b; j++) {
                pairs += y[i] == y[j] ? 1 : 0;
            }
        }
        double[] out = new double[b];
        if (pairs == 0) {
            return out;
        }
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < b; j++) {
                if (j == i || y[j] != y[i]) {
                    continue;
                }
                double z = 0;
                for (int k = 0; k < b; k++) {
                    if (y[k] != y[i]) {
                        z += Math.exp(m - d(e, i, k));
                    }
                    if (y[k] != y[j]) {
                        z += Math.exp(m - d(e, j, k));
                    }
                }
                if (z == 0) {
                    continue;
                }
                double jij = Math.log(z) + d(e, i, j);
                out[i] += b / (4.0 * pairs) * Math.pow(Math.max(0, jij), 2);
            }
        }
        return out;
    }

    private static double[] nPair(double[][] x, long[] y, double lambda) {
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = lambda / 2 * s(x, i, i);
            int np = 0;
            int nn = 0;
            for (int j = 0; j < x.length; j++) {
                np += j != i && y[j] == y[i] ? 1 : 0;
                nn += y[j] != y[i] ? 1 : 0;
            }
            if (np == 0 || nn == 0) {
                continue;
            }
            for (int p = 0; p < x.length; p++) {
                if (p == i || y[p] != y[i]) {
                    continue;
                }
                double z = 1;
                for (int k = 0; k < x.length; k++) {
                    if (y[k] != y[i]) {
                        z += Math.exp(s(x, i, k) - s(x, i, p));
                    }
                }
                out[i] += Math.log(z) / np;
            }
        }
        return out;
    }

    private static double[] multiSimilarity(double[][] e, long[] y, MultiSimilarityLossConfig c) {
        double[] out = new double[e.length];
        for (int i = 0; i < e.length; i++) {
            double minPos = Double.POSITIVE_INFINITY;
            double maxNeg = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < e.length; j++) {
                if (j != i && y[j] == y[i]) {
                    minPos = Math.min(minPos, s(e, i, j));
                } else if (y[j] != y[i]) {
                    maxNeg = Math.max(maxNeg, s(e, i, j));
                }
            }
            if (minPos == Double.POSITIVE_INFINITY || maxNeg == Double.NEGATIVE_INFINITY) {
                continue;
            }
            double pos = 1;
            double neg = 1;
            for (int j = 0; j < e.length; j++) {
                double sij = s(e, i, j);
                if (j != i && y[j] == y[i] && sij - c.epsilon() < maxNeg) {
                    pos += Math.exp(-c.alpha() * (sij - c.lambda()));
                } else if (y[j] != y[i] && sij + c.epsilon() > minPos) {
                    neg += Math.exp(c.beta() * (sij - c.lambda()));
                }
            }
            out[i] = Math.log(pos) / c.alpha() + Math.log(neg) / c.beta();
        }
        return out;
    }
}
