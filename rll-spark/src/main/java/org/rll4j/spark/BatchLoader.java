package org.rll4j.spark;

import java.io.IOException;
import java.util.Arrays;
import java.util.Locale;

import org.deeplearning4j.core.loader.MultiDataSetLoader;
import org.nd4j.common.loader.Source;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.rll4j.sampler.ResumableIterator;

/**
 * DL4J's loader for the {@link BatchPaths}: on the executor that fits a batch, builds it from the {@link BatchSource}
 * and gives every output of the network the same class-id labels (a multi-level model has one loss per head). A batch
 * of another size than the source's C x K fails, naming it, rather than reaching the loss.
 *
 * <p>A batch that cannot be built does not throw here: {@link #load} returns a placeholder carrying the exception, and
 * {@link WholeBatchHook} throws it on the worker's training thread before the update. An exception on DL4J's prefetch
 * thread would instead leave the training thread waiting forever for a batch that never comes.
 */
public final class BatchLoader implements MultiDataSetLoader {

    private static final long serialVersionUID = 1L;

    private final BatchSource source;
    private final int outputs;

    /**
     * @param source the batches
     * @param outputs the network's output layers, {@code >= 1}
     */
    public BatchLoader(BatchSource source, int outputs) {
        if (outputs < 1) {
            throw new IllegalArgumentException("outputs must be >= 1, found " + outputs);
        }
        this.source = source;
        this.outputs = outputs;
    }

    @Override
    public MultiDataSet load(Source path) {
        try {
            return build(path.getPath());
        } catch (IOException | RuntimeException e) {
            return new UnloadableBatch(path.getPath(), e, source.batchSize(), outputs);
        }
    }

    private MultiDataSet build(String path) throws IOException {
        ResumableIterator.Position p = BatchPaths.parse(path);
        if (p.batchInEpoch() >= source.batchesPerEpoch()) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "batch %d of epoch %d asked, but an epoch of %s has "
                    + "%d batches", p.batchInEpoch(), p.epoch(), source.describe(), source.batchesPerEpoch()));
        }
        DataSet d = source.batch(p.epoch(), p.batchInEpoch());
        if (d.numExamples() != source.batchSize()) {
            throw new IllegalStateException(String.format(Locale.ROOT, "batch %d of epoch %d of %s has %d rows, not C x K = %d",
                    p.batchInEpoch(), p.epoch(), source.describe(), d.numExamples(), source.batchSize()));
        }
        INDArray[] labels = new INDArray[outputs];
        Arrays.fill(labels, d.getLabels());
        return new org.nd4j.linalg.dataset.MultiDataSet(new INDArray[] {d.getFeatures()}, labels);
    }
}
