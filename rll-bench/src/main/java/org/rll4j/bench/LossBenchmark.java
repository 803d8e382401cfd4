package org.rll4j.bench;

import java.util.Locale;
import java.util.Map;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.nn.conf.layers.misc.ElementWiseMultiplicationLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.rll4j.loss.CrossBatchMemory;
import org.rll4j.loss.EmbeddingFixtures;
import org.rll4j.loss.RankedListLoss;
import org.rll4j.loss.RankedListLossConfig;
import org.rll4j.loss.RankedListLossLayer;
import org.rll4j.loss.ReferenceRankedListLoss;
import org.rll4j.loss.SameDiffRankedListLoss;
import org.rll4j.loss.SameDiffRankedListLossLayer;

/**
 * Forward + backward of the Ranked List Loss at the paper's batch shapes (B = 180 = 60 x 3 for SOP,
 * B = 60 = 20 x 3 for CUB; D = 512 and 64), FLOAT, paper hyper-parameters. Per shape, medians of:
 * <ul>
 *   <li>{@code network}: {@code computeGradientAndScore()} of a DL4J graph {@code in -> scale -> RLL}
 *       (the per-feature scale layer only gives the graph parameters; workspaces as in training);</li>
 *   <li>{@code mse-net}: the same graph with DL4J's built-in MSE loss instead (the harness cost);</li>
 *   <li>{@code rll}: the loss's own cost in training, the target figure: {@code network - mse-net}
 *       per round, the two run in alternating order, printed as the median difference ± half its
 *       interquartile range, or {@code "< noise (±n)"} when that half-range is not below the median
 *       ({@link PairedTimes}: on a loaded machine the difference of two medians came out negative);</li>
 *   <li>{@code standalone}: {@link RankedListLoss#gradient}, the same kernel without a DL4J network;</li>
 *   <li>{@code samediff}: {@link SameDiffRankedListLoss}, the loss as a SameDiff graph differentiated by
 *       SameDiff, forward + backward: {@code calculateGradients} with respect to the embedding placeholder,
 *       on a graph built once;</li>
 *   <li>{@code sd-network}: {@code computeGradientAndScore()} of the graph above with
 *       {@link SameDiffRankedListLossLayer} instead of {@link RankedListLossLayer};</li>
 *   <li>{@code reference}: the brute-force double-loop loss and hand-derived gradient, in double.</li>
 * </ul>
 * Ratios: {@code samediff} against {@code standalone} and {@code sd-network} against {@code network}, each
 * pair timed in alternating rounds ({@link Timer#paired}) and printed as the median per-round ratio with its
 * quartiles, so that a shared machine's drift cancels; {@code reference} against {@code standalone} as a
 * ratio of medians (the in-network difference may be unresolved, so it is no denominator).
 */
final class LossBenchmark {

    private static final int[][] SHAPES = {{180, 512}, {180, 64}, {60, 512}, {60, 64}};

    private LossBenchmark() {
    }

    static void run(int warmup, int runs) {
        RankedListLossConfig cfg = RankedListLossConfig.paper();
        System.out.printf(Locale.ROOT, "Ranked List Loss forward+backward, FLOAT, %s%n", cfg);
        Object ompThreads = Nd4j.getExecutioner().getEnvironmentInformation().get("omp.threads");
        System.out.printf(Locale.ROOT, "median ms per call over %d calls after %d warm-up calls; %s OMP threads, %s BLAS threads%n",
                runs, warmup, ompThreads, Nd4j.getExecutioner().getEnvironmentInformation().get("blas.threads"));
        System.out.printf(Locale.ROOT, "rll = network - mse-net over %d rounds in alternating order: median ± half the "
                + "interquartile range; '< noise' when the half-range is not below the median%n", runs);
        if (!"1".equals(String.valueOf(ompThreads))) {
            System.out.println("note: with more than one OMP thread on a 2-core machine, ND4J's OpenMP threads and OpenBLAS's "
                    + "threads busy-wait against each other; rerun with OMP_NUM_THREADS=1 to compare");
        }
        System.out.printf(Locale.ROOT, "%-10s %8s %8s %17s %11s %9s %10s %10s %20s %20s %20s%n",
                "B x D", "network", "mse-net", "rll", "standalone", "samediff", "sd-network", "reference",
                "samediff/standalone", "sd-network/network", "reference/standalone");
        for (int[] shape : SHAPES) {
            int b = shape[0];
            int d = shape[1];
            EmbeddingFixtures.Batch batch = EmbeddingFixtures.balanced(17, b / 3, 3, d, 1.2).roundedToFloat();
            INDArray x = batch.features(DataType.FLOAT);
            INDArray y = batch.labelColumn(DataType.FLOAT);

            ComputationGraph rllNet = net(d, RankedListLossLayer.of(cfg));
            ComputationGraph mseNet = net(d, new LossLayer.Builder(LossFunctions.LossFunction.MSE)
                    .activation(Activation.IDENTITY).build());
            INDArray mseLabels = Nd4j.rand(DataType.FLOAT, b, d);
            PairedTimes inNetwork = Timer.paired(warmup, runs, () -> gradientAndScore(rllNet, x, y),
                    () -> gradientAndScore(mseNet, x, mseLabels));

            RankedListLoss standaloneLoss = RankedListLoss.create(cfg, DataType.FLOAT);

            SameDiff sd = SameDiff.create();
            SameDiffRankedListLoss.add(sd, sd.placeHolder("x", DataType.FLOAT, -1, d),
                    sd.placeHolder("labels", DataType.FLOAT, -1, 1), cfg);
            SameDiffRankedListLoss.createGradientFunction(sd, "x");
            Map<String, INDArray> placeholders = Map.of("x", x, "labels", y);
            PairedTimes graphVsKernel = Timer.paired(warmup, runs, () -> sd.calculateGradients(placeholders, "x"),
                    () -> standaloneLoss.gradient(x, y));
            double standalone = graphVsKernel.baselineMedian();
            ComputationGraph sdNet = net(d, SameDiffRankedListLossLayer.of(cfg));
            PairedTimes layers = Timer.paired(warmup, runs, () -> gradientAndScore(sdNet, x, y), () -> gradientAndScore(rllNet, x, y));

            double[][] xd = batch.x();
            long[] labels = batch.labels();
            int slowRuns = Math.max(5, runs / 5);
            double reference = Timer.medianMillis(Math.max(2, warmup / 5), slowRuns, () -> {
                ReferenceRankedListLoss.perQuery(xd, labels, cfg);
                ReferenceRankedListLoss.gradientConstantWeights(xd, labels, cfg);
            });
            System.out.printf(Locale.ROOT, "%-10s %8.2f %8.2f %17s %11.2f %9.2f %10.2f %10.2f %20s %20s %20.1f%n",
                    b + " x " + d, inNetwork.taskMedian(), inNetwork.baselineMedian(), inNetwork.difference(),
                    standalone, graphVsKernel.taskMedian(), layers.taskMedian(), reference, graphVsKernel.ratio(), layers.ratio(),
                    reference / standalone);
        }
        System.out.println("targets: rll (forward+backward in training) <= 3 ms median at B = 180, D = 512 on 2 cores; "
                + "samediff <= 5x standalone there");
        memory(cfg, warmup, runs);
    }

