package org.rll4j.loss;

import java.util.function.Supplier;

/**
 * Prefixes the errors of a loss layer's runtime with the layer's kind and name, so that a user with several
 * loss heads knows which one failed.
 */
final class LayerErrors {

    private LayerErrors() {
    }

    /**
     * Runs {@code call}; a {@link NonFiniteEmbeddingException} or {@link IllegalArgumentException} it throws
     * is re-thrown with the message prefixed by {@code "<kind> '<name>': "}.
     */
    static <T> T named(String kind, String layerName, Supplier<T> call) {
        String prefix = kind + " '" + layerName + "': ";
        try {
            return call.get();
        } catch (NonFiniteEmbeddingException e) {
            throw new NonFiniteEmbeddingException(prefix + e.getMessage(), e.row(), e.column());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(prefix + e.getMessage(), e);
        }
    }
}
