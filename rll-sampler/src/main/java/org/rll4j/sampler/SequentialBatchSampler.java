package org.rll4j.sampler;

/**
 * Every example once, in index order, in batches of {@code batchSize} (the last one may be smaller);
 * every epoch is the same. For evaluation: embedding a query or gallery set.
 */
public final class SequentialBatchSampler implements BatchSampler {

    private final int size;
    private final int batchSize;

    /**
     * @param size number of examples, {@code >= 1}
     * @param batchSize examples per batch, {@code >= 1}
     */
    public SequentialBatchSampler(int size, int batchSize) {
        if (size < 1) {
            throw new IllegalArgumentException("size must be >= 1 (an empty set has nothing to embed), found " + size);
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be >= 1, found " + batchSize);
        }
        this.size = size;
        this.batchSize = batchSize;
    }

    @Override
    public int[][] epoch(long epoch) {
        int n = (size + batchSize - 1) / batchSize;
        int[][] out = new int[n][];
        for (int b = 0; b < n; b++) {
            int from = b * batchSize;
            out[b] = new int[Math.min(batchSize, size - from)];
            for (int i = 0; i < out[b].length; i++) {
                out[b][i] = from + i;
            }
        }
        return out;
    }

    @Override
    public int batchSize() {
        return batchSize;
    }
}
