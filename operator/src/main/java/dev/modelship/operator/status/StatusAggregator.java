package dev.modelship.operator.status;

import static dev.modelship.operator.api.v1alpha1.ModelshipConstants.ANNOTATION_ARTIFACT_DIGEST;
import static dev.modelship.operator.api.v1alpha1.ModelshipConstants.COMPONENT_INFERENCE_SERVER;
import static dev.modelship.operator.api.v1alpha1.ModelshipConstants.CONDITION_ARTIFACT_READY;
import static dev.modelship.operator.api.v1alpha1.ModelshipConstants.CONDITION_AUTOSCALER_READY;
import static dev.modelship.operator.api.v1alpha1.ModelshipConstants.CONDITION_METRICS_AVAILABLE;
import static dev.modelship.operator.api.v1alpha1.ModelshipConstants.CONDITION_READY;
import static dev.modelship.operator.api.v1alpha1.ModelshipConstants.CONDITION_SLO_MET;

import dev.modelship.operator.OperatorConfig;
import dev.modelship.operator.api.v1alpha1.Autoscaling;
import dev.modelship.operator.api.v1alpha1.ModelDeployment;
import dev.modelship.operator.api.v1alpha1.ModelDeploymentStatus;
import dev.modelship.operator.api.v1alpha1.ScalingMetric;
import dev.modelship.operator.api.v1alpha1.Slo;
import dev.modelship.operator.desired.InferenceDeploymentBuilder;
import dev.modelship.operator.desired.InferenceServiceBuilder;
import dev.modelship.operator.desired.ModelLabels;
import dev.modelship.operator.traffic.TrafficReading;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentCondition;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/** The one place status is computed: from the spec and what the owned objects report. Pure. */
public final class StatusAggregator {

  /** Ready=False reasons that mean something is broken rather than on its way. */
  public static final Set<String> READY_FAILURES = Set.of(
      "CrashLoopBackOff", "ImagePullBackOff", "ErrImagePull", "InvalidImageName",
      "CreateContainerConfigError", "CreateContainerError", "RunContainerError", "Unschedulable",
      "ProgressDeadlineExceeded");

  private StatusAggregator() {}

  /**
   * @param deployment the serving Deployment as observed, or null
   * @param servingPods the inference-server pods of this ModelDeployment
   * @param traffic the traffic reading and what autoscaling depends on
   * @param now RFC 3339 time for conditions whose status changes
   */
  public static ModelDeploymentStatus aggregate(ModelDeployment md, ArtifactState artifact,
      Deployment deployment, List<Pod> servingPods, TrafficView traffic, String now) {
    ModelDeploymentStatus previous = md.getStatus() == null ? new ModelDeploymentStatus() : md.getStatus();
    long generation = md.getMetadata().getGeneration() == null ? 0 : md.getMetadata().getGeneration();

    ModelDeploymentStatus s = new ModelDeploymentStatus();
    s.observedGeneration = generation;
    s.url = InferenceServiceBuilder.url(md);
    s.selector = ModelLabels.selectorString(md, COMPONENT_INFERENCE_SERVER);
    s.artifact = artifact.serving();
    TrafficReading reading = traffic.prometheus() == null ? null : traffic.reading();
    // Without a Prometheus (any more) there are no figures: old ones would look current.
    s.metrics = traffic.prometheus() == null ? null
        : reading != null && reading.availability() == TrafficReading.Availability.READ ? reading.figures()
        : previous.metrics;
    s.replicas = deployment == null || deployment.getStatus() == null ? 0 : zeroIfNull(deployment.getStatus().getReplicas());
    s.readyReplicas = deployment == null || deployment.getStatus() == null ? 0
        : zeroIfNull(deployment.getStatus().getAvailableReplicas());

    Condition artifactReady = Conditions.of(CONDITION_ARTIFACT_READY,
        artifact.ready() ? Conditions.TRUE : Conditions.FALSE, artifact.reason(), artifact.message(), generation);
    Condition ready = ready(md, artifact, deployment, servingPods, generation);

    List<Condition> conditions = Conditions.put(previous.conditions, artifactReady, now);
    conditions = Conditions.put(conditions, ready, now);
    Condition metricsAvailable = traffic.prometheus() == null ? null
        : metricsAvailable(traffic.prometheus(), reading, s.readyReplicas, generation);
    conditions = Conditions.putOrRemove(conditions, CONDITION_METRICS_AVAILABLE, metricsAvailable, now);
    conditions = Conditions.putOrRemove(conditions, CONDITION_SLO_MET,
        sloMet(md, traffic.prometheus(), metricsAvailable, reading, generation), now);
    conditions = Conditions.putOrRemove(conditions, CONDITION_AUTOSCALER_READY,
        autoscalerReady(md, traffic, generation), now);
    s.conditions = conditions;
    return s;
  }

