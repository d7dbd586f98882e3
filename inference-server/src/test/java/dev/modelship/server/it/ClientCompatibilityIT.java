package dev.modelship.server.it;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * The standard Python clients from PyPI — Triton's {@code tritonclient} (HTTP and gRPC)
 * and KServe's SDK (REST and gRPC) — used unchanged against the packaged server.
 *
 * <p>One server process per model the suites need; each pytest suite runs in its own
 * Python process (kserve and tritonclient.grpc cannot share one), gets the servers'
 * addresses as {@code MODELSHIP_<MODEL>_HTTP}/{@code _GRPC}, and must report exactly
 * its number of tests passed, none failed, skipped or in error.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClientCompatibilityIT {

    private static final Path PYTHON_TESTS = ServerProcess.REPO.resolve("inference-server/src/test/python");
    private static final Path VENV_PYTHON = ServerProcess.REPO.resolve(".venv/bin/python");
    /** The Identity-per-datatype model (FP16 among them) the round-trip tests use. */
    private static final String TYPES_MODEL = "all_types";
    /**
     * One server per model. fixed_batch (no open dimension) is there for Triton's model configuration:
     * max_batch_size 0 with the full shape, which none of the others has.
     */
    private static final List<String> MODELS = List.of("digits_mlp", "multi_io", "string_input", TYPES_MODEL,
            "fixed_batch");
    private static final Duration SUITE_TIMEOUT = Duration.ofMinutes(3);

    private final Map<String, ServerProcess> servers = new LinkedHashMap<>();

    @BeforeAll
    void startServers() throws Exception {
        if (!Files.isExecutable(VENV_PYTHON)) {
            fail(VENV_PYTHON + " is missing: run bash scripts/python-env.sh (it installs pytest, tritonclient and "
                    + "kserve from inference-server/src/test/python/requirements.txt)");
        }
        // Launch all, then wait: the JVMs start side by side.
        for (String model : MODELS) {
            servers.put(model, ServerProcess.launch(ServerProcess.MODELS.resolve(model + ".onnx"), Map.of()));
        }
        for (String model : MODELS) {
            servers.put(model, ServerProcess.awaitOrRelaunch(servers.get(model), ServerProcess.MODELS.resolve(model + ".onnx")));
        }
    }

    @AfterAll
    void stopServers() throws InterruptedException {
        for (ServerProcess server : servers.values()) {
            server.close();
        }
    }

    @Test
    void tritonclientHttp() throws Exception {
        runSuite("test_tritonclient_http.py", 17);
    }

    @Test
    void tritonclientGrpc() throws Exception {
        runSuite("test_tritonclient_grpc.py", 13);
    }

    @Test
    void kserveRest() throws Exception {
        runSuite("test_kserve_rest.py", 17);
    }

    @Test
    void kserveGrpc() throws Exception {
        runSuite("test_kserve_grpc.py", 16);
    }

    /** Triton's extensions: statistics, model configuration, compression, shared memory, repository. */
    @Test
    void tritonExtensionsHttp() throws Exception {
        runSuite("test_triton_extensions_http.py", 40);
    }

    /** The same over gRPC, with raw_output_contents and gRPC message compression. */
    @Test
    void tritonExtensionsGrpc() throws Exception {
        runSuite("test_triton_extensions_grpc.py", 27);
    }

    private void runSuite(String file, int expectedTests) throws Exception {
        List<String> cmd = List.of(VENV_PYTHON.toString(), "-m", "pytest", "-q", "-rfEsxX", "-p", "no:cacheprovider",
                "--color=no", file);
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(PYTHON_TESTS.toFile()).redirectErrorStream(true);
        Map<String, String> env = pb.environment();
        env.put("PYTHONDONTWRITEBYTECODE", "1");
        env.put("PYTHONUNBUFFERED", "1");
        env.put("MODELSHIP_MODELS_DIR", ServerProcess.MODELS.toString());
        env.put("MODELSHIP_TYPES_MODEL", TYPES_MODEL);
        servers.forEach((model, server) -> {
            String key = "MODELSHIP_" + model.toUpperCase(Locale.ROOT);
            env.put(key + "_HTTP", "127.0.0.1:" + server.httpPort);
            env.put(key + "_GRPC", server.grpcTarget());
        });

        System.out.println("[pytest " + file + "] " + String.join(" ", cmd));
        Process process = pb.start();
        List<String> output = new ArrayList<>();
        Thread pump = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(
                    new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    System.out.println("[pytest " + file + "] " + line);
                    synchronized (output) {
                        output.add(line);
                    }
                }
            } catch (IOException e) {
                System.out.println("[pytest " + file + "] output ended: " + e);
            }
        }, "pytest-output-" + file);
        pump.start();
        if (!process.waitFor(SUITE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly().waitFor();
            fail(file + " did not finish within " + SUITE_TIMEOUT);
        }
        pump.join(10_000);

        String summary;
        synchronized (output) {
            summary = output.isEmpty() ? "" : output.get(output.size() - 1);
        }
        for (Map.Entry<String, ServerProcess> e : servers.entrySet()) {
            assertThat(e.getValue().process().isAlive()).as(e.getKey() + " server alive after " + file).isTrue();
            // Refusing bad requests is not an error of the server's own: nothing may be logged as one.
            assertThat(e.getValue().log().lines().filter(l -> l.contains(" ERROR ") || l.contains(" SEVERE ")).toList())
                    .as(e.getKey() + " server log after " + file).isEmpty();
        }
        assertThat(process.exitValue()).as(file + " exit code; pytest said: " + summary + serverLogsOnFailure(process))
                .isZero();
        Map<String, Integer> counts = counts(summary);
        assertThat(counts).as(file + " summary line '" + summary + "'")
                .containsEntry("passed", expectedTests)
                .containsOnlyKeys("passed");
    }

    private String serverLogsOnFailure(Process pytest) {
        if (pytest.exitValue() == 0) {
            return "";
        }
        StringBuilder logs = new StringBuilder();
        servers.forEach((model, server) -> {
            try {
                String log = server.log();
                logs.append("\n--- server log (").append(model).append("), last 3000 chars ---\n")
                        .append(log, Math.max(0, log.length() - 3000), log.length());
            } catch (IOException e) {
                logs.append("\n(no log for ").append(model).append(": ").append(e).append(')');
            }
        });
        return logs.toString();
    }

    /** "1 failed, 16 passed, 2 skipped in 1.58s" -> {failed=1, passed=16, skipped=2}. */
    static Map<String, Integer> counts(String summary) {
        Map<String, Integer> counts = new LinkedHashMap<>();
        Matcher m = Pattern.compile("(\\d+) (passed|failed|skipped|errors?|xfailed|xpassed|deselected|warnings?)")
                .matcher(summary);
        while (m.find()) {
            String kind = m.group(2);
            if (!kind.startsWith("warning")) {
                counts.merge(kind.startsWith("error") ? "error" : kind, Integer.parseInt(m.group(1)), Integer::sum);
            }
        }
        return counts;
    }
}
