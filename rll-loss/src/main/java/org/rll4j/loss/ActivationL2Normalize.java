package org.rll4j.loss;

import java.util.Arrays;

import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.BaseActivationFunction;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Row-wise L2 normalisation as a DL4J activation: {@code e_i = x_i / max(||x_i||_2, 1e-12)}.
 * The clamp only matters for an all-zero row, which maps to zero (as PyTorch's {@code F.normalize}).
 *
 * <p>Backward: {@code dL/dx_i = (g_i - e_i (e_i . g_i)) / ||x_i||} for {@code g_i = dL/de_i}
 * (the projection onto the tangent space of the sphere), and {@code g_i / 1e-12} for a clamped row.
 *
 * <p>It is the activation of {@link RankedListLossLayer}, so that the layer's output is the unit
 * embedding the Ranked List Loss is defined on. Non-finite rows stay non-finite here (inference does
 * not throw); the loss rejects them. It has no state and no parameters.
 */
public class ActivationL2Normalize extends BaseActivationFunction {

    private static final long serialVersionUID = 1L;

    /**
     * @param in {@code [B, D]}
     * @param training ignored
     * @return a new array with the rows of {@code in} normalised
     */
    @Override
    public INDArray getActivation(INDArray in, boolean training) {
        requireRank2(in);
        int rows = (int) in.size(0);
        int cols = (int) in.size(1);
        double[] e = new double[rows * cols];
        double[] x = DenseRows.read(in);
        if (L2Rows.normalize(x, rows, cols, e, new double[rows]) >= 0) {
            for (int r = 0; r < rows; r++) { // keep NaN/Inf visible in the output of a broken row
                normalizeRowIgnoringNonFinite(x, e, r, cols);
            }
        }
        return DenseRows.write(e, in.dataType(), rows, cols);
    }

    /**
     * @param in the pre-activation {@code x}, {@code [B, D]}
     * @param epsilon {@code dL/de}, {@code [B, D]}
     * @return {@code dL/dx} and no parameter gradient
     */
    @Override
    public Pair<INDArray, INDArray> backprop(INDArray in, INDArray epsilon) {
        requireRank2(in);
        assertShape(in, epsilon);
        int rows = (int) in.size(0);
        int cols = (int) in.size(1);
        double[] e = new double[rows * cols];
        double[] norms = new double[rows];
        int bad = L2Rows.normalize(DenseRows.read(in), rows, cols, e, norms);
        if (bad >= 0) {
            throw new IllegalArgumentException("L2 normalisation backward: input row " + bad / cols + ", column "
                    + bad % cols + " is not finite");
        }
        double[] g = DenseRows.read(epsilon);
        L2Rows.backprop(e, norms, g, rows, cols);
        return new Pair<>(DenseRows.write(g, in.dataType(), rows, cols), null);
    }

    private static void normalizeRowIgnoringNonFinite(double[] x, double[] e, int r, int cols) {
        double[] row = Arrays.copyOfRange(x, r * cols, (r + 1) * cols);
        double[] out = new double[cols];
        if (L2Rows.normalize(row, 1, cols, out, new double[1]) >= 0) {
            Arrays.fill(out, Double.NaN);
        }
        System.arraycopy(out, 0, e, r * cols, cols);
    }

    private static void requireRank2(INDArray in) {
        if (in.rank() != 2) {
            throw new IllegalArgumentException("L2 normalisation takes embeddings [batch, D], found shape "
                    + Arrays.toString(in.shape()));
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ActivationL2Normalize;
    }

    @Override
    public int hashCode() {
        return ActivationL2Normalize.class.hashCode();
    }

    @Override
    public String toString() {
        return "l2normalize";
    }
}
