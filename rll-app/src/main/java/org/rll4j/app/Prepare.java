package org.rll4j.app;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

import org.bytedeco.opencv.opencv_core.Mat;
import org.rll4j.app.config.RunConfig;
import org.rll4j.app.report.Png;
import org.rll4j.listeners.AtomicFiles;
import org.rll4j.app.run.RunData;
import org.rll4j.data.ExampleSource;
import org.rll4j.sampler.LabelIndex;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code rll prepare}: writes the images of a configured dataset, split as training reads it, as folders
 * of PNG files, one folder per class: the layout {@code dataset.format: folder}, {@code embed --images}
 * and {@code search --gallery} take. Its use is the IDX format (Fashion-MNIST), whose images are not
 * files: after {@code prepare}, a Fashion-MNIST class can be searched or embedded like any folder. The
 * other formats already read their image files in place, so no config needs this command.
 *
 * <p>Layout: {@code OUT/train/<class>/<index>.png} and {@code OUT/test/<class>/<index>.png} (In-Shop:
 * {@code OUT/test/query/...} and {@code OUT/test/gallery/...}), where {@code index} is the image's
 * position in its source (6 digits) and {@code class} the class name with characters other than
 * letters, digits, {@code . _ + -} replaced by {@code _} (and {@code _<label>} appended if two names
 * would meet). Atomic: everything is written into a temporary folder beside {@code OUT} that is renamed
 * to {@code OUT} at the end, so an interrupted run leaves no half-written dataset; {@code OUT} must not
 * exist.
 */
@Command(name = "prepare", mixinStandardHelpOptions = true, versionProvider = Commands.Version.class,
        description = "Write the config's dataset (train and test classes, as training splits them) as folders of PNG "
                + "files, one per class: OUT/train/<class>/*.png, OUT/test/<class>/*.png. For IDX data (Fashion-MNIST), "
                + "so that embed --images and search --gallery can use it; other formats are read in place.")
final class Prepare implements Callable<Integer> {

    @picocli.CommandLine.Mixin
    Commands.ConfigOptions options;

    @Option(names = {"-o", "--out"}, paramLabel = "DIR", required = true, description = "the folder to create (must not exist)")
    Path out;

    @Override
    public Integer call() throws Exception {
        RunConfig config = options.load();
        if (Files.exists(out)) {
            throw new FileAlreadyExistsException(out.toString(), null, "prepare creates a new folder; remove it or choose "
                    + "another --out");
        }
        RunData data = RunData.open(config.dataset());
        Path parent = out.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        String prefix = "." + out.getFileName() + TMP_MARK;
        removeLeftovers(parent, prefix);
        Path tmp = Files.createTempDirectory(parent, prefix);
        // Ctrl-C or kill: the JVM's shutdown hooks run, and this one removes the partial output. A kill -9
        // runs nothing: the owner's lock on tmp/.lock is gone then, and the next prepare of OUT removes it.
        Thread hook = new Thread(() -> {
            try {
                AtomicFiles.deleteTree(tmp);
            } catch (IOException e) {
                // best effort while the JVM exits
            }
        }, "rll4j-prepare-cleanup");
        Runtime.getRuntime().addShutdownHook(hook);
        try (FileChannel lockFile = FileChannel.open(tmp.resolve(LOCK), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock ignored = lockFile.lock()) {
            int n = write(data.train(), tmp.resolve("train"));
            if (data.gallery() == null) {
                n += write(data.query(), tmp.resolve("test"));
            } else {
                n += write(data.query(), tmp.resolve("test").resolve("query"));
                n += write(data.gallery(), tmp.resolve("test").resolve("gallery"));
            }
            Files.delete(tmp.resolve(LOCK));
            AtomicFiles.rename(tmp, out, false);
            System.out.printf(Locale.ROOT, "%d images (%s) -> %s%n", n, data.description(), out);
            return Main.OK;
        } finally {
            AtomicFiles.deleteTree(tmp);
            Runtime.getRuntime().removeShutdownHook(hook);
        }
    }

    /** Marks the temporary folders of prepare: {@code .OUT.prepare-<random>}. */
    private static final String TMP_MARK = ".prepare-";
    private static final String LOCK = ".lock";

    /** Deletes the partial outputs of earlier prepares of the same OUT that were killed (their lock is free). */
    private static void removeLeftovers(Path parent, String prefix) throws IOException {
        List<Path> candidates;
        try (Stream<Path> s = Files.list(parent)) {
            candidates = s.filter(p -> p.getFileName().toString().startsWith(prefix) && Files.isDirectory(p)).toList();
        }
        for (Path p : candidates) {
            boolean abandoned;
            try (FileChannel ch = FileChannel.open(p.resolve(LOCK), StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
                FileLock l = ch.tryLock();
                abandoned = l != null;
                if (l != null) {
                    l.release();
                }
            } catch (java.nio.channels.OverlappingFileLockException e) {
                abandoned = false;
            }
            if (abandoned) {
                AtomicFiles.deleteTree(p);
                System.out.println("removed " + p + ", the partial output of an interrupted prepare");
            }
        }
    }

    /** Writes every image of {@code source} under {@code dir}, a folder per class; returns the count. */
    static int write(ExampleSource source, Path dir) throws IOException {
        LabelIndex labels = source.labels();
        Map<Integer, Path> folders = folders(labels, dir);
        for (Path f : folders.values()) {
            Files.createDirectories(f);
        }
        for (int i = 0; i < source.size(); i++) {
            Mat image = source.read(i);
            try {
                Files.write(folders.get(labels.label(i)).resolve(String.format(Locale.ROOT, "%06d.png", i)), Png.encode(image));
            } catch (IOException e) {
                throw new IOException("cannot write " + source.describe(i) + " under " + dir + ": " + e.getMessage(), e);
            } finally {
                image.release();
            }
        }
        return source.size();
    }

    /** A folder name per class id that occurs in {@code labels}, distinct and portable. */
    static Map<Integer, Path> folders(LabelIndex labels, Path dir) {
        Map<Integer, Path> byLabel = new HashMap<>();
        Map<String, Integer> taken = new HashMap<>();
        for (int i = 0; i < labels.size(); i++) {
            int label = labels.label(i);
            if (byLabel.containsKey(label)) {
                continue;
            }
            String name = safeName(labels.className(label));
            while (taken.containsKey(name)) {
                name = name + "_" + label;
            }
            taken.put(name, label);
            byLabel.put(label, dir.resolve(name));
        }
        return byLabel;
    }

    /** Letters, digits and {@code . _ + -} kept, anything else {@code _}; never empty, never a dot name. */
    static String safeName(String className) {
        String s = className.replaceAll("[^A-Za-z0-9._+-]", "_");
        return s.isEmpty() || s.chars().allMatch(c -> c == '.') ? "_" + s : s;
    }
}
