package org.rll4j.spark;

import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.util.CollectionAccumulator;
import org.apache.spark.util.LongAccumulator;
import org.deeplearning4j.core.storage.StatsStorageRouter;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.deeplearning4j.spark.api.Repartition;
import org.deeplearning4j.spark.api.stats.SparkTrainingStats;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.rll4j.sampler.ResumableIterator;

/**
 * Trains an embedding network (any rll4j loss layer; one or several outputs) on Spark with DL4J's
 * {@link SparkComputationGraph} and {@link ParameterAveragingTrainingMaster}, on whole C x K class-balanced batches,
 * while the driver keeps the model and runs the training listeners a single-machine fit would run.
 *
 * <h2>How a round goes</h2>
 * <ol>
 *   <li>The driver takes the sampler's next batches, as coordinates {@code (epoch, batch)} ({@link BatchPaths}), and
 *       gives them to {@code SparkComputationGraph.fitPaths} with a {@link BatchLoader}: Spark ships strings, not
 *       images.</li>
 *   <li>Each worker builds its batches from the {@link BatchSource} where it fits them, and fits each as one
 *       minibatch: the training master's batch size per worker and examples per RDD object are both C x K, so it never
 *       splits or merges a batch. A {@link WholeBatchHook} on every worker fails the job if a minibatch is not one whole
 *       C x K batch, and counts the fitted batches: a round in which Spark fitted fewer or more batches than were sent
 *       fails too.</li>
 *   <li>The driver's network gets the workers' averaged parameters and updater state; its iteration counter becomes
 *       the batches fitted so far (one iteration = one C x K batch, as in single-machine training, so an epoch and a
 *       {@code training.iterations} budget mean the same data), its epoch counter the sampler's epoch, and its score
 *       the workers' mean loss of the round. The workers' copies start each round at these counters (DL4J's would
 *       start at 0: see {@link WorkerCountersHook}), so Adam's bias correction and learning-rate schedules run as in a
 *       single-machine run.</li>
 *   <li>The driver listeners ({@link #setListeners}) get {@code iterationDone(net, iterations - 1, epoch)} once per
 *       round (and {@code onEpochEnd} when the round ends an epoch), exactly as from a fit loop: rll4j's evaluation,
 *       best-model, checkpoint and divergence listeners work unchanged. Rounds end at the multiples of
 *       {@link Builder#alignTo} (give it the listeners' "every N iterations"), at epoch ends and at the run's end.</li>
 * </ol>
 * The trainer is the {@link ResumableIterator} of the run: a {@code ResumableCheckpointListener} given it saves the
 * sampler position, and a trainer built {@link Builder#from} that position on the restored network continues the run
 * with the batches an uninterrupted one would have fitted. Workers' listeners (DL4J's {@code StatsListener} for the
 * training UI) go to {@link Builder#workerListeners}; DL4J routes what they record to the driver's
 * {@link StatsStorageRouter} (or to a remote UI through a {@code RemoteUIStatsStorageRouter}).
 *
 * <p>Parameter averaging is not the same optimisation as one machine fitting the same batches in sequence: each worker
 * takes {@code averagingFrequency} steps from the same start and the steps are averaged, so the model moves about
 * {@code 1 / workers} as far per batch. Not bit-reproducible across runs: the order in which workers' results are
 * summed varies.
 */
public final class SparkEmbeddingTrainer implements ResumableIterator {

    private static final Field SCORE = scoreField();

    /** One round: its batches, the mean loss the workers reported and its wall time. */
    public record Round(long firstIteration, int batches, long epoch, double score, double seconds) {
    }

    private final ComputationGraph net;
    private final BatchSource source;
    private final SparkTrainingSettings settings;
    private final List<TrainingListener> listeners = new ArrayList<>();
    private final int[] alignTo;
    private final JavaSparkContext sc;
    private final SparkComputationGraph sparkNet;
    private final ParameterAveragingTrainingMaster master;
    private final LongAccumulator fitted;
    private final CollectionAccumulator<FittedBatch> record;
    private final BatchLoader loader;
    private final WorkerCountersHook counters = new WorkerCountersHook();
    private long epoch;
    private int batchInEpoch;
    private Round last;

