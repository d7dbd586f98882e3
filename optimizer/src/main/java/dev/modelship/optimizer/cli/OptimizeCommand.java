package dev.modelship.optimizer.cli;

import dev.modelship.artifact.BuildReason;
import dev.modelship.artifact.BuildSummary;
import dev.modelship.artifact.PassSpec;
import dev.modelship.optimizer.OptimizeRequest;
import dev.modelship.optimizer.OptimizeResult;
import dev.modelship.optimizer.Optimizer;
import dev.modelship.optimizer.OptimizerException;
import dev.modelship.optimizer.Progress;
import dev.modelship.optimizer.convert.ModelFormat;
import dev.modelship.optimizer.fetch.FetchConfig;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "optimize", mixinStandardHelpOptions = true,
        description = "Fetch a model, convert it to ONNX, run the passes, validate against the original"
                + " and write <out>/<digest>/{model.onnx|model.ort, manifest.json}; <out> is a directory or"
                + " s3://bucket[/prefix].",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:Built: artifact written, or reused after its stored report met the gates",
            "1:InternalError: a defect, or out of memory",
            "2:InvalidArguments: bad flag, unknown pass or bad pass parameter",
            "3:FetchFailed: the source could not be downloaded or read",
            "4:InvalidModel: corrupt or truncated model, NaN weights",
            "5:ValidationFailed: a validation gate failed (nothing written)",
            "6:StoreFailed: writing or uploading the artifact failed (nothing left behind)",
            "7:ArtifactCorrupt: the artifact already in the bucket is damaged (never overwritten)",
            "8:UnsupportedFormat: not a format, or a feature of one, that the optimizer converts",
            "9:ChecksumMismatch: the source's sha256 is not the --sha256 pin"})
final class OptimizeCommand implements Callable<Integer> {

    @Parameters(index = "0", description = "path, file://, http(s)://, s3://bucket/key or pvc://claim/path")
    String source;

    @Option(names = "--out", required = true, paramLabel = "<dir>|s3://bucket[/prefix]",
            description = "artifact store: a directory, or an S3-compatible bucket (model uploaded first,"
                    + " manifest.json last; an existing manifest is never overwritten)")
    String out;

    @Option(names = "--pass", paramLabel = "name[:k=v,...]",
            description = "a pass, in order; repeatable. Passes: graph-optimize, quantize-dynamic, float16, prune,"
                    + " distill, ort-format")
    List<String> passes = new ArrayList<>();

    @Option(names = "--format", description = "onnx, xgboost or lightgbm (default: detected)")
    String format;

    @Option(names = "--sha256", description = "refuse a source whose sha256 differs")
    String sha256;

    @Option(names = "--samples", defaultValue = "64", description = "validation samples (0: skip; default ${DEFAULT-VALUE})")
    int samples;

    @Option(names = "--sample-file", description = "validation inputs: a V2 inference request JSON, or a .npy array for a single-input model"
                    + " (rows on dimension 0)")
    Path sampleFile;

    @Option(names = "--data", paramLabel = "<uri>",
            description = "transfer set: rows of the model's input (.npy [rows, features], or .csv of numbers with an"
                    + " optional header), fetched like the model. The distill pass learns from it; validation runs on"
                    + " rows held out from it (up to --samples, at most a fifth)")
    String data;

    @Option(names = "--data-sha256", description = "refuse a transfer set whose sha256 differs")
    String dataSha256;

    @Option(names = "--max-abs-error", description = "gate: fail when the max absolute error is larger")
    Double maxAbsError;

    @Option(names = "--min-top1-agreement", description = "gate: fail when top-1 agreement is lower (0..1)")
    Double minTop1;

    @Option(names = "--s3-endpoint", description = "S3-compatible endpoint for s3:// sources and stores (default: $MODELSHIP_S3_ENDPOINT)")
    URI s3Endpoint;

    @Option(names = "--pvc-root", description = "where pvc:// claims are mounted (default: $MODELSHIP_PVC_ROOT or /pvc)")
    Path pvcRoot;

    @Option(names = "--summary-file", description = "also write the summary JSON (<= 4 KiB) here,"
            + " e.g. /dev/termination-log")
    Path summaryFile;

    @Override
    public Integer call() {
        BuildSummary summary;
        try {
            List<PassSpec> specs = new ArrayList<>();
            for (String pass : passes) {
                try {
                    specs.add(PassSpec.parse(pass));
                } catch (IllegalArgumentException e) {
                    throw OptimizerException.usage(e.getMessage());
                }
            }
            if (samples < 0) {
                throw OptimizerException.usage("--samples must be >= 0");
            }
            FetchConfig fetch = FetchConfig.fromEnvironment();
            if (s3Endpoint != null) {
                fetch = fetch.withS3Endpoint(s3Endpoint);
            }
            if (pvcRoot != null) {
                fetch = fetch.withPvcRoot(pvcRoot);
            }
            OptimizeRequest request = new OptimizeRequest(source, out,
                    format == null ? null : ModelFormat.parse(format), specs, sha256, samples, sampleFile,
                    maxAbsError, minTop1, data, dataSha256, fetch);
            OptimizeResult result = new Optimizer(Progress.stderr()).run(request);
            summary = BuildSummary.built(result.manifest(), result.location(), result.reused(), result.validation());
        } catch (OptimizerException e) {
            System.err.println("[modelship] error: " + e.getMessage());
            summary = failed(e);
        } catch (RuntimeException | OutOfMemoryError e) {
            e.printStackTrace();
            summary = internalError(e);
        }
        String json = summary.toJson();
        if (summaryFile != null) {
            try {
                Files.writeString(summaryFile, json, StandardCharsets.UTF_8);
            } catch (IOException e) {
                System.err.println("[modelship] cannot write summary file " + summaryFile + ": " + e.getMessage());
            }
        }
        System.out.println(json);
        return summary.exitCode();
    }

    static BuildSummary failed(OptimizerException e) {
        return BuildSummary.failed(e.reason(), e.getMessage(),
                e instanceof Optimizer.ValidationGateException g ? g.validation() : null);
    }

    /** A defect or an exhausted heap: the message says what was thrown, the log has the stack. */
    static BuildSummary internalError(Throwable t) {
        return BuildSummary.failed(BuildReason.INTERNAL_ERROR, "internal error: " + t
                + " (the optimizer's log has the stack trace)", null);
    }
}
