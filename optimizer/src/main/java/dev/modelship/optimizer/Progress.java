package dev.modelship.optimizer;

import java.io.PrintStream;
import java.util.Locale;

/**
 * Progress a person can follow: one line per step on stderr, with its duration and the
 * size before and after. Stdout is kept for the final summary JSON.
 */
public final class Progress {
    private final PrintStream out;

    public Progress(PrintStream out) {
        this.out = out;
    }

    public static Progress stderr() {
        return new Progress(System.err);
    }

    public static Progress silent() {
        return new Progress(new PrintStream(java.io.OutputStream.nullOutputStream()));
    }

    public void step(String message) {
        out.println("[modelship] " + message);
        out.flush();
    }

    public void done(String what, long startNanos, long bytesBefore, long bytesAfter) {
        step(String.format(Locale.ROOT, "%s: %s -> %s in %d ms", what, human(bytesBefore),
                human(bytesAfter), (System.nanoTime() - startNanos) / 1_000_000));
    }

    public static String human(long bytes) {
        if (bytes < 0) {
            return "?";
        }
        if (bytes < 1024) {
            return bytes + " B";
        }
        if (bytes < 1024 * 1024) {
            return String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
        }
        return String.format(Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024.0));
    }
}
