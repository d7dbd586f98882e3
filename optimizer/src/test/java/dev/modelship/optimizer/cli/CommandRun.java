package dev.modelship.optimizer.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** Runs the command line in this JVM as a user would, keeping what it printed on stdout. */
public final class CommandRun {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();

    /** The exit code of {@code modelship-optimizer <args>}; its stdout replaces the previous run's. */
    public int run(String... args) {
        stdout.reset();
        PrintStream saved = System.out;
        System.setOut(new PrintStream(stdout, true, StandardCharsets.UTF_8));
        try {
            return Main.execute(args);
        } finally {
            System.setOut(saved);
        }
    }

    public String stdout() {
        return stdout.toString(StandardCharsets.UTF_8);
    }

    /** The summary is the last line on stdout. */
    public JsonNode summary() throws IOException {
        String[] lines = stdout().strip().split("\n");
        return JSON.readTree(lines[lines.length - 1]);
    }
}
