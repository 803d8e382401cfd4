package org.rll4j.spark;

import java.util.Arrays;
import java.util.Locale;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.rll4j.sampler.ClassBalancedDataSetIterator;
import org.rll4j.sampler.LabelIds;

/**
 * C x K batches of examples held in memory, the batches of a {@link ClassBalancedDataSetIterator} with the same
 * examples, C, K and seed (batch {@code b} of epoch {@code e} is the iterator's, bit for bit). The examples travel
 * inside the source, i.e. with every Spark task: meant for data of a few megabytes (embedded datasets, tests,
 * pre-computed features). For image datasets, implement {@link BatchSource} so that executors read the images from
 * storage they share (as rll-app does).
 */
public final class InMemoryBatchSource implements BatchSource {

    private static final long serialVersionUID = 1L;

    private final float[] features;
    private final long[] shape;
    private final int[] classIds;
    private final int classesPerBatch;
    private final int samplesPerClass;
    private final long seed;
    private final int batchesPerEpoch;
    /** Built on first use in each deserialised copy (one per Spark task); gathers are thread-safe. */
    private transient volatile ClassBalancedDataSetIterator iterator;

    /**
     * @param features the examples {@code [N, ...]}, copied as FLOAT
     * @param labels their class ids {@code [N, 1]} or one-hot rows {@code [N, C]}
     * @param classesPerBatch C
     * @param samplesPerClass K
     * @param seed the sampler's seed
     * @throws IllegalArgumentException as {@link ClassBalancedDataSetIterator.Builder#build()} does (C or K too
     *         small or too large for the classes, lengths that differ, labels neither ids nor one-hot)
     */
    public InMemoryBatchSource(INDArray features, INDArray labels, int classesPerBatch, int samplesPerClass, long seed) {
        this.features = features.castTo(DataType.FLOAT).dup('c').data().asFloat();
        this.shape = features.shape();
        this.classIds = LabelIds.intClassIds(labels, "labels");
        this.classesPerBatch = classesPerBatch;
        this.samplesPerClass = samplesPerClass;
        this.seed = seed;
        this.batchesPerEpoch = iterator().batchesInEpoch(); // validates C, K and the labels
    }

    private ClassBalancedDataSetIterator iterator() {
        ClassBalancedDataSetIterator it = iterator;
        if (it == null) {
            synchronized (this) {
                if (iterator == null) {
                    INDArray ids = Nd4j.createFromArray(classIds).reshape(classIds.length, 1).castTo(DataType.FLOAT);
                    iterator = ClassBalancedDataSetIterator.builder().features(Nd4j.create(features, shape, 'c')).labels(ids)
                            .classesPerBatch(classesPerBatch).samplesPerClass(samplesPerClass).seed(seed).build();
                }
                it = iterator;
            }
        }
        return it;
    }

    @Override
    public int batchesPerEpoch() {
        return batchesPerEpoch;
    }

    @Override
    public int batchSize() {
        return classesPerBatch * samplesPerClass;
    }

    @Override
    public DataSet batch(long epoch, int batchInEpoch) {
        return iterator().batchAt(epoch, batchInEpoch);
    }

    @Override
    public String describe() {
        return String.format(Locale.ROOT, "%d in-memory examples %s of %d classes, %d x %d per batch, seed %d",
                classIds.length, Arrays.toString(Arrays.copyOfRange(shape, 1, shape.length)),
                Arrays.stream(classIds).distinct().count(), classesPerBatch, samplesPerClass, seed);
    }
}
