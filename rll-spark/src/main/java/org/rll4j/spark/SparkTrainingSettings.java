package org.rll4j.spark;

import java.util.Locale;

/**
 * How {@link SparkEmbeddingTrainer} trains on Spark with DL4J's {@code ParameterAveragingTrainingMaster}; immutable,
 * built and validated by {@link #builder()}.
 *
 * <p>A <em>round</em> is one Spark job: each of the {@link #workers()} fits up to {@link #averagingFrequency()} whole
 * C x K batches on its copy of the network, starting from the driver's parameters and updater state, and the driver
 * then replaces both by the workers' average (parameter averaging, Su et al.'s "model averaging"; DL4J averages the
 * updater state too). Rounds end early where the driver must act (an evaluation or checkpoint iteration, an epoch's
 * end, the run's end), so a round has at most {@code workers x averagingFrequency} batches.
 *
 * <p>DL4J's {@code SharedTrainingMaster} (asynchronous gradient sharing) is not offered: its workers in 1.0.0-M2 reject
 * training hooks ({@code SharedTrainingWorker.addHook} throws), so nothing could enforce, or show, that they fit whole
 * class-balanced batches, and it re-batches the data it is given by its own minibatch size.
 */
public final class SparkTrainingSettings {

    private final int workers;
    private final int averagingFrequency;
    private final int prefetch;
    private final boolean collectTrainingStats;
    private final long seed;

    private SparkTrainingSettings(Builder b) {
        if (b.workers < 1) {
            throw new IllegalArgumentException("workers must be >= 1 (Spark tasks that train at once), found " + b.workers);
        }
        if (b.averagingFrequency < 1) {
            throw new IllegalArgumentException("averagingFrequency must be >= 1 batches per worker between two averagings, "
                    + "found " + b.averagingFrequency);
        }
        if (b.prefetch < 0) {
            throw new IllegalArgumentException("prefetch must be >= 0 batches, found " + b.prefetch);
        }
        this.workers = b.workers;
        this.averagingFrequency = b.averagingFrequency;
        this.prefetch = b.prefetch;
        this.collectTrainingStats = b.collectTrainingStats;
        this.seed = b.seed;
    }

    /** A builder with the defaults: 2 workers, averaging every 5 batches, prefetch 2, no Spark timing stats, seed 0. */
    public static Builder builder() {
        return new Builder();
    }

    /** Workers: the partitions of a round, i.e. the Spark tasks that train at once (executors x cores per executor). */
    public int workers() {
        return workers;
    }

    /** Batches each worker fits between two parameter averagings. */
    public int averagingFrequency() {
        return averagingFrequency;
    }

    /** Batches a worker builds ahead of the one it fits (DL4J's {@code workerPrefetchNumBatches}; 0 = none). */
    public int prefetch() {
        return prefetch;
    }

    /**
     * Whether DL4J collects its Spark timing stats (where a round's time goes). DL4J then reads its times from
     * {@code pool.ntp.org} unless the system property {@code org.deeplearning4j.spark.time.TimeSource} names another
     * source (e.g. {@code org.deeplearning4j.spark.time.SystemClockTimeSource}, on the driver and the executors).
     */
    public boolean collectTrainingStats() {
        return collectTrainingStats;
    }

    /** Seed of the training master's own random choices. */
    public long seed() {
        return seed;
    }

    /** Batches in a full round: {@code workers x averagingFrequency}. */
    public int batchesPerRound() {
        return Math.multiplyExact(workers, averagingFrequency);
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "parameter averaging: %d workers, averaging every %d batches, prefetch %d", workers,
                averagingFrequency, prefetch);
    }

    /** Builds {@link SparkTrainingSettings}. */
    public static final class Builder {
        private int workers = 2;
        private int averagingFrequency = 5;
        private int prefetch = 2;
        private boolean collectTrainingStats;
        private long seed;

        private Builder() {
        }

        /** Workers, {@code >= 1} (default 2). */
        public Builder workers(int n) {
            this.workers = n;
            return this;
        }

        /** Batches per worker between averagings, {@code >= 1} (default 5). */
        public Builder averagingFrequency(int n) {
            this.averagingFrequency = n;
            return this;
        }

        /** Batches prefetched per worker, {@code >= 0} (default 2). */
        public Builder prefetch(int n) {
            this.prefetch = n;
            return this;
        }

        /** Collect DL4J's Spark timing stats (default false). */
        public Builder collectTrainingStats(boolean on) {
            this.collectTrainingStats = on;
            return this;
        }

        /** Seed of the training master (default 0). */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * Validates and builds.
         *
         * @throws IllegalArgumentException naming the setting and the value
         */
        public SparkTrainingSettings build() {
            return new SparkTrainingSettings(this);
        }
    }
}
