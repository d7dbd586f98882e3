package dev.modelship.operator;

import io.fabric8.kubernetes.api.model.Quantity;
import java.net.URI;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
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
 * @param artifactStore where artifacts are kept: a PersistentVolumeClaim or an S3-compatible bucket
 * @param artifactJobBackoffLimit retries of a failed artifact build before it is reported failed
 * @param artifactJobDeadline longest an artifact build may run
 * @param artifactJobResources what an artifact build's pod asks for (a small node may need less)
 * @param leaderElection whether to elect a leader before reconciling (needed with more than one replica)
 * @param leaseNamespace namespace of the leader-election Lease; null means the client's namespace
 * @param metricsPort port of the Prometheus /metrics endpoint; 0 turns it off
 * @param shutdownGrace how long shutdown waits for running reconciles
 */
public record OperatorConfig(
    Set<String> namespaces,
    String inferenceServerImage,
    String optimizerImage,
    ArtifactStore artifactStore,
    int artifactJobBackoffLimit,
    Duration artifactJobDeadline,
    BuildResources artifactJobResources,
    boolean leaderElection,
    String leaseNamespace,
    int metricsPort,
    Duration shutdownGrace) {

  public static final String DEFAULT_VERSION = "0.1.0";

  /**
   * The artifact build pod's CPU request and memory request and limit. No CPU limit: a build uses
   * what is free, and the request only decides where it is scheduled.
   */
  public record BuildResources(Quantity cpuRequest, Quantity memoryRequest, Quantity memoryLimit) {

    public static final BuildResources DEFAULT = new BuildResources(new Quantity("1"), new Quantity("1Gi"),
        new Quantity("4Gi"));
  }

  /** Where artifacts are kept, each under {@code <digest hex>/}. */
  public sealed interface ArtifactStore permits Pvc, S3 {}

  /** A ReadWriteMany claim of this name in each namespace with ModelDeployments. */
  public record Pvc(String claim) implements ArtifactStore {}

  /**
   * An S3-compatible bucket shared by all namespaces.
   *
   * @param prefix key prefix without slashes at its ends; empty for the bucket's root
   * @param endpoint URL of an S3-compatible server, or null for AWS S3
   * @param credentialsSecret Secret, in each namespace with ModelDeployments, with the keys
   *     {@code AWS_ACCESS_KEY_ID} and {@code AWS_SECRET_ACCESS_KEY}
   */
  public record S3(String bucket, String prefix, String endpoint, String region, String credentialsSecret)
      implements ArtifactStore {

    /** {@code s3://bucket[/prefix]}, the optimizer's {@code --out}. */
    public String uri() {
      return "s3://" + bucket + (prefix.isEmpty() ? "" : "/" + prefix);
    }
  }

  /**
   * Reads the settings from environment variables, falling back to the documented defaults.
   *
   * @throws IllegalArgumentException naming the variable, when a setting is invalid
   */
  public static OperatorConfig fromEnvironment(Map<String, String> env) {
    return new OperatorConfig(
        Arrays.stream(env.getOrDefault("MODELSHIP_NAMESPACES", "").split(","))
            .map(String::trim)
            .filter(s -> !s.isEmpty())
            .collect(Collectors.toUnmodifiableSet()),
        env.getOrDefault("MODELSHIP_INFERENCE_SERVER_IMAGE",
            "ghcr.io/modelship/inference-server:" + DEFAULT_VERSION),
        env.getOrDefault("MODELSHIP_OPTIMIZER_IMAGE", "ghcr.io/modelship/optimizer:" + DEFAULT_VERSION),
        artifactStore(env),
        Integer.parseInt(env.getOrDefault("MODELSHIP_ARTIFACT_JOB_BACKOFF_LIMIT", "2")),
        Duration.ofSeconds(Long.parseLong(env.getOrDefault("MODELSHIP_ARTIFACT_JOB_DEADLINE_SECONDS", "3600"))),
        new BuildResources(
            quantity(env, "MODELSHIP_ARTIFACT_JOB_CPU_REQUEST", BuildResources.DEFAULT.cpuRequest()),
            quantity(env, "MODELSHIP_ARTIFACT_JOB_MEMORY_REQUEST", BuildResources.DEFAULT.memoryRequest()),
            quantity(env, "MODELSHIP_ARTIFACT_JOB_MEMORY_LIMIT", BuildResources.DEFAULT.memoryLimit())),
        Boolean.parseBoolean(env.getOrDefault("MODELSHIP_LEADER_ELECTION", "true")),
        env.get("MODELSHIP_LEADER_ELECTION_NAMESPACE"),
        Integer.parseInt(env.getOrDefault("MODELSHIP_METRICS_PORT", "8080")),
        Duration.ofSeconds(Long.parseLong(env.getOrDefault("MODELSHIP_SHUTDOWN_GRACE_SECONDS", "30"))));
  }

  /** The defaults alone, as the tests and a bare local run see them. */
  public static OperatorConfig defaults() {
    return fromEnvironment(Map.of());
  }

  private static ArtifactStore artifactStore(Map<String, String> env) {
    String kind = blankToEmpty(env.get("MODELSHIP_ARTIFACT_STORE")).toLowerCase(Locale.ROOT);
    switch (kind) {
      case "", "pvc":
        return new Pvc(env.getOrDefault("MODELSHIP_ARTIFACT_PVC", "modelship-artifacts"));
      case "s3":
        break;
      default:
        throw new IllegalArgumentException("MODELSHIP_ARTIFACT_STORE must be pvc or s3, not '" + kind + "'");
    }
    String bucket = blankToEmpty(env.get("MODELSHIP_ARTIFACT_S3_BUCKET"));
    // S3's bucket naming rules: a typo fails at start, not in every build.
    if (!bucket.matches("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")) {
      throw new IllegalArgumentException("MODELSHIP_ARTIFACT_STORE=s3 needs MODELSHIP_ARTIFACT_S3_BUCKET, a valid"
          + " S3 bucket name (3-63 of a-z, 0-9, '.', '-'); got '" + bucket + "'");
    }
    String prefix = blankToEmpty(env.get("MODELSHIP_ARTIFACT_S3_PREFIX")).replaceAll("^/+|/+$", "");
    if (prefix.contains("//")) {
      throw new IllegalArgumentException("MODELSHIP_ARTIFACT_S3_PREFIX has an empty path segment: '" + prefix + "'");
    }
    String endpoint = blankToEmpty(env.get("MODELSHIP_ARTIFACT_S3_ENDPOINT"));
    if (!endpoint.isEmpty()) {
      URI u;
      try {
        u = URI.create(endpoint);
      } catch (IllegalArgumentException e) {
        u = null;
      }
      if (u == null || u.getHost() == null || !("http".equals(u.getScheme()) || "https".equals(u.getScheme()))) {
        throw new IllegalArgumentException("MODELSHIP_ARTIFACT_S3_ENDPOINT must be an http(s):// URL, not '"
            + endpoint + "'");
      }
    }
    String region = blankToEmpty(env.get("MODELSHIP_ARTIFACT_S3_REGION"));
    String secret = blankToEmpty(env.get("MODELSHIP_ARTIFACT_S3_SECRET"));
    if (!secret.matches("[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?")) {
      throw new IllegalArgumentException("MODELSHIP_ARTIFACT_STORE=s3 needs MODELSHIP_ARTIFACT_S3_SECRET, the name of"
          + " a Secret with AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in each namespace with ModelDeployments;"
          + " got '" + secret + "'");
    }
    return new S3(bucket, prefix, endpoint.isEmpty() ? null : endpoint, region.isEmpty() ? "us-east-1" : region,
        secret);
  }

  /** A Kubernetes quantity ("500m", "2Gi"), checked at start rather than by the API server at each build. */
  private static Quantity quantity(Map<String, String> env, String name, Quantity fallback) {
    String value = blankToEmpty(env.get(name));
    if (value.isEmpty()) {
      return fallback;
    }
    try {
      Quantity q = new Quantity(value);
      if (Quantity.getAmountInBytes(q).signum() <= 0) {
        throw new IllegalArgumentException("not positive");
      }
      return q;
    } catch (IllegalArgumentException | ArithmeticException e) {
      throw new IllegalArgumentException(name + " must be a positive Kubernetes quantity (such as 500m or 2Gi), not '"
          + value + "'");
    }
  }

  private static String blankToEmpty(String s) {
    return s == null ? "" : s.trim();
  }
}
