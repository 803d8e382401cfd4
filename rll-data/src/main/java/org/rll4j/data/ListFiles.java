package org.rll4j.data;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Parsing helpers shared by the list-file readers ({@link CubReader}, {@link SopReader},
 * {@link InShopReader}, {@link CsvListReader}), so that they report bad input in the same words.
 *
 * <p>Content errors are {@link IllegalArgumentException}s whose message starts with
 * {@code "<file> line <n>: "}; a missing list file is a {@link NoSuchFileException}.
 */
final class ListFiles {

    private static final Pattern WHITESPACE = Pattern.compile("\\s+");
    private static final Pattern NON_NEGATIVE_INT = Pattern.compile("[0-9]{1,9}");
    private static final Pattern CANONICAL_INT = Pattern.compile("0|[1-9][0-9]{0,8}");

    /** A non-blank line of a list file with its 1-based line number. */
    record Line(int number, String text) {
    }

    private ListFiles() {
    }

    /**
     * Reads the non-blank lines of a UTF-8 list file (stripped of surrounding whitespace).
     *
     * @param file the list file
     * @param hint what the caller should pass instead, appended to the missing-file message
     * @return its non-blank lines with their line numbers
     * @throws NoSuchFileException when the file does not exist
     * @throws IOException when it cannot be read
     */
    static List<Line> readLines(Path file, String hint) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "list file must exist, found none; " + hint);
        }
        List<String> raw;
        try {
            raw = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException(file + ": list file must be UTF-8 text, found undecodable bytes", e);
        }
        List<Line> lines = new ArrayList<>(raw.size());
        for (int i = 0; i < raw.size(); i++) {
            String text = raw.get(i).strip();
            if (!text.isEmpty()) {
                lines.add(new Line(i + 1, text));
            }
        }
        return lines;
    }

    /** {@code "<file> line <n>"}, the prefix of every content error. */
    static String at(Path file, int line) {
        return file + " line " + line;
    }

    /**
     * Splits a line at runs of whitespace and checks the number of fields.
     *
     * @param layout the expected fields, for the message, e.g. {@code "<image_id> <path>"}
     */
    static String[] fields(Path file, Line line, int count, String layout) {
        String[] f = WHITESPACE.split(line.text());
        if (f.length != count) {
            throw new IllegalArgumentException(at(file, line.number()) + ": line must have " + count
                    + " whitespace-separated fields '" + layout + "', found " + f.length + ": '" + line.text() + "'");
        }
        return f;
    }

    /** Parses a non-negative decimal integer field (digits only, below 10^9). */
    static int parseId(Path file, int line, String name, String text) {
        if (!NON_NEGATIVE_INT.matcher(text).matches()) {
            throw new IllegalArgumentException(at(file, line) + ": " + name
                    + " must be a non-negative integer, found '" + text + "'");
        }
        return Integer.parseInt(text);
    }

    /**
     * Resolves a path field of a list file against {@code base} (absolute paths are kept), normalised.
     */
    static Path resolve(Path file, int line, Path base, String text) {
        try {
            return base.resolve(text).normalize();
        } catch (InvalidPathException e) {
            throw new IllegalArgumentException(at(file, line) + ": path must be a valid file path, found '" + text
                    + "' (" + e.getReason() + ")", e);
        }
    }

    /** Where a key was first seen: a list file and a line. */
    record Location(Path file, int line) {
    }

    /**
     * Remembers where every key was first seen, and fails on a repeated key, naming both places (one or
     * two list files).
     */
    static final class Unique<K> {
        private final String what;
        private final Map<K, Location> first = new HashMap<>();

        /** Tracks keys named {@code what} in messages, e.g. {@code "image_id"}. */
        Unique(String what) {
            this.what = what;
        }

        void add(K key, Path file, int line) {
            Location seen = first.putIfAbsent(key, new Location(file, line));
            if (seen != null) {
                String where = seen.file().equals(file) ? "line " + seen.line() : at(seen.file(), seen.line());
                throw new IllegalArgumentException(at(file, line) + ": " + what + " must be unique, found " + key
                        + " again (first on " + where + ")");
            }
        }

        /** Where {@code key} was first seen, or null. */
        Location get(K key) {
            return first.get(key);
        }

        /** Every key with its first place. */
        Map<K, Location> all() {
            return first;
        }
    }

    /** Fails when a list file has no image lines. */
    static void requireNonEmpty(Path file, int imageLines, String found) {
        if (imageLines == 0) {
            throw new IllegalArgumentException(file + ": list file must list at least one image, found " + found);
        }
    }

    /**
     * Checks that every listed image file exists. Reports the first missing one (in list order), how
     * many are missing, and the fix.
     *
     * @param file the list file, for the message
     * @param lines line number of each image
     * @param paths the images
     * @param fix what restores the missing images
     */
    static void requireImagesExist(Path file, List<Integer> lines, List<Path> paths, String fix) {
        int missing = 0;
        int first = -1;
        for (int i = 0; i < paths.size(); i++) {
            if (!Files.isRegularFile(paths.get(i))) {
                missing++;
                if (first < 0) {
                    first = i;
                }
            }
        }
        if (missing > 0) {
            throw new IllegalArgumentException(at(file, lines.get(first)) + ": image file must exist, found "
                    + (Files.isDirectory(paths.get(first)) ? "a folder" : "none") + " at " + paths.get(first) + " (" + missing + " of " + paths.size() + " listed images are missing); " + fix);
        }
    }

    /**
     * Zero-pads canonical non-negative integers to a common width, so that their sorted string order is
     * their numeric order ({@code 7, 12, 100 -> 007, 012, 100}).
     *
     * @param ids the ids
     * @return the padded names, or {@code null} when some id is not a canonical integer
     *     ({@code "007"}, {@code "a"}, {@code "-1"})
     */
    static List<String> padIfAllIntegers(List<String> ids) {
        int width = 0;
        for (String id : ids) {
            if (!CANONICAL_INT.matcher(id).matches()) {
                return null;
            }
            width = Math.max(width, id.length());
        }
        List<String> out = new ArrayList<>(ids.size());
        for (String id : ids) {
            out.add("0".repeat(width - id.length()) + id);
        }
        return out;
    }

    /** Number of decimal digits of a non-negative int. */
    static int digits(int value) {
        return Integer.toString(value).length();
    }

    /** {@code value} zero-padded to {@code width} digits. */
    static String pad(int value, int width) {
        String s = Integer.toString(value);
        return "0".repeat(Math.max(0, width - s.length())) + s;
    }
}
