package dev.modelship.optimizer.fetch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import com.sun.net.httpserver.HttpServer;
import dev.modelship.optimizer.Fixtures;
import dev.modelship.optimizer.OptimizerException;
import dev.modelship.optimizer.Progress;
import dev.modelship.optimizer.cli.Main;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Fetching over real servers on loopback: the JDK's HTTP server, and moto's S3 API server
 * ({@code pip install 'moto[server]'}), started here as a separate process.
 */
class FetchIT {
    private static HttpServer http;
    private static Process moto;
    private static URI s3Endpoint;
    private static byte[] model;

    @TempDir
    Path tmp;

    @BeforeAll
    static void startServers() throws Exception {
        model = Fixtures.bytes("lgb_binary.txt");
        http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        http.createContext("/models/lgb_binary.txt", ex -> {
            ex.sendResponseHeaders(200, model.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(model);
            }
        });
        http.createContext("/truncated", ex -> {
            ex.sendResponseHeaders(200, model.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(model, 0, 100); // then the connection closes early
            }
        });
        http.start();
        startMoto();
    }

    private static void startMoto() throws Exception {
        // $MODELSHIP_MOTO_SERVER, else the project venv's (scripts/python-env.sh), else the PATH's.
        Path venvMoto = Path.of("..", ".venv", "bin", "moto_server");
        String exe = System.getenv().getOrDefault("MODELSHIP_MOTO_SERVER",
                Files.isExecutable(venvMoto) ? venvMoto.toString() : "moto_server");
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path log = Files.createTempFile("moto-", ".log");
        try {
            moto = new ProcessBuilder(exe, "-H", "127.0.0.1", "-p", Integer.toString(port))
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        } catch (IOException e) {
            fail("the S3 tests need moto's S3 server: pip install 'moto[server]' (or set MODELSHIP_MOTO_SERVER"
                    + " to its executable); could not start '" + exe + "': " + e.getMessage());
        }
        s3Endpoint = URI.create("http://127.0.0.1:" + port);
        HttpClient client = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            try {
                client.send(HttpRequest.newBuilder(s3Endpoint).build(), HttpResponse.BodyHandlers.discarding());
                break;
            } catch (IOException e) {
                if (!moto.isAlive() || System.nanoTime() > deadline) {
                    fail("moto_server did not start on " + s3Endpoint + ": " + Files.readString(log));
                }
                Thread.sleep(200);
            }
        }
        try (S3Client s3 = client()) {
            s3.createBucket(b -> b.bucket("models"));
            s3.putObject(b -> b.bucket("models").key("fraud/lgb_binary.txt"), RequestBody.fromBytes(model));
        }
    }

    private static S3Client client() {
        return S3Client.builder().endpointOverride(s3Endpoint).forcePathStyle(true).region(Region.US_EAST_1)
                .httpClientBuilder(UrlConnectionHttpClient.builder())
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test")))
                .build();
    }

    @AfterAll
    static void stopServers() throws Exception {
        if (http != null) {
            http.stop(0);
        }
        if (moto != null) {
            moto.descendants().forEach(ProcessHandle::destroy);
            moto.destroy();
            moto.waitFor();
        }
    }

    private Fetcher fetcher() {
        return new Fetcher(new FetchConfig(s3Endpoint, "us-east-1", tmp, Duration.ofSeconds(30)), Progress.silent());
    }

    @Test
    void httpDownloadsAreStreamedAndHashed() throws Exception {
        Path reference = tmp.resolve("ref");
        Files.write(reference, model);
        String uri = "http://127.0.0.1:" + http.getAddress().getPort() + "/models/lgb_binary.txt";
        Path downloaded;
        try (FetchedSource s = fetcher().fetch(uri, FetcherTest.sha256sum(reference))) {
            assertThat(Files.readAllBytes(s.file())).isEqualTo(model);
            assertThat(s.bytes()).isEqualTo(model.length);
            downloaded = s.file();
        }
        assertThat(downloaded).as("the temporary download is removed").doesNotExist();

        assertThatThrownBy(() -> fetcher().fetch("http://127.0.0.1:" + http.getAddress().getPort() + "/nope", null))
                .hasMessageContaining("HTTP 404")
                .extracting(e -> ((OptimizerException) e).kind()).isEqualTo(OptimizerException.Kind.FETCH);
        assertThatThrownBy(() -> fetcher().fetch("http://127.0.0.1:" + http.getAddress().getPort() + "/truncated", null))
                .isInstanceOf(OptimizerException.class);
    }

    @Test
    void s3ObjectsAreFetchedFromAnS3CompatibleServer() throws Exception {
        System.setProperty("aws.accessKeyId", "test");
        System.setProperty("aws.secretAccessKey", "test");
        Path reference = tmp.resolve("ref");
        Files.write(reference, model);
        try (FetchedSource s = fetcher().fetch("s3://models/fraud/lgb_binary.txt", null)) {
            assertThat(Files.readAllBytes(s.file())).isEqualTo(model);
            assertThat(s.sha256()).isEqualTo(FetcherTest.sha256sum(reference));
        }
        assertThatThrownBy(() -> fetcher().fetch("s3://models/missing.txt", null))
                .hasMessageContaining("S3 GET s3://models/missing.txt failed")
                .extracting(e -> ((OptimizerException) e).kind()).isEqualTo(OptimizerException.Kind.FETCH);
    }

    @Test
    void theCommandBuildsAnArtifactFromS3() throws Exception {
        System.setProperty("aws.accessKeyId", "test");
        System.setProperty("aws.secretAccessKey", "test");
        Path out = tmp.resolve("artifacts");
        int code = Main.execute("optimize", "s3://models/fraud/lgb_binary.txt", "--s3-endpoint", s3Endpoint.toString(),
                "--out", out.toString(), "--samples", "16");
        assertThat(code).isZero();
        try (var dirs = Files.list(out)) {
            List<Path> artifacts = dirs.toList();
            assertThat(artifacts).hasSize(1);
            String manifest = Files.readString(artifacts.get(0).resolve("manifest.json"));
            assertThat(manifest).contains("\"uri\" : \"s3://models/fraud/lgb_binary.txt\"")
                    .contains("\"format\" : \"lightgbm\"");
        }
        assertThat(new File(out.toFile(), ".").list()).noneMatch(n -> n.startsWith(".tmp-"));
    }
}
