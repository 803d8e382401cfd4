package org.rll4j.spark;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.rll4j.sampler.ResumableIterator;

/**
 * The strings the driver hands to DL4J's {@code SparkComputationGraph.fitPaths} in place of file paths: each names one
 * batch of the sampler, {@code file:///rll4j-batch/epoch-<e>/batch-<b>}. DL4J counts, splits and partitions these
 * strings and gives each to {@link BatchLoader} on the executor that fits it; nothing is read from the path (DL4J
 * only opens a stream when a loader asks for one, and ours does not). The {@code file} scheme keeps Hadoop's
 * {@code FileSystem.get}, which DL4J calls once per partition, on the local file system without any configuration.
 */
public final class BatchPaths {

    private static final Pattern PATH = Pattern.compile("file:///rll4j-batch/epoch-(\\d+)/batch-(\\d+)");

    private BatchPaths() {
    }

    /** The path of batch {@code batchInEpoch} of epoch {@code epoch}. */
    public static String of(ResumableIterator.Position p) {
        return String.format(Locale.ROOT, "file:///rll4j-batch/epoch-%d/batch-%d", p.epoch(), p.batchInEpoch());
    }

    /**
     * The batch a path names.
     *
     * @throws IllegalArgumentException when the path was not made by {@link #of}
     */
    public static ResumableIterator.Position parse(String path) {
        Matcher m = PATH.matcher(path);
        if (!m.matches()) {
            throw new IllegalArgumentException("not an rll4j batch path (file:///rll4j-batch/epoch-<e>/batch-<b>): " + path);
        }
        return new ResumableIterator.Position(Long.parseLong(m.group(1)), Integer.parseInt(m.group(2)));
    }
}
