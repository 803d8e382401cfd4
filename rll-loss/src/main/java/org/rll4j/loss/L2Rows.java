package org.rll4j.loss;

import java.util.Arrays;

/**
 * Row-wise L2 normalisation on row-major {@code double[]} and its backward pass: the single
 * implementation behind {@link ActivationL2Normalize} and {@link PairwiseEngine}; and accurate
 * differences of normalised (or raw) rows ({@link Differences}) for the engine's close pairs.
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
     * use the double {@code 1 / norm} ({@code r' = 0}). A row's {@code p} and {@code q} are computed on its
     * first use, since only rows of close pairs need them; a difference then costs about what the plain one
     * does.
     */
    static final class Differences {

        private final double[] x;
        private final double[] norms;
        private final int cols;
        private final double[][] p;
        private final double[][] q;

        /**
         * Differences of the normalised rows.
         *
         * @param x raw rows, row-major
         * @param norms the clamped norms from {@link #normalize}
         */
        Differences(double[] x, double[] norms, int cols) {
            this(x, norms, norms.length, cols);
        }

        private Differences(double[] x, double[] norms, int rows, int cols) {
            this.x = x;
            this.norms = norms;
            this.cols = cols;
            this.p = new double[rows][];
            this.q = new double[rows][];
        }

        /** Differences of the raw rows themselves ({@code e = x}: exact), for the losses on raw embeddings. */
        static Differences ofRawRows(double[] x, int rows, int cols) {
            return new Differences(x, null, rows, cols);
        }

        /** {@code ||e_i - e_j||^2}. */
        double squaredDistance(int i, int j) {
            double[] pi = row(i);
            double[] qi = q[i];
            double[] pj = row(j);
            double[] qj = q[j];
            double sq = 0;
            for (int k = 0; k < cols; k++) {
                double diff = (pi[k] - pj[k]) + (qi[k] - qj[k]);
                sq += diff * diff;
            }
            return sq;
        }

        /** {@code ||e_i - m||^2} for a row {@code m} given in double (a cross-batch memory's entry). */
        double squaredDistanceTo(int i, double[] m) {
            double[] pi = row(i);
            double[] qi = q[i];
            double sq = 0;
            for (int k = 0; k < cols; k++) {
                double diff = (pi[k] - m[k]) + qi[k];
                sq += diff * diff;
            }
            return sq;
        }

        /** Adds {@code c (e_i - m)} to row {@code i} of {@code g} only ({@code m} a constant row, given in double). */
        void addScaledTo(int i, double[] m, double c, double[] g) {
            double[] pi = row(i);
            double[] qi = q[i];
            int oi = i * cols;
            for (int k = 0; k < cols; k++) {
                g[oi + k] += c * ((pi[k] - m[k]) + qi[k]);
            }
        }

        /**
         * Adds {@code c (e_i - e_j)} to row {@code i} of {@code g} and subtracts it from row {@code j}
         * ({@code g} row-major with {@code cols} columns).
         */
        void addScaled(int i, int j, double c, double[] g) {
            double[] pi = row(i);
            double[] qi = q[i];
            double[] pj = row(j);
            double[] qj = q[j];
            int oi = i * cols;
            int oj = j * cols;
            for (int k = 0; k < cols; k++) {
                double term = c * ((pi[k] - pj[k]) + (qi[k] - qj[k]));
                g[oi + k] += term;
                g[oj + k] -= term;
            }
        }

        /** {@code p_r}, computing {@code p_r} and {@code q_r} on first use. */
        private double[] row(int r) {
            if (p[r] != null) {
                return p[r];
            }
            int off = r * cols;
            if (norms == null) {                        // raw rows: e_r = x_r exactly, no low part
                q[r] = new double[cols];
                p[r] = Arrays.copyOfRange(x, off, off + cols);
                return p[r];
            }
            double s = 0; // sum of squares as s + t
            double t = 0;
            for (int k = 0; k < cols; k++) {
                double v = x[off + k];
                double sqv = v * v;
                double sum = s + sqv; // two-sum: s + sqv = sum + its rounding error, exactly
                double bv = sum - s;
                t += (s - (sum - bv)) + (sqv - bv) + Math.fma(v, v, -sqv);
                s = sum;
            }
            double sqHi = s + t;
            double sqLo = t - (sqHi - s);
            double rHi;
            double rLo;
            if (!Double.isFinite(sqHi) || norms[r] <= NORM_FLOOR) {
                rHi = 1 / norms[r];
                rLo = 0;
            } else {
                double n = Math.sqrt(sqHi);
                double nLo = (Math.fma(-n, n, sqHi) + sqLo) / (2 * n); // ||x|| = n + nLo
                rHi = 1 / n;
                rLo = rHi * (Math.fma(-rHi, n, 1) - rHi * nLo); // 1 / (n + nLo) = rHi + rLo
            }
            double[] pr = new double[cols];
            double[] qr = new double[cols];
            for (int k = 0; k < cols; k++) {
                double v = x[off + k];
                pr[k] = v * rHi;
                qr[k] = Math.fma(v, rHi, -pr[k]) + v * rLo;
            }
            p[r] = pr;
            q[r] = qr;
            return pr;
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
