package org.rll4j.models;

import java.util.Arrays;

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
