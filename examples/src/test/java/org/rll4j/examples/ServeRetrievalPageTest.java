package org.rll4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;

import org.deeplearning4j.ui.api.UIServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rll4j.ui.RetrievalUIModule;

class ServeRetrievalPageTest {

    @Test
    void theUiServesTheRetrievalChartsOfATrainingRun(@TempDir Path dir) throws Exception {
        ResumableTraining.run(dir, 1); // 15 steps: evaluations at 5, 10 and 15
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        System.setProperty("org.deeplearning4j.ui.port", Integer.toString(port));
        try {
            String page = ServeRetrievalPage.serve(dir.resolve("stats.dl4j"));
            HttpClient http = HttpClient.newHttpClient();
            HttpResponse<String> html = http.send(HttpRequest.newBuilder(URI.create(page)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, html.statusCode(), page);
            String data = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port
                    + RetrievalUIModule.DATA_PATH)).build(), HttpResponse.BodyHandlers.ofString()).body();
            assertTrue(data.contains("\"session\":\"digits\""), "the run's session: " + data);
            assertTrue(data.contains("MAP@R"), "the run's retrieval metrics: " + data);
        } finally {
            UIServer.stopInstance();
            System.clearProperty("org.deeplearning4j.ui.port");
        }
    }
}
