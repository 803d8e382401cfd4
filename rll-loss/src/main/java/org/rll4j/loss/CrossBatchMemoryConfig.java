package org.rll4j.loss;

import java.io.Serializable;
import java.util.Locale;
import java.util.Objects;

import org.nd4j.shade.jackson.annotation.JsonCreator;
import org.nd4j.shade.jackson.annotation.JsonProperty;

/**
 * The cross-batch memory of a {@link RankedListLossLayer} (X. Wang et al., "Cross-Batch Memory for Embedding
 * Learning", CVPR 2020): a queue of the last {@code size} L2-normalised embeddings the layer trained on, with their
 * class ids, that joins each query's gallery as constants once training has done {@code warmupIterations} iterations.
 *
 * <p>With the memory, query {@code i} of a batch ranks the batch's other items and the memory's {@code M} entries:
 * {@code P_i} and {@code N_i} are its positives and negatives among those {@code B - 1 + M} items, and the loss is
 * the paper's over that gallery (the same thresholds, hinges and weights; see {@link RankedListLossConfig}); gradients
 * reach the batch only. The memory starts to fill at iteration {@code warmupIterations} (DL4J's iteration counter):
 * the batch of iteration {@code t} is stored after its own loss, so it first meets the queries of iteration
 * {@code t + 1}, and no item ever meets itself. An entry is an embedding, not an image: an image drawn again meets its
 * earlier embedding as another item of its class, a positive. Scores outside training ({@code score(data)} with
 * {@code training = false}, {@code scoreExamples}) stay the in-batch loss.
 *
 * <p>The memory is training state: {@code ResumableCheckpointListener} saves it in checkpoints (with the batch not
 * yet stored), so a resumed run continues as the uninterrupted one. It is emptied when the layer's input width
 * changes.
 */
public final class CrossBatchMemoryConfig implements Serializable {

    private static final long serialVersionUID = 1L;

    private final int size;
    private final long warmupIterations;

    @JsonCreator
    private CrossBatchMemoryConfig(@JsonProperty("size") int size, @JsonProperty("warmupIterations") long warmupIterations) {
        if (size < 1) {
            throw new IllegalArgumentException("memory size (M, the embeddings kept) must be >= 1, found " + size);
        }
        if (warmupIterations < 0) {
            throw new IllegalArgumentException("memory warmupIterations must be >= 0, found " + warmupIterations);
        }
        this.size = size;
        this.warmupIterations = warmupIterations;
    }

    /**
     * @param size M, the embeddings kept, {@code >= 1}
     * @param warmupIterations iterations of in-batch training before the memory fills and joins, {@code >= 0}
     * @return the validated configuration
     * @throws IllegalArgumentException naming the field and value
     */
    public static CrossBatchMemoryConfig of(int size, long warmupIterations) {
        return new CrossBatchMemoryConfig(size, warmupIterations);
    }

    /** M, the embeddings kept. */
    @JsonProperty("size")
    public int size() {
        return size;
    }

    /** Iterations of in-batch training before the memory fills and joins the gallery. */
    @JsonProperty("warmupIterations")
    public long warmupIterations() {
        return warmupIterations;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CrossBatchMemoryConfig c && c.size == size && c.warmupIterations == warmupIterations;
    }

    @Override
    public int hashCode() {
        return Objects.hash(size, warmupIterations);
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "CrossBatchMemoryConfig{size=%d, warmupIterations=%d}", size, warmupIterations);
    }
}
