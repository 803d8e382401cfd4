package org.rll4j.sampler;

import java.util.Locale;
import java.util.NoSuchElementException;
import java.util.Objects;

/**
 * Where an iterator over a {@link BatchSampler}'s epochs stands: the epoch, its batches, and how many of them have
 * been handed out. {@code (epoch(), batchInEpoch())} is the position a checkpoint saves; a cursor created at that
 * position hands out exactly the batches that an uninterrupted one would have handed out next. The iterators of
 * this project ({@link ClassBalancedDataSetIterator}, rll-data's {@code SampledDataSetIterator}) keep their position
 * in one, so they resume alike. Not thread-safe.
 */
public final class EpochCursor {

    private final BatchSampler sampler;
    private long epoch;
    private int[][] batches;
    private int next;

    /**
     * A cursor at batch {@code firstBatch} of epoch {@code firstEpoch}.
     *
     * @param sampler the batches of every epoch
     * @param firstEpoch epoch to start at, {@code >= 0}
     * @param firstBatch batch of that epoch to start at, from 0 to its number of batches (at the end, the next
     *        {@link #nextEpoch()} starts epoch {@code firstEpoch + 1})
     * @throws IllegalArgumentException naming the value when the position is outside the epochs
     */
    public EpochCursor(BatchSampler sampler, long firstEpoch, int firstBatch) {
        this.sampler = Objects.requireNonNull(sampler, "sampler must not be null");
        if (firstEpoch < 0) {
            throw new IllegalArgumentException("firstEpoch must be >= 0, found " + firstEpoch);
        }
        if (firstBatch < 0) {
            throw new IllegalArgumentException("firstBatch must be >= 0, found " + firstBatch);
        }
        this.epoch = firstEpoch;
        this.batches = sampler.epoch(epoch);
        if (firstBatch > batches.length) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "firstBatch %d is past the end of epoch %d, which has %d batches", firstBatch, epoch, batches.length));
        }
        this.next = firstBatch;
    }

    /** The epoch being iterated. */
    public long epoch() {
        return epoch;
    }

    /** Batches of the current epoch handed out so far (the next batch's index within the epoch). */
    public int batchInEpoch() {
        return next;
    }

    /** Batches in the current epoch. */
    public int batchesInEpoch() {
        return batches.length;
    }

    /** Whether the current epoch has a batch left. */
    public boolean hasNext() {
        return next < batches.length;
    }

    /**
     * The example indices of batch {@code b} of the current epoch, without moving (an iterator that prefetches
     * builds batches ahead of handing them out).
     */
    public int[] batch(int b) {
        return batches[b];
    }

    /**
     * Checks that the current epoch has a batch left, for an iterator that hands it out only once it is built.
     *
     * @throws NoSuchElementException naming the epoch when it is over (the iterator's {@code reset()} starts the next)
     */
    public void requireNext() {
        if (!hasNext()) {
            throw new NoSuchElementException("epoch " + epoch + " is over (" + batches.length
                    + " batches); call reset() for the next epoch");
        }
    }

    /**
     * Hands out the next batch of the current epoch.
     *
     * @return its example indices
     * @throws NoSuchElementException naming the epoch when it is over (the iterator's {@code reset()} starts the next)
     */
    public int[] next() {
        requireNext();
        return batches[next++];
    }

    /** Moves to the first batch of the next epoch (discarding the batches of this one not handed out). */
    public void nextEpoch() {
        epoch++;
        batches = sampler.epoch(epoch);
        next = 0;
    }
}
