package dev.modelship.operator.desired;

import static dev.modelship.operator.api.v1alpha1.ModelshipConstants.ANNOTATION_ARTIFACT_DIGEST;
import static dev.modelship.operator.api.v1alpha1.ModelshipConstants.COMPONENT_INFERENCE_SERVER;
import static dev.modelship.operator.api.v1alpha1.ModelshipConstants.GRPC_PORT;
import static dev.modelship.operator.api.v1alpha1.ModelshipConstants.HTTP_PORT;

import dev.modelship.artifact.Digests;
import dev.modelship.operator.OperatorConfig;
import dev.modelship.operator.api.v1alpha1.ModelDeployment;
import dev.modelship.operator.api.v1alpha1.ModelDeploymentSpec;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.ProbeBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The inference-server pods that load one artifact by digest. */
public final class InferenceDeploymentBuilder {

  /** The server's drain (10 s) plus its shutdown timeout (30 s), with a margin. */
  static final long TERMINATION_GRACE_SECONDS = 50;

  public static final String CONTAINER = "inference-server";
  /** The init container that copies the artifact from an S3 store and verifies it. */
  public static final String PULL_CONTAINER = "pull-artifact";
  public static final String ARTIFACTS_MOUNT = "/artifacts";

  private InferenceDeploymentBuilder() {}

  /**
   * @param digest the artifact to serve ({@code sha256:<hex>}); its hex names the directory under
   *     the artifact volume, and it rides on the pod template as an annotation, so a new digest
   *     rolls the pods
   */
  public static Deployment build(ModelDeployment md, String digest, OperatorConfig config) {
    ModelDeploymentSpec spec = md.getSpec();
    Map<String, String> labels = ModelLabels.of(md, COMPONENT_INFERENCE_SERVER);
    String name = md.getMetadata().getName();
    List<Container> initContainers = new ArrayList<>();
    Volume artifacts;
    if (config.artifactStore() instanceof OperatorConfig.S3 s3) {
      // The pod's own copy, made and verified before the server starts; the server only reads it.
      artifacts = new VolumeBuilder().withName("artifacts").withNewEmptyDir().endEmptyDir().build();
      initContainers.add(pullContainer(s3, digest, config));
    } else {
      OperatorConfig.Pvc pvc = (OperatorConfig.Pvc) config.artifactStore();
      artifacts = new VolumeBuilder().withName("artifacts")
          .withNewPersistentVolumeClaim().withClaimName(pvc.claim()).withReadOnly(true).endPersistentVolumeClaim()
          .build();
    }

    return new DeploymentBuilder()
        .withNewMetadata()
          .withName(name)
          .withNamespace(md.getMetadata().getNamespace())
          .withLabels(labels)
        .endMetadata()
        .withNewSpec()
          // With autoscaling the HPA owns the count: leaving the field out keeps the operator from
          // fighting it (server-side apply drops our ownership of it).
          .withReplicas(spec.autoscaling == null ? replicas(spec) : null)
          .withNewSelector().withMatchLabels(ModelLabels.selector(md, COMPONENT_INFERENCE_SERVER)).endSelector()
          .withRevisionHistoryLimit(3)
          .withProgressDeadlineSeconds(600)
          // A new pod must be ready before an old one goes, so a broken artifact or image leaves
          // the old pods serving.
          .withNewStrategy()
            .withType("RollingUpdate")
            .withNewRollingUpdate()
              .withMaxSurge(new IntOrString(1))
              .withMaxUnavailable(new IntOrString(0))
            .endRollingUpdate()
          .endStrategy()
          .withNewTemplate()
            .withNewMetadata()
              .withLabels(labels)
              .addToAnnotations(ANNOTATION_ARTIFACT_DIGEST, digest)
            .endMetadata()
            .withNewSpec()
              // The server drains for 10 s after SIGTERM, then finishes in-flight requests for up
              // to 30 s (its quarkus.shutdown settings): leave it that long before SIGKILL.
              .withTerminationGracePeriodSeconds(TERMINATION_GRACE_SECONDS)
              .withAutomountServiceAccountToken(false)
              .withSecurityContext(RestrictedSecurity.pod())
              .withInitContainers(initContainers)
              .addNewContainer()
                .withName(CONTAINER)
                .withImage(config.inferenceServerImage())
                .addNewPort().withName("http").withContainerPort(HTTP_PORT).withProtocol("TCP").endPort()
                .addNewPort().withName("grpc").withContainerPort(GRPC_PORT).withProtocol("TCP").endPort()
                .withEnv(env(md, digest, config))
                .withResources(resources(spec))
                .withStartupProbe(probe("/v2/health/ready", 2, 90))
                .withLivenessProbe(probe("/v2/health/live", 10, 3))
                .withReadinessProbe(probe("/v2/health/ready", 5, 2))
                .withSecurityContext(RestrictedSecurity.container())
                .addNewVolumeMount().withName("artifacts").withMountPath(ARTIFACTS_MOUNT).withReadOnly(true).endVolumeMount()
                .addNewVolumeMount().withName("tmp").withMountPath("/tmp").endVolumeMount()
              .endContainer()
              .addToVolumes(artifacts)
              .addNewVolume().withName("tmp").withNewEmptyDir().endEmptyDir().endVolume()
            .endSpec()
          .endTemplate()
        .endSpec()
        .build();
  }

