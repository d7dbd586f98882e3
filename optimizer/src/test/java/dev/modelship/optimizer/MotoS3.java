package dev.modelship.optimizer;

import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * moto's S3 API server ({@code pip install 'moto[server]'}) as a separate process on a free
 * loopback port: $MODELSHIP_MOTO_SERVER, else the project venv's (scripts/python-env.sh), else
 * the PATH's {@code moto_server}.
 */
public final class MotoS3 implements AutoCloseable {
    private final Process process;
    private final URI endpoint;

    private MotoS3(Process process, URI endpoint) {
        this.process = process;
        this.endpoint = endpoint;
    }

    public static MotoS3 start() throws Exception {
        Path venvMoto = Path.of("..", ".venv", "bin", "moto_server");
        String exe = System.getenv().getOrDefault("MODELSHIP_MOTO_SERVER",
                Files.isExecutable(venvMoto) ? venvMoto.toString() : "moto_server");
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path log = Files.createTempFile("moto-", ".log");
        Process moto = null;
        try {
            moto = new ProcessBuilder(exe, "-H", "127.0.0.1", "-p", Integer.toString(port))
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        } catch (IOException e) {
            fail("the S3 tests need moto's S3 server: pip install 'moto[server]' (or set MODELSHIP_MOTO_SERVER"
                    + " to its executable); could not start '" + exe + "': " + e.getMessage());
        }
        URI endpoint = URI.create("http://127.0.0.1:" + port);
        HttpClient client = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            try {
                client.send(HttpRequest.newBuilder(endpoint).build(), HttpResponse.BodyHandlers.discarding());
                break;
            } catch (IOException e) {
                if (!moto.isAlive() || System.nanoTime() > deadline) {
                    fail("moto_server did not start on " + endpoint + ": " + Files.readString(log));
                }
                Thread.sleep(200);
            }
        }
        // The code under test takes credentials from the SDK's default chain; moto accepts any.
        System.setProperty("aws.accessKeyId", "test");
        System.setProperty("aws.secretAccessKey", "test");
        return new MotoS3(moto, endpoint);
    }

    public URI endpoint() {
        return endpoint;
    }

    /** A client of the test's own, to arrange and inspect the bucket independently of the code under test. */
    public S3Client client() {
        return S3Client.builder().endpointOverride(endpoint).forcePathStyle(true).region(Region.US_EAST_1)
                .httpClientBuilder(UrlConnectionHttpClient.builder())
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test")))
                .build();
    }

    @Override
    public void close() throws InterruptedException {
        process.descendants().forEach(ProcessHandle::destroy);
        process.destroy();
        process.waitFor();
    }
}
