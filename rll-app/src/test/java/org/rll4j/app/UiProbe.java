package org.rll4j.app;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;

import org.rll4j.app.run.MetricsLog;
import org.rll4j.app.run.Trainer;
import org.rll4j.ui.RetrievalUIModule;

/**
 * A run listener for the UI tests: after each evaluation it asks the run's UI for its stock overview page (which must
 * answer 200) and for the retrieval page's data, which it keeps.
 */
final class UiProbe implements Trainer.Listener {

    private final UiListener ui;
    private final List<String> retrievalData;
    private final HttpClient http = HttpClient.newHttpClient();

    /**
     * @param ui the run's UI
     * @param retrievalData receives the body of {@link RetrievalUIModule#DATA_PATH} after each evaluation
     */
    UiProbe(UiListener ui, List<String> retrievalData) {
        this.ui = ui;
        this.retrievalData = retrievalData;
    }

    @Override
    public void evaluated(MetricsLog.Evaluation e) {
        try {
            String base = ui.ui().url();
            assertEquals(200, http.send(HttpRequest.newBuilder(URI.create(base + "/train/overview")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode());
            retrievalData.add(http.send(HttpRequest.newBuilder(URI.create(base + RetrievalUIModule.DATA_PATH)).build(),
                    HttpResponse.BodyHandlers.ofString()).body());
        } catch (Exception ex) {
            throw new AssertionError(ex);
        }
    }
}
