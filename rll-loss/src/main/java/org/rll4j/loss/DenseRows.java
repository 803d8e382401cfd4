package org.rll4j.loss;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Bulk copies between row-major {@code double[]} and ND4J arrays through the buffers' NIO views.
 * ND4J's element-wise accessors and {@code createFromArray} cost about 5 ns per element; these copies
 * cost well under 1 ns, which matters at the loss's {@code B x D} and {@code B x B} sizes.
 */
final class DenseRows {

    private DenseRows() {
    }

    /** The elements of a rank-2 array in row-major order, as doubles. */
    static double[] read(INDArray a) {
        INDArray c = contiguous(a);
        int n = (int) c.length();
        double[] out = new double[n];
        switch (c.dataType()) {
            case DOUBLE -> c.data().asNioDouble().get(out);
            case FLOAT -> {
                float[] f = new float[n];
                c.data().asNioFloat().get(f);
                for (int i = 0; i < n; i++) {
                    out[i] = f[i];
                }
            }
            default -> {
                return read(c.castTo(DataType.DOUBLE));
            }
        }
        return out;
    }

    /**
     * A new {@code [rows, cols]} array of type {@code dt} (FLOAT or DOUBLE) holding {@code data} row-major,
     * allocated in the current workspace, if any.
     */
    static INDArray write(double[] data, DataType dt, int rows, int cols) {
        INDArray out = Nd4j.createUninitialized(dt, rows, cols);
        fill(out, data);
        return out;
    }

    /** Copies {@code data} (row-major) into {@code target}, a FLOAT or DOUBLE array from {@link #write} or {@code createUninitialized}. */
    static void fill(INDArray target, double[] data) {
        int n = (int) target.length();
        switch (target.dataType()) {
            case DOUBLE -> target.data().asNioDouble().put(data, 0, n);
            case FLOAT -> {
                float[] f = new float[n];
                for (int i = 0; i < n; i++) {
                    f[i] = (float) data[i];
                }
                target.data().asNioFloat().put(f);
            }
            default -> throw new IllegalArgumentException("only FLOAT and DOUBLE targets, found " + target.dataType());
        }
    }

    /**
     * Copies a rank-2 FLOAT or DOUBLE array's element {@code [r, k]} to {@code out[r * stride + offset + k]}, one row at
     * a time (no copy of the whole array): a block of a wider row-major matrix.
     */
    static void readInto(INDArray a, double[] out, int offset, int stride) {
        INDArray c = contiguous(a);
        int rows = (int) c.size(0);
        int cols = (int) c.size(1);
        switch (c.dataType()) {
            case DOUBLE -> {
                java.nio.DoubleBuffer buf = c.data().asNioDouble();
                for (int r = 0; r < rows; r++) {
                    buf.get(r * cols, out, r * stride + offset, cols);
                }
            }
            case FLOAT -> {
                java.nio.FloatBuffer buf = c.data().asNioFloat();
                float[] row = new float[cols];
                for (int r = 0; r < rows; r++) {
                    buf.get(r * cols, row);
                    int o = r * stride + offset;
                    for (int k = 0; k < cols; k++) {
                        out[o + k] = row[k];
                    }
                }
            }
            default -> readInto(c.castTo(DataType.DOUBLE), out, offset, stride);
        }
    }

    /** Copies {@code row} into row {@code r} of {@code target}, a FLOAT or DOUBLE array from {@code createUninitialized}. */
    static void writeRow(INDArray target, int r, double[] row) {
        int cols = row.length;
        switch (target.dataType()) {
            case DOUBLE -> target.data().asNioDouble().put(r * cols, row);
            case FLOAT -> {
                float[] f = new float[cols];
                for (int k = 0; k < cols; k++) {
                    f[k] = (float) row[k];
                }
                target.data().asNioFloat().put(r * cols, f);
            }
            default -> throw new IllegalArgumentException("only FLOAT and DOUBLE targets, found " + target.dataType());
        }
    }

    private static INDArray contiguous(INDArray a) {
        boolean plain = a.ordering() == 'c' && !a.isView() && a.offset() == 0 && a.data().offset() == 0
                && a.data().length() == a.length();
        return plain ? a : a.dup('c');
    }
}
