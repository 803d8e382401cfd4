package org.rll4j.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The PyTorch reference point of {@code ./rll bench models}: {@code rll-bench/reference/small_cnn_torch.py}
 * (the same small CNN and softmax head, SGD with Nesterov momentum, batch 60), run with
 * {@code /usr/bin/python3} and as many threads as ND4J's OpenMP, right after the DL4J measurement;
 * skipped with a line saying why when Debian's {@code python3-torch} is not installed.
 */
final class PyTorchReference {

    private static final Path SCRIPT = Path.of("rll-bench", "reference", "small_cnn_torch.py");
    private static final Pattern RESULT = Pattern.compile("torch (\\S+), (\\d+) thread\\(s\\): ([0-9.]+) ms/step, ([0-9.]+) images/s");

    private PyTorchReference() {
    }

    /** Runs the reference and prints DL4J's softmax-head throughput as a ratio of PyTorch's. */
    static void compare(double dl4jImagesPerSecond, int threads) {
        Path script = locate();
        if (script == null) {
            System.out.println("PyTorch reference: skipped (" + SCRIPT + " not found from " + Path.of("").toAbsolutePath() + ")");
            return;
        }
        String output;
        try {
            Process p = new ProcessBuilder("/usr/bin/python3", script.toString(), String.valueOf(threads))
                    .redirectErrorStream(true).start();
            output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
                System.out.println("PyTorch reference: skipped (" + lastLine(output)
                        + "; install Debian's python3-torch to compare: apt-get install -y python3-torch)");
                return;
            }
        } catch (IOException e) {
            System.out.println("PyTorch reference: skipped (/usr/bin/python3: " + e.getMessage() + ")");
            return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        Matcher m = RESULT.matcher(output);
        if (!m.find()) {
            System.out.println("PyTorch reference: unexpected output: " + lastLine(output));
            return;
        }
        double torch = Double.parseDouble(m.group(4));
        System.out.printf(Locale.ROOT, "PyTorch %s, %s thread(s), same small CNN + softmax head: %.0f images/s; "
                + "DL4J / PyTorch = %.2f%n", m.group(1), m.group(2), torch, dl4jImagesPerSecond / torch);
    }

    private static Path locate() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve(SCRIPT))) {
                return p.resolve(SCRIPT);
            }
        }
        return null;
    }

    private static String lastLine(String s) {
        String t = s.strip();
        int nl = t.lastIndexOf('\n');
        return nl < 0 ? t : t.substring(nl + 1);
    }
}
