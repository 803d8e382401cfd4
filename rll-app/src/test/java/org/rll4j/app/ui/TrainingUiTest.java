package org.rll4j.app.ui;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.deeplearning4j.core.storage.StatsStorage;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.ui.VertxUIServer;
import org.deeplearning4j.ui.api.UIServer;
import org.deeplearning4j.ui.model.stats.StatsListener;
import org.deeplearning4j.ui.model.storage.FileStatsStorage;
import org.deeplearning4j.ui.model.storage.InMemoryStatsStorage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.rll4j.listeners.RetrievalStats;
import org.rll4j.ui.RetrievalUIModule;

class TrainingUiTest {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private TrainingUi ui;

    @AfterEach
    void closeUi() throws Exception {
        if (ui != null) {
            ui.close();
        }
        UIServer.stopInstance(); // in case a test failed between a start and its handle
    }

    static Map<String, Double> metrics(double r1, double map) {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("Recall@1", r1);
        m.put("MAP@R", map);
        return m;
    }

    static HttpResponse<String> get(String url) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** A StatsListener session of a few real training iterations, as the trainer will produce. */
    private static String trainWithStatsListener(StatsStorage storage) {
        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder()
                .seed(1).updater(new Sgd(0.1)).list()
                .layer(new DenseLayer.Builder().nIn(4).nOut(3).activation(Activation.TANH).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nIn(3).nOut(2)
                        .activation(Activation.IDENTITY).build())
                .build());
        net.init();
        StatsListener listener = new StatsListener(storage, 1);
        net.setListeners(listener);
        DataSet ds = new DataSet(Nd4j.rand(8, 4), Nd4j.rand(8, 2));
        for (int i = 0; i < 5; i++) {
            net.fit(ds);
        }
        return listener.getSessionID();
    }

    /** The example of the package javadoc and of TrainingUi's javadoc; keep them in sync. */
    @Test
    void javadocExample(@TempDir Path runDir) throws Exception {
        MultiLayerNetwork net = new MultiLayerNetwork(new NeuralNetConfiguration.Builder()
                .seed(1).updater(new Sgd(0.1)).list()
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nIn(4).nOut(2)
                        .activation(Activation.IDENTITY).build())
                .build());
        net.init();
        DataSet batch = new DataSet(Nd4j.rand(8, 4), Nd4j.rand(8, 2));

        FileStatsStorage storage = new FileStatsStorage(runDir.resolve("ui-stats.dl4j").toFile());
        StatsListener stats = new StatsListener(storage);
        net.setListeners(stats);
        try (TrainingUi ui = TrainingUi.start(0, true, storage)) {     // port 0: any free port
            System.out.println("Training UI: " + ui.url() + "  retrieval metrics: " + ui.retrievalUrl());
            net.fit(batch);
            RetrievalStats.put(storage, stats.getSessionID(), "worker0", net.getIterationCount(), net.getEpochCount(),
                    Map.of("Recall@1", 0.42, "MAP@R", 0.17));
            List<RetrievalStats.Point> points = RetrievalStats.read(storage, stats.getSessionID());

            assertEquals(1, points.size());
            assertEquals(1L, points.get(0).iteration());
            assertEquals(0.42, points.get(0).metrics().get("Recall@1"));
            assertEquals(stats.getSessionID(), new JsonObject(get(ui.url() + RetrievalUIModule.DATA_PATH).body())
                    .getString("session"));
        }
        storage.close();
    }

    @Test
    void servesTheStockPagesAndTheRetrievalDataOfTheStatsListenerSession() throws Exception {
        StatsStorage storage = new InMemoryStatsStorage();
        String session = trainWithStatsListener(storage);
        RetrievalStats.put(storage, session, "worker0", 2, 0, metrics(0.25, 0.125));
        RetrievalStats.put(storage, session, "worker0", 4, 0, metrics(0.375, 0.25));

        ui = TrainingUi.start(0, true, storage);
        assertTrue(ui.port() > 0, "port 0 must be replaced by the chosen port");
        assertEquals("http://localhost:" + ui.port(), ui.url());
        assertEquals(ui.port(), UIServer.getInstance().getPort(), "the TrainingUi is DL4J's UI instance");

        HttpResponse<String> overview = get(ui.overviewUrl());
        assertEquals(200, overview.statusCode());
        assertTrue(overview.body().contains("<html"), overview.body());
        HttpResponse<String> overviewData = get(ui.url() + "/train/overview/data");
        assertEquals(200, overviewData.statusCode());
        JsonArray scores = new JsonObject(overviewData.body()).getJsonArray("scores");
        assertEquals(5, scores.size(), "the stock page charts the 5 StatsListener iterations: " + overviewData.body());

        HttpResponse<String> data = get(ui.url() + RetrievalUIModule.DATA_PATH);
        assertEquals(200, data.statusCode());
        assertTrue(data.headers().firstValue("content-type").orElse("").startsWith("application/json"));
        JsonObject json = new JsonObject(data.body());
        assertEquals(session, json.getString("session"), "without ?session the latest session is shown");
        assertEquals(List.of("Recall@1", "MAP@R"), json.getJsonArray("metrics").getList());
        JsonArray points = json.getJsonArray("points");
        assertEquals(2, points.size());
        assertEquals(2L, points.getJsonObject(0).getLong("iteration"));
        assertEquals(0.25, points.getJsonObject(0).getJsonObject("values").getDouble("Recall@1"));
        assertEquals(4L, points.getJsonObject(1).getLong("iteration"));
        assertEquals(0.25, points.getJsonObject(1).getJsonObject("values").getDouble("MAP@R"));

        JsonObject sessions = new JsonObject(get(ui.url() + RetrievalUIModule.SESSIONS_PATH).body());
        assertEquals(session, sessions.getString("latest"));
        assertEquals(2, sessions.getJsonArray("sessions").getJsonObject(0).getInteger("retrievalPoints"));

        HttpResponse<String> page = get(ui.retrievalUrl());
        assertEquals(200, page.statusCode());
        assertTrue(page.body().contains("<svg id=\"rll-chart\""), "the page holds the chart element");
        assertTrue(page.body().contains("\"Recall@1\":0.375"), "the page inlines the data of the latest session");
        assertFalse(page.body().contains("__RLL_"), "every template mark is replaced");
    }

    @Test
    void dataFollowsTheStorageWhileTrainingRuns() throws Exception {
        StatsStorage storage = new InMemoryStatsStorage();
        RetrievalStats.put(storage, "live", "w", 10, 0, metrics(0.1, 0.05));
        ui = TrainingUi.start(0, true, storage);
        String url = ui.url() + RetrievalUIModule.DATA_PATH + "?session=live";
        assertEquals(1, new JsonObject(get(url).body()).getJsonArray("points").size());
        RetrievalStats.put(storage, "live", "w", 20, 0, metrics(0.2, 0.1));
        JsonObject json = new JsonObject(get(url).body());
        assertEquals(2, json.getJsonArray("points").size());
        assertEquals(0.2, json.getJsonArray("points").getJsonObject(1).getJsonObject("values").getDouble("Recall@1"));
    }

    @Test
    void nonFiniteValuesAreNullInTheJson() throws Exception {
        StatsStorage storage = new InMemoryStatsStorage();
        RetrievalStats.put(storage, "s", "w", 1, 0, metrics(Double.NaN, 0.5));
        ui = TrainingUi.start(0, true, storage);
        String body = get(ui.url() + RetrievalUIModule.DATA_PATH + "?session=s").body();
        assertTrue(body.contains("\"Recall@1\":null"), body);
    }

    @Test
    void anUnknownSessionIs404() throws Exception {
        StatsStorage storage = new InMemoryStatsStorage();
        RetrievalStats.put(storage, "s", "w", 1, 0, metrics(0.5, 0.5));
        ui = TrainingUi.start(0, true, storage);
        HttpResponse<String> r = get(ui.url() + RetrievalUIModule.DATA_PATH + "?session=nope");
        assertEquals(404, r.statusCode());
        assertEquals("no attached stats storage holds session nope", new JsonObject(r.body()).getString("error"));
    }

    @Test
    void aBusyPortNamesThePortAndTheFixAndLeavesNoServerBehind() throws Exception {
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            int port = taken.getLocalPort();
            StatsStorage storage = new InMemoryStatsStorage();
            UncheckedIOException e = assertThrows(UncheckedIOException.class,
                    () -> TrainingUi.start(port, true, storage));
            assertInstanceOf(BindException.class, e.getCause());
            assertTrue(e.getMessage().startsWith("UI port " + port + " is busy on 127.0.0.1 ("), e.getMessage());
            assertTrue(e.getMessage().endsWith(
                    "): choose another port with --ui-port N, or --ui-port 0 for a free one"), e.getMessage());
            assertTrue(VertxUIServer.getInstance() == null || VertxUIServer.getInstance().isStopped(),
                    "a failed start must not leave DL4J's UI instance behind");
        }
        ui = TrainingUi.start(0, true, new InMemoryStatsStorage());
        assertEquals(200, get(ui.overviewUrl()).statusCode(), "a start after the failure works");
    }

    @Test
    void startStopRepeatedlyOnTheSamePort() throws Exception {
        StatsStorage storage = new InMemoryStatsStorage();
        ui = TrainingUi.start(0, true, storage);
        int port = ui.port();
        for (int round = 0; round < 3; round++) {
            assertEquals(200, get(ui.overviewUrl()).statusCode(), "round " + round);
            ui.close();
            ui.close(); // idempotent
            assertThrows(ConnectException.class, () -> get("http://localhost:" + port + "/train/overview"),
                    "closed server must not answer, round " + round);
            ui = TrainingUi.start(port, true, storage);
            assertEquals(port, ui.port());
        }
        assertEquals(1, storage.getListeners().size(), "close() detaches: only the live server listens");
    }

    @Test
    void aSecondServerInTheSameJvmIsRefused() {
        ui = TrainingUi.start(0, true, new InMemoryStatsStorage());
        StatsStorage other = new InMemoryStatsStorage();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> TrainingUi.start(0, true, other));
        assertEquals("a DL4J UI server already runs in this JVM at http://localhost:" + ui.port()
                + "; close it (TrainingUi.close() or UIServer.stopInstance()) before starting another", e.getMessage());
    }

    @Test
    void portOutOfRangeIsRejected() {
        StatsStorage storage = new InMemoryStatsStorage();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TrainingUi.start(70000, true, storage));
        assertEquals("ui port must be in [0, 65535] (0 picks a free port), found 70000", e.getMessage());
    }

    /** An IPv4 address of this machine that is not loopback, if it has one. */
    private static Optional<InetAddress> nonLoopbackAddress() throws SocketException {
        for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            if (!nic.isUp() || nic.isLoopback()) {
                continue;
            }
            for (InetAddress a : Collections.list(nic.getInetAddresses())) {
                if (a instanceof Inet4Address && !a.isLoopbackAddress() && !a.isLinkLocalAddress()) {
                    return Optional.of(a);
                }
            }
        }
        return Optional.empty();
    }

    private static boolean connects(InetAddress address, int port) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(address, port), 5000);
            return true;
        } catch (ConnectException e) {
            return false;
        }
    }

    @Test
    void localhostOnlyIsNotReachableOnOtherAddressesButAllInterfacesIs() throws Exception {
        Optional<InetAddress> external = nonLoopbackAddress();
        assumeTrue(external.isPresent(), "this machine has no non-loopback IPv4 address to test binding with");
        StatsStorage storage = new InMemoryStatsStorage();

        ui = TrainingUi.start(0, true, storage);
        assertTrue(ui.localhostOnly());
        assertTrue(connects(InetAddress.getLoopbackAddress(), ui.port()));
        assertFalse(connects(external.get(), ui.port()), "localhost-only UI answered on " + external.get());
        ui.close();

        ui = TrainingUi.start(0, false, storage);
        assertFalse(ui.localhostOnly());
        assertTrue(connects(external.get(), ui.port()), "all-interfaces UI must answer on " + external.get());
    }

    @Test
    void viewServesACopyOfAnOldRunsStatsFileAndLeavesTheFileAsItWas(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("ui-stats.dl4j");
        FileStatsStorage run = new FileStatsStorage(file.toFile());
        String session = trainWithStatsListener(run);
        RetrievalStats.put(run, session, "worker0", 3, 0, metrics(0.5, 0.25));
        run.close();
        byte[] before = Files.readAllBytes(file);
        long modified = Files.getLastModifiedTime(file).toMillis();

        ui = TrainingUi.view(file, 0);
        assertTrue(ui.localhostOnly());
        assertEquals(200, get(ui.overviewUrl()).statusCode());
        JsonArray scores = new JsonObject(get(ui.url() + "/train/overview/data").body()).getJsonArray("scores");
        assertEquals(5, scores.size());
        JsonObject data = new JsonObject(get(ui.url() + RetrievalUIModule.DATA_PATH).body());
        assertEquals(session, data.getString("session"));
        assertEquals(0.5, data.getJsonArray("points").getJsonObject(0).getJsonObject("values").getDouble("Recall@1"));
        ui.close();

        assertTrue(java.util.Arrays.equals(before, Files.readAllBytes(file)), "the run's file must not change");
        assertEquals(modified, Files.getLastModifiedTime(file).toMillis());
        try (var files = Files.list(dir)) {
            assertEquals(List.of(file), files.toList(), "nothing is written beside the run's file");
        }
    }

    @Test
    void viewOfAMissingFileSaysSo(@TempDir Path dir) {
        Path missing = dir.resolve("nope.dl4j");
        UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> TrainingUi.view(missing, 0));
        assertInstanceOf(NoSuchFileException.class, e.getCause());
        assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("no such stats file"), e.getMessage());
        assertNotEquals(null, e.getCause().getMessage());
    }

    @Test
    void viewOfAFileThatIsNotAStatsFileSaysSo(@TempDir Path dir) throws IOException {
        Path notStats = Files.writeString(dir.resolve("notes.txt"), "not a MapDB file, just some text\n".repeat(20));
        UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> TrainingUi.view(notStats, 0));
        assertTrue(e.getMessage().contains("cannot read " + notStats + " as a DL4J stats file"), e.getMessage());
        assertTrue(VertxUIServer.getInstance() == null || VertxUIServer.getInstance().isStopped());
    }
}
