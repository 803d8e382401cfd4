package org.rll4j.loss;

/**
 * Row-wise L2 normalisation on row-major {@code double[]} and its backward pass: the single
 * implementation behind {@link ActivationL2Normalize} and {@link RankedListLossKernel}.
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
