package dev.modelship.optimizer.artifact;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.modelship.artifact.Manifest;
import dev.modelship.optimizer.Fixtures;
import dev.modelship.optimizer.MotoS3;
import dev.modelship.optimizer.Progress;
import dev.modelship.optimizer.cli.Main;
import dev.modelship.optimizer.fetch.FetchConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The S3 artifact store as the operator uses it: the artifact Job runs {@code optimize --out
 * s3://bucket/prefix}, a serving pod's init container runs {@code pull}. Against moto's S3 server,
 * inspected with the test's own client.
 */
class S3ArtifactStoreIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String BUCKET = "artifacts";

    private static MotoS3 moto;
    private static S3Client s3;

    @TempDir
    Path tmp;

    /** Each test its own prefix, so artifacts of one never satisfy another. */
    private String prefix;
    private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    private PrintStream savedOut;

    @BeforeAll
    static void startS3() throws Exception {
        moto = MotoS3.start();
        s3 = moto.client();
        s3.createBucket(b -> b.bucket(BUCKET));
    }

    @AfterAll
    static void stopS3() throws Exception {
        if (s3 != null) {
            s3.close();
        }
        if (moto != null) {
            moto.close();
        }
    }

    @BeforeEach
    void captureStdout() {
        prefix = "team-" + UUID.randomUUID().toString().substring(0, 8);
        savedOut = System.out;
        System.setOut(new PrintStream(stdout, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restoreStdout() {
        System.setOut(savedOut);
    }

    private int optimize(String source) {
        stdout.reset();
        return Main.execute("optimize", source, "--out", "s3://" + BUCKET + "/" + prefix,
                "--s3-endpoint", moto.endpoint().toString(), "--samples", "8");
    }

    private int pull(String uri, Path dir) {
        return Main.execute("pull", uri, dir.toString(), "--s3-endpoint", moto.endpoint().toString());
    }

    private JsonNode summary() throws Exception {
        String[] lines = stdout.toString(StandardCharsets.UTF_8).strip().split("\n");
        return JSON.readTree(lines[lines.length - 1]);
    }

    private List<String> keys() {
        return s3.listObjectsV2(b -> b.bucket(BUCKET).prefix(prefix + "/")).contents().stream()
                .map(S3Object::key).sorted().toList();
    }

    private byte[] object(String key) {
        return s3.getObjectAsBytes(b -> b.bucket(BUCKET).key(key)).asByteArray();
    }

    private void put(String key, byte[] bytes) {
        s3.putObject(b -> b.bucket(BUCKET).key(key), RequestBody.fromBytes(bytes));
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    private List<String> entries(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** Publishes the LightGBM fixture; returns the digest's hex. */
    private String publish() throws Exception {
        assertThat(optimize(Fixtures.path("lgb_binary.txt").toString())).isZero();
        JsonNode summary = summary();
        String hex = summary.get("digest").asText().substring("sha256:".length());
        assertThat(summary.get("location").asText()).isEqualTo("s3://" + BUCKET + "/" + prefix + "/" + hex);
        return hex;
    }

    @Test
    void publishedArtifactPullsBackVerified() throws Exception {
        String hex = publish();
        assertThat(summary().get("reused").asBoolean()).isFalse();
        assertThat(keys()).containsExactly(prefix + "/" + hex + "/manifest.json", prefix + "/" + hex + "/model.onnx");
        JsonNode manifest = JSON.readTree(object(prefix + "/" + hex + "/manifest.json"));
        assertThat(manifest.get("digest").asText()).isEqualTo("sha256:" + hex);
        byte[] stored = object(prefix + "/" + hex + "/model.onnx");
        assertThat(manifest.at("/output/sha256").asText()).isEqualTo(sha256(stored));

        Path target = tmp.resolve("artifacts").resolve(hex);
        assertThat(pull("s3://" + BUCKET + "/" + prefix + "/" + hex, target)).isZero();
        assertThat(entries(target)).containsExactly("manifest.json", "model.onnx");
        byte[] pulled = Files.readAllBytes(target.resolve("model.onnx"));
        assertThat(sha256(pulled)).isEqualTo(manifest.at("/output/sha256").asText());
        assertThat((long) pulled.length).isEqualTo(manifest.at("/output/bytes").asLong());
        assertThat(Files.readAllBytes(target.resolve("manifest.json")))
                .isEqualTo(object(prefix + "/" + hex + "/manifest.json"));
        assertThat(entries(target.getParent())).as("no temporary directory left").containsExactly(hex);

        // An init container that runs again finds the intact copy and succeeds without a download.
        s3.deleteObject(b -> b.bucket(BUCKET).key(prefix + "/" + hex + "/model.onnx"));
        assertThat(pull("s3://" + BUCKET + "/" + prefix + "/" + hex, target)).isZero();
    }

    @Test
    void aTamperedModelIsRefusedAndLeavesNoDirectory() throws Exception {
        String hex = publish();
        String uri = "s3://" + BUCKET + "/" + prefix + "/" + hex;
        byte[] model = object(prefix + "/" + hex + "/model.onnx");
        byte[] flipped = model.clone();
        flipped[flipped.length / 2] ^= 0x01;
        put(prefix + "/" + hex + "/model.onnx", flipped);

        Path root = tmp.resolve("artifacts");
        assertThat(pull(uri, root.resolve(hex))).isEqualTo(7);
        assertThat(entries(root)).as("neither the artifact nor a temporary directory").isEmpty();

        // Same sha256 check, different size: also refused.
        byte[] longer = java.util.Arrays.copyOf(model, model.length + 1);
        put(prefix + "/" + hex + "/model.onnx", longer);
        assertThat(pull(uri, root.resolve(hex))).isEqualTo(7);
        assertThat(entries(root)).isEmpty();
    }

    @Test
    void aManifestOfAnotherDigestOrAMissingArtifactIsRefused() throws Exception {
        String hex = publish();
        Path root = tmp.resolve("artifacts");
        String other = "0".repeat(64);
        // The right files under the wrong digest: the manifest names a digest the URI does not.
        put(prefix + "/" + other + "/manifest.json", object(prefix + "/" + hex + "/manifest.json"));
        put(prefix + "/" + other + "/model.onnx", object(prefix + "/" + hex + "/model.onnx"));
        assertThat(pull("s3://" + BUCKET + "/" + prefix + "/" + other, root.resolve(other))).isEqualTo(7);

        assertThat(pull("s3://" + BUCKET + "/" + prefix + "/" + "1".repeat(64), root.resolve("x"))).isEqualTo(3);
        assertThat(pull("s3://no-such-bucket/" + hex, root.resolve("y"))).isEqualTo(3);
        assertThat(pull("s3://" + BUCKET + "/" + prefix + "/not-a-digest", root.resolve("z"))).isEqualTo(2);
        assertThat(Files.exists(root) ? entries(root) : List.<String>of()).isEmpty();
    }

    @Test
    void anExistingArtifactIsNeverOverwritten() throws Exception {
        String hex = publish();
        String manifestKey = prefix + "/" + hex + "/manifest.json";
        String modelKey = prefix + "/" + hex + "/model.onnx";
        // Mark the stored manifest, so any rewrite would show.
        byte[] original = object(manifestKey);
        ObjectNode marked = (ObjectNode) JSON.readTree(original);
        marked.put("markedByTest", true);
        byte[] markedBytes = JSON.writeValueAsBytes(marked);
        put(manifestKey, markedBytes);
        byte[] model = object(modelKey);

        // The same source and passes: same digest, reused without work.
        assertThat(optimize(Fixtures.path("lgb_binary.txt").toString())).isZero();
        assertThat(summary().get("reused").asBoolean()).isTrue();
        assertThat(object(manifestKey)).isEqualTo(markedBytes);
        assertThat(object(modelKey)).isEqualTo(model);

        // A builder that finds the manifest only after it built (another Job was faster) uploads nothing.
        var store = new S3ArtifactStore(new S3Location(BUCKET, prefix),
                new FetchConfig(moto.endpoint(), "us-east-1", tmp, Duration.ofSeconds(30)), Progress.silent());
        Manifest m = JSON.readValue(original, Manifest.class);
        try (store) {
            assertThat(store.write("sha256:" + hex, "model.onnx", new byte[] {1, 2, 3}, m))
                    .isEqualTo("s3://" + BUCKET + "/" + prefix + "/" + hex);
        }
        assertThat(object(manifestKey)).isEqualTo(markedBytes);
        assertThat(object(modelKey)).isEqualTo(model);
        assertThat(keys()).containsExactly(manifestKey, modelKey);
    }

    @Test
    void aDamagedArtifactInTheBucketFailsTheBuildAndStays() throws Exception {
        String hex = publish();
        String manifestKey = prefix + "/" + hex + "/manifest.json";
        byte[] manifest = object(manifestKey);
        s3.deleteObject(b -> b.bucket(BUCKET).key(prefix + "/" + hex + "/model.onnx"));

        assertThat(optimize(Fixtures.path("lgb_binary.txt").toString())).isEqualTo(7);
        assertThat(summary().get("message").asText()).contains("model.onnx is missing");
        assertThat(object(manifestKey)).isEqualTo(manifest);
        assertThat(keys()).containsExactly(manifestKey);
    }

    @Test
    void anUnreachableStoreFailsAsAnIoError() throws Exception {
        stdout.reset();
        int code = Main.execute("optimize", Fixtures.path("lgb_binary.txt").toString(),
                "--out", "s3://no-such-bucket/x", "--s3-endpoint", moto.endpoint().toString(), "--samples", "0");
        assertThat(code).isEqualTo(6);
        assertThat(summary().get("message").asText()).contains("no-such-bucket");
    }
}
