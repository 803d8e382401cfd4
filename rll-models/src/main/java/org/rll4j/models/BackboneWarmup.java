package org.rll4j.models;

import java.util.LinkedHashMap;
import java.util.Map;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Freezes the backbone for the first {@code iterations} training iterations after it is installed,
 * so that freshly initialised heads settle before they push gradients into pretrained weights; the
 * backbone then trains with its own learning rate or schedule, untouched.
 *
 * <p>How: before each update the backbone's gradients are zeroed (so momentum and Adam moments stay
 * at zero), and after each update its parameters, batch-norm statistics included, are reset to
 * their values at installation (which also undoes weight decay). DL4J's per-layer
 * {@code setLearningRate} is not used: in 1.0.0-M2.1 it fails with a NullPointerException for
 * stateful updaters (momentum, Adam) on graphs with batch norm.
 */
public final class BackboneWarmup extends BaseTrainingListener {

    private final Map<String, INDArray> frozen;
    private final int iterations;
    private int done;

    private BackboneWarmup(Map<String, INDArray> frozen, int iterations) {
        this.frozen = frozen;
        this.iterations = iterations;
    }

    /**
     * Adds the listener to the model's network.
     *
     * @param model the model
     * @param iterations iterations to keep the backbone frozen, {@code >= 1}
     * @return the listener
     */
    public static BackboneWarmup install(EmbeddingModel model, int iterations) {
        if (iterations < 1) {
            throw new IllegalArgumentException("iterations must be >= 1, found " + iterations);
        }
        ComputationGraph net = model.network();
        Map<String, INDArray> frozen = new LinkedHashMap<>();
        for (String name : model.backboneLayers()) {
            Layer layer = net.getLayer(name);
            if (layer != null && layer.numParams() > 0) {
                frozen.put(name, layer.params().dup());
            }
        }
        BackboneWarmup w = new BackboneWarmup(frozen, iterations);
        net.addListeners(w);
        return w;
    }

    /** Whether the warm-up is over. */
    public boolean restored() {
        return done >= iterations;
    }

    @Override
    public void onGradientCalculation(Model model) {
        if (restored()) {
            return;
        }
        ComputationGraph net = (ComputationGraph) model;
        for (String name : frozen.keySet()) {
            INDArray gradient = net.getLayer(name).getGradientsViewArray();
            if (gradient != null) {
                gradient.assign(0);
            }
        }
    }

    @Override
    public void iterationDone(Model model, int iteration, int epoch) {
        if (restored()) {
            return;
        }
        ComputationGraph net = (ComputationGraph) model;
        for (Map.Entry<String, INDArray> e : frozen.entrySet()) {
            net.getLayer(e.getKey()).params().assign(e.getValue());
        }
        done++;
        if (restored()) {
            frozen.replaceAll((k, v) -> null); // release the copies
        }
    }
}
