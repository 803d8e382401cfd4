package org.rll4j.loss;

import java.util.Locale;


/**
 * Thrown when the embeddings fed to the Ranked List Loss contain NaN or infinity. During training
 * this means the network has diverged (or the input data holds non-finite values); the message
 * names the first offending row and column and what usually fixes it.
 */
public class NonFiniteEmbeddingException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    private final long row;
    private final long column;

    /**
     * @param message full message
     * @param row first row (batch index) holding a non-finite value
     * @param column column of that value
     */
    public NonFiniteEmbeddingException(String message, long row, long column) {
        super(message);
        this.row = row;
        this.column = column;
    }

    /** Batch index of the first non-finite value. */
    public long row() {
        return row;
    }

    /** Embedding column of the first non-finite value. */
    public long column() {
        return column;
    }

    /**
     * Builds the exception for a row-major batch whose first non-finite element is at {@code flatIndex}.
     */
    static NonFiniteEmbeddingException at(String context, double[] values, int rows, int cols, int flatIndex) {
        long count = 0;
        for (double v : values) {
            if (!Double.isFinite(v)) {
                count++;
            }
        }
        int r = flatIndex / cols;
        int c = flatIndex % cols;
        return new NonFiniteEmbeddingException(String.format(Locale.ROOT,
                "%s: the embedding batch [%d, %d] holds %d non-finite values; the first is %s at row %d, column %d. "
                        + "The network upstream produced it: check the input data for NaN/Inf, lower the learning "
                        + "rate, or add gradient clipping.",
                context, rows, cols, count, values[flatIndex], r, c), r, c);
    }
}
