package org.rll4j.ui;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.stream.Collectors;

import io.vertx.core.json.JsonObject;
import org.deeplearning4j.core.storage.StatsStorage;
import org.deeplearning4j.ui.api.UIModule;
import org.deeplearning4j.ui.api.UIServer;
import org.deeplearning4j.ui.model.storage.InMemoryStatsStorage;
import org.junit.jupiter.api.Test;
import org.rll4j.listeners.RetrievalStats;

/**
 * The README's example of the retrieval page (section "The retrieval page in your own training UI"), verbatim between
 * the markers, run against DL4J's own UI server: the module needs no registration of its own.
 */
class UiReadmeExampleTest {

    @Test
    void theServiceFileNamesTheModule() {
        List<Class<?>> modules = ServiceLoader.load(UIModule.class).stream()
                .map(ServiceLoader.Provider::type).collect(Collectors.toList());
        assertTrue(modules.contains(RetrievalUIModule.class), "ServiceLoader finds " + modules);
    }

    @Test
    void dl4jsOwnServerServesThePage() throws Exception {
        String previousPort = System.setProperty("org.deeplearning4j.ui.port", Integer.toString(freePort()));
        String sessionId = "readme";
        try {
            // README:begin
            StatsStorage stats = new InMemoryStatsStorage();    // or new FileStatsStorage(file), to keep it
            UIServer ui = UIServer.getInstance();               // DL4J's server: it loads RetrievalUIModule itself
            ui.attach(stats);
            // recorded by RetrievalEvaluationListener.builder()...stats(stats, sessionId), or by hand:
            RetrievalStats.put(stats, sessionId, "worker0", 100, 1, Map.of("Recall@1", 0.42, "MAP@R", 0.17));
            String page = "http://localhost:" + ui.getPort() + RetrievalUIModule.PAGE_PATH;  // the charts
            // README:end
            HttpClient http = HttpClient.newHttpClient();
            HttpResponse<String> html = http.send(HttpRequest.newBuilder(URI.create(page)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, html.statusCode());
            assertTrue(html.body().contains("rll-chart"), "the retrieval page");
            String data = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + ui.getPort()
                    + RetrievalUIModule.DATA_PATH)).build(), HttpResponse.BodyHandlers.ofString()).body();
            JsonObject point = new JsonObject(data).getJsonArray("points").getJsonObject(0);
            assertEquals(sessionId, new JsonObject(data).getString("session"));
            assertEquals(0.42, point.getJsonObject("values").getDouble("Recall@1"), 0.0);
        } finally {
            UIServer.stopInstance();
            if (previousPort == null) {
                System.clearProperty("org.deeplearning4j.ui.port");
            } else {
                System.setProperty("org.deeplearning4j.ui.port", previousPort);
            }
        }
    }

    @Test
    void theReadmeShowsTheExampleThatTheTestRuns() throws IOException {
        Path readme = Path.of(System.getProperty("user.dir")).getParent().resolve("README.md");
        String text = Files.readString(readme, StandardCharsets.UTF_8);
        String source = Files.readString(Path.of("src/test/java/org/rll4j/ui/UiReadmeExampleTest.java"),
                StandardCharsets.UTF_8);
        String example = source.substring(source.indexOf("// README:begin\n") + "// README:begin\n".length(),
                source.indexOf("            // README:end"));
        String dedented = example.lines().map(l -> l.startsWith("            ") ? l.substring(12) : l)
                .collect(Collectors.joining("\n", "", "\n"));
        assertTrue(text.contains(dedented), "README.md must contain the example of UiReadmeExampleTest verbatim "
                + "(dedented by 12):\n" + dedented);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
