package org.rll4j.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.rll4j.sampler.LabelEncoding;

/** The public SameDiff API of the loss: graph building, labels, several losses in one graph, save and load, and the layer. */
class SameDiffRankedListLossTest {

    private static final RankedListLossConfig DYNAMIC_FLOW = RankedListLossConfig.builder().tn(40).tp(-3).lambda(0.7)
            .weightGradient(RankedListLossConfig.WeightGradient.FLOW).build();

    @Test
    void oneHotAndClassIdLabelsGiveTheSameLossAndGradient() {
        EmbeddingFixtures.Batch b = EmbeddingFixtures.balanced(3, 4, 3, 6, 0.7);
        SameDiff sd = SameDiff.create();
        SDVariable x = sd.placeHolder("x", DataType.DOUBLE, -1, 6);
        SDVariable ids = sd.placeHolder("ids", DataType.INT, -1, 1);
        SDVariable oneHot = sd.placeHolder("oneHot", DataType.DOUBLE, -1, 4);
        SameDiffRankedListLoss.Outputs byIds = SameDiffRankedListLoss.add(sd, x, ids, RankedListLossConfig.paper());
        SameDiffRankedListLoss.Outputs byOneHot = SameDiffRankedListLoss.add(sd, "rll_onehot", x, oneHot,
                LabelEncoding.ONE_HOT, RankedListLossConfig.paper());
        assertEquals(List.of("rll/loss", "rll_onehot/loss"), sd.getLossVariables());
        Map<String, INDArray> in = Map.of("x", b.features(DataType.DOUBLE), "ids", Nd4j.createFromArray(b.labels()).castTo(DataType.INT)
                .reshape(-1, 1), "oneHot", b.oneHot(4, DataType.DOUBLE));
        Map<String, INDArray> out = sd.output(in, byIds.loss().name(), byOneHot.loss().name(), byIds.perQuery().name());
        double expected = ReferenceRankedListLoss.mean(b.x(), b.labels(), RankedListLossConfig.paper());
        assertEquals(expected, out.get(byIds.loss().name()).getDouble(0), 1e-12);
        assertEquals(expected, out.get(byOneHot.loss().name()).getDouble(0), 1e-12);
        assertEquals(b.labels().length, out.get(byIds.perQuery().name()).length());
    }

    @Test
    void theLabelEncodingIsReadFromTheShapeOrMustBeGiven() {
        SameDiff sd = SameDiff.create();
        SDVariable x = sd.placeHolder("x", DataType.FLOAT, -1, 4);
        SDVariable unknown = sd.placeHolder("labels", DataType.FLOAT, -1, -1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SameDiffRankedListLoss.add(sd, x, unknown, RankedListLossConfig.paper()));
        assertTrue(e.getMessage().contains("'labels'") && e.getMessage().contains("LabelEncoding"), e.getMessage());
        SameDiffRankedListLoss.add(sd, x, sd.placeHolder("ids", DataType.FLOAT, -1), RankedListLossConfig.paper());
        IllegalArgumentException twice = assertThrows(IllegalArgumentException.class,
                () -> SameDiffRankedListLoss.add(sd, x, sd.placeHolder("ids2", DataType.FLOAT, -1, 1), RankedListLossConfig.paper()));
        assertTrue(twice.getMessage().contains("'rll/embedding'") && twice.getMessage().contains("its own name"), twice.getMessage());
        IllegalArgumentException ints = assertThrows(IllegalArgumentException.class, () -> SameDiffRankedListLoss.add(sd, "other",
                sd.placeHolder("xi", DataType.INT, -1, 4), unknown, LabelEncoding.CLASS_IDS, RankedListLossConfig.paper()));
        assertTrue(ints.getMessage().contains("floating-point"), ints.getMessage());
    }

    @Test
    void aGraphBuiltInsideAnOpenWorkspaceStaysValidAfterTheWorkspaceIsReused() {
        EmbeddingFixtures.Batch b = EmbeddingFixtures.balanced(8, 4, 3, 5, 0.7);
        org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration conf = org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration
                .builder().initialSize(1 << 20).policyLearning(org.nd4j.linalg.api.memory.enums.LearningPolicy.NONE).build();
        SameDiff sd = SameDiff.create();
        SameDiffRankedListLoss.Outputs rll;
        try (org.nd4j.linalg.api.memory.MemoryWorkspace ws = Nd4j.getWorkspaceManager().getAndActivateWorkspace(conf, "RLL_TEST_WS")) {
            rll = SameDiffRankedListLoss.add(sd, sd.placeHolder("x", DataType.FLOAT, -1, 5),
                    sd.placeHolder("labels", DataType.FLOAT, -1, 1), RankedListLossConfig.paper());
        }
        for (int i = 0; i < 3; i++) {   // reuse (and overwrite) the workspace's memory, as DL4J's training loop does
            try (org.nd4j.linalg.api.memory.MemoryWorkspace ws = Nd4j.getWorkspaceManager().getAndActivateWorkspace(conf, "RLL_TEST_WS")) {
                Nd4j.rand(DataType.FLOAT, 256, 256).muli(1e6);
            }
        }
        double loss = sd.outputSingle(Map.of("x", b.features(DataType.FLOAT), "labels", b.labelColumn(DataType.FLOAT)),
                rll.loss().name()).getDouble(0);
        assertEquals(ReferenceRankedListLoss.mean(b.x(), b.labels(), RankedListLossConfig.paper()), loss, 1e-5);
    }