  /** Whether figures are being read; never part of Ready: a Prometheus outage does not stop serving. */
  static Condition metricsAvailable(OperatorConfig.Prometheus prometheus, TrafficReading reading, int readyReplicas,
      long generation) {
    if (readyReplicas == 0) {
      return Conditions.of(CONDITION_METRICS_AVAILABLE, Conditions.UNKNOWN, "NoServingPods",
          "no serving pod is available, so there is no traffic to read", generation);
    }
    if (reading == null) {
      return Conditions.of(CONDITION_METRICS_AVAILABLE, Conditions.UNKNOWN, "AwaitingFirstRead",
          "waiting for Prometheus at " + prometheus.displayUrl() + " to have figures of the serving pods", generation);
    }
    return switch (reading.availability()) {
      case READ -> Conditions.of(CONDITION_METRICS_AVAILABLE, Conditions.TRUE, "MetricsRead",
          "figures over the last " + prometheus.window().toSeconds() + "s, read from Prometheus at "
              + prometheus.displayUrl() + " every " + prometheus.interval().toSeconds() + "s", generation);
      case NOT_SCRAPED -> Conditions.of(CONDITION_METRICS_AVAILABLE, Conditions.FALSE, "NotScraped",
          reading.problem(), generation);
      case UNREACHABLE -> Conditions.of(CONDITION_METRICS_AVAILABLE, Conditions.FALSE, "PrometheusUnreachable",
          reading.problem() + "; the figures shown are from " + observedAt(reading), generation);
      case QUERY_FAILED -> Conditions.of(CONDITION_METRICS_AVAILABLE, Conditions.FALSE, "QueryFailed",
          reading.problem() + "; the figures shown are from " + observedAt(reading), generation);
    };
  }

  private static String observedAt(TrafficReading reading) {
    return reading.figures() == null ? "no read yet (none)" : reading.figures().observedAt;
  }

  /** The verdict on spec.slo; null (no condition) without objectives. No data, no verdict. */
  static Condition sloMet(ModelDeployment md, OperatorConfig.Prometheus prometheus, Condition metricsAvailable,
      TrafficReading reading, long generation) {
    Slo slo = md.getSpec().slo;
    if (slo == null || (slo.latencyP99 == null && slo.errorRatio == null)) {
      return null;
    }
    if (prometheus == null) {
      return Conditions.of(CONDITION_SLO_MET, Conditions.UNKNOWN, "PrometheusNotConfigured",
          "the operator has no Prometheus to read figures from (set MODELSHIP_PROMETHEUS_URL, chart value"
              + " prometheus.url)", generation);
    }
    if (!Conditions.TRUE.equals(metricsAvailable.getStatus()) || reading == null || reading.slo() == null) {
      return Conditions.of(CONDITION_SLO_MET, Conditions.UNKNOWN, "MetricsUnavailable",
          "no figures to check the objectives against: " + metricsAvailable.getMessage(), generation);
    }
    TrafficReading.SloVerdict v = reading.slo();
    return Conditions.of(CONDITION_SLO_MET, v.status(), v.reason(), v.message(), generation);
  }

  /** Whether the autoscaler spec.autoscaling asks for can exist here; null without autoscaling. */
  static Condition autoscalerReady(ModelDeployment md, TrafficView traffic, long generation) {
    Autoscaling a = md.getSpec().autoscaling;
    if (a == null) {
      return null;
    }
    String name = md.getMetadata().getName();
    if (a.metric == null || a.metric == ScalingMetric.CPU) {
      return Conditions.of(CONDITION_AUTOSCALER_READY, Conditions.TRUE, "HorizontalPodAutoscaler",
          "HorizontalPodAutoscaler " + name + " keeps average CPU utilization near " + (a.target == null ? 70 : a.target)
              + "% of the request", generation);
    }
    if (a.metric == ScalingMetric.EXTERNAL) {
      return Conditions.of(CONDITION_AUTOSCALER_READY, Conditions.TRUE, "External",
          "the Deployment's replicas are left to an autoscaler you manage (for example an HPA named " + name
              + " on prometheus-adapter's metric); the operator creates none", generation);
    }
    String metric = a.metric == ScalingMetric.RPS ? "requests per second" : "requests in flight";
    if (traffic.prometheus() == null) {
      return Conditions.of(CONDITION_AUTOSCALER_READY, Conditions.FALSE, "PrometheusNotConfigured",
          "scaling on " + metric + " needs the operator's Prometheus URL (MODELSHIP_PROMETHEUS_URL, chart value"
              + " prometheus.url); the Deployment keeps its current replicas", generation);
    }
    if (!traffic.kedaInstalled()) {
      return Conditions.of(CONDITION_AUTOSCALER_READY, Conditions.FALSE, "KedaNotInstalled",
          "scaling on " + metric + " needs KEDA, and its CRD scaledobjects.keda.sh is not installed; install KEDA"
              + " (it is picked up within a minute) or use metric cpu. The Deployment keeps its current replicas",
          generation);
    }
    return Conditions.of(CONDITION_AUTOSCALER_READY, Conditions.TRUE, "ScaledObject",
        "KEDA ScaledObject " + name + " keeps " + metric + " per pod near " + a.target + ", between "
            + (a.minReplicas == null ? 1 : a.minReplicas) + " and " + a.maxReplicas + " pods", generation);
  }

