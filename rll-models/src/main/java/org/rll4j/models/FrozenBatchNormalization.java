package org.rll4j.models;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.Collection;
import java.util.List;
import java.util.Map;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.learning.regularization.Regularization;

/**
 * Batch normalisation with frozen statistics and affine parameters ("BN frozen" in fine-tuning, like
 * Caffe's {@code use_global_stats: true} or PyTorch's {@code FrozenBatchNorm2d}): in training as in
 * inference the layer computes, per channel {@code c},
 * <pre>
 *   y = gamma_c * (x - mean_c) / sqrt(var_c + eps) + beta_c
 * </pre>
 * with the stored running mean and variance (never the batch's), and neither {@code gamma}, {@code beta}
 * nor the running statistics change: their updater is {@link NoOp}, they are not regularised and
 * their gradient is zero. The backward pass is the exact derivative of this fixed affine map,
 * {@code dL/dx = dL/dy * gamma_c / sqrt(var_c + eps)}, so the layers below it still train.
 *
 * <p>The parameters keep {@link BatchNormalization}'s names and layout ({@code gamma}, {@code beta},
 * {@code mean}, {@code var} or {@code log10stdev}), so pretrained weights copy in by name either way.
 * Build one from an existing configuration with {@link #of(BatchNormalization)};
 * {@link EmbeddingModel.Builder#frozenBatchNorm(boolean)} does that for every batch norm of a backbone.
 *
 * <p>Why not DL4J's own tools: {@code FrozenLayerWithBackprop} around a batch norm fails in backprop
 * in 1.0.0-M2.1 (it reuses arrays from a closed workspace), and a plain batch norm with a zero learning
 * rate would still normalise with batch statistics while training and keep updating its running
 * statistics.
 */
public class FrozenBatchNormalization extends BatchNormalization {

    /** For JSON deserialisation; use {@link #of(BatchNormalization)}. */
    public FrozenBatchNormalization() {
        super();
    }

    /**
     * A frozen copy of {@code source}: every configuration value (name, sizes, eps, data format,
     * whether the variance is stored as {@code log10stdev}, locked gamma/beta, ...) is copied.
     *
     * @param source a batch-normalisation layer configuration; not modified
     * @return the frozen layer configuration
     */
    public static FrozenBatchNormalization of(BatchNormalization source) {
        if (source instanceof FrozenBatchNormalization f) {
            return (FrozenBatchNormalization) f.clone();
        }
        FrozenBatchNormalization frozen = new FrozenBatchNormalization();
        for (Class<?> c = BatchNormalization.class; c != null && c != Object.class; c = c.getSuperclass()) {
            for (Field field : c.getDeclaredFields()) {
                if (Modifier.isStatic(field.getModifiers())) {
                    continue;
                }
                try {
                    field.setAccessible(true);
                    field.set(frozen, field.get(source));
                } catch (ReflectiveOperationException | RuntimeException e) {
                    throw new IllegalStateException("cannot copy batch-norm setting '" + field.getName() + "' of layer '"
                            + source.getLayerName() + "'", e);
                }
            }
        }
        return (FrozenBatchNormalization) frozen.clone(); // deep-copies the mutable members, as BatchNormalization.clone does
    }

    @Override
    public Layer instantiate(NeuralNetConfiguration conf, Collection<TrainingListener> trainingListeners, int layerIndex,
                             INDArray layerParamsView, boolean initializeParams, DataType networkDataType) {
        FrozenBatchNormalizationImpl ret = new FrozenBatchNormalizationImpl(conf, networkDataType);
        ret.setListeners(trainingListeners);
        ret.setIndex(layerIndex);
        ret.setParamsViewArray(layerParamsView);
        Map<String, INDArray> paramTable = initializer().init(conf, layerParamsView, initializeParams);
        ret.setParamTable(paramTable);
        ret.setConf(conf);
        return ret;
    }

    @Override
    public IUpdater getUpdaterByParam(String paramName) {
        return new NoOp();
    }

    @Override
    public List<Regularization> getRegularizationByParam(String paramName) {
        return List.of();
    }

    @Override
    public FrozenBatchNormalization clone() {
        return (FrozenBatchNormalization) super.clone();
    }
}
