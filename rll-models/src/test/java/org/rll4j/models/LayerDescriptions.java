package org.rll4j.models;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;

import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.layers.ZeroPaddingLayer;

/**
 * One-line descriptions of the layer settings that define a zoo architecture (kernel, stride,
 * padding, convolution mode, widths, activations, batch-norm settings), used to compare our
 * backbones with the zoo models they replicate. Updater, weight init and regularisation are left out
 * on purpose: the backbones take those from the caller's graph.
 */
final class LayerDescriptions {

    private LayerDescriptions() {
    }

    /**
     * name -> "layer settings &lt;- inputs" for every vertex of {@code conf} except {@code excluded};
     * the graph input {@code inputName} is written as {@code <image>} so graphs with different input
     * names compare equal.
     */
    static Map<String, String> describe(ComputationGraphConfiguration conf, String inputName, Set<String> excluded) {
        Map<String, String> out = new TreeMap<>();
        for (Map.Entry<String, GraphVertex> e : conf.getVertices().entrySet()) {
            if (excluded.contains(e.getKey())) {
                continue;
            }
            GraphVertex v = e.getValue();
            String type = v instanceof LayerVertex
                    ? describe(((LayerVertex) v).getLayerConf().getLayer())
                    : v.getClass().getSimpleName();
            List<String> inputs = new ArrayList<>();
            for (String in : conf.getVertexInputs().get(e.getKey())) {
                inputs.add(in.equals(inputName) ? "<image>" : in);
            }
            out.put(e.getKey(), type + " <- " + inputs);
        }
        return out;
    }

    static String describe(Layer layer) {
        String type = layer.getClass().getSimpleName();
        if (layer instanceof ConvolutionLayer) {
            ConvolutionLayer c = (ConvolutionLayer) layer;
            return type + " k" + Arrays.toString(c.getKernelSize()) + " s" + Arrays.toString(c.getStride())
                    + " p" + Arrays.toString(c.getPadding()) + " " + c.getConvolutionMode()
                    + " nOut=" + c.getNOut() + " bias=" + c.hasBias() + " act=" + c.getActivationFn();
        }
        if (layer instanceof SubsamplingLayer) {
            SubsamplingLayer s = (SubsamplingLayer) layer;
            return type + " " + s.getPoolingType() + " k" + Arrays.toString(s.getKernelSize())
                    + " s" + Arrays.toString(s.getStride()) + " p" + Arrays.toString(s.getPadding())
                    + " " + s.getConvolutionMode();
        }
        if (layer instanceof ZeroPaddingLayer) {
            return type + " p" + Arrays.toString(((ZeroPaddingLayer) layer).getPadding());
        }
        if (layer instanceof BatchNormalization) {
            BatchNormalization b = (BatchNormalization) layer;
            return type + " eps=" + b.getEps() + " decay=" + b.getDecay() + " logStd=" + b.isUseLogStd()
                    + " lockGammaBeta=" + b.isLockGammaBeta();
        }
        if (layer instanceof ActivationLayer) {
            return type + " " + ((ActivationLayer) layer).getActivationFn();
        }
        return type;
    }
}