  /**
   * Runs the optimizer's {@code pull} into the pod's artifact volume: it writes the directory only
   * once the model's sha256 and size match the manifest, so the server never sees a partial or
   * altered artifact. Restricted exactly like the server container.
   */
  static Container pullContainer(OperatorConfig.S3 store, String digest, OperatorConfig config) {
    return new ContainerBuilder()
        .withName(PULL_CONTAINER)
        .withImage(config.optimizerImage())
        .withArgs("pull", store.uri() + "/" + Digests.hex(digest), modelPath(digest))
        .addNewEnv().withName("HOME").withValue("/tmp").endEnv()
        .addAllToEnv(ArtifactStoreAccess.env(store))
        .withNewResources()
          .addToRequests("cpu", new Quantity("100m"))
          .addToRequests("memory", new Quantity("256Mi"))
          .addToLimits("memory", new Quantity("512Mi"))
        .endResources()
        // The pull's last line says why it failed; it becomes the container's termination message.
        .withTerminationMessagePolicy("FallbackToLogsOnError")
        .withSecurityContext(RestrictedSecurity.container())
        .addNewVolumeMount().withName("artifacts").withMountPath(ARTIFACTS_MOUNT).endVolumeMount()
        .addNewVolumeMount().withName("tmp").withMountPath("/tmp").endVolumeMount()
        .build();
  }

  /** Where the server finds the artifact: the directory the optimizer names after the digest's hex. */
  static String modelPath(String digest) {
    return ARTIFACTS_MOUNT + "/" + Digests.hex(digest);
  }

  /** Pods wanted when no autoscaler decides. */
  public static int replicas(ModelDeploymentSpec spec) {
    return spec.replicas == null ? 1 : spec.replicas;
  }

  static List<EnvVar> env(ModelDeployment md, String digest, OperatorConfig config) {
    ModelDeploymentSpec spec = md.getSpec();
    List<EnvVar> env = new ArrayList<>();
    env.add(var("MODELSHIP_MODEL_PATH", modelPath(digest)));
    env.add(var("MODELSHIP_MODEL_NAME", md.getMetadata().getName()));
    // The operator's own log format: one setting for every process a log aggregator reads.
    env.add(var("MODELSHIP_LOG_FORMAT", config.logFormat()));
    int maxBatch = 32;
    String maxDelay = "0ms";
    if (spec.serving != null && spec.serving.batching != null) {
      if (spec.serving.batching.maxBatchSize != null) {
        maxBatch = spec.serving.batching.maxBatchSize;
      }
      if (spec.serving.batching.maxQueueDelay != null) {
        maxDelay = spec.serving.batching.maxQueueDelay;
      }
    }
    env.add(var("MODELSHIP_BATCHING_MAX_BATCH_SIZE", String.valueOf(maxBatch)));
    // The server reads a java.time.Duration; ISO-8601 is the one form that carries microseconds.
    env.add(var("MODELSHIP_BATCHING_MAX_QUEUE_DELAY", Duration.ofNanos(micros(maxDelay) * 1_000L).toString()));
    if (spec.serving != null && spec.serving.intraOpThreads != null) {
      env.add(var("MODELSHIP_RUNTIME_INTRA_OP_THREADS", String.valueOf(spec.serving.intraOpThreads)));
    }
    return env;
  }

  /** Converts the schema's duration form (an integer with unit us, ms or s) to microseconds. */
  static long micros(String duration) {
    if (duration.endsWith("us")) {
      return Long.parseLong(duration.substring(0, duration.length() - 2));
    }
    if (duration.endsWith("ms")) {
      return Long.parseLong(duration.substring(0, duration.length() - 2)) * 1_000L;
    }
    if (duration.endsWith("s")) {
      return Long.parseLong(duration.substring(0, duration.length() - 1)) * 1_000_000L;
    }
    throw new IllegalArgumentException("not a duration with unit us, ms or s: " + duration);
  }

  static ResourceRequirements resources(ModelDeploymentSpec spec) {
    if (spec.serving != null && spec.serving.resources != null) {
      return spec.serving.resources;
    }
    return new ResourceRequirementsBuilder()
        .addToRequests("cpu", new Quantity("500m"))
        .addToRequests("memory", new Quantity("512Mi"))
        .addToLimits("memory", new Quantity("1Gi"))
        .build();
  }

  private static Probe probe(String path, int periodSeconds, int failureThreshold) {
    return new ProbeBuilder()
        .withNewHttpGet().withPath(path).withPort(new IntOrString("http")).endHttpGet()
        .withPeriodSeconds(periodSeconds)
        .withFailureThreshold(failureThreshold)
        .withTimeoutSeconds(2)
        .build();
  }

  private static EnvVar var(String name, String value) {
    return new EnvVarBuilder().withName(name).withValue(value).build();
  }
}
