package org.rll4j.data;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import org.bytedeco.opencv.opencv_core.Mat;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.DataSetPreProcessor;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.factory.Nd4j;
import org.rll4j.sampler.BatchSampler;
import org.rll4j.sampler.ClassBalancedBatchSampler;
import org.rll4j.sampler.EpochCursor;
import org.rll4j.sampler.LabelEncoding;
import org.rll4j.sampler.LabelIndex;
import org.rll4j.sampler.ResumableIterator;
import org.rll4j.sampler.SequentialBatchSampler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A DL4J {@link DataSetIterator} over an {@link ExampleSource}: a {@link BatchSampler} picks the
 * examples of each batch (class-balanced for training, sequential for evaluation), an {@link ExampleSource} decodes them and an {@link ImagePipeline} augments and
 * normalises them, on worker threads.
 *
 * <ul>
 *   <li>Features {@code [B, C, H, W]} FLOAT; labels the class ids {@code [B, 1]} of the source's
 *       {@link LabelIndex}, or one-hot {@code [B, numClasses]} with {@link LabelEncoding#ONE_HOT}.</li>
 *   <li>One epoch = {@link ClassBalancedBatchSampler#epoch(long)}; {@link #reset()} starts the next
 *       epoch (epoch numbers count from {@code firstEpoch}).</li>
 *   <li>Workers build whole batches; at most {@code prefetch} batches are in flight or waiting,
 *       and batches come out in sampler order. The random augmentation of batch {@code b} of epoch
 *       {@code e} is seeded by {@code (seed, e, b)}, so results do not depend on the number of
 *       workers or on thread timing.</li>
 *   <li>It prefetches itself, so {@link #asyncSupported()} is false; wrapping it in DL4J's
 *       {@code AsyncDataSetIterator} still works.</li>
 *   <li>An image that cannot be decoded (corrupt, truncated, vanished) is, by default
 *       ({@link OnUndecodable#REPLACE_WITHIN_CLASS}), replaced by another image of the same class,
 *       with a warning naming the file the first time; it is then never used again and is listed by
 *       {@link #undecodable()}. A class left without decodable images fails the batch with an error
 *       naming the class. With {@link OnUndecodable#SKIP} (evaluation, embedding) it is left out of
 *       its batch, which is then shorter (possibly empty), with the same warning and listing; with
 *       {@link OnUndecodable#FAIL} the first one fails.</li>
 *   <li>Every batch carries, as its example metadata ({@link DataSet#getExampleMetaData()}), the
 *       source index ({@link Integer}) of each row: the rows an evaluation embedded, when some were
 *       skipped, or the replacement a training batch used.</li>
 * </ul>
 * Call {@link #close()} to stop the worker threads (they are daemon threads either way).
 */
public final class SampledDataSetIterator implements DataSetIterator, ResumableIterator, AutoCloseable {

    private static final long serialVersionUID = 1L;
    private static final Logger log = LoggerFactory.getLogger(SampledDataSetIterator.class);

    /** What to do with an example that cannot be decoded. */
    public enum OnUndecodable {
        /** Replace it by another example of its class (training batches keep their C x K shape). */
        REPLACE_WITHIN_CLASS,
        /**
         * Leave it out of its batch, which is then shorter (possibly empty); the batch's example
         * metadata says which examples it holds. For evaluating or embedding a set that may hold a
         * corrupt file.
         */
        SKIP,
        /** Fail with an error naming it. */
        FAIL
    }

    private final transient ExampleSource source;
    private final BatchSampler sampler;
    private final OnUndecodable onUndecodable;
    private final ImagePipeline pipeline;
    private final LabelEncoding encoding;
    private final long seed;
    private final int prefetch;
    private final transient ExecutorService workers;
    private final transient ThreadLocal<ImagePipeline.Runner> runners;
    private final Set<Integer> undecodable = ConcurrentHashMap.newKeySet();

    private final transient ArrayDeque<Future<DataSet>> inFlight = new ArrayDeque<>();
    private final EpochCursor cursor;
    /** Batches of the cursor's epoch given to the workers so far (at least those handed out). */
    private int submitted;
    private DataSetPreProcessor preProcessor;

    private SampledDataSetIterator(Builder b) {
        this.source = Objects.requireNonNull(b.source, "source must be set");
        this.sampler = Objects.requireNonNull(b.sampler, "sampler must be set");
        this.pipeline = Objects.requireNonNull(b.pipeline, "pipeline must be set");
        this.encoding = Objects.requireNonNull(b.encoding, "labelEncoding must not be null");
        this.onUndecodable = Objects.requireNonNull(b.onUndecodable, "onUndecodable must not be null");
        if (sampler instanceof ClassBalancedBatchSampler cb && !cb.labels().equals(source.labels())) {
            throw new IllegalArgumentException("the sampler must be built on the source's labels (source.labels())");
        }
        if (b.workers < 1) {
            throw new IllegalArgumentException("workers must be >= 1, found " + b.workers);
        }
        if (b.prefetch < 1) {
            throw new IllegalArgumentException("prefetch must be >= 1, found " + b.prefetch);
        }
        this.seed = b.seed;
        this.prefetch = b.prefetch;
        this.cursor = new EpochCursor(sampler, b.firstEpoch, b.firstBatch); // validates before threads start
        AtomicInteger n = new AtomicInteger();
        this.workers = Executors.newFixedThreadPool(b.workers, r -> {
            Thread t = new Thread(r, "rll4j-data-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.runners = ThreadLocal.withInitial(pipeline::newRunner);
        // The workers are the parallelism: OpenCV's own thread pool on top of them oversubscribes the
        // cores (measured on 2 cores: 2 workers ran at 0.4x the speed of 1). This is process-wide.
        org.bytedeco.opencv.global.opencv_core.setNumThreads(1);
        submitted = cursor.batchInEpoch();
        fill();
    }

    /** A builder; source, sampler and pipeline are required. */
    public static Builder builder() {
        return new Builder();
    }

    private void fill() {
        while (inFlight.size() < prefetch && submitted < cursor.batchesInEpoch()) {
            final int b = submitted++;
            final int[] indices = cursor.batch(b);
            final long batchSeed = mix(seed, cursor.epoch(), b);
            inFlight.add(workers.submit(() -> build(indices, batchSeed)));
        }
    }

    private DataSet build(int[] indices, long batchSeed) throws IOException {
        Random random = new Random(batchSeed);
        int per = pipeline.valuesPerImage();
        INDArray x = Nd4j.createUninitialized(DataType.FLOAT, indices.length, pipeline.channels(), pipeline.height(),
                pipeline.width());
        java.nio.FloatBuffer features = x.data().asNioFloat(); // written in place, no Java-heap copy
        float[] labels = new float[indices.length];
        List<Integer> rows = new ArrayList<>(indices.length);
        ImagePipeline.Runner runner = runners.get();
        LabelIndex index = source.labels();
        for (int example : indices) {
            Mat image = null;
            while (image == null) {
                if (undecodable.contains(example)) {
                    if (onUndecodable == OnUndecodable.SKIP) {
                        break;
                    }
                    example = replacement(example, random);
                    continue;
                }
                try {
                    image = source.read(example);
                } catch (IOException e) {
                    if (onUndecodable == OnUndecodable.FAIL) {
                        throw e;
                    }
                    if (undecodable.add(example)) {
                        log.warn("skipping an image that cannot be decoded, {}: {}", onUndecodable == OnUndecodable.SKIP
                                ? "left out" : "replaced by another of its class", e.getMessage());
                    }
                }
            }
            if (image == null) {
                continue; // skipped
            }
            int row = rows.size();
            try {
                runner.apply(image, random, features, row * per);
            } finally {
                image.close();
            }
            labels[row] = index.label(example);
            rows.add(example);
        }
        int n = rows.size();
        if (n < indices.length) {
            x = n == 0 ? Nd4j.create(DataType.FLOAT, 0, pipeline.channels(), pipeline.height(), pipeline.width())
                    : x.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, n)).dup();
            labels = java.util.Arrays.copyOf(labels, n);
        }
        INDArray y = encoding.encode(Nd4j.createFromArray(labels), index.numClasses(), DataType.FLOAT);
        DataSet ds = new DataSet(x, y);
        ds.setExampleMetaData(rows);
        return ds;
    }

    private int replacement(int example, Random random) {
        int c = source.labels().label(example);
        int[] members = source.labels().examplesOf(c);
        List<Integer> usable = new ArrayList<>();
        for (int m : members) {
            if (!undecodable.contains(m)) {
                usable.add(m);
            }
        }
        if (usable.isEmpty()) {
            throw new java.io.UncheckedIOException(new IOException(String.format(Locale.ROOT,
                    "class '%s' has no decodable image left (%d tried, e.g. %s); fix or remove its files",
                    source.labels().className(c), members.length, source.describe(members[0]))));
        }
        return usable.get(random.nextInt(usable.size()));
    }

    private static long mix(long seed, long epoch, int batch) {
        long z = seed * 0x9E3779B97F4A7C15L + epoch * 0xC2B2AE3D27D4EB4FL + batch;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /**
     * An iterator over every example of {@code source} once, in order, with a deterministic pipeline:
     * for embedding a set. Undecodable examples are left out with a warning naming them
     * ({@link OnUndecodable#SKIP}; {@link #undecodable()} lists them, and each batch's example
     * metadata names the examples it holds).
     */
    public static SampledDataSetIterator sequential(ExampleSource source, ImagePipeline pipeline, int batchSize, int workers) {
        return sequential(source, pipeline, batchSize, workers, OnUndecodable.SKIP);
    }

    /** {@link #sequential(ExampleSource, ImagePipeline, int, int)} with another policy for undecodable examples. */
    public static SampledDataSetIterator sequential(ExampleSource source, ImagePipeline pipeline, int batchSize, int workers,
                                                    OnUndecodable onUndecodable) {
        return builder().source(source).sampler(new SequentialBatchSampler(source.size(), batchSize)).pipeline(pipeline)
                .workers(workers).onUndecodable(onUndecodable).build();
    }

    /** Examples that failed to decode so far (their descriptions, e.g. file paths). */
    public List<String> undecodable() {
        List<String> out = new ArrayList<>();
        for (int i : undecodable) {
            out.add(source.describe(i));
        }
        Collections.sort(out);
        return out;
    }

    @Override
    public long epoch() {
        return cursor.epoch();
    }

    /** Batches of the current epoch handed out so far: built and returned by {@link #next()}, not merely prefetched. */
    @Override
    public int batchInEpoch() {
        return cursor.batchInEpoch();
    }

    @Override
    public int batchesInEpoch() {
        return cursor.batchesInEpoch();
    }

    @Override
    public boolean hasNext() {
        return cursor.hasNext();
    }

    @Override
    public DataSet next() {
        cursor.requireNext();
        Future<DataSet> head = inFlight.poll();
        DataSet ds;
        try {
            ds = head.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a batch", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException("building batch " + cursor.batchInEpoch() + " of epoch " + cursor.epoch()
                    + " failed: " + cause, cause);
        }
        cursor.next(); // handed out only once built: a failed batch is not counted as trained
        fill();
        if (preProcessor != null) {
            preProcessor.preProcess(ds);
        }
        return ds;
    }

    /**
     * Builds batch {@code batchInEpoch} of epoch {@code epoch} in the calling thread, the batch an iterator at that
     * position would hand out next (same examples, augmentation and labels), without moving this iterator or its
     * prefetching: random access for callers that build batches by their coordinates (rll-spark's executors).
     * Safe to call from several threads at once.
     *
     * @throws IllegalArgumentException when the epoch is negative or the batch is outside the epoch
     * @throws IOException when an example cannot be read and the policy is to fail
     */
    public DataSet batchAt(long epoch, int batchInEpoch) throws IOException {
        if (epoch < 0) {
            throw new IllegalArgumentException("epoch must be >= 0, found " + epoch);
        }
        int[][] batches = sampler.epoch(epoch);
        if (batchInEpoch < 0 || batchInEpoch >= batches.length) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "batch %d of epoch %d asked; an epoch has %d batches",
                    batchInEpoch, epoch, batches.length));
        }
        DataSet ds = build(batches[batchInEpoch], mix(seed, epoch, batchInEpoch));
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

    @Override
    public int inputColumns() {
        return pipeline.valuesPerImage();
    }

    @Override
    public int totalOutcomes() {
        return encoding.width(source.labels().numClasses());
    }

    @Override
    public boolean resetSupported() {
        return true;
    }

    @Override
    public boolean asyncSupported() {
        return false;
    }

    /** Starts the next epoch (discarding batches not consumed yet). */
    @Override
    public void reset() {
        for (Future<DataSet> f : inFlight) {
            f.cancel(false);
        }
        inFlight.clear();
        cursor.nextEpoch();
        submitted = 0;
        fill();
    }

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

    @Override
    public List<String> getLabels() {
        return source.labels().classNames();
    }

    /** Stops the worker threads. */
    @Override
    public void close() {
        workers.shutdownNow();
    }

    /** Builder. */
    public static final class Builder {
        private ExampleSource source;
        private BatchSampler sampler;
        private ImagePipeline pipeline;
        private OnUndecodable onUndecodable = OnUndecodable.REPLACE_WITHIN_CLASS;
        private LabelEncoding encoding = LabelEncoding.CLASS_IDS;
        private int workers = 2;
        private int prefetch = 4;
        private long seed;
        private long firstEpoch;
        private int firstBatch;

        private Builder() {
        }

        /** Where the examples come from (required). */
        public Builder source(ExampleSource source) {
            this.source = source;
            return this;
        }

        /** Which examples form a batch (required; a class-balanced one must be built on {@code source.labels()}). */
        public Builder sampler(BatchSampler sampler) {
            this.sampler = sampler;
            return this;
        }

        /** Policy for undecodable examples; default {@link OnUndecodable#REPLACE_WITHIN_CLASS}. */
        public Builder onUndecodable(OnUndecodable policy) {
            this.onUndecodable = policy;
            return this;
        }

        /** How images become inputs (required). */
        public Builder pipeline(ImagePipeline pipeline) {
            this.pipeline = pipeline;
            return this;
        }

        /** Label form; default {@link LabelEncoding#CLASS_IDS}. */
        public Builder labelEncoding(LabelEncoding encoding) {
            this.encoding = encoding;
            return this;
        }

        /** Decoding threads, {@code >= 1}; default 2. */
        public Builder workers(int workers) {
            this.workers = workers;
            return this;
        }

        /** Batches in flight or waiting, {@code >= 1}; default 4. */
        public Builder prefetch(int prefetch) {
            this.prefetch = prefetch;
            return this;
        }

        /** Seed of the augmentation (the sampler has its own); default 0. */
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
         * Batch of the first epoch to start at (to resume a run mid-epoch): the batches before it are
         * skipped without being built, and the ones after it are exactly those of an uninterrupted
         * run (same classes, images and augmentation seeds). Default 0.
         */
        public Builder firstBatch(int firstBatch) {
            this.firstBatch = firstBatch;
            return this;
        }

        /** Validates and starts the workers. */
        public SampledDataSetIterator build() {
            return new SampledDataSetIterator(this);
        }
    }
}
