package dev.modelship.operator.desired;

import static dev.modelship.operator.api.v1alpha1.ModelshipConstants.COMPONENT_ARTIFACT_BUILDER;
import static dev.modelship.operator.api.v1alpha1.ModelshipConstants.LABEL_ARTIFACT_KEY;

import dev.modelship.artifact.BuildEnvironment;
import dev.modelship.artifact.BuildReason;
import dev.modelship.artifact.PassSpec;
import dev.modelship.operator.OperatorConfig;
import dev.modelship.operator.api.v1alpha1.ModelDeployment;
import dev.modelship.operator.api.v1alpha1.ModelDeploymentSpec;
import dev.modelship.operator.api.v1alpha1.ModelSource;
import dev.modelship.operator.api.v1alpha1.OptimizationPass;
import dev.modelship.operator.api.v1alpha1.TransferData;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvFromSourceBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.PodFailurePolicy;
import io.fabric8.kubernetes.api.model.batch.v1.PodFailurePolicyBuilder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The Job that runs the optimizer once per artifact. Its name carries a hash of everything that
 * decides the artifact's bytes, so a change of replicas or serving resources finds the same Job
 * (no rebuild) while a change of model or pipeline names a new one.
 */
public final class ArtifactJobBuilder {

  public static final String CONTAINER = "optimizer";
  public static final String ARTIFACTS_MOUNT = "/artifacts";
  public static final String SOURCE_CLAIMS_MOUNT = "/mnt/pvc";
  public static final String TERMINATION_MESSAGE_PATH = "/dev/termination-log";

  private ArtifactJobBuilder() {}

  /** Name of the Job for the current spec. */
  public static String jobName(ModelDeployment md, OperatorConfig config) {
    return md.getMetadata().getName() + "-artifact-" + buildKey(md.getSpec(), config);
  }

