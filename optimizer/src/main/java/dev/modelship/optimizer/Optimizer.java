package dev.modelship.optimizer;

import ai.onnx.proto.OnnxMl.ModelProto;
import dev.modelship.artifact.BuildReason;
import dev.modelship.artifact.Digests;
import dev.modelship.artifact.Manifest;
import dev.modelship.artifact.PassSpec;
import dev.modelship.optimizer.artifact.ArtifactDigest;
import dev.modelship.optimizer.artifact.ArtifactStore;
import dev.modelship.optimizer.artifact.OptimizerBuild;
import dev.modelship.optimizer.convert.Converter;
import dev.modelship.optimizer.convert.ModelFormat;
import dev.modelship.optimizer.distill.TransferSet;
import dev.modelship.optimizer.fetch.FetchedSource;
import dev.modelship.optimizer.fetch.Fetcher;
import dev.modelship.optimizer.onnx.Signatures;
import dev.modelship.optimizer.passes.Pass;
import dev.modelship.optimizer.passes.PassRegistry;
import dev.modelship.optimizer.validate.SampleSet;
import dev.modelship.optimizer.validate.Validator;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** source → fetch → convert → passes… → validate → artifact. */
public final class Optimizer {
    private static final long SAMPLE_SEED = 20261126L;

    private final Progress progress;

    public Optimizer(Progress progress) {
        this.progress = progress;
    }

    public OptimizeResult run(OptimizeRequest request) {
        // Unknown passes, bad parameters and bad gates fail here, before any download.
        TransferSet data = TransferSet.named(request.data(), request.dataSha256());
        List<Pass> passes = PassRegistry.resolve(request.passes(), data);
        checkGates(request);
        long t0 = System.nanoTime();
        Fetcher fetcher = new Fetcher(request.fetch(), progress);
        try (ArtifactStore store = ArtifactStore.open(request.out(), request.fetch(), progress);
             FetchedSource source = fetcher.fetch(request.source(), request.sha256Pin())) {
            progress.done("fetch " + request.source() + " (sha256 " + source.sha256().substring(0, 12) + "…)",
                    t0, source.bytes(), source.bytes());
            if (data != null) {
                long td = System.nanoTime();
                // With a sample file, validation has its rows: the student learns from every row.
                data.fetch(fetcher, request.sampleFile() == null ? request.samples() : 0);
                progress.step(String.format(Locale.ROOT, "fetch transfer set %s (sha256 %s…): %,d rows to learn"
                                + " from, %,d held out for validation, in %d ms", data.uri(),
                        data.sha256().substring(0, 12), data.training().length, data.heldOut().length,
                        (System.nanoTime() - td) / 1_000_000));
            }
            byte[] bytes = readAll(source);
            ModelFormat format = request.format() != null ? request.format() : ModelFormat.detect(bytes);
            List<PassSpec> asRun = new ArrayList<>();
            for (Pass p : passes) {
                asRun.add(new PassSpec(p.name(), p.params()));
            }
            String digest = ArtifactDigest.compute(source.sha256(), format.id(), asRun, request.samples(),
                    sampleFileSha256(request), data == null ? null : data.sha256(),
                    OptimizerBuild.description());
            var existing = store.existing(digest);
            if (existing.isPresent()) {
                Manifest.Validation report = existing.get().validation();
                // The samples are part of the digest, so the stored report is the one a rebuild would make.
                checkGates(request, report, "artifact " + digest + " exists, but its validation report fails the"
                        + " current gate: ");
                progress.step("artifact " + digest + " already exists at " + store.location(digest)
                        + ": reused without work" + (gated(request) ? "; its validation report meets the gates" : ""));
                return new OptimizeResult(digest, store.location(digest), existing.get(), true,
                        withGates(report, request));
            }

            long t1 = System.nanoTime();
            ModelProto model = Converter.toOnnx(bytes, format);
            byte[] reference = format == ModelFormat.ONNX ? bytes : model.toByteArray();
            progress.done(format == ModelFormat.ONNX ? "check onnx" : "convert " + format.id() + " -> onnx",
                    t1, bytes.length, reference.length);
            Manifest.Signature signature = Signatures.of(model);

            List<Manifest.PipelineStep> steps = new ArrayList<>();
            byte[] current = reference;
            byte[] ort = null;
            for (Pass pass : passes) {
                long tp = System.nanoTime();
                Pass.Result r = pass.apply(model);
                byte[] after = r.ortBytes() != null ? r.ortBytes() : r.model().toByteArray();
                long ms = (System.nanoTime() - tp) / 1_000_000;
                progress.done("pass " + pass.name() + " " + pass.params(), tp, current.length, after.length);
                r.notes().forEach(n -> progress.step("  " + n));
                steps.add(new Manifest.PipelineStep(pass.name(), pass.params(), r.notes(), ms, current.length,
                        after.length));
                current = after;
                if (r.ortBytes() != null) {
                    ort = r.ortBytes();
                } else {
                    model = r.model();
                }
            }

            Manifest.Validation validation = null;
            Manifest.Warmup warmup = null;
            if (request.samples() > 0) {
                SampleSet samples = samples(request, signature, data);
                validation = withGates(validate(request, format, reference, current, samples), request);
                checkGates(request, validation, "");
                warmup = warmup(samples);
            } else {
                Validator.checkLoads(current);
            }
            String file = ort != null ? "model.ort" : "model.onnx";
            Manifest manifest = new Manifest(Manifest.SCHEMA_VERSION, digest, OptimizerBuild.description(),
                    Instant.now().truncatedTo(ChronoUnit.SECONDS).toString(),
                    new Manifest.Source(request.source(), source.sha256(), format.id(), source.bytes()),
                    steps, new Manifest.Output(file, Digests.sha256(current), current.length),
                    signature, validation, warmup);
            long tw = System.nanoTime();
            String location = store.write(digest, file, current, manifest);
            progress.done("write artifact " + location, tw, current.length, current.length);
            return new OptimizeResult(digest, location, manifest, false, validation);
        }
    }

