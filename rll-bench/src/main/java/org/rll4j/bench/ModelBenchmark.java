package org.rll4j.bench;

import java.util.Locale;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.rll4j.loss.RankedListLossConfig;
import org.rll4j.models.Backbone;
import org.rll4j.models.BnInception;
import org.rll4j.models.EmbeddingHead;
import org.rll4j.models.EmbeddingModel;
import org.rll4j.models.SmallCnn;
import org.rll4j.natives.FastPaths;
import org.rll4j.sampler.LabelEncoding;

/**
 * Training step time (forward + backward + update, SGD with momentum) per image at batch 60 =
 * 20 classes x 3: a backbone with the Ranked List Loss head (global pool -> BN -> dense 512 -> RLL)
 * against the same backbone with a softmax classifier head (global pool -> BN -> dense 512 -> dense
 * 100 + softmax cross-entropy), alternating the two in one run; plus the small CNN's training
 * throughput; the same RLL network with DL4J's oneDNN layer helpers against DL4J's plain path,
 * alternating; and, when Debian's PyTorch is installed, the same small CNN and softmax head in
 * PyTorch with as many threads, in the same run ({@link PyTorchReference}).
 */
final class ModelBenchmark {

    private static final int BATCH = 60;
    private static final int CLASSES = 100;

    private ModelBenchmark() {
    }

    static void run(int steps, boolean includeLarge) {
        FastPaths.Status fast = FastPaths.enable();
        Object threads = Nd4j.getExecutioner().getEnvironmentInformation().get("omp.threads");
        System.out.printf(Locale.ROOT, "fast paths: %s; %s OMP threads, OMP_WAIT_POLICY=%s%n", fast.detail(), threads,
                System.getenv().getOrDefault("OMP_WAIT_POLICY", "(unset)"));
        double softmaxImagesPerSecond = compare(SmallCnn.forEmoji32(), steps * 10);
        if (fast.kind() == FastPaths.Kind.ONEDNN) {
            fastAgainstPlain(SmallCnn.forEmoji32(), steps * 4);
        }
        PyTorchReference.compare(softmaxImagesPerSecond, Integer.parseInt(String.valueOf(threads)));
        if (includeLarge) {
            compare(BnInception.create(), steps);
            if (fast.kind() == FastPaths.Kind.ONEDNN) {
                fastAgainstPlain(BnInception.create(), Math.max(2, steps / 2));
            }
        }
    }

    private static ComputationGraph rllNetwork(Backbone backbone) {
        return EmbeddingModel.builder().backbone(backbone).head(EmbeddingHead.global(512, RankedListLossConfig.paper()))
                .updater(new Nesterovs(0.01, 0.9)).seed(1).build().network();
    }

    /** The RLL network with DL4J's oneDNN layer helpers against the same network without, alternating. */
    private static void fastAgainstPlain(Backbone backbone, int steps) {
        ComputationGraph fast = rllNetwork(backbone);
        ComputationGraph plain = FastPaths.building(false, () -> rllNetwork(backbone));
        DataSet data = rllBatch(backbone);
        PairedTimes t = Timer.paired(Math.max(1, steps / 5), steps, () -> fast.fit(data), () -> plain.fit(data));
        int[] shape = inputShape(backbone);
        System.out.printf(Locale.ROOT, "%-28s RLL head, oneDNN helpers %.2f ms/image (%.0f images/s), plain path %.2f ms/image: "
                        + "%s faster (paired, %d steps)%n", backbone.name() + " " + shape[1] + "x" + shape[2],
                t.taskMedian() / BATCH, BATCH * 1000 / t.taskMedian(), t.baselineMedian() / BATCH, t.speedup(), steps);
    }

    private static DataSet rllBatch(Backbone backbone) {
        int[] shape = inputShape(backbone);
        Nd4j.getRandom().setSeed(7);
        INDArray x = Nd4j.rand(DataType.FLOAT, BATCH, shape[0], shape[1], shape[2]);
        float[] ids = new float[BATCH];
        for (int i = 0; i < BATCH; i++) {
            ids[i] = i / 3;
        }
        return new DataSet(x, Nd4j.createFromArray(ids).reshape(BATCH, 1));
    }

    /** RLL head against softmax head; returns the softmax network's training images/s. */
    private static double compare(Backbone backbone, int steps) {
        ComputationGraph rll = rllNetwork(backbone);
        ComputationGraph softmax = softmaxNetwork(backbone);
        int[] shape = inputShape(backbone);
        DataSet rllData = rllBatch(backbone);
        INDArray oneHot = LabelEncoding.ONE_HOT.encode(rllData.getLabels(), CLASSES, DataType.FLOAT);
        DataSet softmaxData = new DataSet(rllData.getFeatures(), oneHot);
        int warmup = Math.max(1, steps / 5);
        PairedTimes t = Timer.paired(warmup, steps, () -> rll.fit(rllData), () -> softmax.fit(softmaxData));
        System.out.printf(Locale.ROOT, "%-28s batch %d, %d steps: RLL head %.2f ms/image, softmax head %.2f ms/image, "
                        + "RLL overhead %+.1f%% (paired median), RLL training throughput %.0f images/s%n",
                backbone.name() + " " + shape[1] + "x" + shape[2], BATCH, steps, t.taskMedian() / BATCH,
                t.baselineMedian() / BATCH, 100 * t.differenceMedian() / t.baselineMedian(), BATCH * 1000 / t.taskMedian());
        return BATCH * 1000 / t.baselineMedian();
    }

    private static int[] inputShape(Backbone backbone) {
        org.deeplearning4j.nn.conf.inputs.InputType.InputTypeConvolutional c =
                (org.deeplearning4j.nn.conf.inputs.InputType.InputTypeConvolutional) backbone.inputType();
        return new int[] {(int) c.getChannels(), (int) c.getHeight(), (int) c.getWidth()};
    }

    private static ComputationGraph softmaxNetwork(Backbone backbone) {
        ComputationGraphConfiguration.GraphBuilder g = new NeuralNetConfiguration.Builder()
                .seed(1).dataType(DataType.FLOAT).updater(new Nesterovs(0.01, 0.9)).weightInit(WeightInit.RELU)
                .graphBuilder().addInputs(EmbeddingModel.INPUT).setInputTypes(backbone.inputType());
        Backbone.Stages stages = backbone.addTo(g, EmbeddingModel.INPUT);
        g.addLayer("pool", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), stages.high())
                .addLayer("bn", new BatchNormalization.Builder().build(), "pool")
                .addLayer("embedding", new DenseLayer.Builder().nOut(512).activation(Activation.IDENTITY)
                        .weightInit(WeightInit.XAVIER).build(), "bn")
                .addLayer("softmax", new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(CLASSES)
                        .activation(Activation.SOFTMAX).build(), "embedding")
                .setOutputs("softmax");
        ComputationGraph net = new ComputationGraph(g.build());
        net.init();
        return net;
    }
}
