package org.rll4j.app;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import org.nd4j.linalg.factory.Nd4j;

/** Where a run came from, written as comments at the top of its config snapshot. */
final class Provenance {

    private Provenance() {
    }

    static String header(String commandLine, long seed) {
        return "# rll4j run configuration snapshot (every default filled in; load it with --config)\n"
                + "# created:   " + Instant.now() + "\n"
                + "# command:   " + commandLine + "\n"
                + "# rll4j:     " + Main.version() + ", git " + gitRevision() + "\n"
                + "# dl4j:      " + mavenVersion("org.deeplearning4j", "deeplearning4j-nn") + ", nd4j backend "
                + Nd4j.getBackend().getClass().getSimpleName() + "\n"
                + "# java:      " + System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + "), "
                + System.getProperty("os.name") + " " + System.getProperty("os.arch") + ", "
                + Runtime.getRuntime().availableProcessors() + " cores\n"
                + "# seed:      " + seed + "\n";
    }

    static String mavenVersion(String group, String artifact) {
        try (InputStream in = Provenance.class.getResourceAsStream("/META-INF/maven/" + group + "/" + artifact + "/pom.properties")) {
            if (in == null) {
                return "unknown";
            }
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version", "unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }

    /** The git revision of the working directory (with "+changes" when dirty), or "unknown". */
    static String gitRevision() {
        try {
            Process p = new ProcessBuilder("git", "rev-parse", "--short=12", "HEAD").redirectErrorStream(true).start();
            String rev = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!p.waitFor(5, TimeUnit.SECONDS) || p.exitValue() != 0) {
                return "unknown";
            }
            Process d = new ProcessBuilder("git", "status", "--porcelain", "--untracked-files=no").redirectErrorStream(true).start();
            boolean dirty = !new String(d.getInputStream().readAllBytes(), StandardCharsets.UTF_8).isBlank();
            d.waitFor(5, TimeUnit.SECONDS);
            return rev + (dirty ? "+changes" : "");
        } catch (IOException e) {
            return "unknown";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "unknown";
        }
    }
}