    /** The sample file, else rows held out from the transfer set, else inputs generated from the signature. */
    private static SampleSet samples(OptimizeRequest request, Manifest.Signature signature, TransferSet data) {
        if (request.sampleFile() == null && data != null) {
            return SampleSet.ofRows("rows held out from " + data.uri(), signature, data.heldOut());
        } else if (request.sampleFile() == null) {
            return SampleSet.generate(signature, request.samples(), SAMPLE_SEED);
        } else if (request.sampleFile().toString().endsWith(".npy")) {
            return SampleSet.readNpy(request.sampleFile(), signature, request.samples());
        }
        return SampleSet.readV2(request.sampleFile(), request.samples());
    }

    /**
     * The first sample a V2 JSON request can carry (no NaN or infinity, which JSON has no number
     * for) as the manifest's warm-up request, unless it is too large to carry there.
     */
    static Manifest.Warmup warmup(SampleSet samples) {
        Map<String, SampleSet.Sample> first = samples.samples().stream()
                .filter(sample -> sample.values().stream()
                        .allMatch(input -> Arrays.stream(input.values()).allMatch(Double::isFinite)))
                .findFirst().orElse(null);
        if (first == null
                || first.values().stream().mapToInt(s -> s.values().length).sum() > Manifest.Warmup.MAX_VALUES) {
            return null;
        }
        return new Manifest.Warmup(first.entrySet().stream().map(e -> new Manifest.WarmupInput(e.getKey(),
                e.getValue().datatype(), Arrays.stream(e.getValue().shape()).boxed().toList(),
                Arrays.stream(e.getValue().values()).boxed().toList())).toList());
    }

