package dev.modelship.optimizer.cli;

import dev.modelship.optimizer.OptimizerException;
import dev.modelship.optimizer.Progress;
import dev.modelship.optimizer.artifact.ArtifactPuller;
import dev.modelship.optimizer.fetch.FetchConfig;
import dev.modelship.optimizer.fetch.S3Clients;
import java.net.URI;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import software.amazon.awssdk.services.s3.S3Client;

/** {@code pull s3://bucket/prefix/<digest> <dir>}: what a serving pod's init container runs. */
@Command(name = "pull", mixinStandardHelpOptions = true,
        description = "Download an artifact (manifest.json and its model) from an S3-compatible bucket into <dir>,"
                + " verifying that the manifest is the digest's and the model has the manifest's sha256 and size."
                + " <dir> appears only when everything matched.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:pulled and verified, or <dir> already held this artifact intact",
            "1:internal error",
            "2:usage: bad URI, or <dir> exists with something else in it",
            "3:fetch failed: no manifest or model object, S3 error (access denied, no bucket, network)",
            "6:I/O error writing <dir> (nothing left behind)",
            "7:verification failed: model sha256 or size differs from the manifest, or the manifest is not"
                    + " this digest's (nothing left behind)"})
final class PullCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "s3://bucket/[prefix/]<digest hex>", description = "the artifact")
    String uri;

    @Parameters(index = "1", paramLabel = "<dir>", description = "directory to create with the artifact's files")
    Path target;

    @Option(names = "--s3-endpoint", description = "S3-compatible endpoint (default: $MODELSHIP_S3_ENDPOINT)")
    URI s3Endpoint;

    @Override
    public Integer call() {
        Progress progress = Progress.stderr();
        try {
            FetchConfig config = FetchConfig.fromEnvironment();
            if (s3Endpoint != null) {
                config = config.withS3Endpoint(s3Endpoint);
            }
            ArtifactPuller.Pulled p;
            try (S3Client s3 = S3Clients.forStore(config, System.getenv())) {
                p = new ArtifactPuller(s3).pull(uri, target);
            }
            progress.step((p.reused() ? "already present: " : "pulled " + uri + " to ") + p.directory() + ": "
                    + p.file() + ", " + p.bytes() + " bytes, sha256 " + p.sha256() + " verified");
            return 0;
        } catch (OptimizerException e) {
            // One line: the kubelet shows the end of the log as the init container's termination message.
            progress.step("error: " + e.getMessage().replace('\n', ' '));
            return e.reason().exitCode();
        } catch (RuntimeException e) {
            e.printStackTrace();
            progress.step("error: internal error: " + e);
            return 1;
        }
    }
}
