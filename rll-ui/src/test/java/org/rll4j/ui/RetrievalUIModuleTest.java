package org.rll4j.ui;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.deeplearning4j.core.storage.StatsStorage;
import org.deeplearning4j.ui.model.storage.InMemoryStatsStorage;
import org.junit.jupiter.api.Test;
import org.rll4j.listeners.RetrievalStats;

/** The module without a server: what its routes answer for given storages. */
class RetrievalUIModuleTest {

    @Test
    void sessionsComeFromAllAttachedStoragesLatestFirst() throws InterruptedException {
        StatsStorage a = new InMemoryStatsStorage();
        StatsStorage b = new InMemoryStatsStorage();
        RetrievalStats.put(a, "first", "w", 1, 0, Map.of("Recall@1", 0.1));
        Thread.sleep(5);
        RetrievalStats.put(b, "second", "w", 1, 0, Map.of("Recall@1", 0.2));
        RetrievalStats.put(b, "second", "w", 2, 0, Map.of("Recall@1", 0.3));
        RetrievalUIModule module = new RetrievalUIModule();
        module.onAttach(a);
        module.onAttach(b);
        module.onAttach(b); // attaching twice changes nothing

        JsonObject sessions = module.sessionsJson();
        assertEquals("second", sessions.getString("latest"));
        JsonArray list = sessions.getJsonArray("sessions");
        assertEquals(List.of("second", "first"), List.of(list.getJsonObject(0).getString("id"),
                list.getJsonObject(1).getString("id")));
        assertEquals(2, list.getJsonObject(0).getInteger("retrievalPoints"));

        module.onDetach(b);
        assertEquals("first", module.sessionsJson().getString("latest"));
        module.onDetach(a);
        assertNull(module.sessionsJson().getString("latest"));
        assertEquals(0, module.dataJson(null).getJsonArray("points").size());
    }

    @Test
    void aSessionInTwoStoragesIsMergedInIterationOrder() {
        StatsStorage a = new InMemoryStatsStorage();
        StatsStorage b = new InMemoryStatsStorage();
        RetrievalStats.put(a, "s", "w", 30, 0, Map.of("Recall@1", 0.3));
        RetrievalStats.put(b, "s", "w", 10, 0, Map.of("Recall@1", 0.1));
        RetrievalUIModule module = new RetrievalUIModule();
        module.onAttach(a);
        module.onAttach(b);
        JsonArray points = module.dataJson("s").getJsonArray("points");
        assertEquals(2, points.size());
        assertEquals(10L, points.getJsonObject(0).getLong("iteration"));
        assertEquals(30L, points.getJsonObject(1).getLong("iteration"));
    }

    @Test
    void metricNamesAreListedInOrderOfFirstAppearance() {
        StatsStorage s = new InMemoryStatsStorage();
        java.util.LinkedHashMap<String, Double> first = new java.util.LinkedHashMap<>();
        first.put("Recall@1", 0.1);
        first.put("MAP@R", 0.05);
        RetrievalStats.put(s, "s", "w", 1, 0, first);
        java.util.LinkedHashMap<String, Double> second = new java.util.LinkedHashMap<>(first);
        second.put("NMI (arithmetic)", 0.4);
        RetrievalStats.put(s, "s", "w", 2, 0, second);
        RetrievalUIModule module = new RetrievalUIModule();
        module.onAttach(s);
        assertEquals(List.of("Recall@1", "MAP@R", "NMI (arithmetic)"),
                module.dataJson("s").getJsonArray("metrics").getList());
    }

    @Test
    void inlinedDataCannotCloseTheScriptElement() {
        String hostile = "</script><script>alert(1)</script>";
        StatsStorage s = new InMemoryStatsStorage();
        RetrievalStats.put(s, hostile, "w", 1, 0, Map.of("<b>Recall@1</b>", 0.5));
        RetrievalUIModule module = new RetrievalUIModule();
        module.onAttach(s);
        String page = module.page(null);
        assertFalse(page.contains("<script>alert(1)"), "session id must not reach the HTML as markup");
        assertFalse(page.contains("<b>Recall@1"), "metric name must not reach the HTML as markup");
        assertTrue(page.contains("\\u003c/script>\\u003cscript>alert(1)\\u003c/script>"), "escaped, still the same JSON string");
        assertEquals(2, page.split("</script>", -1).length - 1, "only the page's own two script elements end");
    }

    @Test
    void thePageNamesTheRequestedSessionOrNullToFollowTheLatest() {
        StatsStorage s = new InMemoryStatsStorage();
        RetrievalStats.put(s, "a", "w", 1, 0, Map.of("Recall@1", 0.5));
        RetrievalUIModule module = new RetrievalUIModule();
        module.onAttach(s);
        assertTrue(module.page(null).contains("{\"requested\":null,"), "no session in the URL: follow the latest");
        assertTrue(module.page("a").contains("{\"requested\":\"a\","));
    }
}
