package org.rll4j.spark;

import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.preprocessor.FeedForwardToCnnPreProcessor;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.ViewIterator;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.rll4j.loss.RankedListLossConfig;
import org.rll4j.loss.RankedListLossLayer;
import org.rll4j.sampler.UciDigits;

/**
 * The tests' Spark: one {@code local[2]} context per JVM (Kryo with ND4J's registrator, no web UI), and the training
 * setup: the embedded UCI digits, a small MLP ending in the Ranked List Loss trained on the even digits in batches of
 * 5 classes x 12, retrieval evaluated on the unseen odd digits.
 */
final class LocalSpark {

    static final int C = 5;
    static final int K = 12;
    private static final UciDigits.Data ALL = UciDigits.load();
    static final UciDigits.Data TRAIN = ALL.ofClasses(0, 1, 2, 3, 4);
    static final UciDigits.Data TEST = ALL.ofClasses(5, 6, 7, 8, 9);
    private static JavaSparkContext context;

    private LocalSpark() {
    }

    static synchronized JavaSparkContext context() {
        if (context == null) {
            context = new JavaSparkContext(new SparkConf().setMaster("local[2]").setAppName("rll-spark tests")
                    .set("spark.serializer", "org.apache.spark.serializer.KryoSerializer")
                    .set("spark.kryo.registrator", "org.nd4j.kryo.Nd4jRegistrator")
                    .set("spark.ui.enabled", "false").set("spark.driver.host", "127.0.0.1")
                    .set("spark.driver.bindAddress", "127.0.0.1"));
        }
        return context;
    }

    /**
     * {@code 8 x 8 digit -> conv 3x3 32 -> conv 3x3 64 -> global average pool -> dense 64 -> RLL}, Adam 1e-3, seeded:
     * rll-loss's digits network, whose features carry over to the unseen digits (an MLP's do not).
     */
    static ComputationGraph network(long seed) {
        return network(seed, RankedListLossLayer.of(RankedListLossConfig.paper()));
    }

    /** The same network ending in another loss layer (a baseline). */
    static ComputationGraph network(long seed, org.deeplearning4j.nn.conf.layers.Layer loss) {
        ComputationGraph net = new ComputationGraph(new NeuralNetConfiguration.Builder()
                .seed(seed).dataType(DataType.FLOAT).updater(new Adam(1e-3)).weightInit(WeightInit.RELU)
                .graphBuilder()
                .addInputs("in")
                .setInputTypes(InputType.feedForward(UciDigits.PIXELS))
                .inputPreProcessor("conv1", new FeedForwardToCnnPreProcessor(8, 8, 1))
                .addLayer("conv1", new ConvolutionLayer.Builder(3, 3).nIn(1).nOut(32).padding(1, 1)
                        .activation(Activation.RELU).build(), "in")
                .addLayer("conv2", new ConvolutionLayer.Builder(3, 3).nOut(64).padding(1, 1)
                        .activation(Activation.RELU).build(), "conv1")
                .addLayer("pool", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "conv2")
                .addLayer("emb", new DenseLayer.Builder().nOut(64).activation(Activation.IDENTITY)
                        .weightInit(WeightInit.XAVIER).build(), "pool")
                .addLayer("rll", loss, "emb")
                .setOutputs("rll")
                .build());
        net.init();
        return net;
    }

    static InMemoryBatchSource batches(long seed) {
        return new InMemoryBatchSource(TRAIN.features(), Nd4j.createFromArray(TRAIN.labels()).reshape(-1, 1), C, K, seed);
    }

    /** The unseen digits, every one once per pass, in batches of 256. */
    static ViewIterator heldOut() {
        INDArray ids = Nd4j.createFromArray(TEST.labels()).reshape(-1, 1).castTo(DataType.FLOAT);
        return new ViewIterator(new DataSet(TEST.features(), ids), 256);
    }
}
