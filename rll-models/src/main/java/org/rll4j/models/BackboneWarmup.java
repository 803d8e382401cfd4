package org.rll4j.models;

import java.util.Set;

import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.optimize.api.BaseTrainingListener;

/**
 * Freezes the backbone for the first {@code iterations} training iterations (its learning rate is
 * 0), so that freshly initialised heads settle before they push gradients into pretrained weights;
 * then restores the backbone's learning rate. Install it on the network before training:
 * {@code BackboneWarmup.install(model, 1000, lr)}.
 */
public final class BackboneWarmup extends BaseTrainingListener {

    private final Set<String> layers;
    private final int iterations;
    private final double learningRate;
    private boolean restored;

    private BackboneWarmup(Set<String> layers, int iterations, double learningRate) {
        this.layers = layers;
        this.iterations = iterations;
        this.learningRate = learningRate;
    }

    /**
     * Sets the backbone's learning rate to 0 now and adds a listener that restores it.
     *
     * @param model the model
     * @param iterations iterations to keep the backbone frozen, {@code >= 1}
     * @param learningRate the backbone's learning rate afterwards, {@code > 0}
     * @return the listener (already added to the network)
     */
    public static BackboneWarmup install(EmbeddingModel model, int iterations, double learningRate) {
        if (iterations < 1) {
            throw new IllegalArgumentException("iterations must be >= 1, found " + iterations);
        }
        if (!(learningRate > 0)) {
            throw new IllegalArgumentException("learningRate must be > 0, found " + learningRate);
        }
        ComputationGraph net = model.network();
        BackboneWarmup w = new BackboneWarmup(trainable(model), iterations, learningRate);
        w.setRate(net, 0);
        net.addListeners(w);
        return w;
    }

    private static Set<String> trainable(EmbeddingModel model) {
        Set<String> out = new java.util.LinkedHashSet<>();
        for (String name : model.backboneLayers()) {
            org.deeplearning4j.nn.api.Layer l = model.network().getLayer(name);
            if (l != null && l.numParams() > 0) {
                out.add(name);
            }
        }
        return out;
    }

    private void setRate(ComputationGraph net, double lr) {
        for (String name : layers) {
            net.setLearningRate(name, lr);
        }
    }

    /** Whether the backbone's learning rate has been restored. */
    public boolean restored() {
        return restored;
    }

    @Override
    public void iterationDone(Model model, int iteration, int epoch) {
        if (!restored && iteration + 1 >= iterations) {
            setRate((ComputationGraph) model, learningRate);
            restored = true;
        }
    }
}
