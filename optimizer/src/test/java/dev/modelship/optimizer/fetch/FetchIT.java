package dev.modelship.optimizer.fetch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import dev.modelship.artifact.BuildReason;
import dev.modelship.optimizer.Fixtures;
import dev.modelship.optimizer.MotoS3;
import dev.modelship.optimizer.OptimizerException;
import dev.modelship.optimizer.Progress;
import dev.modelship.optimizer.cli.Main;
import java.io.File;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Fetching over real servers on loopback: the JDK's HTTP server, and moto's S3 API server
 * ({@code pip install 'moto[server]'}), started here as a separate process.
 */
class FetchIT {
    private static HttpServer http;
    private static MotoS3 moto;
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
        moto = MotoS3.start();
        s3Endpoint = moto.endpoint();
        try (S3Client s3 = moto.client()) {
            s3.createBucket(b -> b.bucket("models"));
            s3.putObject(b -> b.bucket("models").key("fraud/lgb_binary.txt"), RequestBody.fromBytes(model));
        }
    }

    @AfterAll
    static void stopServers() throws Exception {
        if (http != null) {
            http.stop(0);
        }
        if (moto != null) {
            moto.close();
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
                .extracting(e -> ((OptimizerException) e).reason()).isEqualTo(BuildReason.FETCH_FAILED);
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
                .extracting(e -> ((OptimizerException) e).reason()).isEqualTo(BuildReason.FETCH_FAILED);
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
