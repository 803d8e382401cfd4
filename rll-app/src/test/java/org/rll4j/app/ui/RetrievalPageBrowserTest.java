package org.rll4j.app.ui;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.deeplearning4j.core.storage.StatsStorage;
import org.deeplearning4j.ui.model.storage.InMemoryStatsStorage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.rll4j.listeners.RetrievalStats;
import org.rll4j.ui.RetrievalUIModule;

/**
 * Renders the retrieval page in headless Chromium and checks, on the DOM the page's script
 * produced, that the chart was drawn from the stored metrics; keeps a screenshot as
 * {@code target/ui-retrieval.png}.
 *
 * <p>Needs Debian's {@code chromium} (or {@code RLL_CHROMIUM=/path/to/chrome}). Without it the test
 * is skipped, unless browsers are required ({@code RLL_REQUIRE_BROWSER=true} in the environment,
 * as {@code .ci/run} sets, or {@code -Drll.requireBrowser=true}), in which case it fails.
 */
@Tag("browser")
class RetrievalPageBrowserTest {

    private static final Path TARGET = Path.of("target");
    private static final long CHROMIUM_TIMEOUT_SECONDS = 120;
    /** Virtual time the headless browser runs the page for: enough for the page's first poll. */
    private static final int VIRTUAL_TIME_MILLIS = 2 * RetrievalUIModule.POLL_MILLIS + 1000;

    private static TrainingUi ui;
    private static Path chromium;

    @BeforeAll
    static void startUiWithMetrics() {
        chromium = findChromium().orElse(null);
        if (chromium == null) {
            return;   // each test then fails or is skipped, with the reason (see requireChromium)
        }
        StatsStorage storage = new InMemoryStatsStorage();
        // an older session that the page must not pick by default
        RetrievalStats.put(storage, "older-run", "worker0", 100, 0, Map.of("Recall@1", 0.9));
        double[][] values = {
            {0.20, 0.30, 0.42, 0.55, 0.08, 0.12, 0.40},
            {0.31, 0.44, 0.57, 0.69, 0.15, Double.NaN, 0.47},
            {0.38, 0.51, 0.64, 0.75, 0.19, 0.24, 0.52},
        };
        String[] names = {"Recall@1", "Recall@2", "Recall@4", "Recall@8", "MAP@R", "R-Precision", "NMI (arithmetic)"};
        for (int i = 0; i < values.length; i++) {
            Map<String, Double> m = new LinkedHashMap<>();
            for (int j = 0; j < names.length; j++) {
                m.put(names[j], values[i][j]);
            }
            RetrievalStats.put(storage, "browser-run", "worker0", 100L * (i + 1), i, m);
        }
        ui = TrainingUi.start(0, true, storage);
    }

    /** Per test rather than in {@code @BeforeAll}, so that the report counts skipped tests with the reason. */
    @BeforeEach
    void requireChromium() {
        if (chromium == null) {
            String msg = "no headless browser: install Debian's chromium (apt-get install -y chromium)"
                    + " or set RLL_CHROMIUM to a Chrome/Chromium binary";
            if (browserRequired()) {
                fail(msg + "; browsers are required here (RLL_REQUIRE_BROWSER / rll.requireBrowser)");
            }
            Assumptions.abort(msg + "; skipped because browsers are not required");
        }
    }

    @AfterAll
    static void stopUi() {
        if (ui != null) {
            ui.close();
        }
    }

    @Test
    void theRenderedPageShowsEveryMetricDrawnFromTheStoredPoints() throws Exception {
        String dom = runChromium("dump-dom", "--dump-dom", ui.retrievalUrl());
        Files.writeString(TARGET.resolve("ui-retrieval-dom.html"), dom);

        String body = element(dom, "body");
        assertEquals("drawn", attribute(body, "data-state"), "the page script must have drawn the chart");
        String svg = element(dom, "svg");
        assertEquals("browser-run", attribute(svg, "data-session"), "the latest session is shown by default");
        assertEquals("Recall@1:3,Recall@2:3,Recall@4:3,Recall@8:3,MAP@R:3,R-Precision:2,NMI (arithmetic):3",
                attribute(svg, "data-series"));

        List<String> paths = elements(dom, "path");
        assertEquals(7, paths.size(), "one line per metric");
        for (String path : paths) {
            String metric = attribute(path, "data-metric");
            String d = attribute(path, "d");
            int moves = d.split("M", -1).length - 1;
            int lines = d.split("L", -1).length - 1;
            if (metric.equals("R-Precision")) {
                assertEquals(2, moves, "the missing middle value is a gap: " + d);
                assertEquals(0, lines, d);
            } else {
                assertEquals(1, moves, metric + ": " + d);
                assertEquals(2, lines, metric + ": " + d);
            }
        }
        assertEquals(20, elements(dom, "circle").size(), "a marker per finite value: 6 x 3 + 2");
        assertTrue(dom.contains("<td>NMI (arithmetic)</td><td>0.5200</td><td>0.5200</td><td>300</td>"),
                "table row of the latest and maximum NMI");

        int polls = Integer.parseInt(attribute(body, "data-polls"));
        assertTrue(polls >= 1, "the page must have polled the data route and redrawn, polls=" + polls);
    }