    private SparkEmbeddingTrainer(Builder b) {
        this.sc = Objects.requireNonNull(b.sc, "sparkContext must be set");
        this.net = Objects.requireNonNull(b.net, "network must be set");
        this.source = Objects.requireNonNull(b.source, "batches must be set");
        this.settings = b.settings;
        this.alignTo = b.alignTo.clone();
        for (int a : alignTo) {
            if (a < 0) {
                throw new IllegalArgumentException("alignTo must be >= 0 iterations (0: none), found " + a);
            }
        }
        ResumableIterator.Position from = b.from == null ? new Position(0, 0) : b.from;
        if (from.batchInEpoch() > source.batchesPerEpoch()) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "from: batch %d of epoch %d is past the end of an "
                    + "epoch of %d batches (%s)", from.batchInEpoch(), from.epoch(), source.batchesPerEpoch(), source.describe()));
        }
        this.epoch = from.batchInEpoch() == source.batchesPerEpoch() ? from.epoch() + 1 : from.epoch();
        this.batchInEpoch = from.batchInEpoch() == source.batchesPerEpoch() ? 0 : from.batchInEpoch();
        int k = b.samplesPerClass;
        if (k < 2 || source.batchSize() % k != 0) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "samplesPerClass must be K >= 2 dividing the batch "
                    + "size %d of %s, found %d", source.batchSize(), source.describe(), k));
        }
        this.fitted = sc.sc().longAccumulator("rll4j fitted batches");
        this.record = b.recordBatches ? sc.sc().collectionAccumulator("rll4j fitted batch records") : null;
        int batch = source.batchSize();
        this.master = new ParameterAveragingTrainingMaster.Builder(settings.workers(), batch).batchSizePerWorker(batch)
                .averagingFrequency(settings.averagingFrequency()).workerPrefetchNumBatches(settings.prefetch())
                .repartionData(Repartition.Never).saveUpdater(true).collectTrainingStats(settings.collectTrainingStats())
                .rngSeed(settings.seed()).trainingHooks(counters, new WholeBatchHook(batch / k, k, fitted, record)).build();
        this.sparkNet = new SparkComputationGraph(sc, net, master);
        sparkNet.setCollectTrainingStats(settings.collectTrainingStats());
        if (!b.workerListeners.isEmpty()) {
            if (b.router == null) {
                sparkNet.setListeners(b.workerListeners);
            } else {
                sparkNet.setListeners(b.router, b.workerListeners);
            }
        }
        this.loader = new BatchLoader(source, net.getNumOutputArrays());
        net.getConfiguration().setEpochCount(Math.toIntExact(epoch));
    }

    /** A builder; context, network, batches and K are required. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Trains rounds until the network's iteration counter reaches {@code totalIterations}.
     *
     * @param totalIterations the run's length in C x K batches
     * @return the network (the driver's, with the averaged parameters)
     * @throws IllegalStateException when a worker met a minibatch that is not a whole batch, or a round fitted
     *         another number of batches than it was sent
     */
    public ComputationGraph fit(long totalIterations) {
        while (net.getIterationCount() < totalIterations) {
            fitRound(totalIterations);
        }
        return net;
    }

    /**
     * Trains one round (see the class comment) towards {@code totalIterations}, then runs the driver listeners.
     *
     * @return the round, or null when the network has already reached {@code totalIterations}
     */
    public Round fitRound(long totalIterations) {
        long done = net.getIterationCount();
        long size = Math.min(totalIterations - done, settings.batchesPerRound());
        if (size <= 0) {
            return null;
        }
        size = Math.min(size, source.batchesPerEpoch() - batchInEpoch);
        for (int a : alignTo) {
            if (a > 0) {
                size = Math.min(size, (done / a + 1) * a - done);
            }
        }
        int n = (int) size;
        List<String> paths = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            paths.add(BatchPaths.of(new Position(epoch, batchInEpoch + i)));
        }
        long fittedBefore = fitted.value();
        counters.roundStartsAt(Math.toIntExact(done), Math.toIntExact(epoch));
        long start = System.nanoTime();
        JavaRDD<String> rdd = sc.parallelize(paths, Math.min(settings.workers(), n));
        try {
            sparkNet.fitPaths(rdd, loader);
        } catch (RuntimeException e) {
            // a failed Spark job ends before DL4J applies the average (after every worker finished), but DL4J has
            // already counted an epoch: put the counters back, so that the network is that of the last round
            net.getConfiguration().setIterationCount(Math.toIntExact(done));
            net.getConfiguration().setEpochCount(Math.toIntExact(epoch));
            throw e;
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        long fittedNow = fitted.value() - fittedBefore;
        if (fittedNow != n) {
            throw new IllegalStateException(String.format(Locale.ROOT, "Spark fitted %d batches in a round it was sent %d "
                    + "(epoch %d, batches %d-%d): a task was lost or run twice, or the training master dropped data",
                    fittedNow, n, epoch, batchInEpoch, batchInEpoch + n - 1));
        }
        double score = sparkNet.getScore();
        setScore(net, score);
        last = new Round(done, n, epoch, score, seconds);
        batchInEpoch += n;
        long iterations = done + n;
        net.getConfiguration().setEpochCount(Math.toIntExact(epoch));
        // as in DL4J's fit loop: listeners see the step's counter, then it is incremented
        net.getConfiguration().setIterationCount(Math.toIntExact(iterations - 1));
        for (TrainingListener l : listeners) {
            l.iterationDone(net, Math.toIntExact(iterations - 1), Math.toIntExact(epoch));
        }
        net.getConfiguration().setIterationCount(Math.toIntExact(iterations));
        if (batchInEpoch == source.batchesPerEpoch()) {
            for (TrainingListener l : listeners) {
                l.onEpochEnd(net);
            }
            epoch++;
            batchInEpoch = 0;
            net.getConfiguration().setEpochCount(Math.toIntExact(epoch));
        }
        return last;
    }

    /**
     * Sets the listeners run on the driver after every round, in this order (e.g. the divergence guard, the
     * evaluation with its best-model callback, the checkpoints); set after building, because a checkpoint listener
     * takes this trainer as its resumable iterator.
     */
    public void setListeners(TrainingListener... l) {
        listeners.clear();
        listeners.addAll(Arrays.asList(l));
    }

    /** The last round, or null before the first. */
    public Round lastRound() {
        return last;
    }

    /** The batches the workers fitted, in no particular order, when {@link Builder#recordBatches} asked for them. */
    public List<FittedBatch> fittedBatches() {
        if (record == null) {
            throw new IllegalStateException("build the trainer with recordBatches(true) to record the fitted batches");
        }
        return List.copyOf(record.value());
    }

    /** Batches fitted by this trainer's rounds so far (counted on the workers). */
    public long batchesFitted() {
        return fitted.value();
    }

    /** DL4J's Spark timing stats of the rounds so far, or null without {@code collectTrainingStats}. */
    public SparkTrainingStats trainingStats() {
        return sparkNet.getSparkTrainingStats();
    }

    /** The driver's network. */
    public ComputationGraph network() {
        return net;
    }

    /** The settings. */
    public SparkTrainingSettings settings() {
        return settings;
    }

    @Override
    public long epoch() {
        return epoch;
    }

    @Override
    public int batchInEpoch() {
        return batchInEpoch;
    }

    @Override
    public int batchesInEpoch() {
        return source.batchesPerEpoch();
    }

    private static Field scoreField() {
        try {
            Field f = ComputationGraph.class.getDeclaredField("score");
            f.setAccessible(true);
            return f;
        } catch (NoSuchFieldException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** DL4J keeps a graph's score in a protected field without a setter; the training master only sets the Spark wrapper's. */
    private static void setScore(ComputationGraph net, double score) {
        try {
            SCORE.setDouble(net, score);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Builds a {@link SparkEmbeddingTrainer}. */
    public static final class Builder {
        private JavaSparkContext sc;
        private ComputationGraph net;
        private BatchSource source;
        private int samplesPerClass;
        private SparkTrainingSettings settings = SparkTrainingSettings.builder().build();
        private int[] alignTo = new int[0];
        private StatsStorageRouter router;
        private final List<TrainingListener> workerListeners = new ArrayList<>();
        private boolean recordBatches;
        private Position from;

        private Builder() {
        }

        /** The Spark context (required; Kryo with {@code org.nd4j.kryo.Nd4jRegistrator} recommended). */
        public Builder sparkContext(JavaSparkContext context) {
            this.sc = context;
            return this;
        }

        /** The driver's network (required; initialised, or restored from a checkpoint with its counters). */
        public Builder network(ComputationGraph network) {
            this.net = network;
            return this;
        }

        /** The training batches (required). */
        public Builder batches(BatchSource batches) {
            this.source = batches;
            return this;
        }

        /** K, the images per class of a batch (required): the workers' check of whole batches needs it. */
        public Builder samplesPerClass(int k) {
            this.samplesPerClass = k;
            return this;
        }

        /** How to train (default {@link SparkTrainingSettings#builder()}'s defaults). */
        public Builder settings(SparkTrainingSettings s) {
            this.settings = Objects.requireNonNull(s, "settings");
            return this;
        }

        /** Rounds end at the multiples of each of these iteration counts (0 = none): the driver listeners' schedules. */
        public Builder alignTo(int... everyN) {
            this.alignTo = everyN.clone();
            return this;
        }

        /**
         * Listeners that run on the workers (e.g. DL4J's {@code new StatsListener(null, n, sessionId)}); what they record
         * is routed to {@code router} on the driver (null: they record nothing to storage).
         */
        public Builder workerListeners(StatsStorageRouter router, TrainingListener... l) {
            this.router = router;
            workerListeners.addAll(Arrays.asList(l));
            return this;
        }

        /** Records every fitted batch ({@link #fittedBatches()}); for tests and audits, default false. */
        public Builder recordBatches(boolean on) {
            this.recordBatches = on;
            return this;
        }

        /** Where the sampler starts: a checkpoint's position (default epoch 0, batch 0). */
        public Builder from(Position position) {
            this.from = position;
            return this;
        }

        /**
         * Validates and builds.
         *
         * @throws IllegalArgumentException naming the setting, or when the network's loss has a cross-batch memory
         * @throws NullPointerException when a required one is missing
         */
        public SparkEmbeddingTrainer build() {
            if (net != null && org.rll4j.loss.CrossBatchMemories.configured(net)) {
                throw new IllegalArgumentException("the network's loss has a cross-batch memory, which lives in one process: "
                        + "parameter averaging's workers start each round from a fresh copy of the network, so their memories "
                        + "would restart empty; train it in one process, or build the loss layer without a memory");
            }
            return new SparkEmbeddingTrainer(this);
        }
    }
}