    /** The original against the result, on the request's samples. */
    private Manifest.Validation validate(OptimizeRequest request, ModelFormat format, byte[] reference,
                                         byte[] current, SampleSet samples) {
        long tv = System.nanoTime();
        String ref = format == ModelFormat.ONNX ? "source model" : "converted model before passes";
        Manifest.Validation v = Validator.compare(ref, reference, current, samples);
        progress.done(String.format(Locale.ROOT,
                        "validate %d samples: max abs error %.3g, mean %.3g%s, latency %.3f -> %.3f ms",
                        v.samples(), v.maxAbsError(), v.meanAbsError(),
                        // Top-1 agreement exists only for classifiers.
                        v.top1Agreement() == null ? "" : ", top-1 " + v.top1Agreement(),
                        v.latencyMillis().original(), v.latencyMillis().optimized()),
                tv, reference.length, current.length);
        return v;
    }

    private static boolean gated(OptimizeRequest r) {
        return r.maxAbsError() != null || r.minTop1Agreement() != null;
    }

    /** The report with the request's gates in it, as the summary and a new manifest show them. */
    private static Manifest.Validation withGates(Manifest.Validation v, OptimizeRequest r) {
        if (v == null) {
            return null;
        }
        Map<String, Double> gates = new LinkedHashMap<>();
        if (r.maxAbsError() != null) {
            gates.put("maxAbsError", r.maxAbsError());
        }
        if (r.minTop1Agreement() != null) {
            gates.put("minTop1Agreement", r.minTop1Agreement());
        }
        return new Manifest.Validation(v.reference(), v.samplesFrom(), v.samples(), v.maxAbsError(),
                v.meanAbsError(), v.top1Agreement(), v.latencyMillis(), v.bytes(), gates.isEmpty() ? null : gates);
    }

    /** Fails with {@code ValidationFailed} when the report does not meet the request's gates. */
    private static void checkGates(OptimizeRequest request, Manifest.Validation report, String context) {
        if (!gated(request)) {
            return;
        }
        if (report == null) {
            throw new ValidationGateException(context + "no validation report to check the gates against", null);
        }
        List<String> failures = Validator.gateFailures(report, request.maxAbsError(), request.minTop1Agreement());
        if (!failures.isEmpty()) {
            throw new ValidationGateException(context + String.join("; ", failures), withGates(report, request));
        }
    }

    private static String sampleFileSha256(OptimizeRequest request) {
        if (request.sampleFile() == null) {
            return null;
        }
        try {
            return Digests.sha256(request.sampleFile());
        } catch (IOException e) {
            throw OptimizerException.usage("cannot read sample file " + request.sampleFile() + ": " + e.getMessage());
        }
    }

    private static void checkGates(OptimizeRequest r) {
        if (r.maxAbsError() != null && !(r.maxAbsError() >= 0)) {
            throw OptimizerException.usage("--max-abs-error must be >= 0");
        }
        if (r.minTop1Agreement() != null && !(r.minTop1Agreement() >= 0 && r.minTop1Agreement() <= 1)) {
            throw OptimizerException.usage("--min-top1-agreement must be in [0, 1]");
        }
        if ((r.maxAbsError() != null || r.minTop1Agreement() != null) && r.samples() <= 0) {
            throw OptimizerException.usage("a validation gate needs --samples > 0");
        }
        if (r.sampleFile() != null && !Files.isRegularFile(r.sampleFile())) {
            throw OptimizerException.usage("sample file not found: " + r.sampleFile());
        }
    }

    private static byte[] readAll(FetchedSource source) {
        try {
            return Files.readAllBytes(source.file());
        } catch (IOException e) {
            throw new OptimizerException(BuildReason.FETCH_FAILED, "cannot read the fetched source " + source.file(), e);
        } catch (OutOfMemoryError e) {
            throw new OptimizerException(BuildReason.INTERNAL_ERROR, "source too large for memory: "
                    + source.bytes() + " bytes");
        }
    }

    /** A gate failed; carries the report so the summary can show it. */
    public static final class ValidationGateException extends OptimizerException {
        private final transient Manifest.Validation validation;

        public ValidationGateException(String message, Manifest.Validation validation) {
            super(BuildReason.VALIDATION_FAILED, "validation gate failed: " + message
                    + " (no artifact written; any previous artifact is untouched)");
            this.validation = validation;
        }

        public Manifest.Validation validation() {
            return validation;
        }
    }
}
