package dev.modelship.operator;

import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Every setting of the operator process, read once from the environment. The README's settings
 * table documents the same names and defaults.
 *
 * @param namespaces namespaces to watch; empty means all
 * @param inferenceServerImage image of the serving pods
 * @param optimizerImage image of the artifact Jobs
 * @param artifactClaim PersistentVolumeClaim (in each namespace with ModelDeployments) that holds artifacts
 * @param artifactJobBackoffLimit retries of a failed artifact build before it is reported failed
 * @param artifactJobDeadline longest an artifact build may run
 * @param leaderElection whether to elect a leader before reconciling (needed with more than one replica)
 * @param leaseNamespace namespace of the leader-election Lease; null means the client's namespace
 * @param metricsPort port of the Prometheus /metrics endpoint; 0 turns it off
 * @param shutdownGrace how long shutdown waits for running reconciles
 */
public record OperatorConfig(
    Set<String> namespaces,
    String inferenceServerImage,
    String optimizerImage,
    String artifactClaim,
    int artifactJobBackoffLimit,
    Duration artifactJobDeadline,
    boolean leaderElection,
    String leaseNamespace,
    int metricsPort,
    Duration shutdownGrace) {

  public static final String DEFAULT_VERSION = "0.1.0";

  /** Reads the settings from environment variables, falling back to the documented defaults. */
  public static OperatorConfig fromEnvironment(Map<String, String> env) {
    return new OperatorConfig(
        Arrays.stream(env.getOrDefault("MODELSHIP_NAMESPACES", "").split(","))
            .map(String::trim)
            .filter(s -> !s.isEmpty())
            .collect(Collectors.toUnmodifiableSet()),
        env.getOrDefault("MODELSHIP_INFERENCE_SERVER_IMAGE",
            "ghcr.io/modelship/inference-server:" + DEFAULT_VERSION),
        env.getOrDefault("MODELSHIP_OPTIMIZER_IMAGE", "ghcr.io/modelship/optimizer:" + DEFAULT_VERSION),
        env.getOrDefault("MODELSHIP_ARTIFACT_PVC", "modelship-artifacts"),
        Integer.parseInt(env.getOrDefault("MODELSHIP_ARTIFACT_JOB_BACKOFF_LIMIT", "2")),
        Duration.ofSeconds(Long.parseLong(env.getOrDefault("MODELSHIP_ARTIFACT_JOB_DEADLINE_SECONDS", "3600"))),
        Boolean.parseBoolean(env.getOrDefault("MODELSHIP_LEADER_ELECTION", "true")),
        env.get("MODELSHIP_LEADER_ELECTION_NAMESPACE"),
        Integer.parseInt(env.getOrDefault("MODELSHIP_METRICS_PORT", "8080")),
        Duration.ofSeconds(Long.parseLong(env.getOrDefault("MODELSHIP_SHUTDOWN_GRACE_SECONDS", "30"))));
  }

  /** The defaults alone, as the tests and a bare local run see them. */
  public static OperatorConfig defaults() {
    return fromEnvironment(Map.of());
  }
}
