package org.rll4j.spark;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * What {@link BatchLoader} hands to DL4J when a batch cannot be built (an unreadable image, a batch of the wrong
 * size): a placeholder of the batch's C x K rows (so that DL4J's re-batching passes it on alone) that carries the failure to the worker's training thread, where {@link WholeBatchHook}
 * throws it before anything is fitted.
 *
 * <p>Why not throw in the loader: with {@code prefetch > 0}, DL4J's worker loads batches on an
 * {@code AsyncMultiDataSetIterator} thread. An exception there ends that thread without its end-of-data marker, and a
 * training thread already waiting for the next batch waits forever, so one corrupt file would hang the Spark job
 * instead of failing it.
 */
final class UnloadableBatch extends org.nd4j.linalg.dataset.MultiDataSet {

    private static final long serialVersionUID = 1L;

    private final String batch;
    private final Exception failure;

    UnloadableBatch(String batch, Exception failure, int rows, int outputs) {
        super(new INDArray[] {Nd4j.zeros(DataType.FLOAT, rows, 1)}, placeholders(rows, outputs));
        this.batch = batch;
        this.failure = failure;
    }

    private static INDArray[] placeholders(int rows, int outputs) {
        INDArray[] labels = new INDArray[outputs];
        for (int i = 0; i < outputs; i++) {
            labels[i] = Nd4j.zeros(DataType.FLOAT, rows, 1);
        }
        return labels;
    }

    /** The exception to throw on the training thread, naming the batch and caused by what the loader met. */
    IllegalStateException failure() {
        return new IllegalStateException("the Spark worker could not load " + batch + ": " + failure.getMessage(), failure);
    }
}
