package org.rll4j.loss;

import java.util.function.Supplier;

/**
 * Errors of the loss layers: the runtime's errors prefixed with the layer's kind and name (so that a user with
 * several loss heads knows which one failed), and the configuration's input-type check.
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

    /**
     * Throws unless a loss layer's input is a feed-forward embedding {@code [batch, D]}.
     *
     * @param kind the layer class's simple name
     * @param layerName the layer's name
     * @param inputType the input type DL4J infers for it
     */
    static void requireFeedForward(String kind, String layerName, org.deeplearning4j.nn.conf.inputs.InputType inputType) {
        if (inputType.getType() != org.deeplearning4j.nn.conf.inputs.InputType.Type.FF) {
            throw new IllegalArgumentException(kind + " '" + layerName + "' takes a feed-forward embedding [batch, D], found input type "
                    + inputType + "; put a GlobalPoolingLayer or DenseLayer in front of it");
        }
    }
}
