package org.rll4j.app.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import org.rll4j.app.config.ConfigException;
import org.rll4j.app.config.ConfigLoader;
import org.rll4j.app.config.RunConfig;
import org.rll4j.loss.RankedListLossConfig;
import org.rll4j.models.EmbeddingHead;
import org.rll4j.models.EmbeddingModel;
import org.rll4j.models.SmallCnn;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;

/**
 * Pretrained weights through {@link ModelFactory#build}: the import report is logged, and weights that
 * leave a backbone layer at its initialisation are a configuration error naming the layers (a DL4J
 * model zip here, the path zoo zips take; the {@code .npz} path is tested in rll-models).
 */
class ModelFactoryTest {

    @TempDir
    Path dir;

    /** The main job's configuration with a small CNN of widths 4, 8 (and 16 with {@code threeStages}). */
    private static RunConfig config(String pretrained, boolean threeStages) throws IOException {
        return ConfigLoader.load(null, List.of("model.widths=" + (threeStages ? "[4, 8, 16]" : "[4, 8]"),
                "model.pretrained=" + pretrained));
    }

    /** Saves a classifier-like source: the small CNN on 32x32 images of {@code channels}, a head of its own. */
    private Path weights(int channels) throws IOException {
        EmbeddingModel source = EmbeddingModel.builder().backbone(new SmallCnn(32, 32, channels, 4, 8))
                .head(EmbeddingHead.global(8, RankedListLossConfig.paper())).seed(9).build();
        ComputationGraph net = source.network();
        Nd4j.getRandom().setSeed(9);
        net.setParams(Nd4j.rand(DataType.FLOAT, 1, net.numParams()).subi(0.5));
        Path zip = dir.resolve("weights-" + channels + ".zip");
        ModelSerializer.writeModel(net, zip.toFile(), false);
        return zip;
    }

    @Test
    void aFittingBackboneLoadsAndTheReportIsLogged() throws IOException {
        Path zip = weights(3);
        Logger logger = (Logger) LoggerFactory.getLogger(ModelFactory.class);
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        Level level = logger.getLevel();
        boolean additive = logger.isAdditive();
        logger.addAppender(appender);
        logger.setLevel(Level.INFO);
        logger.setAdditive(false); // to the list only, not to the console
        EmbeddingModel model;
        try {
            model = ModelFactory.build(config(zip.toString(), false));
        } finally {
            logger.detachAppender(appender);
            logger.setLevel(level);
            logger.setAdditive(additive);
        }

        ComputationGraph source = ModelSerializer.restoreComputationGraph(zip.toFile(), false);
        for (String layer : List.of("conv_1", "bn_1", "conv_2", "bn_2")) {
            assertEquals(source.getLayer(layer).params(), model.network().getLayer(layer).params(), layer);
        }
        assertEquals(1, appender.list.size());
        String logged = appender.list.get(0).getFormattedMessage();
        assertTrue(logged.startsWith("pretrained weights " + zip + " into model.backbone small-cnn (4 backbone layers"
                + " hold parameters):\ncopied 4 of 19 layers with parameters (444 values): conv_1, bn_1, conv_2, bn_2\n"
                + "not in the source, as expected: the heads' 15 layers: "), logged);
        assertTrue(logged.endsWith("\nunused in the source (2): bn, embedding"), "the source's own head: " + logged);
    }

    @Test
    void weightsWithoutABackboneLayerAreAConfigErrorNamingIt() throws IOException {
        Path zip = weights(3);
        ConfigException e = assertThrows(ConfigException.class, () -> ModelFactory.build(config(zip.toString(), true)));
        assertTrue(e.getMessage().startsWith("model.pretrained '" + zip + "' does not fit model.backbone small-cnn:"
                + " every layer with parameters of the backbone small-cnn[4,8,16] at 32x32x3 must be loaded from the"
                + " weights, found 2 of 6 not loaded: conv_3 (missing in the source, looked for 'conv_3'); bn_3 (missing"
                + " in the source, looked for 'bn_3'). Layers missing in the source mean weights of another network"),
                e.getMessage());
    }

    @Test
    void weightsForOtherInputChannelsAreAConfigErrorWithBothShapes() throws IOException {
        Path zip = weights(1);
        ConfigException e = assertThrows(ConfigException.class, () -> ModelFactory.build(config(zip.toString(), false)));
        assertTrue(e.getMessage().contains("found 1 of 4 not loaded: conv_1 (mis-shaped: W: source 'conv_1/W' is"
                + " [4, 1, 3, 3], expected [4, 3, 3, 3]). Mis-shaped layers mean the same layers with other sizes: other"
                + " input channels (grayscale against RGB)"), e.getMessage());
    }
}
