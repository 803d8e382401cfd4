package org.rll4j.ui;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import org.deeplearning4j.core.storage.Persistable;
import org.deeplearning4j.core.storage.StatsStorage;
import org.deeplearning4j.core.storage.StatsStorageEvent;
import org.deeplearning4j.ui.api.HttpMethod;
import org.deeplearning4j.ui.api.Route;
import org.deeplearning4j.ui.api.UIModule;
import org.deeplearning4j.ui.i18n.I18NResource;
import org.rll4j.listeners.RetrievalStats;

/**
 * A page of the DL4J training UI that charts the {@link RetrievalStats} of a session over the
 * training iterations, one line per metric, and updates while training runs.
 *
 * <p>The DL4J UI server ({@code VertxUIServer}) loads this module through
 * {@link java.util.ServiceLoader} from {@code META-INF/services/org.deeplearning4j.ui.api.UIModule}
 * (in this jar), so every DL4J UI server started in a JVM that has rll-ui on its class path serves
 * it, including one started with {@code UIServer.getInstance()}; there is nothing to register. The
 * storages attached to the server ({@code uiServer.attach(statsStorage)}) are the ones it reads. The
 * stock pages have no hook for extra tabs, so the page links to them instead; its address is
 * {@code http://HOST:PORT} + {@link #PAGE_PATH}.
 *
 * <p>Example (from {@code RetrievalUIModuleTest.readmeExample}, as in the README):
 * <pre>{@code
 * StatsStorage stats = new InMemoryStatsStorage();        // or a FileStatsStorage
 * UIServer ui = UIServer.getInstance();                   // DL4J's server: finds RetrievalUIModule by itself
 * ui.attach(stats);
 * // record with RetrievalEvaluationListener...stats(stats, sessionId), or RetrievalStats.put(stats, ...)
 * System.out.println("retrieval charts: http://localhost:" + ui.getPort() + RetrievalUIModule.PAGE_PATH);
 * }</pre>
 *
 * <h2>Routes</h2>
 * <ul>
 *   <li>{@code GET /rll/retrieval[?session=ID]}: the HTML page. It is self-contained (inline script
 *       and style, SVG chart); nothing is fetched from the internet. Without {@code session} it
 *       shows the session with the latest record and follows newer sessions as they appear.</li>
 *   <li>{@code GET /rll/retrieval/sessions}: JSON
 *       {@code {"latest": ID|null, "sessions": [{"id", "lastUpdate", "retrievalPoints"}...]}}, the
 *       sessions of all attached storages, latest first.</li>
 *   <li>{@code GET /rll/retrieval/data[?session=ID]}: JSON
 *       {@code {"session": ID|null, "metrics": [names...], "points": [{"iteration", "epoch",
 *       "timestamp", "worker", "values": {name: value|null}}...]}}, from {@link RetrievalStats#read}
 *       over all attached storages; the latest session when {@code session} is absent; HTTP 404
 *       for a session that no attached storage holds. Values that are not finite are
 *       {@code null}.</li>
 * </ul>
 * The page polls the data route every {@value #POLL_MILLIS} ms. Once it has drawn, its
 * {@code <svg id="rll-chart">} carries {@code data-series="Recall@1:3,MAP@R:3"} (metric name and
 * number of finite points, in chart order) and {@code data-session}, so that a test can check the
 * rendered chart against the data.
 *
 * <p>The module reads the storages on each request, so it needs no storage events:
 * {@link #getCallbackTypeIDs()} is empty and {@link #reportStorageEvents} does nothing.
 */
public final class RetrievalUIModule implements UIModule {

    /** Path of the HTML page. */
    public static final String PAGE_PATH = "/rll/retrieval";
    /** Path of the JSON list of sessions. */
    public static final String SESSIONS_PATH = "/rll/retrieval/sessions";
    /** Path of the JSON data of one session. */
    public static final String DATA_PATH = "/rll/retrieval/data";
    /** How often the page asks for new data, in milliseconds. */
    public static final int POLL_MILLIS = 3000;

    private static final String PAGE_RESOURCE = "retrieval.html";
    private static final String INITIAL_DATA_MARK = "__RLL_INITIAL_DATA__";
    private static final String POLL_MARK = "__RLL_POLL_MILLIS__";

    private final List<StatsStorage> storages = new CopyOnWriteArrayList<>();
    private final String pageTemplate;

    /** Created by the UI server through {@link java.util.ServiceLoader}. */
    public RetrievalUIModule() {
        this.pageTemplate = loadTemplate();
    }

    @Override
    public List<String> getCallbackTypeIDs() {
        return List.of();
    }

    @Override
    public List<Route> getRoutes() {
        return List.of(
                new Route(PAGE_PATH, HttpMethod.GET, (args, rc) -> respond(rc, "text/html; charset=utf-8",
                        page(rc.request().getParam("session")))),
                new Route(SESSIONS_PATH, HttpMethod.GET, (args, rc) -> respond(rc, "application/json; charset=utf-8",
                        sessionsJson().encode())),
                new Route(DATA_PATH, HttpMethod.GET, (args, rc) -> data(rc)));
    }

    @Override
    public void reportStorageEvents(java.util.Collection<StatsStorageEvent> events) {
        // Nothing to do: the routes read the attached storages on each request.
    }

    @Override
    public void onAttach(StatsStorage statsStorage) {
        if (!storages.contains(statsStorage)) {
            storages.add(statsStorage);
        }
    }

