package org.rll4j.eval;

import java.nio.FloatBuffer;
import java.util.Locale;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Validation and conversion of embedding matrices, shared by the neighbour search and k-means. */
final class Embeddings {

    /** Rows read per bulk copy while scanning a matrix. */
    private static final int CHUNK_ROWS = 1024;

    /** Largest accepted deviation of a row norm from 1 when rows must already be unit vectors. */
    static final double UNIT_NORM_TOLERANCE = 1e-3;

    private Embeddings() {
    }

    /**
     * A {@code FLOAT}, c-ordered, contiguous {@code [N, D]} matrix with the values of {@code x}: {@code x}
     * itself when it already is one, else a copy. Throws when {@code x} is not a non-empty matrix or
     * holds a NaN or infinite value (naming its row and column).
     *
     * @param x the matrix
     * @param name what it is, for messages ("embeddings", "queries", "gallery")
     * @return x or a float copy
     */
    static INDArray checkedFloatMatrix(INDArray x, String name) {
        INDArray f = floatMatrix(x, name, false);
        checkFinite(f, name);
        return f;
    }

    /**
     * A new {@code FLOAT}, c-ordered, contiguous {@code [N, D]} copy of {@code x}, allocated in the current
     * memory scope; the checks of {@link #checkedFloatMatrix}.
     *
     * @param x the matrix, unchanged
     * @param name what it is, for messages
     * @return the float copy
     */
    static INDArray checkedFloatCopy(INDArray x, String name) {
        INDArray f = floatMatrix(x, name, true);
        checkFinite(f, name);
        return f;
    }

    /**
     * A new {@code FLOAT}, c-ordered {@code [N, D]} copy of {@code x} with every row scaled to unit L2
     * norm. Throws when a value is NaN or infinite, or a row has norm 0 (naming the row).
     *
     * @param x the matrix, unchanged
     * @param name what it is, for messages
     * @return the normalised copy
     */
    static INDArray normalisedCopy(INDArray x, String name) {
        INDArray f = floatMatrix(x, name, true);
        checkFinite(f, name);
        int n = (int) f.size(0);
        int d = (int) f.size(1);
        FloatBuffer buf = f.data().asNioFloat();
        float[] row = new float[d];
        for (int i = 0; i < n; i++) {
            double sq = readRow(buf, i, row);
            if (sq == 0 || !Double.isFinite(sq)) {
                throw new IllegalArgumentException(String.format(Locale.ROOT,
                        "%s row %d must have a finite non-zero L2 norm to be normalised, found %s; "
                                + "a zero embedding has no direction to rank by (check the network output for that item)",
                        name, i, Math.sqrt(sq)));
            }
            double inv = 1.0 / Math.sqrt(sq);
            for (int j = 0; j < d; j++) {
                row[j] = (float) (row[j] * inv);
            }
            buf.put(i * d, row, 0, d);
        }
        return f;
    }

    /**
     * Throws unless every row of the float matrix {@code f} has L2 norm within
     * {@link #UNIT_NORM_TOLERANCE} of 1.
     */
    static void checkUnitRows(INDArray f, String name) {
        int n = (int) f.size(0);
        int d = (int) f.size(1);
        FloatBuffer buf = f.data().asNioFloat();
        float[] row = new float[d];
        for (int i = 0; i < n; i++) {
            double norm = Math.sqrt(readRow(buf, i, row));
            if (Math.abs(norm - 1) > UNIT_NORM_TOLERANCE) {
                throw new IllegalArgumentException(String.format(Locale.ROOT,
                        "%s row %d must have L2 norm 1 (within %.0e) for cosine ranking, found %.6f; "
                                + "normalise the rows or set l2Normalize(true)", name, i, UNIT_NORM_TOLERANCE, norm));
            }
        }
    }

    /** Copies row {@code i} of a c-ordered {@code [N, row.length]} buffer into {@code row}; returns its squared L2 norm (in double). */
    private static double readRow(FloatBuffer buf, int i, float[] row) {
        buf.get(i * row.length, row, 0, row.length);
        double sq = 0;
        for (float v : row) {
            sq += (double) v * v;
        }
        return sq;
    }

    private static INDArray floatMatrix(INDArray x, String name, boolean alwaysCopy) {
        if (x == null) {
            throw new IllegalArgumentException(name + " must not be null");
        }
        if (x.rank() != 2) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "%s must be a matrix [N, D], found rank %d with shape %s", name, x.rank(),
                    java.util.Arrays.toString(x.shape())));
        }
        if (x.size(0) == 0 || x.size(1) == 0) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "%s must have at least one row and one column, found shape %s", name,
                    java.util.Arrays.toString(x.shape())));
        }
        if (x.size(0) * x.size(1) > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "%s must have fewer than 2^31 values, found shape %s", name, java.util.Arrays.toString(x.shape())));
        }
        boolean ready = x.dataType() == DataType.FLOAT && x.ordering() == 'c' && !x.isView()
                && x.length() == x.data().length();
        if (ready && !alwaysCopy) {
            return x;
        }
        INDArray f = x.dataType() == DataType.FLOAT ? x.dup('c') : x.castTo(DataType.FLOAT).dup('c');
        return f;
    }

    private static void checkFinite(INDArray f, String name) {
        int n = (int) f.size(0);
        int d = (int) f.size(1);
        FloatBuffer buf = f.data().asNioFloat();
        float[] chunk = new float[Math.min(n, CHUNK_ROWS) * d];
        for (int r0 = 0; r0 < n; r0 += CHUNK_ROWS) {
            int rows = Math.min(CHUNK_ROWS, n - r0);
            buf.get(r0 * d, chunk, 0, rows * d);
            for (int i = 0; i < rows * d; i++) {
                float v = chunk[i];
                if (v - v != 0) { // NaN or infinite
                    throw new IllegalArgumentException(String.format(Locale.ROOT,
                            "%s must be finite, found %s at row %d, column %d; check the network for a diverged "
                                    + "training step or the input for invalid values", name, v, r0 + i / d, i % d));
                }
            }
        }
    }
}
