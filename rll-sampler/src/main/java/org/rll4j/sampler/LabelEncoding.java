package org.rll4j.sampler;

import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.shape.OneHot;
import org.nd4j.linalg.factory.Nd4j;

/**
 * How batch labels encode the classes: what an iterator emits ({@link ClassBalancedDataSetIterator}, rll-data's
 * {@code SampledDataSetIterator}) and what a loss is told to read (rll-loss's {@code SameDiffRankedListLoss}).
 * {@link LabelIds} reads either encoding back as class ids.
 */
public enum LabelEncoding {
    /**
     * Class ids, one per example: a column {@code [B, 1]} (the SameDiff loss also reads a vector {@code [B]}), of
     * any numeric type. What the Ranked List Loss layers prefer.
     */
    CLASS_IDS,
    /** One-hot rows {@code [B, numClasses]}: a single 1 in the column of the example's class, zeros elsewhere. */
    ONE_HOT;

    /**
     * Label columns in this encoding.
     *
     * @param numClasses number of classes
     * @return 1 for {@link #CLASS_IDS}, {@code numClasses} for {@link #ONE_HOT}
     */
    public int width(int numClasses) {
        return this == ONE_HOT ? numClasses : 1;
    }

    /**
     * Labels in this encoding, built by ND4J ops (no loop over the rows in Java).
     *
     * @param classIds class ids {@code [B]} or {@code [B, 1]}, of any numeric type, in {@code [0, numClasses)}
     * @param numClasses number of classes ({@code >= 1}): the width of one-hot rows
     * @param dataType type of the result
     * @return {@code [B, 1]} class ids or {@code [B, numClasses]} one-hot rows of type {@code dataType}; class ids
     *         may share their data with {@code classIds} when no cast is needed
     * @throws IllegalArgumentException naming the value when {@code classIds} is not a vector or column, or holds an
     *         id outside {@code [0, numClasses)}
     */
    public INDArray encode(INDArray classIds, int numClasses, DataType dataType) {
        Objects.requireNonNull(classIds, "classIds must not be null");
        Objects.requireNonNull(dataType, "dataType must not be null");
        if (numClasses < 1) {
            throw new IllegalArgumentException("numClasses must be >= 1, found " + numClasses);
        }
        long rows = classIds.length();
        if (rows == 0) {
            return Nd4j.create(dataType, 0, width(numClasses));
        }
        if (classIds.rank() > 2 || classIds.rank() == 2 && classIds.size(1) != 1) {
            throw new IllegalArgumentException("classIds must be a vector [B] or a column [B, 1], found shape "
                    + Arrays.toString(classIds.shape()));
        }
        double min = classIds.minNumber().doubleValue();
        double max = classIds.maxNumber().doubleValue();
        if (min < 0 || max >= numClasses) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "class ids must be in [0, %d) (numClasses), found ids from %s to %s", numClasses, min, max));
        }
        INDArray column = classIds.reshape(rows, 1);
        if (this == CLASS_IDS) {
            return column.castTo(dataType);
        }
        INDArray indices = column.reshape(rows).castTo(DataType.INT32);
        return Nd4j.exec(new OneHot(indices, numClasses, -1, 1.0, 0.0, dataType))[0];
    }
}
