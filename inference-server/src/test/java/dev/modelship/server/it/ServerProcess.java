package dev.modelship.server.it;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The packaged inference server (target/quarkus-app) started as its own process on free
 * loopback ports, as a user or a pod would run it. Integration tests use it where the
 * process boundary matters: real clients in another language, SIGTERM, startup errors.
 */
public final class ServerProcess implements AutoCloseable {

    public static final Path REPO = locateRepo();
    public static final Path MODELS = REPO.resolve("examples/models");

    private final Process process;
    private final Path log;
    public final int httpPort;
    public final int grpcPort;

    private ServerProcess(Process process, Path log, int httpPort, int grpcPort) {
        this.process = process;
        this.log = log;
        this.httpPort = httpPort;
        this.grpcPort = grpcPort;
    }

    /** Starts the server on {@code model} with extra settings (modelship.* keys) and waits until it is ready. */
    public static ServerProcess start(Path model, Map<String, String> settings) throws IOException, InterruptedException {
        ServerProcess p = launch(model, settings);
        p.awaitReady(Duration.ofSeconds(60));
        return p;
    }

    /** Starts the server without waiting, for tests of startup itself. */
    public static ServerProcess launch(Path model, Map<String, String> settings) throws IOException {
        return launch(model, settings, Map.of());
    }

    /**
     * Starts the server without waiting, with environment variables of its own (MODELSHIP_LOG_FORMAT,
     * which has no system property); a null value removes one the test JVM has.
     */
    public static ServerProcess launch(Path model, Map<String, String> settings, Map<String, String> environment)
            throws IOException {
        Path jar = REPO.resolve("inference-server/target/quarkus-app/quarkus-run.jar");
        if (!Files.exists(jar)) {
            throw new IllegalStateException(jar + " is missing; run the package phase first");
        }
        int http = freePort();
        int grpc = freePort();
        List<String> cmd = new ArrayList<>(List.of(javaBinary(), "-Dquarkus.http.port=" + http,
                "-Dquarkus.grpc.server.port=" + grpc, "-Dquarkus.http.host=127.0.0.1",
                "-Dquarkus.grpc.server.host=127.0.0.1", "-Dmodelship.model.path=" + model));
        // No drain before shutdown (10 s in a pod) unless a test asks for it: ShutdownIT does.
        Map<String, String> all = new java.util.LinkedHashMap<>(Map.of("modelship.shutdown.drain", "0s"));
        all.putAll(settings);
        all.forEach((k, v) -> cmd.add("-D" + k + "=" + v));
        cmd.addAll(List.of("-jar", jar.toString()));
        Path log = Files.createTempFile("modelship-server-", ".log");
        ProcessBuilder builder = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        environment.forEach((name, value) -> {
            if (value == null) {
                builder.environment().remove(name);
            } else {
                builder.environment().put(name, value);
            }
        });
        Process process = builder.start();
        return new ServerProcess(process, log, http, grpc);
    }

    /**
     * Waits for a launched server; if it lost its port to another process between picking the
     * port and binding it (the ports are free when picked, not reserved), launches it again.
     */
    public static ServerProcess awaitOrRelaunch(ServerProcess server, Path model) throws IOException, InterruptedException {
        for (int attempt = 1; ; attempt++) {
            try {
                server.awaitReady(Duration.ofSeconds(90));
                return server;
            } catch (IllegalStateException e) {
                server.close();
                if (attempt == 3 || !server.log().contains("in use")) {
                    throw e;
                }
                server = launch(model, Map.of());
            }
        }
    }

    public String httpUrl() {
        return "http://127.0.0.1:" + httpPort;
    }

    public String grpcTarget() {
        return "127.0.0.1:" + grpcPort;
    }

    public Process process() {
        return process;
    }

    public String log() throws IOException {
        return Files.readString(log);
    }

    public void awaitReady(Duration timeout) throws IOException, InterruptedException {
        HttpClient client = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("server exited with " + process.exitValue() + ":\n" + log());
            }
            try {
                HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(httpUrl() + "/v2/health/ready"))
                        .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("server not ready within " + timeout + ":\n" + log());
    }

    /** Sends SIGTERM and waits for the process to end; returns its exit code. */
    public int terminate(Duration timeout) throws InterruptedException {
        process.destroy();
        if (!process.waitFor(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
            process.destroyForcibly().waitFor();
            throw new IllegalStateException("server did not stop within " + timeout + " of SIGTERM");
        }
        return process.exitValue();
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        }
    }

    public static Map<String, String> settings(String... keyValues) {
        Map<String, String> m = new HashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            m.put(keyValues[i], keyValues[i + 1]);
        }
        return m;
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static String javaBinary() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static Path locateRepo() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.exists(p.resolve("mvnw"))) {
            p = p.getParent();
        }
        if (p == null) {
            throw new IllegalStateException("cannot find the repository root (mvnw) above " + Path.of("").toAbsolutePath());
        }
        return p;
    }
}
