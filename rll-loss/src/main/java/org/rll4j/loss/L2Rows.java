package org.rll4j.loss;

/**
 * Row-wise L2 normalisation on row-major {@code double[]} and its backward pass: the single
 * implementation behind {@link ActivationL2Normalize} and {@link RankedListLossKernel}; and accurate
 * differences of normalised rows ({@link Differences}) for the kernel's close pairs.
 * <pre>
 *   forward:  e_i = x_i / max(||x_i||, 1e-12)
 *   backward: dL/dx_i = (g_i - e_i (e_i . g_i)) / ||x_i||      (g_i / 1e-12 for a clamped row)
 * </pre>
 */
final class L2Rows {

    /** Norm clamp, as in PyTorch's {@code F.normalize}. */
    static final double NORM_FLOOR = 1e-12;

    private L2Rows() {
    }

    /**
     * Normalises the rows of {@code x} into {@code e} and stores the clamped norms.
     *
     * @return the flat index of the first non-finite element of {@code x}, or -1 if all are finite
     *         ({@code e} is then fully written; otherwise its content is unspecified)
     */
    static int normalize(double[] x, int rows, int cols, double[] e, double[] norms) {
        for (int r = 0; r < rows; r++) {
            int off = r * cols;
            double sumSq = 0;
            for (int k = 0; k < cols; k++) {
                double v = x[off + k];
                sumSq += v * v;
            }
            double norm;
            if (Double.isFinite(sumSq)) {
                norm = Math.max(Math.sqrt(sumSq), NORM_FLOOR);
            } else {
                for (int k = 0; k < cols; k++) {
                    if (!Double.isFinite(x[off + k])) {
                        return off + k;
                    }
                }
                norm = largeNorm(x, off, cols); // finite values whose squares overflow
            }
            norms[r] = norm;
            double inv = 1 / norm;
            for (int k = 0; k < cols; k++) {
                e[off + k] = x[off + k] * inv;
            }
        }
        return -1;
    }

    /**
     * Turns {@code g = dL/de} into {@code dL/dx} in place.
     *
     * @param e the normalised rows
     * @param norms the clamped norms from {@link #normalize}
     * @param g {@code dL/de}, overwritten with {@code dL/dx}
     */
    static void backprop(double[] e, double[] norms, double[] g, int rows, int cols) {
        for (int r = 0; r < rows; r++) {
            int off = r * cols;
            double norm = norms[r];
            if (norm <= NORM_FLOOR) {
                for (int k = 0; k < cols; k++) {
                    g[off + k] /= NORM_FLOOR;
                }
                continue;
            }
            double radial = 0;
            for (int k = 0; k < cols; k++) {
                radial += e[off + k] * g[off + k];
            }
            double inv = 1 / norm;
            for (int k = 0; k < cols; k++) {
                g[off + k] = (g[off + k] - e[off + k] * radial) * inv;
            }
        }
    }

    /**
     * Differences {@code e_i - e_j} of normalised rows, accurate relative to the difference itself, for
     * nearly equal rows. Plain {@code e_i - e_j} of the rows rounded to double has an error of about 1e-16 per
     * coordinate, a relative error of about {@code 1e-16 / ||e_i - e_j||}; here each {@code e_ic} is carried
     * as the unevaluated sum {@code p_ic + q_ic} of two doubles (double-double arithmetic):
     * <pre>
     *   r_i + r'_i = 1 / ||x_i||      (to about 1e-32: sum of squares with exact products (FMA) and
     *                                   compensated additions, one Newton step each for sqrt and 1/.)
     *   p_ic = fl(x_ic r_i)           q_ic = fma(x_ic, r_i, -p_ic) + x_ic r'_i
     *   e_ic - e_jc = (p_ic - p_jc) + (q_ic - q_jc)
     * </pre>
     * {@code p_ic - p_jc} is exact when the two are within a factor 2 of each other (Sterbenz), and otherwise
     * rounds at the level of the (then not small) difference, so the result has a relative error of a few
     * 1e-16 however close the rows are. Rows whose norm {@link #normalize} clamped or whose squares overflow
     * use the double {@code 1 / norm} ({@code r' = 0}). The reciprocals are computed on first use, since only
     * rows of close pairs need them.
     */
    static final class Differences {

        private final double[] x;
        private final double[] norms;
        private final int cols;
        private final double[] hi;
        private final double[] lo;

        /**
         * @param x raw rows, row-major
         * @param norms the clamped norms from {@link #normalize}
         */
        Differences(double[] x, double[] norms, int cols) {
            this.x = x;
            this.norms = norms;
            this.cols = cols;
            this.hi = new double[norms.length];
            this.lo = new double[norms.length];
        }

        /** Writes {@code e_i - e_j} into {@code out[0, cols)} and returns its squared norm. */
        double between(int i, int j, double[] out) {
            reciprocal(i);
            reciprocal(j);
            double ri = hi[i];
            double ri2 = lo[i];
            double rj = hi[j];
            double rj2 = lo[j];
            int oi = i * cols;
            int oj = j * cols;
            double sq = 0;
            for (int k = 0; k < cols; k++) {
                double xi = x[oi + k];
                double xj = x[oj + k];
                double pi = xi * ri;
                double pj = xj * rj;
                double diff = (pi - pj) + ((Math.fma(xi, ri, -pi) + xi * ri2) - (Math.fma(xj, rj, -pj) + xj * rj2));
                out[k] = diff;
                sq += diff * diff;
            }
            return sq;
        }

        /** Fills {@code hi[r] + lo[r] = 1 / ||x_r||} unless already done. */
        private void reciprocal(int r) {
            if (hi[r] != 0) {
                return;
            }
            int off = r * cols;
            double s = 0; // sum of squares as s + t
            double t = 0;
            for (int k = 0; k < cols; k++) {
                double v = x[off + k];
                double p = v * v;
                double sum = s + p; // two-sum: s + p = sum + its rounding error, exactly
                double bv = sum - s;
                t += (s - (sum - bv)) + (p - bv) + Math.fma(v, v, -p);
                s = sum;
            }
            double sqHi = s + t;
            double sqLo = t - (sqHi - s);
            if (!Double.isFinite(sqHi) || norms[r] <= NORM_FLOOR) {
                hi[r] = 1 / norms[r];
                lo[r] = 0;
                return;
            }
            double n = Math.sqrt(sqHi);
            double nLo = (Math.fma(-n, n, sqHi) + sqLo) / (2 * n); // ||x|| = n + nLo
            double q = 1 / n;
            hi[r] = q;
            lo[r] = q * (Math.fma(-q, n, 1) - q * nLo); // 1 / (n + nLo) = q + lo to about 1e-32 relative
        }
    }

    /** {@code ||x||} by scaling with the largest magnitude first, for rows whose squares overflow. */
    private static double largeNorm(double[] x, int off, int cols) {
        double max = maxAbs(x, off, cols);
        double s = 0;
        for (int k = 0; k < cols; k++) {
            double v = x[off + k] / max;
            s += v * v;
        }
        return max * Math.sqrt(s);
    }

    private static double maxAbs(double[] x, int off, int cols) {
        double max = 0;
        for (int k = 0; k < cols; k++) {
            max = Math.max(max, Math.abs(x[off + k]));
        }
        return max;
    }
}
