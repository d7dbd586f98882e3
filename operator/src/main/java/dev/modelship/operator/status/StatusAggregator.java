package dev.modelship.operator.status;

import static dev.modelship.operator.api.v1alpha1.ModelshipConstants.ANNOTATION_ARTIFACT_DIGEST;
import static dev.modelship.operator.api.v1alpha1.ModelshipConstants.COMPONENT_INFERENCE_SERVER;
import static dev.modelship.operator.api.v1alpha1.ModelshipConstants.CONDITION_ARTIFACT_READY;
import static dev.modelship.operator.api.v1alpha1.ModelshipConstants.CONDITION_READY;

import dev.modelship.operator.api.v1alpha1.ModelDeployment;
import dev.modelship.operator.api.v1alpha1.ModelDeploymentStatus;
import dev.modelship.operator.desired.InferenceDeploymentBuilder;
import dev.modelship.operator.desired.InferenceServiceBuilder;
import dev.modelship.operator.desired.ModelLabels;
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
   * @param now RFC 3339 time for conditions whose status changes
   */
  public static ModelDeploymentStatus aggregate(ModelDeployment md, ArtifactState artifact,
      Deployment deployment, List<Pod> servingPods, String now) {
    ModelDeploymentStatus previous = md.getStatus() == null ? new ModelDeploymentStatus() : md.getStatus();
    long generation = md.getMetadata().getGeneration() == null ? 0 : md.getMetadata().getGeneration();

    ModelDeploymentStatus s = new ModelDeploymentStatus();
    s.observedGeneration = generation;
    s.url = InferenceServiceBuilder.url(md);
    s.selector = ModelLabels.selectorString(md, COMPONENT_INFERENCE_SERVER);
    s.artifact = artifact.serving();
    s.metrics = previous.metrics;
    s.replicas = deployment == null || deployment.getStatus() == null ? 0 : zeroIfNull(deployment.getStatus().getReplicas());
    s.readyReplicas = deployment == null || deployment.getStatus() == null ? 0
        : zeroIfNull(deployment.getStatus().getAvailableReplicas());

    Condition artifactReady = Conditions.of(CONDITION_ARTIFACT_READY,
        artifact.ready() ? Conditions.TRUE : Conditions.FALSE, artifact.reason(), artifact.message(), generation);
    Condition ready = ready(md, artifact, deployment, servingPods, generation);

    List<Condition> conditions = Conditions.put(previous.conditions, artifactReady, now);
    s.conditions = Conditions.put(conditions, ready, now);
    return s;
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
}
