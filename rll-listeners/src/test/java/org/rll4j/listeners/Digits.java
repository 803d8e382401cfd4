package org.rll4j.listeners;

import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.ViewIterator;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.rll4j.loss.CrossBatchMemoryConfig;
import org.rll4j.loss.RankedListLossConfig;
import org.rll4j.loss.RankedListLossLayer;
import org.rll4j.sampler.ClassBalancedDataSetIterator;
import org.rll4j.sampler.UciDigits;

/**
 * The tests' training setup: the embedded UCI digits, a small MLP ending in the Ranked List Loss trained on the even
 * digits in batches of 5 classes x 12 ({@value #BATCHES_PER_EPOCH} batches per epoch), retrieval evaluated on the
 * unseen odd digits.
 */
final class Digits {

    static final int BATCHES_PER_EPOCH = 14;
    private static final UciDigits.Data ALL = UciDigits.load();
    static final UciDigits.Data TRAIN = ALL.ofClasses(0, 2, 4, 6, 8);
    static final UciDigits.Data TEST = ALL.ofClasses(1, 3, 5, 7, 9);

    private Digits() {
    }

    /** {@code 64 pixels -> dense 32 (tanh) -> dense 16 -> RLL}, Adam, seeded. */
    static ComputationGraph network(long seed) {
        return network(seed, RankedListLossLayer.of(RankedListLossConfig.paper()));
    }

    /** {@link #network(long)} whose loss ranks against a cross-batch memory of 100 embeddings after 10 iterations. */
    static ComputationGraph networkWithMemory(long seed) {
        return network(seed, RankedListLossLayer.of(RankedListLossConfig.paper(), CrossBatchMemoryConfig.of(100, 10)));
    }

    private static ComputationGraph network(long seed, RankedListLossLayer loss) {
        ComputationGraph net = new ComputationGraph(new NeuralNetConfiguration.Builder()
                .seed(seed).dataType(DataType.FLOAT).updater(new Adam(3e-3)).weightInit(WeightInit.XAVIER)
                .graphBuilder()
                .addInputs("in")
                .setInputTypes(InputType.feedForward(UciDigits.PIXELS))
                .addLayer("hidden", new DenseLayer.Builder().nOut(32).activation(Activation.TANH).build(), "in")
                .addLayer("emb", new DenseLayer.Builder().nOut(16).activation(Activation.IDENTITY).build(), "hidden")
                .addLayer("rll", loss, "emb")
                .setOutputs("rll")
                .build());
        net.init();
        return net;
    }

    /** The training batches' builder (not built: a resumed run builds it at its position). */
    static ClassBalancedDataSetIterator.Builder batches(long seed) {
        return ClassBalancedDataSetIterator.builder()
                .features(TRAIN.features())
                .labels(Nd4j.createFromArray(TRAIN.labels()).reshape(-1, 1))
                .classesPerBatch(5).samplesPerClass(12).seed(seed);
    }

    /** The unseen digits, every one once per pass, in batches of 256. */
    static ViewIterator heldOut() {
        INDArray ids = Nd4j.createFromArray(TEST.labels()).reshape(-1, 1).castTo(DataType.FLOAT);
        return new ViewIterator(new DataSet(TEST.features(), ids), 256);
    }
}
