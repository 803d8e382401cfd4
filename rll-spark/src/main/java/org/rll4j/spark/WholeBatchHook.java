package org.rll4j.spark;

import java.util.Locale;

import org.apache.spark.util.CollectionAccumulator;
import org.apache.spark.util.LongAccumulator;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.spark.api.TrainingHook;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.DataSet;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.rll4j.sampler.LabelIds;

/**
 * A DL4J Spark {@link TrainingHook} that runs on the workers before every update and enforces what the Ranked List
 * Loss needs: the minibatch a worker is about to fit is one whole C x K batch of the sampler (exactly C classes with
 * exactly K rows each, the same labels at every output), never a batch the training master split or merged. A
 * minibatch that is not fails the Spark task with an {@link IllegalStateException} naming what it held. It counts the
 * fitted batches in a Spark accumulator (the driver checks that every batch it sent was fitted) and, when asked,
 * records each one ({@link FittedBatch}) for tests and audits. A batch that {@link BatchLoader} could not build fails
 * the task here, on the training thread, with the loader's exception as the cause.
 */
public final class WholeBatchHook implements TrainingHook {

    private static final long serialVersionUID = 1L;

    private final int classesPerBatch;
    private final int samplesPerClass;
    private final LongAccumulator fitted;
    private final CollectionAccumulator<FittedBatch> record;

    /**
     * @param classesPerBatch C
     * @param samplesPerClass K
     * @param fitted counts the batches fitted (registered with the SparkContext)
     * @param record receives every fitted batch, or null
     */
    public WholeBatchHook(int classesPerBatch, int samplesPerClass, LongAccumulator fitted, CollectionAccumulator<FittedBatch> record) {
        this.classesPerBatch = classesPerBatch;
        this.samplesPerClass = samplesPerClass;
        this.fitted = fitted;
        this.record = record;
    }

    @Override
    public void preUpdate(DataSet minibatch, Model model) {
        check(minibatch.getFeatures(), new INDArray[] {minibatch.getLabels()});
    }

    @Override
    public void preUpdate(MultiDataSet minibatch, Model model) {
        if (minibatch instanceof UnloadableBatch u) {
            throw u.failure();
        }
        check(minibatch.getFeatures(0), minibatch.getLabels());
    }

    @Override
    public void postUpdate(DataSet minibatch, Model model) {
    }

    @Override
    public void postUpdate(MultiDataSet minibatch, Model model) {
    }

    private void check(INDArray features, INDArray[] labels) {
        int[] ids = LabelIds.intClassIds(labels[0], "the labels of a worker's minibatch");
        for (int i = 1; i < labels.length; i++) {
            if (!labels[i].equals(labels[0])) {
                throw new IllegalStateException("a worker's minibatch has other labels at output " + i + " than at output 0");
            }
        }
        FittedBatch b = new FittedBatch((int) features.size(0), ids, features.sumNumber().doubleValue());
        if (!b.isWhole(classesPerBatch, samplesPerClass)) {
            throw new IllegalStateException(String.format(Locale.ROOT, "a Spark worker was about to fit a minibatch of %d rows "
                    + "and %d classes, not one whole batch of C = %d classes x K = %d images: the training master split or "
                    + "merged the sampler's batches (its batch size per worker and examples per RDD object must both be "
                    + "C x K)", b.rows(), b.classes(), classesPerBatch, samplesPerClass));
        }
        fitted.add(1);
        if (record != null) {
            record.add(b);
        }
    }
}
