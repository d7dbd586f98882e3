package dev.modelship.optimizer.fetch;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** A source on local disk, with its sha256 computed while it was read or downloaded. */
public record FetchedSource(String uri, Path file, String sha256, long bytes, boolean temporary)
        implements AutoCloseable {

    /** Removes a downloaded copy; a user's own file is left alone. */
    @Override
    public void close() {
        if (temporary) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException ignored) {
                // a leftover in the temp directory only
            }
        }
    }
}
