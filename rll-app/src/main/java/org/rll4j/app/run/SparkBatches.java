package org.rll4j.app.run;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.nd4j.linalg.dataset.DataSet;
import org.rll4j.app.config.ConfigLoader;
import org.rll4j.app.config.RunConfig;
import org.rll4j.data.SampledDataSetIterator;
import org.rll4j.sampler.ClassBalancedBatchSampler;
import org.rll4j.spark.BatchSource;

/**
 * A run's training batches on Spark executors: the executor opens the run's dataset from the paths its config records
 * (absolute; a folder, list file or IDX files every executor must be able to read at the same path: NFS, a mounted
 * bucket, or a copy on every node) once per JVM, and builds batch {@code (epoch, b)} with the same sampler, pipeline
 * and augmentation seeds as single-machine training ({@link SampledDataSetIterator} at that position): the same
 * batches, decoded where they are fitted. Only the config travels with the tasks.
 */
final class SparkBatches implements BatchSource {

    private static final long serialVersionUID = 1L;

    /** Per executor JVM: the data of each config (by its YAML). */
    private static final Map<String, Opened> OPEN = new ConcurrentHashMap<>();

    /** The data and an iterator over it that builds batches by their coordinates (its own prefetching never starts). */
    private record Opened(RunData data, SampledDataSetIterator batches) {
    }

    private final String config;
    private final int batchesPerEpoch;
    private final int batchSize;
    private final String description;

    /**
     * @param config the run's config, with absolute paths
     * @param data its data, opened on the driver (to size the epochs)
     * @param sampler its sampler
     */
    SparkBatches(RunConfig config, RunData data, ClassBalancedBatchSampler sampler) {
        this.config = ConfigLoader.toYaml(config);
        this.batchesPerEpoch = sampler.batchesPerEpoch();
        this.batchSize = sampler.batchSize();
        this.description = data.description();
        OPEN.computeIfAbsent(this.config, yaml -> open(config, data, sampler)); // the driver (and local[N] executors) reuse it
    }

    /**
     * An iterator positioned at the end of epoch 0, so that it prefetches nothing: {@link #batch} builds each batch
     * with {@code batchAt} in the calling (Spark task) thread, and DL4J's worker prefetch ({@code spark.prefetch}) runs
     * the loader ahead.
     */
    private static Opened open(RunConfig c, RunData data, ClassBalancedBatchSampler sampler) {
        return new Opened(data, SampledDataSetIterator.builder().source(data.train()).sampler(sampler)
                .pipeline(data.trainPipeline()).workers(1).seed(c.seed()).firstEpoch(0)
                .firstBatch(sampler.batchesPerEpoch()).build());
    }

    @Override
    public int batchesPerEpoch() {
        return batchesPerEpoch;
    }

    @Override
    public int batchSize() {
        return batchSize;
    }

    @Override
    public DataSet batch(long epoch, int batchInEpoch) throws IOException {
        return opened().batches().batchAt(epoch, batchInEpoch);
    }

    private Opened opened() throws IOException {
        try {
            return OPEN.computeIfAbsent(config, yaml -> {
                RunConfig c = ConfigLoader.fromYaml(yaml);
                try {
                    RunData data = RunData.open(c.dataset());
                    return open(c, data, Trainer.sampler(c, data));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (UncheckedIOException e) {
            throw new IOException("a Spark executor cannot open the run's dataset (" + description + "); every executor must "
                    + "read it at the same path as the driver: " + e.getCause().getMessage(), e.getCause());
        }
    }

    @Override
    public String describe() {
        return description;
    }
}
