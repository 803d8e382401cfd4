package org.rll4j.models;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.dataset.api.MultiDataSetPreProcessor;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.dataset.api.iterator.MultiDataSetIterator;

/**
 * Feeds a multi-head (RLL-(L,M,H)) network from a plain {@link DataSetIterator}: every head's loss
 * gets the same labels. For a single-head network use the {@code DataSetIterator} directly.
 */
public final class MultiHeadIterator implements MultiDataSetIterator {

    private static final long serialVersionUID = 1L;

    private final DataSetIterator data;
    private final int heads;
    private MultiDataSetPreProcessor preProcessor;

    /**
     * @param data the batches
     * @param heads number of loss outputs, {@code >= 1}
     */
    public MultiHeadIterator(DataSetIterator data, int heads) {
        if (heads < 1) {
            throw new IllegalArgumentException("heads must be >= 1, found " + heads);
        }
        this.data = data;
        this.heads = heads;
    }

    @Override
    public MultiDataSet next(int num) {
        return wrap(data.next(num));
    }

    @Override
    public MultiDataSet next() {
        return wrap(data.next());
    }

    /**
     * One batch for a multi-head network: the features as its one input, the labels at every output.
     *
     * @param ds the batch
     * @param heads number of loss outputs, {@code >= 1}
     * @return the batch as a MultiDataSet
     */
    public static MultiDataSet forHeads(org.nd4j.linalg.dataset.DataSet ds, int heads) {
        if (heads < 1) {
            throw new IllegalArgumentException("heads must be >= 1, found " + heads);
        }
        INDArray[] labels = new INDArray[heads];
        java.util.Arrays.fill(labels, ds.getLabels());
        return new MultiDataSet(new INDArray[] {ds.getFeatures()}, labels);
    }

    private MultiDataSet wrap(org.nd4j.linalg.dataset.DataSet ds) {
        MultiDataSet m = forHeads(ds, heads);
        if (preProcessor != null) {
            preProcessor.preProcess(m);
        }
        return m;
    }

    @Override
    public void setPreProcessor(MultiDataSetPreProcessor preProcessor) {
        this.preProcessor = preProcessor;
    }

    @Override
    public MultiDataSetPreProcessor getPreProcessor() {
        return preProcessor;
    }

    @Override
    public boolean resetSupported() {
        return data.resetSupported();
    }

    @Override
    public boolean asyncSupported() {
        return data.asyncSupported();
    }

    @Override
    public void reset() {
        data.reset();
    }

    @Override
    public boolean hasNext() {
        return data.hasNext();
    }
}