  /**
   * A short hash of the inputs of the build: source, pin, format, credentials, passes with
   * parameters, the distill pass's transfer set, validation, optimizer image and artifact store.
   * Nothing about serving enters it.
   */
  public static String buildKey(ModelDeploymentSpec spec, OperatorConfig config) {
    StringBuilder in = new StringBuilder();
    ModelSource m = spec.model;
    line(in, "uri", m.uri);
    line(in, "sha256", m.sha256);
    line(in, "format", m.format == null ? null : m.format.value());
    line(in, "credentialsSecret", m.credentialsSecret);
    for (String pass : passArguments(spec)) {
      line(in, "pass", pass);
    }
    TransferData data = transferData(spec);
    // Only when set, so that a resource without it keeps the key (and artifact) it had before the field existed.
    if (data != null) {
      line(in, "dataUri", data.uri);
      line(in, "dataSha256", data.sha256);
    }
    line(in, "samples", String.valueOf(samples(spec)));
    line(in, "maxAbsError", maxAbsError(spec) == null ? null : String.valueOf(maxAbsError(spec)));
    // Only when set, so that a resource without it keeps the key it had before the field existed.
    if (minTop1Agreement(spec) != null) {
      line(in, "minTop1Agreement", String.valueOf(minTop1Agreement(spec)));
    }
    line(in, "optimizerImage", config.optimizerImage());
    if (config.artifactStore() instanceof OperatorConfig.Pvc pvc) {
      line(in, "artifactClaim", pvc.claim());
    } else if (config.artifactStore() instanceof OperatorConfig.S3 s3) {
      line(in, "artifactStore", s3.uri());
      line(in, "artifactStoreEndpoint", s3.endpoint());
    }
    try {
      byte[] hash = MessageDigest.getInstance("SHA-256").digest(in.toString().getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(hash).substring(0, 10);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }

  public static Job build(ModelDeployment md, OperatorConfig config) {
    String name = jobName(md, config);
    String key = buildKey(md.getSpec(), config);
    Map<String, String> labels = ModelLabels.of(md, COMPONENT_ARTIFACT_BUILDER);
    labels.put(LABEL_ARTIFACT_KEY, key);

    List<VolumeMount> mounts = new ArrayList<>();
    List<Volume> volumes = new ArrayList<>();
    List<EnvVar> env = new ArrayList<>();
    env.add(new EnvVarBuilder().withName("HOME").withValue("/tmp").build());
    env.add(new EnvVarBuilder().withName(BuildEnvironment.PVC_ROOT).withValue(SOURCE_CLAIMS_MOUNT).build());
    if (config.artifactStore() instanceof OperatorConfig.Pvc pvc) {
      mounts.add(new VolumeMountBuilder().withName("artifacts").withMountPath(ARTIFACTS_MOUNT).build());
      volumes.add(new VolumeBuilder().withName("artifacts")
          .withNewPersistentVolumeClaim().withClaimName(pvc.claim()).endPersistentVolumeClaim()
          .build());
    } else if (config.artifactStore() instanceof OperatorConfig.S3 s3) {
      // Built under /tmp, then uploaded: no artifact volume.
      env.addAll(ArtifactStoreAccess.env(s3));
    }
    mounts.add(new VolumeMountBuilder().withName("tmp").withMountPath("/tmp").build());
    volumes.add(new VolumeBuilder().withName("tmp").withNewEmptyDir().endEmptyDir().build());
    String sourceClaim = sourceClaim(md.getSpec().model.uri);
    if (sourceClaim != null) {
      mountReadOnly("source", sourceClaim, mounts, volumes);
    }
    // The optimizer finds every pvc:// location under SOURCE_CLAIMS_MOUNT/<claim>: a claim holding
    // both the model and the rows is mounted once.
    String dataClaim = dataClaim(md.getSpec());
    if (dataClaim != null && !dataClaim.equals(sourceClaim)) {
      mountReadOnly("data", dataClaim, mounts, volumes);
    }
    List<EnvFromSource> envFrom = new ArrayList<>();
    if (md.getSpec().model.credentialsSecret != null) {
      envFrom.add(new EnvFromSourceBuilder()
          .withNewSecretRef().withName(md.getSpec().model.credentialsSecret).endSecretRef().build());
    }

    return new JobBuilder()
        .withNewMetadata()
          .withName(name)
          .withNamespace(md.getMetadata().getNamespace())
          .withLabels(labels)
        .endMetadata()
        .withNewSpec()
          .withBackoffLimit(config.artifactJobBackoffLimit())
          .withActiveDeadlineSeconds(config.artifactJobDeadline().toSeconds())
          .withPodFailurePolicy(podFailurePolicy())
          .withNewTemplate()
            .withNewMetadata().withLabels(labels).endMetadata()
            .withNewSpec()
              .withRestartPolicy("Never")
              .withAutomountServiceAccountToken(false)
              .withSecurityContext(RestrictedSecurity.pod())
              .addNewContainer()
                .withName(CONTAINER)
                .withImage(config.optimizerImage())
                .withArgs(arguments(md.getSpec(), config))
                .withEnv(env)
                .withEnvFrom(envFrom)
                .withNewResources()
                  .addToRequests("cpu", config.artifactJobResources().cpuRequest())
                  .addToRequests("memory", config.artifactJobResources().memoryRequest())
                  .addToLimits("memory", config.artifactJobResources().memoryLimit())
                .endResources()
                .withTerminationMessagePath(TERMINATION_MESSAGE_PATH)
                // The summary is also the last line on stdout: when the optimizer could not write
                // the file (it failed before reading its flags), the log's tail still carries it.
                .withTerminationMessagePolicy("FallbackToLogsOnError")
                .withSecurityContext(RestrictedSecurity.container())
                .withVolumeMounts(mounts)
              .endContainer()
              .withVolumes(volumes)
            .endSpec()
          .endTemplate()
        .endSpec()
        .build();
  }

  /** The optimizer's command line for this spec. */
  public static List<String> arguments(ModelDeploymentSpec spec, OperatorConfig config) {
    List<String> args = new ArrayList<>();
    args.add("optimize");
    args.add(spec.model.uri);
    args.add("--out");
    args.add(config.artifactStore() instanceof OperatorConfig.S3 s3 ? s3.uri() : ARTIFACTS_MOUNT);
    if (spec.model.format != null) {
      args.add("--format");
      args.add(spec.model.format.value());
    }
    if (spec.model.sha256 != null) {
      args.add("--sha256");
      args.add(spec.model.sha256);
    }
    for (String pass : passArguments(spec)) {
      args.add("--pass");
      args.add(pass);
    }
    TransferData data = transferData(spec);
    if (data != null) {
      args.add("--data");
      args.add(data.uri);
      if (data.sha256 != null) {
        args.add("--data-sha256");
        args.add(data.sha256);
      }
    }
    args.add("--samples");
    args.add(String.valueOf(samples(spec)));
    if (maxAbsError(spec) != null) {
      args.add("--max-abs-error");
      args.add(String.valueOf(maxAbsError(spec)));
    }
    if (minTop1Agreement(spec) != null) {
      args.add("--min-top1-agreement");
      args.add(String.valueOf(minTop1Agreement(spec)));
    }
    args.add("--summary-file");
    args.add(TERMINATION_MESSAGE_PATH);
    return args;
  }

  /**
   * The optimizer's deterministic failures (a bad model, a failed gate, ...) fail the Job at once:
   * a retry would fail the same way. Other exits retry up to the backoff limit, and a pod evicted
   * or preempted by the cluster does not count against it.
   */
  static PodFailurePolicy podFailurePolicy() {
    return new PodFailurePolicyBuilder()
        .addNewRule()
          .withAction("FailJob")
          .withNewOnExitCodes()
            .withContainerName(CONTAINER)
            .withOperator("In")
            .withValues(BuildReason.deterministicFailureExitCodes())
          .endOnExitCodes()
        .endRule()
        .addNewRule()
          .withAction("Ignore")
          .addNewOnPodCondition().withType("DisruptionTarget").withStatus("True").endOnPodCondition()
        .endRule()
        .build();
  }

  /** Each pass as name[:k=v,...], parameters sorted so that their order in YAML does not matter. */
  static List<String> passArguments(ModelDeploymentSpec spec) {
    List<String> out = new ArrayList<>();
    if (spec.optimization == null || spec.optimization.passes == null) {
      return out;
    }
    for (OptimizationPass pass : spec.optimization.passes) {
      out.add(new PassSpec(pass.name.value(), pass.params == null ? Map.of() : pass.params).toString());
    }
    return out;
  }

  static int samples(ModelDeploymentSpec spec) {
    if (spec.optimization == null || spec.optimization.validation == null
        || spec.optimization.validation.samples == null) {
      return 256;
    }
    return spec.optimization.validation.samples;
  }

  static Double minTop1Agreement(ModelDeploymentSpec spec) {
    if (spec.optimization == null || spec.optimization.validation == null) {
      return null;
    }
    return spec.optimization.validation.minTop1Agreement;
  }

  static Double maxAbsError(ModelDeploymentSpec spec) {
    if (spec.optimization == null || spec.optimization.validation == null) {
      return null;
    }
    return spec.optimization.validation.maxAbsError;
  }

  /**
   * A pass parameter the optimizer's name:k=v,k=v syntax cannot carry, described for the user, or
   * null when all are fine. The schema checks keys; values are checked here.
   */
  public static String invalidPassParameter(ModelDeploymentSpec spec) {
    if (spec.optimization == null || spec.optimization.passes == null) {
      return null;
    }
    for (int i = 0; i < spec.optimization.passes.size(); i++) {
      OptimizationPass pass = spec.optimization.passes.get(i);
      if (pass.params == null) {
        continue;
      }
      for (var e : new TreeMap<>(pass.params).entrySet()) {
        if (!PassSpec.representable(e.getValue())) {
          return "spec.optimization.passes[" + i + "].params." + e.getKey()
              + ": the value must be set, must not contain ',' or '=', and must not start or end with a space";
        }
      }
    }
    return null;
  }

  static TransferData transferData(ModelDeploymentSpec spec) {
    return spec.optimization == null ? null : spec.optimization.data;
  }

  /** The claim of a pvc://claim/path transfer set, or null when there is none or it is elsewhere. */
  public static String dataClaim(ModelDeploymentSpec spec) {
    TransferData data = transferData(spec);
    return data == null ? null : sourceClaim(data.uri);
  }

  private static void mountReadOnly(String volume, String claim, List<VolumeMount> mounts, List<Volume> volumes) {
    mounts.add(new VolumeMountBuilder().withName(volume)
        .withMountPath(SOURCE_CLAIMS_MOUNT + "/" + claim).withReadOnly(true).build());
    volumes.add(new VolumeBuilder().withName(volume)
        .withNewPersistentVolumeClaim().withClaimName(claim).withReadOnly(true).endPersistentVolumeClaim()
        .build());
  }

  /** The claim of a pvc://claim/path source, or null for other schemes. */
  public static String sourceClaim(String uri) {
    if (uri == null || !uri.startsWith("pvc://")) {
      return null;
    }
    String rest = uri.substring("pvc://".length());
    int slash = rest.indexOf('/');
    return slash > 0 ? rest.substring(0, slash) : null;
  }

  private static void line(StringBuilder sb, String key, String value) {
    sb.append(key).append('=').append(value == null ? "" : value).append('\n');
  }
}
