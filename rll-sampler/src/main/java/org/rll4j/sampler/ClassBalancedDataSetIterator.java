package org.rll4j.sampler;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.shape.Gather;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.DataSetPreProcessor;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A DL4J {@link DataSetIterator} over examples held in memory, in class-balanced batches of {@code C} classes x
 * {@code K} examples: the sampling of the Ranked List Loss paper (Wang et al., "Ranked List Loss for Deep Metric
 * Learning", CVPR 2019, <a href="https://arxiv.org/abs/1903.03238">arXiv:1903.03238</a>; K = 3 and C = 20..60
 * there), so that every query has positives and negatives in its batch. It needs only ND4J: no DataVec, no OpenCV.
 *
 * <pre>
 *   batch size B = C x K;   every batch: C distinct classes, K examples of each, the K of a class together
 * </pre>
 * The batches are those of a {@link ClassBalancedBatchSampler} (its javadoc defines an epoch and the corner cases:
 * a class with fewer than K examples repeats some, a class with a single example is never drawn).
 *
 * <ul>
 *   <li>Features {@code [N, ...]}, any rank, the examples along dimension 0; each batch is {@code [B, ...]} of
 *       the same data type, built by one gather (ND4J's {@code gather} op) of its rows.</li>
 *   <li>Labels: class ids {@code [N, 1]} or one-hot {@code [N, C]} (read by {@link LabelIds}); emitted as class
 *       ids {@code [B, 1]} (default) or one-hot {@code [B, numClasses]} ({@link LabelEncoding}), in the given
 *       labels' data type when that is a floating-point type, FLOAT otherwise.</li>
 *   <li>One epoch = {@link ClassBalancedBatchSampler#epoch(long)}; {@link #reset()} starts the next epoch (epoch
 *       numbers count from {@link Builder#firstEpoch(long)}), as rll-data's {@code SampledDataSetIterator} does,
 *       so {@code net.fit(iterator, n)} trains epochs {@code 0 .. n-1}. To resume, save
 *       {@link #resumePosition()} ({@link ResumableIterator}) with the model after a training step and build with it
 *       as {@code firstEpoch} and {@code firstBatch}: the batches that follow are those of an uninterrupted run
 *       (rll-listeners' {@code ResumableCheckpointListener} does both).</li>
 *   <li>{@link #asyncSupported()} is false: a batch is a single gather of arrays already in memory, cheaper than
 *       DL4J's {@code AsyncDataSetIterator} hand-off to a prefetch thread, and that prefetching would call
 *       {@link #next()} ahead of training, so {@link #batchInEpoch()} would count batches the network has not
 *       seen yet and a checkpoint taken from it would skip them on resume.</li>
 * </ul>
 *
 * <pre>
 * ClassBalancedDataSetIterator train = ClassBalancedDataSetIterator.builder()
 *         .features(x).labels(ids)              // [N, ...] and class ids [N, 1] (or one-hot [N, C])
 *         .classesPerBatch(5).samplesPerClass(12).seed(42)
 *         .build();
 * </pre>
 * then {@code net.fit(train, epochs)} for a DL4J network, {@code sd.fit(train, epochs)} for SameDiff.
 * {@link #collect(DataSetIterator)} builds one from any other iterator's examples. Not thread-safe, like DL4J's
 * iterators.
 */
public final class ClassBalancedDataSetIterator implements DataSetIterator, ResumableIterator {

    private static final long serialVersionUID = 1L;
    private static final String CONTEXT = "ClassBalancedDataSetIterator";

    private final INDArray features;
    private final INDArray classIds;
    private final ClassBalancedBatchSampler sampler;
    private final LabelEncoding encoding;
    private final DataType labelType;
    private final EpochCursor cursor;
    private DataSetPreProcessor preProcessor;

    private ClassBalancedDataSetIterator(Builder b) {
        this.features = Objects.requireNonNull(b.features, "features must be set");
        INDArray labels = Objects.requireNonNull(b.labels, "labels must be set");
        this.encoding = Objects.requireNonNull(b.encoding, "labelEncoding must not be null");
        if (features.rank() < 2) {
            throw new IllegalArgumentException("features must be [N, ...], the examples along dimension 0 and at least "
                    + "one more dimension, found shape " + Arrays.toString(features.shape()) + "; reshape(N, 1) a vector");
        }
        if (features.size(0) != labels.size(0)) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "labels must have one row per example of features (%d), found %d rows", features.size(0), labels.size(0)));
        }
        int[] ids = classIds(labels, b.classNames);
        int numClasses = b.classNames != null ? b.classNames.size()
                : labels.size(1) > 1 ? (int) labels.size(1) : Arrays.stream(ids).max().orElse(0) + 1;
        List<String> names = b.classNames != null ? b.classNames : numberedClasses(numClasses);
        this.sampler = ClassBalancedBatchSampler.builder().labels(LabelIndex.of(names, ids))
                .classesPerBatch(b.classesPerBatch).samplesPerClass(b.samplesPerClass).seed(b.seed).build();
        this.classIds = Nd4j.createFromArray(ids);
        this.labelType = labels.dataType().isFPType() ? labels.dataType() : DataType.FLOAT;
        this.cursor = new EpochCursor(sampler, b.firstEpoch, b.firstBatch);
    }

    /** The class id of every row, checked against the class names when given. */
    private static int[] classIds(INDArray labels, List<String> classNames) {
        int[] ids = LabelIds.intClassIds(labels, CONTEXT);
        if (classNames != null && labels.size(1) > 1 && labels.size(1) != classNames.size()) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "classNames must name every one-hot column (%d), found %d names", labels.size(1), classNames.size()));
        }
        for (int r = 0; r < ids.length; r++) {
            if (ids[r] < 0 || ids[r] == Integer.MAX_VALUE) {
                throw new IllegalArgumentException(String.format(Locale.ROOT,
                        "labels row %d must be a class id >= 0, found %d", r, ids[r]));
            }
            if (classNames != null && ids[r] >= classNames.size()) {
                throw new IllegalArgumentException(String.format(Locale.ROOT,
                        "labels row %d must be a class id in [0, %d), one of the classNames, found %d; name every class",
                        r, classNames.size(), ids[r]));
            }
        }
        return ids;
    }

    private static List<String> numberedClasses(int numClasses) {
        List<String> names = new ArrayList<>(numClasses);
        for (int c = 0; c < numClasses; c++) {
            names.add(Integer.toString(c));
        }
        return names;
    }

    /** A builder; features, labels, C and K are required. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * A builder holding every example of {@code source}: it reads the source to its end once, now, and concatenates
     * the batches' features and labels (set C, K, the seed and the rest on the builder as usual). The source's
     * pre-processor, if any, has then been applied once to each example; its class names are not taken over (DL4J
     * iterators differ in what {@code getLabels()} returns; set them with {@link Builder#classNames(List)}).
     *
     * <p><b>Memory:</b> the whole set is held in ND4J (off-heap) memory: the features, {@code N x} values per
     * example {@code x} bytes of their data type, and the labels ({@code N x C} values when they are one-hot), which
     * the iterator reads into one int per example when it is built; while collecting, the source's batches and their
     * concatenation are held together, about twice that. For sets that do not fit, sample from a random-access source instead (rll-data's
     * {@code SampledDataSetIterator} reads images per batch).
     *
     * @param source any iterator over labelled examples (class ids {@code [B, 1]} or one-hot labels), without masks;
     *        reset first when it has nothing left and can be reset, and left at its end
     * @return a builder with {@link Builder#features(INDArray)} and {@link Builder#labels(INDArray)} set
     * @throws IllegalArgumentException if the source has no examples or a batch has masks
     */
    public static Builder collect(DataSetIterator source) {
        Objects.requireNonNull(source, "source must not be null");
        if (!source.hasNext() && source.resetSupported()) {
            source.reset();
        }
        List<INDArray> xs = new ArrayList<>();
        List<INDArray> ys = new ArrayList<>();
        while (source.hasNext()) {
            DataSet ds = source.next();
            if (ds.getFeaturesMaskArray() != null || ds.getLabelsMaskArray() != null) {
                throw new IllegalArgumentException("batch " + xs.size() + " of the source has a features or labels mask; "
                        + "masked (variable-length) examples cannot be batched by class here");
            }
            // detach: a copy only when the array lives in a workspace the source may reuse for its next batch
            xs.add(ds.getFeatures().detach());
            ys.add(ds.getLabels().detach());
        }
        if (xs.isEmpty()) {
            throw new IllegalArgumentException("the source has no examples (hasNext() is false"
                    + (source.resetSupported() ? " after reset()" : " and it cannot be reset") + ")");
        }
        return builder().features(concat(xs)).labels(concat(ys));
    }

    private static INDArray concat(List<INDArray> parts) {
        return parts.size() == 1 ? parts.get(0) : Nd4j.concat(0, parts.toArray(new INDArray[0]));
    }

    /** The sampler that picks the batches (C, K, the seed, batches per epoch, ineligible classes). */
    public ClassBalancedBatchSampler sampler() {
        return sampler;
    }

    @Override
    public long epoch() {
        return cursor.epoch();
    }

    @Override
    public int batchInEpoch() {
        return cursor.batchInEpoch();
    }

    /** Batches in the current epoch (every epoch has as many: {@link ClassBalancedBatchSampler#batchesPerEpoch()}). */
    @Override
    public int batchesInEpoch() {
        return cursor.batchesInEpoch();
    }

    @Override
    public boolean hasNext() {
        return cursor.hasNext();
    }

    /**
     * The next batch of the epoch.
     *
     * @throws java.util.NoSuchElementException when the epoch is over ({@link #reset()} starts the next)
     */
    @Override
    public DataSet next() {
        return gather(cursor.next());
    }

    /**
     * Batch {@code batchInEpoch} of epoch {@code epoch}: the batch an iterator at that position would hand out next,
     * without moving this one (random access for callers that build batches by their coordinates, e.g. rll-spark's
     * executors). Safe to call from several threads at once.
     *
     * @throws IllegalArgumentException when the epoch is negative or the batch is outside the epoch
     */
    public DataSet batchAt(long epoch, int batchInEpoch) {
        if (epoch < 0) {
            throw new IllegalArgumentException("epoch must be >= 0, found " + epoch);
        }
        int[][] batches = sampler.epoch(epoch);
        if (batchInEpoch < 0 || batchInEpoch >= batches.length) {
            throw new IllegalArgumentException("batch " + batchInEpoch + " of epoch " + epoch + " asked; an epoch has "
                    + batches.length + " batches");
        }
        return gather(batches[batchInEpoch]);
    }

    private DataSet gather(int[] examples) {
        INDArray rows = Nd4j.createFromArray(examples);
        INDArray x = Nd4j.exec(new Gather(features, rows, 0))[0];
        INDArray ids = Nd4j.exec(new Gather(classIds, rows, 0))[0];
        DataSet ds = new DataSet(x, encoding.encode(ids, sampler.labels().numClasses(), labelType));
        if (preProcessor != null) {
            preProcessor.preProcess(ds);
        }
        return ds;
    }

    @Override
    public DataSet next(int num) {
        if (num != batch()) {
            throw new UnsupportedOperationException("the batch size is fixed by the sampler (C x K = " + batch()
                    + "), asked for " + num);
        }
        return next();
    }

    /** Values per example: the product of the features' dimensions after the first. */
    @Override
    public int inputColumns() {
        return Math.toIntExact(features.length() / features.size(0));
    }

    @Override
    public int totalOutcomes() {
        return encoding.width(sampler.labels().numClasses());
    }

    @Override
    public boolean resetSupported() {
        return true;
    }

    /** False: see the class comment (position for checkpoints; a gather needs no prefetch thread). */
    @Override
    public boolean asyncSupported() {
        return false;
    }

    /** Starts the next epoch (discarding the batches of this one not handed out yet). */
    @Override
    public void reset() {
        cursor.nextEpoch();
    }

    /** {@code C x K}. */
    @Override
    public int batch() {
        return sampler.batchSize();
    }

    @Override
    public void setPreProcessor(DataSetPreProcessor preProcessor) {
        this.preProcessor = preProcessor;
    }

    @Override
    public DataSetPreProcessor getPreProcessor() {
        return preProcessor;
    }

    /** The class names, index = class id: those given, or {@code "0", "1", ...}. */
    @Override
    public List<String> getLabels() {
        return sampler.labels().classNames();
    }

    /** Validating builder; {@link #build()} checks everything and names the value at fault. */
    public static final class Builder {
        private INDArray features;
        private INDArray labels;
        private List<String> classNames;
        private int classesPerBatch;
        private int samplesPerClass;
        private long seed;
        private long firstEpoch;
        private int firstBatch;
        private LabelEncoding encoding = LabelEncoding.CLASS_IDS;

        private Builder() {
        }

        /** The examples {@code [N, ...]}, any rank, one per row along dimension 0 (required; held, not copied). */
        public Builder features(INDArray features) {
            this.features = features;
            return this;
        }

        /**
         * Their classes (required): class ids {@code [N, 1]} (integers {@code >= 0}) or one-hot rows {@code [N, C]}.
         * The class ids are read once, when building.
         */
        public Builder labels(INDArray labels) {
            this.labels = labels;
            return this;
        }

        /**
         * Names of the classes, index = class id (optional; default {@code "0", "1", ...} up to the largest id, or
         * one per one-hot column). With names, the ids must be below their number, and one-hot labels need one name
         * per column. The number of classes is the width of emitted one-hot labels.
         */
        public Builder classNames(List<String> classNames) {
            this.classNames = classNames == null ? null : List.copyOf(classNames);
            return this;
        }

        /** C, classes per batch, {@code >= 2} and at most the number of classes with at least 2 examples (required). */
        public Builder classesPerBatch(int c) {
            this.classesPerBatch = c;
            return this;
        }

        /** K, examples per class, {@code >= 2} (required; the paper uses 3). */
        public Builder samplesPerClass(int k) {
            this.samplesPerClass = k;
            return this;
        }

        /** Seed of the sampler's choices (default 0); the same seed gives the same batches. */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /** Epoch to start at, {@code >= 0} (to resume a run); default 0. */
        public Builder firstEpoch(long firstEpoch) {
            this.firstEpoch = firstEpoch;
            return this;
        }

        /**
         * Batch of the first epoch to start at, in {@code [0, batches per epoch]} (to resume a run mid-epoch): the
         * batches before it are skipped, the ones after it are exactly those of an uninterrupted run. Default 0.
         */
        public Builder firstBatch(int firstBatch) {
            this.firstBatch = firstBatch;
            return this;
        }

        /** Form of the emitted labels; default {@link LabelEncoding#CLASS_IDS} ({@code [B, 1]}). */
        public Builder labelEncoding(LabelEncoding encoding) {
            this.encoding = encoding;
            return this;
        }

        /**
         * Validates and builds.
         *
         * @throws IllegalArgumentException naming the value: features and labels of different lengths, labels
         *         neither class ids nor one-hot, a negative id, C or K below 2, C above the number of classes with
         *         at least 2 examples, a first batch past the end of its epoch
         */
        public ClassBalancedDataSetIterator build() {
            return new ClassBalancedDataSetIterator(this);
        }
    }
}