    private static final int[] MEMORY_SIZES = {1024, 8192};

    /**
     * The loss over a full cross-batch memory at B = 180, D = 512 ({@link RankedListLoss#gradient(INDArray, INDArray,
     * CrossBatchMemory)}), each M timed against M = 0 in alternating rounds: the medians, the median per-round extra
     * time and that extra per 1024 entries (constant when the cost is linear in M), and the Java heap allocated per call
     * (the pass's arrays; the GEMMs' operands and outputs live in ND4J workspaces) per query-memory pair.
     */
    private static void memory(RankedListLossConfig cfg, int warmup, int runs) {
        int b = 180;
        int d = 512;
        EmbeddingFixtures.Batch batch = EmbeddingFixtures.balanced(17, b / 3, 3, d, 1.2).roundedToFloat();
        INDArray x = batch.features(DataType.FLOAT);
        INDArray y = batch.labelColumn(DataType.FLOAT);
        RankedListLoss loss = RankedListLoss.create(cfg, DataType.FLOAT);
        System.out.printf(Locale.ROOT, "%ncross-batch memory, B x D = %d x %d, a full memory of M unit rows (4 per class, class ids "
                + "overlapping the batch's), standalone forward+backward; each M against M = 0 in %d alternating rounds%n", b, d, runs);
        System.out.printf(Locale.ROOT, "%-6s %9s %9s %17s %16s %14s %16s%n", "M", "ms", "ms (M=0)", "extra ms", "extra per 1024",
                "heap MB/call", "heap B/(B x M)");
        double heapNone = heapBytesPerCall(() -> loss.gradient(x, y));
        for (int m : MEMORY_SIZES) {
            EmbeddingFixtures.Batch stored = EmbeddingFixtures.balanced(29 + m, m / 4, 4, d, 1.2).roundedToFloat();
            CrossBatchMemory memory = new CrossBatchMemory(m);
            INDArray rows = stored.features(DataType.FLOAT);
            memory.add(rows.divColumnVector(rows.norm2(1).reshape(m, 1)), stored.labels());
            PairedTimes t = Timer.paired(warmup, runs, () -> loss.gradient(x, y, memory), () -> loss.gradient(x, y));
            double heap = heapBytesPerCall(() -> loss.gradient(x, y, memory));
            System.out.printf(Locale.ROOT, "%-6d %9.2f %9.2f %17s %16.2f %14.1f %16.1f%n", m, t.taskMedian(), t.baselineMedian(),
                    t.difference(), t.differenceMedian() / (m / 1024.0), heap / 1e6, (heap - heapNone) / ((double) b * m));
        }
        System.out.println("linear in M: 'extra per 1024' about equal for both M; heap per pair: the pass's B x (B + M) arrays "
                + "(similarities, distances, derivatives, close-pair flags), nothing else of that size");
    }

    /** Java heap bytes the current thread allocates per call (mean of 10 calls after 3). */
    private static double heapBytesPerCall(Runnable task) {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long id = Thread.currentThread().getId();
        for (int i = 0; i < 3; i++) {
            task.run();
        }
        long before = threads.getThreadAllocatedBytes(id);
        for (int i = 0; i < 10; i++) {
            task.run();
        }
        return (threads.getThreadAllocatedBytes(id) - before) / 10.0;
    }

    private static void gradientAndScore(ComputationGraph net, INDArray x, INDArray y) {
        net.setInput(0, x);
        net.setLabel(0, y);
        net.computeGradientAndScore();
    }

    private static ComputationGraph net(int d, Layer output) {
        ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder()
                .seed(1).dataType(DataType.FLOAT).updater(new Sgd(0.01))
                .graphBuilder()
                .addInputs("in")
                .setInputTypes(InputType.feedForward(d))
                .addLayer("scale", new ElementWiseMultiplicationLayer.Builder().nIn(d).nOut(d)
                        .activation(Activation.IDENTITY).build(), "in")
                .addLayer("loss", output, "scale")
                .setOutputs("loss")
                .build();
        ComputationGraph net = new ComputationGraph(conf);
        net.init();
        return net;
    }
}
