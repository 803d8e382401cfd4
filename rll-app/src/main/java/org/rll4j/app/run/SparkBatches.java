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
import org.rll4j.spark.BatchCursors;
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

    private record Opened(RunData data, ClassBalancedBatchSampler sampler) {
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
        OPEN.putIfAbsent(this.config, new Opened(data, sampler)); // the driver (and local[N] executors) reuse it
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
        return BatchCursors.batch(config, epoch, batchInEpoch, at -> {
            Opened o = opened();
            RunConfig c = ConfigLoader.fromYaml(config);
            return SampledDataSetIterator.builder().source(o.data().train()).sampler(o.sampler()).pipeline(o.data().trainPipeline())
                    .workers(c.sampler().workers()).seed(c.seed()).firstEpoch(at.epoch()).firstBatch(at.batchInEpoch()).build();
        });
    }

    private Opened opened() throws IOException {
        try {
            return OPEN.computeIfAbsent(config, yaml -> {
                RunConfig c = ConfigLoader.fromYaml(yaml);
                try {
                    RunData data = RunData.open(c.dataset());
                    return new Opened(data, Trainer.sampler(c, data));
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
