package org.rll4j.spark;

import java.io.IOException;
import java.io.Serializable;

import org.nd4j.linalg.dataset.DataSet;

/**
 * Where the Spark executors get their training batches from: batch {@code b} of epoch {@code e} of a seeded
 * class-balanced sampler, built where it is fitted. The driver sends only the batches' coordinates
 * ({@link BatchPaths}); an executor deserialises the source once per task and calls {@link #batch} for each
 * coordinate of its partition, so images are read and decoded on the executors and never pass through the driver.
 *
 * <p>Contract: {@link #batch} is a pure function of {@code (epoch, batchInEpoch)} (the same batch, augmentation
 * included, on every executor and in every run with the same seed, as a single-machine iterator at that position
 * would give), returns {@link #batchSize()} rows with the class ids as a {@code [B, 1]} label column, and may be called
 * concurrently from several executor threads. rll4j's iterators give such random access with {@code batchAt(epoch, b)}
 * ({@code ClassBalancedDataSetIterator}, rll-data's {@code SampledDataSetIterator}). {@link InMemoryBatchSource} holds
 * its examples in the closure; rll-app's source re-opens the run's dataset (a folder, a list file or IDX files on a
 * path every executor can read) once per executor JVM.
 */
public interface BatchSource extends Serializable {

    /** Batches in an epoch of the sampler (the same in every epoch). */
    int batchesPerEpoch();

    /** Rows of every batch: the sampler's C x K. */
    int batchSize();

    /**
     * Builds batch {@code batchInEpoch} of epoch {@code epoch}.
     *
     * @param epoch the sampler epoch, {@code >= 0}
     * @param batchInEpoch the batch within it, in {@code [0, batchesPerEpoch())}
     * @return features and a {@code [B, 1]} column of class ids
     * @throws IOException when an example cannot be read; the message names it
     */
    DataSet batch(long epoch, int batchInEpoch) throws IOException;

    /** One line for logs and errors: what the batches are drawn from. */
    String describe();
}
