package org.rll4j.sampler;

/**
 * Chooses which examples form each batch of an epoch; returns indices only (the iterator loads
 * them). Implementations: {@link ClassBalancedBatchSampler} for training, {@link SequentialBatchSampler}
 * for embedding a whole set in order.
 */
public interface BatchSampler {

    /**
     * @param epoch epoch number; with the sampler's seed it determines the batches
     * @return the batches of the epoch, each an array of example indices
     */
    int[][] epoch(long epoch);

    /** The (largest) batch size. */
    int batchSize();
}
