package org.rll4j.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;

import org.deeplearning4j.ui.model.storage.InMemoryStatsStorage;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rll4j.app.config.ConfigLoader;
import org.rll4j.app.config.RunConfig;
import org.rll4j.app.run.Trainer;
import org.rll4j.app.ui.TrainingUi;
import org.rll4j.ui.RetrievalUIModule;

/**
 * DL4J's remote-listener mode: a Spark run with {@code ui.remote} posts its workers' stats and the driver's retrieval
 * metrics to a UI it does not run ({@code rll ui --receive}), whose stock and retrieval pages then show them.
 */
@Tag("training")
class RemoteUiTest {

    @Test
    void aSparkRunPostsItsStatsToAUiOutsideIt(@TempDir Path dir) throws Exception {
        Path data = TinyEmoji.copy(dir.resolve("emoji40"), 40);
        InMemoryStatsStorage received = new InMemoryStatsStorage();
        HttpClient http = HttpClient.newHttpClient();
        try (TrainingUi ui = TrainingUi.receive(0, true, received)) {
            RunConfig config = ConfigLoader.load(null, List.of("dataset.root=" + data, "model.widths=[8,16,16]",
                    "model.embeddingDim=16", "sampler.classesPerBatch=8", "training.iterations=20", "evaluation.every=10",
                    "evaluation.baselines=false", "evaluation.nmi=false", "ui.enabled=false",
                    "ui.remote=http://127.0.0.1:" + ui.port(), "spark.master=local[2]"));
            ByteArrayOutputStream log = new ByteArrayOutputStream();
            Trainer.Result r = new Trainer(config, dir.resolve("run"), new PrintStream(log, true)).train("# test\n");
            assertTrue(r.finished(), log.toString());

            SparkTrainingTest.assertSparkStats(received);
            String page = http.send(HttpRequest.newBuilder(URI.create(ui.url() + RetrievalUIModule.DATA_PATH)).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertTrue(page.contains("MAP@R"), page);
            assertEquals(200, http.send(HttpRequest.newBuilder(URI.create(ui.url() + "/train/overview")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode());
        }
    }
}
