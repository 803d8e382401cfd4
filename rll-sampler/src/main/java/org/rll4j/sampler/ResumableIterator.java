package org.rll4j.sampler;

/**
 * A batch iterator that knows where it stands in its epochs, so that a checkpoint can save its position and a new
 * iterator built at that position hands out exactly the batches an uninterrupted one would have handed out next.
 * {@link ClassBalancedDataSetIterator} and rll-data's {@code SampledDataSetIterator} implement it (both keep their
 * position in an {@link EpochCursor} and take it back through their builders' {@code firstEpoch} and
 * {@code firstBatch}); rll-listeners' {@code ResumableCheckpointListener} saves it.
 *
 * <p>Like DL4J's iterators, the implementations start the next epoch on {@code reset()}, so
 * {@code net.fit(iterator, n)} trains the epochs {@code epoch() .. epoch() + n - 1}.
 */
public interface ResumableIterator {

    /** The epoch being iterated. */
    long epoch();

    /** Batches of the current epoch handed out so far (the next batch's index within the epoch). */
    int batchInEpoch();

    /** Batches in the current epoch. */
    int batchesInEpoch();

    /**
     * Where the next training step's batch comes from: {@code (epoch(), batchInEpoch())} while the epoch has
     * batches left, else the first batch of the next epoch (what {@code reset()} and {@code next()} give then,
     * and what DL4J's {@code fit(iterator, epochs)} does at an epoch's end). An iterator built at this position
     * continues as this one would.
     */
    default Position resumePosition() {
        return batchInEpoch() < batchesInEpoch() ? new Position(epoch(), batchInEpoch()) : new Position(epoch() + 1, 0);
    }

    /**
     * A position in the epochs: batch {@code batchInEpoch} of epoch {@code epoch}, both counted from 0.
     *
     * @param epoch the epoch, {@code >= 0}
     * @param batchInEpoch the batch within it, {@code >= 0}
     */
    record Position(long epoch, int batchInEpoch) {
        /**
         * Validates.
         *
         * @param epoch the epoch, {@code >= 0}
         * @param batchInEpoch the batch within it, {@code >= 0}
         * @throws IllegalArgumentException naming the value when either is negative
         */
        public Position {
            if (epoch < 0) {
                throw new IllegalArgumentException("epoch must be >= 0, found " + epoch);
            }
            if (batchInEpoch < 0) {
                throw new IllegalArgumentException("batchInEpoch must be >= 0, found " + batchInEpoch);
            }
        }
    }
}
