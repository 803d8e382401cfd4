package org.rll4j.sampler;

import java.util.Arrays;
import java.util.Locale;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Reads batch labels as integer class ids. Two encodings are accepted, decided by the width:
 * a column of class ids {@code [B, 1]} (any integral values, negative included), or one-hot rows
 * {@code [B, C]} with {@code C > 1} (every entry 0 or 1, exactly one 1 per row). A one-hot batch
 * with a single class column is all ones, which reads as id 1 for every row: the same grouping.
 */
public final class LabelIds {

    private LabelIds() {
    }

    /**
     * Validates {@code labels} and returns the class ids as a new {@code [B, 1]} array of type {@code dataType}.
     *
     * @param labels {@code [B, 1]} ids or {@code [B, C]} one-hot
     * @param dataType data type of the result
     * @param context what is reading the labels, for error messages (e.g. the layer name)
     * @return class ids {@code [B, 1]}
     * @throws IllegalArgumentException naming the row and value when the labels are neither encoding
     */
    public static INDArray toClassIdColumn(INDArray labels, DataType dataType, String context) {
        return Nd4j.createFromArray(classIds(labels, context)).castTo(dataType).reshape(-1, 1);
    }

    /**
     * Validates {@code labels} and returns the class id of every row.
     *
     * @param labels {@code [B, 1]} ids or {@code [B, C]} one-hot
     * @param context what is reading the labels, for error messages
     * @return the class ids, one per row
     */
    public static long[] classIds(INDArray labels, String context) {
        if (labels.rank() != 2) {
            throw new IllegalArgumentException(context + ": labels must be class ids [batch, 1] or one-hot [batch, C], found shape "
                    + Arrays.toString(labels.shape()));
        }
        int rows = (int) labels.size(0);
        long[] ids = new long[rows];
        if (labels.size(1) == 1) {
            double[] values = labels.castTo(DataType.DOUBLE).reshape(rows).toDoubleVector();
            for (int r = 0; r < rows; r++) {
                double v = values[r];
                if (!Double.isFinite(v) || v != Math.rint(v) || Math.abs(v) > (1L << 53)) {
                    throw new IllegalArgumentException(String.format(Locale.ROOT,
                            "%s: labels row %d must be an integer class id, found %s", context, r, v));
                }
                ids[r] = (long) v;
            }
            return ids;
        }
        INDArray asDouble = labels.castTo(DataType.DOUBLE);
        double[] rowSums = asDouble.sum(1).toDoubleVector();
        double[] rowMax = asDouble.max(1).toDoubleVector();
        double[] rowMin = asDouble.min(1).toDoubleVector();
        long[] argMax = Nd4j.argMax(asDouble, 1).toLongVector();
        for (int r = 0; r < rows; r++) {
            if (!(rowMin[r] >= 0 && rowMax[r] == 1 && rowSums[r] == 1)) {
                throw new IllegalArgumentException(String.format(Locale.ROOT,
                        "%s: labels of width %d are read as one-hot, but row %d is not (min %s, max %s, sum %s); "
                                + "give one-hot rows (a single 1, zeros elsewhere) or a [batch, 1] column of class ids",
                        context, labels.size(1), r, rowMin[r], rowMax[r], rowSums[r]));
            }
            ids[r] = argMax[r];
        }
        return ids;
    }

    /**
     * {@link #classIds(INDArray, String)} as {@code int}s, for consumers that index arrays by class id.
     *
     * @throws IllegalArgumentException naming the row and value when an id is outside the {@code int} range
     */
    public static int[] intClassIds(INDArray labels, String context) {
        long[] ids = classIds(labels, context);
        int[] out = new int[ids.length];
        for (int r = 0; r < ids.length; r++) {
            if (ids[r] != (int) ids[r]) {
                throw new IllegalArgumentException(String.format(Locale.ROOT,
                        "%s: labels row %d must be a class id in the int range, found %d; renumber the classes",
                        context, r, ids[r]));
            }
            out[r] = (int) ids[r];
        }
        return out;
    }
}
