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

    private static INDArray contiguous(INDArray a) {
        boolean plain = a.ordering() == 'c' && !a.isView() && a.offset() == 0 && a.data().offset() == 0
                && a.data().length() == a.length();
        return plain ? a : a.dup('c');
    }
}