  static Condition ready(ModelDeployment md, ArtifactState artifact, Deployment deployment,
      List<Pod> servingPods, long generation) {
    String digest = artifact.servingDigest();
    if (digest == null) {
      return no("ArtifactNotReady", "no artifact to serve yet: " + artifact.message(), generation);
    }
    if (deployment == null) {
      return no("DeploymentPending", "creating Deployment " + md.getMetadata().getName(), generation);
    }
    int desired = md.getSpec().autoscaling == null
        ? InferenceDeploymentBuilder.replicas(md.getSpec())
        : zeroIfNull(deployment.getSpec().getReplicas());
    var ds = deployment.getStatus();
    int available = ds == null ? 0 : zeroIfNull(ds.getAvailableReplicas());
    int updated = ds == null ? 0 : zeroIfNull(ds.getUpdatedReplicas());
    int total = ds == null ? 0 : zeroIfNull(ds.getReplicas());
    String templateDigest = deployment.getSpec().getTemplate().getMetadata().getAnnotations() == null ? null
        : deployment.getSpec().getTemplate().getMetadata().getAnnotations().get(ANNOTATION_ARTIFACT_DIGEST);
    boolean observed = ds != null && ds.getObservedGeneration() != null
        && ds.getObservedGeneration() >= zeroIfNull(deployment.getMetadata().getGeneration());

    Optional<PodProblems.Problem> stuck = PodProblems.first(servingPods, InferenceDeploymentBuilder.CONTAINER,
        InferenceDeploymentBuilder.PULL_CONTAINER);
    if (stuck.isPresent()) {
      return no(stuck.get().reason(), stuck.get().message() + " (" + available + " of " + desired + " pods available)", generation);
    }
    Optional<DeploymentCondition> deadline = ds == null || ds.getConditions() == null ? Optional.empty()
        : ds.getConditions().stream()
            .filter(c -> "Progressing".equals(c.getType()) && "False".equals(c.getStatus())
                && "ProgressDeadlineExceeded".equals(c.getReason()))
            .findFirst();
    if (deadline.isPresent()) {
      return no("ProgressDeadlineExceeded", "the rollout of Deployment " + md.getMetadata().getName()
          + " made no progress: " + deadline.get().getMessage() + "; the previous pods keep serving", generation);
    }
    if (!digest.equals(templateDigest) || !observed || updated < desired || total > updated) {
      return no("RolloutInProgress", "rolling out " + digest + ": " + updated + " of " + desired
          + " pods updated, " + available + " available", generation);
    }
    if (desired == 0) {
      return no("ScaledToZero", "spec.replicas is 0: no pod serves the model", generation);
    }
    if (available < desired) {
      return no("ReplicasUnavailable", available + " of " + desired + " pods available", generation);
    }
    if (!artifact.ready()) {
      return no("ServingPreviousArtifact", available + " of " + desired + " pods serve " + digest
          + ", not the current spec's artifact: " + artifact.message(), generation);
    }
    return Conditions.of(CONDITION_READY, Conditions.TRUE, "MinimumReplicasAvailable",
        available + " of " + desired + " pods available, serving " + digest, generation);
  }

  private static Condition no(String reason, String message, long generation) {
    return Conditions.of(CONDITION_READY, Conditions.FALSE, reason, message, generation);
  }

  private static int zeroIfNull(Integer i) {
    return i == null ? 0 : i;
  }

  private static long zeroIfNull(Long l) {
    return l == null ? 0 : l;
  }

  /** Whether two statuses say the same thing, so an unchanged status is not written. */
  public static boolean same(ModelDeploymentStatus a, ModelDeploymentStatus b) {
    return Objects.equals(Serialization.jsonMapper().valueToTree(a), Serialization.jsonMapper().valueToTree(b));
  }

  /** Whether the statuses differ in their figures alone, a write that can wait. */
  public static boolean onlyMetricsDiffer(ModelDeploymentStatus a, ModelDeploymentStatus b) {
    ModelDeploymentStatus withFiguresOfB = Serialization.jsonMapper().convertValue(a, ModelDeploymentStatus.class);
    withFiguresOfB.metrics = b.metrics;
    return !same(a, b) && same(withFiguresOfB, b);
  }
}
