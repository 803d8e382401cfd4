package org.rll4j.app.run;

import java.io.PrintStream;
import java.util.Locale;

/**
 * A one-line terminal progress bar (iteration, epoch, loss, images/s, ETA), redrawn in place on a
 * terminal; elsewhere (a log file, CI) one plain line every 5% of the run.
 */
final class Progress {

    private final PrintStream out;
    private final long total;
    private final int batchSize;
    private final boolean terminal = System.console() != null;
    private long lastLine = -1;
    private boolean drawn;

    Progress(PrintStream out, long total, int batchSize) {
        this.out = out;
        this.total = total;
        this.batchSize = batchSize;
    }

    void update(long iteration, int epoch, double loss, double secondsThisSession, long iterationsThisSession) {
        double perSecond = iterationsThisSession / Math.max(1e-9, secondsThisSession);
        double eta = (total - iteration) / Math.max(1e-9, perSecond);
        int width = 24;
        int filled = (int) (width * iteration / total);
        String line = String.format(Locale.ROOT, "[%s%s] it %d/%d epoch %d loss %.4f %.0f img/s ETA %s",
                "#".repeat(filled), ".".repeat(width - filled), iteration, total, epoch, loss, perSecond * batchSize, time(eta));
        if (terminal) {
            out.print("\r" + line);
            out.flush();
            drawn = true;
        } else {
            long step = Math.max(1, total / 20);
            if (iteration / step != lastLine || iteration == total) {
                lastLine = iteration / step;
                out.println(line);
            }
        }
    }

    void clear() {
        if (drawn) {
            out.print("\r" + " ".repeat(100) + "\r");
            out.flush();
            drawn = false;
        }
    }

    private static String time(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%dh%02dm", s / 3600, s / 60 % 60)
                : String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
    }
}