    @Test
    void screenshotIsKeptAsATestArtefact() throws Exception {
        Path png = TARGET.resolve("ui-retrieval.png").toAbsolutePath();
        Files.deleteIfExists(png);
        runChromium("screenshot", "--screenshot=" + png, "--window-size=1200,800", "--hide-scrollbars",
                ui.retrievalUrl());
        assertTrue(Files.isRegularFile(png), "chromium wrote no screenshot at " + png);
        byte[] bytes = Files.readAllBytes(png);
        assertTrue(bytes.length > 10_000, "a 1200x800 screenshot of the chart is more than 10 kB, found " + bytes.length);
        assertEquals("\u0089PNG", new String(bytes, 0, 4, StandardCharsets.ISO_8859_1));
    }

    private static boolean browserRequired() {
        return Boolean.parseBoolean(System.getProperty("rll.requireBrowser", "false"))
                || Boolean.parseBoolean(Optional.ofNullable(System.getenv("RLL_REQUIRE_BROWSER")).orElse("false"));
    }

    private static Optional<Path> findChromium() {
        String explicit = System.getenv("RLL_CHROMIUM");
        if (explicit != null && !explicit.isBlank()) {
            Path p = Path.of(explicit);
            return Files.isExecutable(p) ? Optional.of(p) : Optional.empty();
        }
        String pathVar = Optional.ofNullable(System.getenv("PATH")).orElse("");
        for (String name : new String[] {"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}) {
            for (String dir : pathVar.split(File.pathSeparator)) {
                if (!dir.isEmpty()) {
                    Path p = Path.of(dir, name);
                    if (Files.isExecutable(p)) {
                        return Optional.of(p);
                    }
                }
            }
        }
        return Optional.empty();
    }

    /** Runs headless Chromium with its own profile, no network services, and returns its stdout. */
    private static String runChromium(String label, String... args) throws IOException, InterruptedException {
        Files.createDirectories(TARGET);
        Path profile = Files.createTempDirectory(TARGET.toAbsolutePath(), "chromium-profile-");
        List<String> command = new ArrayList<>(List.of(chromium.toString(), "--headless", "--disable-gpu",
                "--no-sandbox", "--no-first-run", "--no-default-browser-check", "--disable-extensions",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--user-data-dir=" + profile,
                "--virtual-time-budget=" + VIRTUAL_TIME_MILLIS));
        command.addAll(List.of(args));
        Path stdout = TARGET.resolve("chromium-" + label + ".out");
        Path stderr = TARGET.resolve("chromium-" + label + ".err");
        Process process = new ProcessBuilder(command)
                .redirectOutput(stdout.toFile())
                .redirectError(stderr.toFile())
                .start();
        if (!process.waitFor(CHROMIUM_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            fail("chromium did not finish within " + CHROMIUM_TIMEOUT_SECONDS + " s: " + command + "; see " + stderr);
        }
        deleteQuietly(profile);
        if (process.exitValue() != 0) {
            fail("chromium exited with " + process.exitValue() + ": " + command + "\n" + Files.readString(stderr));
        }
        return Files.readString(stdout);
    }

    private static void deleteQuietly(Path dir) throws IOException {
        try (var paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /** The start tag of the only element called {@code name}. */
    private static String element(String dom, String name) {
        List<String> all = elements(dom, name);
        assertEquals(1, all.size(), "one <" + name + "> in the DOM");
        return all.get(0);
    }

    private static List<String> elements(String dom, String name) {
        Matcher m = Pattern.compile("<" + name + "(\\s[^>]*)?>").matcher(dom);
        List<String> out = new ArrayList<>();
        while (m.find()) {
            out.add(m.group());
        }
        return out;
    }

    private static String attribute(String startTag, String name) {
        Matcher m = Pattern.compile("\\s" + Pattern.quote(name) + "=\"([^\"]*)\"").matcher(startTag);
        if (!m.find()) {
            fail("no " + name + " attribute in " + startTag);
        }
        return m.group(1).replace("&quot;", "\"").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&");
    }
}
