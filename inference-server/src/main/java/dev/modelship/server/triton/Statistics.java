package dev.modelship.server.triton;

import dev.modelship.server.grpc.v2.InferBatchStatistics;
import dev.modelship.server.grpc.v2.InferStatistics;
import dev.modelship.server.grpc.v2.ModelStatistics;
import dev.modelship.server.grpc.v2.ModelStatisticsResponse;
import dev.modelship.server.grpc.v2.StatisticDuration;
import dev.modelship.server.metrics.ModelStatistics.Duration;
import dev.modelship.server.metrics.ModelStatistics.Snapshot;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Triton's statistics extension's answer for the served model, in its REST (JSON) and gRPC forms.
 * The response cache does not exist here, so its hit and miss figures are always zero.
 */
public final class Statistics {

    private Statistics() {
    }

    public static Map<String, Object> json(String model, String version, Snapshot s) {
        Map<String, Object> inference = new LinkedHashMap<>();
        inference.put("success", json(s.success()));
        inference.put("fail", json(s.fail()));
        inference.put("queue", json(s.queue()));
        inference.put("compute_input", json(s.computeInput()));
        inference.put("compute_infer", json(s.computeInfer()));
        inference.put("compute_output", json(s.computeOutput()));
        inference.put("cache_hit", json(new Duration(0, 0)));
        inference.put("cache_miss", json(new Duration(0, 0)));
        Map<String, Object> stats = new LinkedHashMap<>();
        stats.put("name", model);
        stats.put("version", version);
        stats.put("last_inference", s.lastInferenceMillis());
        stats.put("inference_count", s.inferenceCount());
        stats.put("execution_count", s.executionCount());
        stats.put("inference_stats", inference);
        stats.put("batch_stats", s.batches().stream().map(b -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("batch_size", b.batchSize());
            m.put("compute_input", json(b.computeInput()));
            m.put("compute_infer", json(b.computeInfer()));
            m.put("compute_output", json(b.computeOutput()));
            return m;
        }).toList());
        stats.put("memory_usage", List.of());
        return Map.of("model_stats", List.of(stats));
    }

    private static Map<String, Long> json(Duration d) {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("count", d.count());
        m.put("ns", d.ns());
        return m;
    }

    public static ModelStatisticsResponse proto(String model, String version, Snapshot s) {
        ModelStatistics.Builder stats = ModelStatistics.newBuilder().setName(model).setVersion(version)
                .setLastInference(s.lastInferenceMillis())
                .setInferenceCount(s.inferenceCount())
                .setExecutionCount(s.executionCount())
                .setInferenceStats(InferStatistics.newBuilder()
                        .setSuccess(proto(s.success()))
                        .setFail(proto(s.fail()))
                        .setQueue(proto(s.queue()))
                        .setComputeInput(proto(s.computeInput()))
                        .setComputeInfer(proto(s.computeInfer()))
                        .setComputeOutput(proto(s.computeOutput()))
                        .setCacheHit(proto(new Duration(0, 0)))
                        .setCacheMiss(proto(new Duration(0, 0))));
        s.batches().forEach(b -> stats.addBatchStats(InferBatchStatistics.newBuilder().setBatchSize(b.batchSize())
                .setComputeInput(proto(b.computeInput()))
                .setComputeInfer(proto(b.computeInfer()))
                .setComputeOutput(proto(b.computeOutput()))));
        return ModelStatisticsResponse.newBuilder().addModelStats(stats).build();
    }

    private static StatisticDuration proto(Duration d) {
        return StatisticDuration.newBuilder().setCount(d.count()).setNs(d.ns()).build();
    }
}
