package dev.modelship.operator;

import io.fabric8.kubernetes.api.model.Quantity;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * @param logFormat {@code text} or {@code json}: the operator's log lines (logback.xml reads the same
 *     variable) and the serving pods'
 * @param prometheus where traffic figures are read from; null when no URL is set (status then has
 *     no figures, and rps or concurrency autoscaling cannot be set up)
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
    Duration shutdownGrace,
    String logFormat,
    Prometheus prometheus) {

  public static final String DEFAULT_VERSION = "0.1.0";

  /**
   * The artifact build pod's CPU request and memory request and limit. No CPU limit: a build uses
   * what is free, and the request only decides where it is scheduled.
   */
  public record BuildResources(Quantity cpuRequest, Quantity memoryRequest, Quantity memoryLimit) {

    public static final BuildResources DEFAULT = new BuildResources(new Quantity("1"), new Quantity("1Gi"),
        new Quantity("4Gi"));
  }

  /**
   * The Prometheus the operator queries for every ModelDeployment's traffic.
   *
   * @param url base URL of the Prometheus HTTP API (the part before {@code /api/v1/query})
   * @param interval time between two polls; each poll is a few grouped queries for all
   *     ModelDeployments at once
   * @param window range of the {@code rate()} the figures are computed over
   * @param timeout longest a poll may take, shorter than the interval
   * @param bearerTokenFile a token sent as {@code Authorization: Bearer}, re-read at each poll
   *     (projected tokens rotate); null for none
   * @param caFile PEM certificates that sign an https URL's server certificate; null for the
   *     JVM's own trust store
   */
  public record Prometheus(URI url, Duration interval, Duration window, Duration timeout, Path bearerTokenFile,
      Path caFile) {

    /** The URL without user information, for logs, events and status. */
    public String displayUrl() {
      return url.getScheme() + "://" + url.getHost() + (url.getPort() < 0 ? "" : ":" + url.getPort())
          + (url.getRawPath() == null ? "" : url.getRawPath());
    }
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
        Duration.ofSeconds(Long.parseLong(env.getOrDefault("MODELSHIP_SHUTDOWN_GRACE_SECONDS", "30"))),
        logFormat(env),
        prometheus(env));
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
      httpUrl("MODELSHIP_ARTIFACT_S3_ENDPOINT", endpoint);
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

  /** Exactly text or json: logback.xml takes any value but json as text, so a typo must stop here. */
  private static String logFormat(Map<String, String> env) {
    String value = env.getOrDefault("MODELSHIP_LOG_FORMAT", "text");
    if (!value.equals("text") && !value.equals("json")) {
      throw new IllegalArgumentException("MODELSHIP_LOG_FORMAT must be text or json, not '" + value + "'");
    }
    return value;
  }

  private static Prometheus prometheus(Map<String, String> env) {
    String url = blankToEmpty(env.get("MODELSHIP_PROMETHEUS_URL"));
    if (url.isEmpty()) {
      return null;
    }
    URI u = httpUrl("MODELSHIP_PROMETHEUS_URL", url);
    Duration interval = seconds(env, "MODELSHIP_PROMETHEUS_INTERVAL_SECONDS", 30);
    Duration window = seconds(env, "MODELSHIP_PROMETHEUS_WINDOW_SECONDS", 120);
    Duration timeout = seconds(env, "MODELSHIP_PROMETHEUS_TIMEOUT_SECONDS", Math.min(10, interval.toSeconds()));
    if (timeout.compareTo(interval) > 0) {
      throw new IllegalArgumentException("MODELSHIP_PROMETHEUS_TIMEOUT_SECONDS (" + timeout.toSeconds()
          + ") must not be longer than MODELSHIP_PROMETHEUS_INTERVAL_SECONDS (" + interval.toSeconds() + ")");
    }
    return new Prometheus(u, interval, window, timeout,
        readableFile(env, "MODELSHIP_PROMETHEUS_BEARER_TOKEN_FILE"), readableFile(env, "MODELSHIP_PROMETHEUS_CA_FILE"));
  }

  private static URI httpUrl(String name, String value) {
    URI u;
    try {
      u = URI.create(value);
    } catch (IllegalArgumentException e) {
      u = null;
    }
    if (u == null || u.getHost() == null || !("http".equals(u.getScheme()) || "https".equals(u.getScheme()))) {
      throw new IllegalArgumentException(name + " must be an http(s):// URL, not '" + value + "'");
    }
    return u;
  }

  private static Duration seconds(Map<String, String> env, String name, long fallback) {
    String value = blankToEmpty(env.get(name));
    if (value.isEmpty()) {
      return Duration.ofSeconds(fallback);
    }
    try {
      long s = Long.parseLong(value);
      if (s < 1) {
        throw new NumberFormatException();
      }
      return Duration.ofSeconds(s);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " must be a whole number of seconds, at least 1, not '" + value + "'");
    }
  }

  /** A file named by a setting, checked at start so that a wrong mount fails now, not at every poll. */
  private static Path readableFile(Map<String, String> env, String name) {
    String value = blankToEmpty(env.get(name));
    if (value.isEmpty()) {
      return null;
    }
    Path p = Path.of(value);
    if (!Files.isRegularFile(p) || !Files.isReadable(p)) {
      throw new IllegalArgumentException(name + " names '" + value + "', which is not a readable file");
    }
    return p;
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
