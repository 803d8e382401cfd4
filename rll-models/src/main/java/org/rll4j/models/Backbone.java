package org.rll4j.models;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;

/**
 * A convolutional feature extractor that adds its layers to a DL4J graph under stable, documented
 * layer names (so that {@code TransferLearning}, fine-tuning options and weight import work by name).
 * Embedding heads ({@link EmbeddingHead}) are attached to its {@link Stages}.
 */
public interface Backbone {

    /** Short name, e.g. {@code "bn-inception"}. */
    String name();

    /** The input this backbone is built for, e.g. {@code InputType.convolutional(227, 227, 3)}. */
    InputType inputType();

    /**
     * Adds the backbone's layers, reading from {@code input}.
     *
     * @param graph the graph under construction (global settings such as the updater come from it)
     * @param input name of the vertex holding the image batch
     * @return the names of the vertices whose outputs are the low, mid and high level feature maps
     */
    Stages addTo(ComputationGraphConfiguration.GraphBuilder graph, String input);

    /**
     * Vertex names of the feature maps the heads attach to: RLL-H uses {@code high}; RLL-(L,M,H)
     * uses all three (for BN-Inception: inception_3c, inception_4e and inception_5b outputs).
     *
     * @param low a low-level stage output (CNN activations)
     * @param mid a mid-level stage output (CNN activations)
     * @param high the last stage output before global pooling (CNN activations)
     */
    record Stages(String low, String mid, String high) {
    }
}
