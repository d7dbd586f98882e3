package dev.modelship.optimizer;

import dev.modelship.artifact.PassSpec;
import dev.modelship.optimizer.convert.ModelFormat;
import dev.modelship.optimizer.fetch.FetchConfig;
import java.nio.file.Path;
import java.util.List;

/**
 * One optimizer run. {@code out} is the artifact store: a directory or {@code s3://bucket[/prefix]}.
 * {@code format} null means detect; gates null mean "no gate".
 * {@code samples} 0 skips validation (the report then says so). {@code data} is the transfer set
 * (null: none): the distill pass learns from it, and validation runs on rows held out from it.
 */
public record OptimizeRequest(
        String source,
        String out,
        ModelFormat format,
        List<PassSpec> passes,
        String sha256Pin,
        int samples,
        Path sampleFile,
        Double maxAbsError,
        Double minTop1Agreement,
        String data,
        String dataSha256,
        FetchConfig fetch) {

    public OptimizeRequest {
        passes = List.copyOf(passes);
    }
}
