package org.rll4j.app.run;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;

import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.spark.api.stats.SparkTrainingStats;
import org.deeplearning4j.spark.stats.StatsUtils;
import org.rll4j.app.config.ConfigException;
import org.rll4j.app.config.RunConfig;
import org.rll4j.listeners.AtomicFiles;

/**
 * The Spark context of a run (its driver is this process), stopped when the run ends.
 *
 * <p>The master comes from {@code spark.master}; under {@code spark-submit}, whose {@code --master} arrives as the
 * {@code spark.master} system property, the two must agree. Set unless already set (by {@code spark-submit --conf} or
 * {@code spark-defaults.conf}): Kryo with ND4J's registrator (DL4J sends arrays between driver and executors), the
 * executors' Java 17 {@code --add-opens} flags, with {@code spark.collectStats} DL4J's time source set to the system
 * clock (its default asks pool.ntp.org, which a cluster without internet access cannot reach), and for {@code local[N]} no Spark web UI and a driver bound to the
 * loopback address. The driver's own flags must be on its JVM's command line ({@code ./rll} and the documented
 * {@code spark-submit --driver-java-options} have them).
 */
final class SparkRun implements AutoCloseable {

    /** What Spark needs on Java 17: the parent pom's {@code spark.java17.opens}, filtered into a resource at build time. */
    static final String JAVA17_OPENS = java17Opens();

    private static final String TIME_SOURCE = "org.deeplearning4j.spark.time.TimeSource";
    private static final String SYSTEM_CLOCK = "org.deeplearning4j.spark.time.SystemClockTimeSource";

    private final JavaSparkContext context;
    private final PrintStream out;

    private SparkRun(JavaSparkContext context, PrintStream out) {
        this.context = context;
        this.out = out;
    }

    /**
     * Starts the run's Spark context.
     *
     * @throws ConfigException when spark-submit's master differs from {@code spark.master}, or the driver lacks the
     *         Java 17 flags
     */
    static SparkRun start(RunConfig.Spark settings, String appName, PrintStream out) {
        SparkConf conf = new SparkConf(true).setAppName(appName);
        String master = settings.master();
        if (conf.contains("spark.master") && !conf.get("spark.master").equals(master)) {
            throw new ConfigException(String.format(Locale.ROOT, "spark.master is '%s' but spark-submit's --master is '%s': "
                    + "set both to the same master (e.g. --set spark.master=%s)", master, conf.get("spark.master"),
                    conf.get("spark.master")));
        }
        if (!Object.class.getModule().isOpen("java.nio", SparkRun.class.getModule())) {
            throw new ConfigException("Spark needs the JVM flags " + JAVA17_OPENS + " on Java 17: ./rll sets them; with "
                    + "java -jar or spark-submit give them (spark-submit --driver-java-options, see docs/spark.md)");
        }
        conf.setMaster(master);
        String executorOptions = JAVA17_OPENS;
        if (settings.collectStats()) {
            // DL4J's Spark stats take their times from pool.ntp.org unless told otherwise: use the (NTP-synchronised)
            // system clocks, on the driver and on the executors
            System.setProperty(TIME_SOURCE, System.getProperty(TIME_SOURCE, SYSTEM_CLOCK));
            executorOptions += " -D" + TIME_SOURCE + "=" + System.getProperty(TIME_SOURCE);
        }
        conf.setIfMissing("spark.serializer", "org.apache.spark.serializer.KryoSerializer");
        conf.setIfMissing("spark.kryo.registrator", "org.nd4j.kryo.Nd4jRegistrator");
        conf.setIfMissing("spark.executor.extraJavaOptions", executorOptions);
        if (master.startsWith("local")) {
            conf.setIfMissing("spark.ui.enabled", "false");
            conf.setIfMissing("spark.driver.host", "127.0.0.1");
            conf.setIfMissing("spark.driver.bindAddress", "127.0.0.1");
        }
        return new SparkRun(new JavaSparkContext(conf), out);
    }

    private static String java17Opens() {
        try (java.io.InputStream in = SparkRun.class.getResourceAsStream("spark-java17-opens.txt")) {
            String flags = in == null ? "" : new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).trim();
            if (!flags.startsWith("--add-opens=")) {
                throw new IllegalStateException("rll-app was built without its Spark flags resource "
                        + "(org/rll4j/app/run/spark-java17-opens.txt, filtered from spark.java17.opens): rebuild it with Maven");
            }
            return flags;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    JavaSparkContext context() {
        return context;
    }

    /**
     * Writes DL4J's Spark timing stats, when they were collected: DL4J's HTML page ({@code file}) and, beside it
     * ({@code .tsv}), one line per timed event kind with its count and total and mean milliseconds (the driver's and
     * the workers' events; a worker event is counted once per worker), both atomically.
     */
    void writeStats(SparkTrainingStats stats, Path file) {
        if (stats == null) {
            return;
        }
        try {
            ByteArrayOutputStream html = new ByteArrayOutputStream();
            StatsUtils.exportStatsAsHTML(stats, html);
            AtomicFiles.writeBytes(file, html.toByteArray());
            Path table = file.resolveSibling(file.getFileName().toString().replaceFirst("\\.html$", "") + ".tsv");
            AtomicFiles.writeString(table, summary(stats));
            out.println("Spark timing stats: " + file + ", " + table);
        } catch (Exception e) {
            out.println("warning: the Spark timing stats could not be written to " + file + ": " + e);
        }
    }

    /** {@code event \t count \t total ms \t mean ms}, one line per event kind, sorted by name. */
    static String summary(SparkTrainingStats stats) {
        StringBuilder sb = new StringBuilder("event\tcount\ttotal_ms\tmean_ms\n");
        for (String key : new java.util.TreeSet<>(stats.getKeySet())) {
            java.util.List<org.deeplearning4j.spark.stats.EventStats> events = stats.getValue(key);
            long total = 0;
            for (org.deeplearning4j.spark.stats.EventStats e : events) {
                total += e.getDurationMs();
            }
            sb.append(String.format(Locale.ROOT, "%s\t%d\t%d\t%.1f%n", key, events.size(), total,
                    events.isEmpty() ? 0.0 : total / (double) events.size()));
        }
        return sb.toString();
    }

    @Override
    public void close() {
        context.stop();
    }
}