    @Override
    public void onDetach(StatsStorage statsStorage) {
        storages.remove(statsStorage);
    }

    @Override
    public List<I18NResource> getInternationalizationResources() {
        return List.of();
    }

    private void data(RoutingContext rc) {
        String requested = rc.request().getParam("session");
        Optional<String> session = requested == null ? latestSession() : Optional.of(requested);
        if (requested != null && !sessionExists(requested)) {
            rc.response().setStatusCode(404);
            respond(rc, "application/json; charset=utf-8",
                    new JsonObject().put("error", "no attached stats storage holds session " + requested).encode());
            return;
        }
        respond(rc, "application/json; charset=utf-8", dataJson(session.orElse(null)).encode());
    }

    private static void respond(RoutingContext rc, String contentType, String body) {
        rc.response()
                .putHeader("content-type", contentType)
                .putHeader("cache-control", "no-store")
                .end(body);
    }

    /** The page with the sessions and the selected session's data inlined, so it draws before any poll. */
    String page(String requestedSession) {
        JsonObject sessions = sessionsJson();
        String session = requestedSession != null ? requestedSession : sessions.getString("latest");
        JsonObject initial = new JsonObject()
                .put("requested", requestedSession)
                .put("sessions", sessions)
                .put("data", dataJson(session));
        // '<' never occurs in JSON outside strings, and \u003c is the same string inside them, so the
        // inlined JSON cannot end the <script> element whatever a session or metric is called.
        String json = initial.encode().replace("<", "\\u003c");
        return pageTemplate.replace(POLL_MARK, Integer.toString(POLL_MILLIS)).replace(INITIAL_DATA_MARK, json);
    }

    JsonObject sessionsJson() {
        List<SessionSummary> summaries = sessionSummaries();
        JsonArray array = new JsonArray();
        for (SessionSummary s : summaries) {
            array.add(new JsonObject().put("id", s.id).put("lastUpdate", s.lastUpdate)
                    .put("retrievalPoints", s.retrievalPoints));
        }
        return new JsonObject().put("latest", summaries.isEmpty() ? null : summaries.get(0).id)
                .put("sessions", array);
    }

    JsonObject dataJson(String session) {
        JsonObject out = new JsonObject().put("session", session);
        List<RetrievalStats.Point> points = new ArrayList<>();
        if (session != null) {
            for (StatsStorage storage : storages) {
                if (storage.sessionExists(session)) {
                    points.addAll(RetrievalStats.read(storage, session));
                }
            }
            points.sort(Comparator.comparingLong(RetrievalStats.Point::iteration)
                    .thenComparing(RetrievalStats.Point::workerId));
        }
        Set<String> names = new LinkedHashSet<>();
        JsonArray pointArray = new JsonArray();
        for (RetrievalStats.Point p : points) {
            JsonObject values = new JsonObject();
            for (Map.Entry<String, Double> e : p.metrics().entrySet()) {
                names.add(e.getKey());
                double v = e.getValue();
                values.put(e.getKey(), Double.isFinite(v) ? Double.valueOf(v) : null);
            }
            pointArray.add(new JsonObject().put("iteration", p.iteration()).put("epoch", p.epoch())
                    .put("timestamp", p.timestamp()).put("worker", p.workerId()).put("values", values));
        }
        return out.put("metrics", new JsonArray(new ArrayList<>(names))).put("points", pointArray);
    }

    private boolean sessionExists(String session) {
        for (StatsStorage storage : storages) {
            if (storage.sessionExists(session)) {
                return true;
            }
        }
        return false;
    }

    private Optional<String> latestSession() {
        List<SessionSummary> summaries = sessionSummaries();
        return summaries.isEmpty() ? Optional.empty() : Optional.of(summaries.get(0).id);
    }

    /** Every session of the attached storages, the one with the most recent record first. */
    private List<SessionSummary> sessionSummaries() {
        Map<String, SessionSummary> byId = new LinkedHashMap<>();
        for (StatsStorage storage : storages) {
            if (storage.isClosed()) {
                continue;
            }
            for (String id : storage.listSessionIDs()) {
                long last = Long.MIN_VALUE;
                for (String type : storage.listTypeIDsForSession(id)) {
                    for (Persistable p : storage.getAllStaticInfos(id, type)) {
                        last = Math.max(last, p.getTimeStamp());
                    }
                    for (Persistable p : storage.getLatestUpdateAllWorkers(id, type)) {
                        last = Math.max(last, p.getTimeStamp());
                    }
                }
                last = last == Long.MIN_VALUE ? 0L : last;
                int count = RetrievalStats.read(storage, id).size();
                SessionSummary previous = byId.get(id);
                byId.put(id, previous == null ? new SessionSummary(id, last, count)
                        : new SessionSummary(id, Math.max(last, previous.lastUpdate), count + previous.retrievalPoints));
            }
        }
        List<SessionSummary> out = new ArrayList<>(byId.values());
        out.sort(Comparator.comparingLong((SessionSummary s) -> s.lastUpdate).reversed()
                .thenComparing(s -> s.id));
        return out;
    }

    private record SessionSummary(String id, long lastUpdate, int retrievalPoints) {
    }

    private static String loadTemplate() {
        try (InputStream in = RetrievalUIModule.class.getResourceAsStream(PAGE_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("resource " + PAGE_RESOURCE + " is missing next to "
                        + RetrievalUIModule.class.getName() + " (broken rll-ui jar?)");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read resource " + PAGE_RESOURCE, e);
        }
    }
}
