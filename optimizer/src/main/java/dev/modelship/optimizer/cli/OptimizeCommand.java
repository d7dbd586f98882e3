package dev.modelship.optimizer.cli;

import dev.modelship.optimizer.OptimizeRequest;
import dev.modelship.optimizer.OptimizeResult;
import dev.modelship.optimizer.Optimizer;
import dev.modelship.optimizer.OptimizerException;
import dev.modelship.optimizer.Progress;
import dev.modelship.optimizer.Summary;
import dev.modelship.optimizer.convert.ModelFormat;
import dev.modelship.optimizer.fetch.FetchConfig;
import dev.modelship.optimizer.passes.PassSpec;
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
            "0:artifact written or reused",
            "1:internal error",
            "2:usage: bad flag, unknown pass or bad pass parameter",
            "3:fetch failed or sha256 pin mismatch",
            "4:bad model: corrupt, unsupported, NaN weights",
            "5:a validation gate failed (nothing written)",
            "6:I/O error writing or uploading the artifact (nothing left behind, no manifest uploaded)",
            "7:the artifact already in the bucket is damaged (never overwritten)"})
final class OptimizeCommand implements Callable<Integer> {

    @Parameters(index = "0", description = "path, file://, http(s)://, s3://bucket/key or pvc://claim/path")
    String source;

    @Option(names = "--out", required = true, paramLabel = "<dir>|s3://bucket[/prefix]",
            description = "artifact store: a directory, or an S3-compatible bucket (model uploaded first,"
                    + " manifest.json last; an existing manifest is never overwritten)")
    String out;

    @Option(names = "--pass", paramLabel = "name[:k=v,...]",
            description = "a pass, in order; repeatable. Passes: graph-optimize, quantize-dynamic, float16, prune,"
                    + " ort-format")
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
        Summary summary;
        try {
            List<PassSpec> specs = passes.stream().map(PassSpec::parse).toList();
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
                    maxAbsError, minTop1, fetch);
            OptimizeResult result = new Optimizer(Progress.stderr()).run(request);
            summary = Summary.ok(result);
        } catch (OptimizerException e) {
            System.err.println("[modelship] error: " + e.getMessage());
            summary = Summary.failed(e);
        } catch (RuntimeException | OutOfMemoryError e) {
            e.printStackTrace();
            summary = Summary.internalError(e);
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
}
