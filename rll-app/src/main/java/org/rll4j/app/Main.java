package org.rll4j.app;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.NoSuchFileException;
import java.util.Locale;

import org.rll4j.app.config.ConfigException;
import org.rll4j.listeners.TrainingDivergedException;

import picocli.CommandLine;

/**
 * Entry point of the {@code ./rll} launcher. Without arguments it runs the main job (train the small
 * CNN with the Ranked List Loss on the embedded emoji set with the DL4J training UI, evaluate on the
 * unseen classes, write the report); otherwise it runs the named command ({@code --help} lists
 * them).
 *
 * <p>Exit codes: {@value #OK} ok, {@value #USAGE} bad usage or configuration, {@value #IO} an input
 * or output problem (missing file, unreadable image, busy port), {@value #DIVERGED} training diverged.
 */
public final class Main {

    /** Success. */
    public static final int OK = 0;
    /** Bad usage or configuration. */
    public static final int USAGE = 2;
    /** A file, folder or port problem. */
    public static final int IO = 3;
    /** Training diverged (NaN or infinite loss or embedding). */
    public static final int DIVERGED = 4;

    private Main() {
    }

    /**
     * @param args command and options; none runs the main job
     */
    public static void main(String[] args) {
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs a command line and returns its exit code (for tests). */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        org.rll4j.natives.FastPaths.enable(); // DL4J's oneDNN layer helpers; -Drll4j.fastPaths=false for the plain path
        CommandLine cli = commandLine(out, err);
        if (args.length == 0) {
            out.println("rll4j main job: train the small CNN with the Ranked List Loss on the embedded emoji set "
                    + "(the same as './rll train'; './rll --help' lists every command)");
            args = new String[] {"train"};
        }
        return cli.execute(args);
    }

    static CommandLine commandLine(PrintWriter out, PrintWriter err) {
        CommandLine cli = new CommandLine(new Commands.Root());
        cli.setOut(out);
        cli.setErr(err);
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            commandLine.getErr().println(message(e));
            return exitCode(e);
        });
        cli.setParameterExceptionHandler((e, args) -> {
            CommandLine c = e.getCommandLine();
            c.getErr().println("error: " + e.getMessage());
            c.getErr().println("see: ./rll " + c.getCommandSpec().qualifiedName(" ").replaceFirst("^rll ?", "")
                    + (c.getCommandSpec().qualifiedName().equals("rll") ? "" : " ") + "--help");
            return USAGE;
        });
        return cli;
    }

    /** The exit code for an error that ended a command (see the class comment). */
    public static int exitCode(Throwable e) {
        if (e instanceof ConfigException || e instanceof IllegalArgumentException) {
            return USAGE;
        }
        if (e instanceof TrainingDivergedException) {
            return DIVERGED;
        }
        if (e instanceof IOException || e instanceof java.io.UncheckedIOException) {
            return IO;
        }
        return 1;
    }

    static String message(Throwable e) {
        if (e instanceof NoSuchFileException n) {
            return String.format(Locale.ROOT, "error: file not found: %s%s", n.getFile(),
                    n.getReason() == null ? "" : " (" + n.getReason() + ")");
        }
        if (e instanceof ConfigException) {
            return "config error: " + e.getMessage();
        }
        if (e instanceof TrainingDivergedException) {
            return "error: " + e.getMessage();
        }
        if (e instanceof IOException || e instanceof IllegalArgumentException || e instanceof java.io.UncheckedIOException) {
            return "error: " + e.getMessage();
        }
        java.io.StringWriter sw = new java.io.StringWriter();
        e.printStackTrace(new PrintWriter(sw));
        return "internal error (please report): " + sw;
    }

    static String version() {
        String v = Main.class.getPackage().getImplementationVersion();
        return v == null ? "0.1.0-SNAPSHOT (development build)" : v;
    }
}