    @Test
    void aGraphWithTheLossSurvivesSaveAndLoad(@TempDir Path dir) throws Exception {
        EmbeddingFixtures.Batch b = EmbeddingFixtures.balanced(5, 5, 3, 6, 0.7);
        for (RankedListLossConfig cfg : new RankedListLossConfig[] {RankedListLossConfig.paper(), DYNAMIC_FLOW}) {
            SameDiff sd = SameDiff.create();
            SDVariable x = sd.placeHolder("x", DataType.DOUBLE, -1, 6);
            SDVariable labels = sd.placeHolder("labels", DataType.DOUBLE, -1, 1);
            SDVariable w = sd.var("w", Nd4j.rand(DataType.DOUBLE, 6, 5));
            SameDiffRankedListLoss.Outputs rll = SameDiffRankedListLoss.add(sd, x.mmul(w), labels, cfg);
            Map<String, INDArray> in = Map.of("x", b.features(DataType.DOUBLE), "labels", b.labelColumn(DataType.DOUBLE));
            double loss = sd.outputSingle(in, rll.loss().name()).getDouble(0);
            SameDiffRankedListLoss.createGradientFunction(sd);
            INDArray grad = sd.calculateGradients(in, "w").get("w");

            File file = dir.resolve("rll-" + cfg.weightGradient() + ".fb").toFile();
            sd.save(file, true);
            SameDiff restored = SameDiff.load(file, true);
            assertEquals(List.of(rll.loss().name()), restored.getLossVariables());
            assertEquals(loss, restored.outputSingle(in, rll.loss().name()).getDouble(0), 0, cfg.toString());
            SameDiffRankedListLoss.createGradientFunction(restored);
            assertTrue(grad.equalsWithEps(restored.calculateGradients(in, "w").get("w"), 1e-15), cfg.toString());
        }
    }

    @ParameterizedTest
    @EnumSource(value = DataType.class, names = {"FLOAT", "DOUBLE"})
    void bothLayersTrainAComputationGraphToTheSameWeights(DataType dataType) {
        EmbeddingFixtures.Batch b1 = EmbeddingFixtures.balanced(21, 6, 3, 8, 0.8);
        EmbeddingFixtures.Batch b2 = EmbeddingFixtures.balanced(22, 6, 3, 8, 0.8);
        ComputationGraph kernel = TinyNetworks.mlp(8, 16, 4, DYNAMIC_FLOW, dataType, 9, new Adam(1e-2), RankedListLossImplementation.KERNEL);
        ComputationGraph graph = TinyNetworks.mlp(8, 16, 4, DYNAMIC_FLOW, dataType, 9, new Adam(1e-2), RankedListLossImplementation.SAMEDIFF);
        assertEquals(kernel.params(), graph.params());
        for (int it = 0; it < 6; it++) {
            EmbeddingFixtures.Batch b = it % 2 == 0 ? b1 : b2;
            DataSet ds = new DataSet(b.features(dataType), b.labelColumn(dataType));
            kernel.fit(ds);
            graph.fit(ds);
            assertEquals(kernel.score(), graph.score(), dataType == DataType.DOUBLE ? 1e-12 : 1e-5, "score at iteration " + it);
        }
        double tol = dataType == DataType.DOUBLE ? 1e-10 : 1e-4;
        INDArray diff = kernel.params().sub(graph.params());
        double maxDiff = diff.amaxNumber().doubleValue();
        assertTrue(maxDiff <= tol * Math.max(1, kernel.params().amaxNumber().doubleValue()), "max |w_kernel - w_samediff| = " + maxDiff);
        assertTrue(kernel.params().sub(TinyNetworks.mlp(8, 16, 4, DYNAMIC_FLOW, dataType, 9, new Adam(1e-2), RankedListLossImplementation.KERNEL).params())
                .amaxNumber().doubleValue() > 1e-3, "the weights moved");
    }

    @Test
    void theReadmeShowsTheExampleThatTheTestsRun() throws Exception {
        Path readme = Path.of(System.getProperty("user.dir")).getParent().resolve("README.md");
        String text = Files.readString(readme, StandardCharsets.UTF_8);
        String source = Files.readString(Path.of("src/test/java/org/rll4j/loss/SameDiffReadmeExample.java"), StandardCharsets.UTF_8);
        String example = source.substring(source.indexOf("// README:begin\n") + "// README:begin\n".length(), source.indexOf("        // README:end"));
        String dedented = example.lines().map(l -> l.startsWith("        ") ? l.substring(8) : l)
                .collect(java.util.stream.Collectors.joining("\n", "", "\n"));
        assertTrue(text.contains(dedented), "README.md must contain the example of SameDiffReadmeExample verbatim (dedented by 8):\n" + dedented);
    }
}
