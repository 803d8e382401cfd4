package org.rll4j.spark;

import java.io.Serializable;
import java.util.Arrays;

/**
 * What a worker fitted in one step, as {@link WholeBatchHook} saw it just before the update: the rows, the class id of
 * every row in order (which identifies the sampler's batch) and the sum of the features (which tells two batches of
 * the same classes apart).
 *
 * @param rows rows of the minibatch
 * @param classIds the class id of each row, in row order
 * @param featureSum the sum of all feature values
 */
public record FittedBatch(int rows, int[] classIds, double featureSum) implements Serializable {

    /** Copies. */
    public FittedBatch {
        classIds = classIds.clone();
    }

    @Override
    public int[] classIds() {
        return classIds.clone();
    }

    /** Distinct classes in the batch. */
    public int classes() {
        return (int) Arrays.stream(classIds).distinct().count();
    }

    /** Whether it holds exactly {@code c} classes with exactly {@code k} rows each, and nothing else. */
    public boolean isWhole(int c, int k) {
        if (rows != c * k || classIds.length != rows) {
            return false;
        }
        int[] sorted = classIds.clone();
        Arrays.sort(sorted);
        int distinct = 0;
        for (int i = 0; i < sorted.length; i += k) {
            if (sorted[i] != sorted[i + k - 1] || i + k < sorted.length && sorted[i + k] == sorted[i]) {
                return false;
            }
            distinct++;
        }
        return distinct == c;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FittedBatch f && rows == f.rows && Arrays.equals(classIds, f.classIds)
                && Double.compare(featureSum, f.featureSum) == 0;
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(classIds) + Double.hashCode(featureSum);
    }

    @Override
    public String toString() {
        return "FittedBatch[rows=" + rows + ", classes=" + classes() + ", featureSum=" + featureSum + "]";
    }
}
