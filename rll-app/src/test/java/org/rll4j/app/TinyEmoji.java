package org.rll4j.app;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** Tiny real data for the app's tests: the first classes of the embedded emoji set, copied to a folder. */
final class TinyEmoji {

    private TinyEmoji() {
    }

    /** Copies the first {@code classes} class folders of datasets/emoji32/images into {@code target}. */
    static Path copy(Path target, int classes) throws IOException {
        try (Stream<Path> all = Files.list(Path.of("..", "datasets", "emoji32", "images"))) {
            for (Path c : all.sorted().limit(classes).toList()) {
                Path to = Files.createDirectories(target.resolve(c.getFileName().toString()));
                try (Stream<Path> images = Files.list(c)) {
                    for (Path i : images.toList()) {
                        Files.copy(i, to.resolve(i.getFileName().toString()));
                    }
                }
            }
        }
        return target;
    }
}
