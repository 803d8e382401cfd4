package org.rll4j.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a dataset laid out as one folder per class: {@code root/<class name>/<image files>}.
 *
 * <p>Accepted images: JPEG and PNG, recognised by their first bytes (the file extension does not
 * matter). Everything is sorted (classes by folder name, images by file name), so the result does
 * not depend on the file system's listing order. What is skipped, each with a warning naming the
 * file and counted in one summary line ({@link Result#skipped()} lists them):
 * <ul>
 *   <li>zero-byte files;</li>
 *   <li>files that are not JPEG or PNG (a {@code .txt}, a {@code .DS_Store}, a GIF);</li>
 *   <li>hidden entries (names starting with '.') and sub-folders inside a class folder;</li>
 *   <li>class folders left without images (they would be classes without examples);</li>
 *   <li>plain files directly under the root;</li>
 *   <li>symbolic links that lead nowhere (dangling, or a loop of links) and files that cannot be
 *       read; a link to a readable image or class folder is followed.</li>
 * </ul>
 * A missing or unreadable root, or a root without any usable class, fails with an
 * {@link IOException} / {@link IllegalArgumentException} that names it. A class with a single
 * image is kept (it is a valid gallery item); the batch sampler decides what to do with it.
 * Corrupt or truncated files with a valid signature are only found when decoded; see
 * {@link SampledDataSetIterator}.
 */
public final class ImageFolderReader {

    private static final Logger log = LoggerFactory.getLogger(ImageFolderReader.class);

    /**
     * What was read and what was skipped.
     *
     * @param images the usable images
     * @param skipped one line per skipped entry: the path and the reason
     */
    public record Result(ImageList images, List<String> skipped) {
    }

    private ImageFolderReader() {
    }

    /**
     * @param root the dataset folder
     * @return the images and the list of skipped entries
     * @throws IOException when the root cannot be listed
     */
    public static Result read(Path root) throws IOException {
        if (!Files.exists(root)) {
            throw new NoSuchFileException(root.toString(), null,
                    "dataset folder does not exist; expected one sub-folder per class holding JPEG/PNG images");
        }
        if (!Files.isDirectory(root)) {
            throw new IllegalArgumentException("dataset root must be a folder with one sub-folder per class, found a file: " + root);
        }
        List<String> skipped = new ArrayList<>();
        List<ImageRecord> records = new ArrayList<>();
        int emptyClasses = 0;
        for (Path entry : sortedChildren(root)) {
            String name = entry.getFileName().toString();
            String broken = brokenLink(entry);
            if (name.startsWith(".")) {
                skip(skipped, entry, "hidden entry");
            } else if (broken != null) {
                skip(skipped, entry, broken);
            } else if (!Files.isDirectory(entry)) {
                skip(skipped, entry, "a file directly under the dataset root (images belong in class folders)");
            } else {
                int before = records.size();
                for (Path file : sortedChildren(entry)) {
                    String reason = unusable(file);
                    if (reason == null) {
                        records.add(new ImageRecord(file, name));
                    } else {
                        skip(skipped, file, reason);
                    }
                }
                if (records.size() == before) {
                    emptyClasses++;
                    skip(skipped, entry, "class folder without images: the class is left out");
                }
            }
        }
        if (records.isEmpty()) {
            throw new IllegalArgumentException("no JPEG or PNG images found in class folders under " + root
                    + "; expected root/<class name>/<image files>" + (skipped.isEmpty() ? "" : " (" + skipped.size()
                    + " entries skipped, e.g. " + skipped.get(0) + ")"));
        }
        ImageList list = ImageList.of(records, root.toString());
        String summary = String.format(Locale.ROOT, "%s: %d images in %d classes", root, records.size(),
                list.labels().numClasses());
        if (skipped.isEmpty()) {
            log.info(summary);
        } else {
            log.warn("{}; skipped {} entries ({} empty class folders), the first: {}", summary, skipped.size(),
                    emptyClasses, skipped.get(0));
        }
        return new Result(list, Collections.unmodifiableList(skipped));
    }

    private static void skip(List<String> skipped, Path path, String reason) {
        String line = path + ": " + reason;
        skipped.add(line);
        log.warn("skipped {}", line);
    }

    /** Null when {@code file} is a usable image, else why not. */
    private static String unusable(Path file) throws IOException {
        String name = file.getFileName().toString();
        if (name.startsWith(".")) {
            return "hidden entry";
        }
        String broken = brokenLink(file);
        if (broken != null) {
            return broken;
        }
        if (Files.isDirectory(file)) {
            return "a folder inside a class folder (nested folders are not read)";
        }
        byte[] head = new byte[8];
        int n;
        try {
            if (Files.size(file) == 0) {
                return "empty file (0 bytes)";
            }
            try (InputStream in = Files.newInputStream(file)) {
                n = in.readNBytes(head, 0, head.length);
            }
        } catch (IOException e) {
            return "cannot be read (" + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")";
        }
        if (!isJpeg(head, n) && !isPng(head, n)) {
            return "not a JPEG or PNG file (by its first bytes)";
        }
        return null;
    }

    /** Null unless {@code p} is a symbolic link that leads nowhere (dangling, or a loop), else why. */
    private static String brokenLink(Path p) {
        if (!Files.isSymbolicLink(p) || Files.exists(p)) {
            return null;
        }
        String target;
        try {
            target = Files.readSymbolicLink(p).toString();
        } catch (IOException e) {
            target = "?";
        }
        return "symbolic link to " + target + " that leads to no file (dangling, or a loop of links)";
    }

    static boolean isJpeg(byte[] head, int n) {
        return n >= 3 && (head[0] & 0xff) == 0xff && (head[1] & 0xff) == 0xd8 && (head[2] & 0xff) == 0xff;
    }

    static boolean isPng(byte[] head, int n) {
        int[] sig = {0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a};
        if (n < sig.length) {
            return false;
        }
        for (int i = 0; i < sig.length; i++) {
            if ((head[i] & 0xff) != sig[i]) {
                return false;
            }
        }
        return true;
    }

    private static List<Path> sortedChildren(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        }
    }
}
