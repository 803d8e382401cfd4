package org.rll4j.models;

import java.util.Locale;

import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.normalization.BatchNormalization;
import org.deeplearning4j.nn.params.BatchNormalizationParamInitializer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastAddOp;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastMulOp;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Runtime of {@link FrozenBatchNormalization}: {@code y = x * scale_c + shift_c} with
 * {@code scale = gamma / sqrt(var + eps)} and {@code shift = beta - mean * scale} from the stored
 * parameters, the same in training and inference; backward {@code dL/dx = dL/dy * scale_c}, zero
 * gradient for the parameters.
 */
final class FrozenBatchNormalizationImpl extends BatchNormalization {

    FrozenBatchNormalizationImpl(NeuralNetConfiguration conf, DataType dataType) {
        super(conf, dataType);
    }

    @Override
    public INDArray activate(boolean training, LayerWorkspaceMgr workspaceMgr) {
        assertInputSet(false);
        return preOutput(input, TrainingMode.TEST, workspaceMgr);
    }

    @Override
    public INDArray preOutput(INDArray x, TrainingMode training, LayerWorkspaceMgr workspaceMgr) {
        int ch = channelDimension(x);
        INDArray in = contiguous(x.castTo(dataType));
        INDArray[] affine = scaleAndShift();
        INDArray out = workspaceMgr.createUninitialized(ArrayType.ACTIVATIONS, dataType, in.shape(), 'c');
        Nd4j.getExecutioner().exec(new BroadcastMulOp(in, affine[0], out, ch));
        Nd4j.getExecutioner().exec(new BroadcastAddOp(out, affine[1], out, ch));
        return out;
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
        assertInputSet(true);
        int ch = channelDimension(epsilon);
        INDArray eps = contiguous(epsilon.castTo(dataType));
        INDArray scale = scaleAndShift()[0];
        INDArray next = workspaceMgr.createUninitialized(ArrayType.ACTIVATION_GRAD, dataType, eps.shape(), 'c');
        Nd4j.getExecutioner().exec(new BroadcastMulOp(eps, scale, next, ch));
        Gradient g = new DefaultGradient();
        for (var e : gradientViews.entrySet()) {
            g.setGradientFor(e.getKey(), e.getValue().assign(0));
        }
        return new Pair<>(g, next);
    }

    /** Broadcast ops of this ND4J version need a plain c-order (or f-order) layout, as DL4J's own batch norm does. */
    private static INDArray contiguous(INDArray a) {
        return org.nd4j.linalg.api.shape.Shape.strideDescendingCAscendingF(a) ? a : a.dup('c');
    }

    /** {@code [scale, shift]}, each a vector of length C. */
    private INDArray[] scaleAndShift() {
        var conf = layerConf();
        INDArray mean = getParam(BatchNormalizationParamInitializer.GLOBAL_MEAN).reshape(-1);
        INDArray variance = conf.isUseLogStd()
                ? BatchNormVariance.toVariance(getParam(BatchNormalizationParamInitializer.GLOBAL_LOG_STD)).reshape(-1)
                : getParam(BatchNormalizationParamInitializer.GLOBAL_VAR).reshape(-1);
        INDArray scale = org.nd4j.linalg.ops.transforms.Transforms.sqrt(variance.add(conf.getEps()), false).rdivi(1.0);
        INDArray beta;
        if (conf.isLockGammaBeta()) {
            scale.muli(conf.getGamma());
            beta = Nd4j.valueArrayOf(mean.shape(), conf.getBeta(), dataType);
        } else {
            scale.muli(getParam(BatchNormalizationParamInitializer.GAMMA).reshape(-1));
            beta = getParam(BatchNormalizationParamInitializer.BETA).reshape(-1);
        }
        INDArray shift = beta.sub(mean.mul(scale));
        return new INDArray[] {scale, shift};
    }

    private int channelDimension(INDArray x) {
        int rank = x.rank();
        int ch;
        if (rank == 2) {
            ch = 1;
        } else if (rank == 4) {
            ch = layerConf().getCnn2DFormat() == CNN2DFormat.NHWC ? 3 : 1;
        } else {
            throw new IllegalStateException(String.format(Locale.ROOT,
                    "frozen batch norm '%s' takes [N, C] or [N, C, H, W] input, found rank %d %s", layerConf().getLayerName(),
                    rank, java.util.Arrays.toString(x.shape())));
        }
        if (x.size(ch) != layerConf().getNOut()) {
            throw new IllegalStateException(String.format(Locale.ROOT,
                    "frozen batch norm '%s' has %d channels, input has %d on dimension %d (shape %s)",
                    layerConf().getLayerName(), layerConf().getNOut(), x.size(ch), ch, java.util.Arrays.toString(x.shape())));
        }
        return ch;
    }
}
