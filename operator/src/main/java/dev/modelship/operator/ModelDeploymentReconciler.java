package dev.modelship.operator;

import static dev.modelship.operator.api.v1alpha1.ModelshipConstants.COMPONENT_ARTIFACT_BUILDER;
import static dev.modelship.operator.api.v1alpha1.ModelshipConstants.COMPONENT_INFERENCE_SERVER;
import static dev.modelship.operator.api.v1alpha1.ModelshipConstants.CONDITION_ARTIFACT_READY;
import static dev.modelship.operator.api.v1alpha1.ModelshipConstants.CONDITION_AUTOSCALER_READY;
import static dev.modelship.operator.api.v1alpha1.ModelshipConstants.CONDITION_METRICS_AVAILABLE;
import static dev.modelship.operator.api.v1alpha1.ModelshipConstants.CONDITION_READY;
import static dev.modelship.operator.api.v1alpha1.ModelshipConstants.CONDITION_SLO_MET;
import static dev.modelship.operator.api.v1alpha1.ModelshipConstants.LABEL_COMPONENT;
import static dev.modelship.operator.api.v1alpha1.ModelshipConstants.LABEL_MODEL_DEPLOYMENT;

import dev.modelship.operator.api.v1alpha1.ArtifactStatus;
import dev.modelship.operator.api.v1alpha1.ModelDeployment;
import dev.modelship.operator.api.v1alpha1.ModelDeploymentStatus;
import dev.modelship.operator.api.v1alpha1.ModelshipConstants;
import dev.modelship.operator.api.v1alpha1.ScalingMetric;
import dev.modelship.operator.dependents.ArtifactJobDependent;
import dev.modelship.operator.dependents.AutoscalerDependent;
import dev.modelship.operator.dependents.DisruptionBudgetDependent;
import dev.modelship.operator.dependents.InferenceDeploymentDependent;
import dev.modelship.operator.dependents.InferenceServiceDependent;
import dev.modelship.operator.dependents.ReconcileInputs;
import dev.modelship.operator.dependents.ScaledObjectDependent;
import dev.modelship.operator.dependents.ServiceMonitorDependent;
import dev.modelship.operator.desired.ArtifactJobBuilder;
import dev.modelship.operator.status.ArtifactObserver;
import dev.modelship.operator.status.ArtifactState;
import dev.modelship.operator.status.Conditions;
import dev.modelship.operator.status.PreconditionProblem;
import dev.modelship.operator.status.StatusAggregator;
import dev.modelship.operator.status.TrafficView;
import dev.modelship.operator.traffic.PrometheusClient;
import dev.modelship.operator.traffic.TrafficPoller;
import dev.modelship.operator.traffic.TrafficReading;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ContextInitializer;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.PrimaryUpdateAndCacheUtils;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.Workflow;
import io.javaoperatorsdk.operator.api.reconciler.dependent.Dependent;
import io.javaoperatorsdk.operator.processing.ResourceIDMapper;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.javaoperatorsdk.operator.processing.event.source.polling.PollingConfigurationBuilder;
import io.javaoperatorsdk.operator.processing.event.source.polling.PollingEventSource;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wires the dependents into one workflow and writes the status. All desired state comes from the
 * builders in {@code desired/}; all status from {@link StatusAggregator}.
 */
@Workflow(dependents = {
    @Dependent(name = "artifact-job", type = ArtifactJobDependent.class,
        reconcilePrecondition = ArtifactJobDependent.PrerequisitesPresent.class),
    @Dependent(name = "deployment", type = InferenceDeploymentDependent.class,
        reconcilePrecondition = InferenceDeploymentDependent.ArtifactAvailable.class),
    @Dependent(name = "service", type = InferenceServiceDependent.class),
    @Dependent(name = "autoscaler", type = AutoscalerDependent.class,
        reconcilePrecondition = AutoscalerDependent.AutoscalingRequested.class),
    @Dependent(name = "disruption-budget", type = DisruptionBudgetDependent.class,
        reconcilePrecondition = DisruptionBudgetDependent.MoreThanOneReplica.class),
    @Dependent(name = "scaled-object", type = ScaledObjectDependent.class,
        activationCondition = ScaledObjectDependent.CrdInstalled.class,
        reconcilePrecondition = ScaledObjectDependent.TrafficScalingRequested.class),
    @Dependent(name = "service-monitor", type = ServiceMonitorDependent.class,
        activationCondition = ServiceMonitorDependent.CrdInstalled.class)
})
@ControllerConfiguration(name = ModelDeploymentReconciler.NAME)
public class ModelDeploymentReconciler implements Reconciler<ModelDeployment>, ContextInitializer<ModelDeployment> {

  public static final String NAME = "modeldeployment";
  private static final Logger LOG = LoggerFactory.getLogger(ModelDeploymentReconciler.class);
  /** How often a missing Secret or claim is looked for again; nothing watches those. */
  static final Duration PRECONDITION_RECHECK = Duration.ofSeconds(30);

  /** Metrics-only status changes are written at most this often per ModelDeployment. */
  static final Duration METRICS_WRITE_INTERVAL = Duration.ofMinutes(1);

  private final OperatorConfig config;
  private final MeterRegistry registry;
  /** Asks JOSDK's own CRD look-up (one cache per CRD, shared with the dependent's activation) for status. */
  private final ScaledObjectDependent.CrdInstalled kedaCrd = new ScaledObjectDependent.CrdInstalled();
  private final ScaledObjectDependent scaledObjectType = new ScaledObjectDependent();

  public ModelDeploymentReconciler(OperatorConfig config, MeterRegistry registry) {
    this.config = config;
    this.registry = registry;
  }

  @Override
  public List<EventSource<?, ModelDeployment>> prepareEventSources(EventSourceContext<ModelDeployment> context) {
    // Pods belong to Jobs and ReplicaSets, not to the ModelDeployment, so they map back by label.
    var pods = InformerEventSourceConfiguration.from(Pod.class, ModelDeployment.class)
        .withName("pods")
        .withLabelSelector(ModelshipConstants.LABEL_MANAGED_BY + "=" + ModelshipConstants.MANAGED_BY)
        .withSecondaryToPrimaryMapper(pod -> {
          String owner = pod.getMetadata().getLabels() == null ? null
              : pod.getMetadata().getLabels().get(LABEL_MODEL_DEPLOYMENT);
          return owner == null ? Set.of() : Set.of(new ResourceID(owner, pod.getMetadata().getNamespace()));
        })
        .withNamespacesInheritedFromController()
        .build();
    List<EventSource<?, ModelDeployment>> sources = new ArrayList<>();
    sources.add(new InformerEventSource<>(pods, context));
    if (config.prometheus() != null) {
      // One poll of Prometheus for all ModelDeployments per interval; a ModelDeployment is
      // reconciled when its reading changes.
      var poller = new TrafficPoller(config.prometheus(), new PrometheusClient(config.prometheus()),
          () -> context.getPrimaryCache().list().toList(), Clock.systemUTC(), registry);
      sources.add(new PollingEventSource<>(TrafficReading.class,
          new PollingConfigurationBuilder<TrafficReading, String>(poller, config.prometheus().interval())
              .withName("traffic")
              .withResourceIDMapper(ResourceIDMapper.singleResourceResourceIDMapper())
              .build()));
    }
    return sources;
  }

  @Override
  public void initContext(ModelDeployment md, Context<ModelDeployment> context) {
    String key = ArtifactJobBuilder.buildKey(md.getSpec(), config);
    String jobName = ArtifactJobBuilder.jobName(md, config);
    Job job = context.getSecondaryResources(Job.class).stream()
        .filter(j -> jobName.equals(j.getMetadata().getName()))
        .findFirst().orElse(null);
    ArtifactStatus previous = md.getStatus() == null ? null : md.getStatus().artifact;
    PreconditionProblem problem = null;
    if (job == null && (previous == null || !key.equals(previous.buildKey))) {
      problem = missingPrerequisite(md, context.getClient());
    }
    ArtifactState artifact = ArtifactObserver.observe(key, jobName, job, pods(context, COMPONENT_ARTIFACT_BUILDER),
        previous, problem);
    var autoscaling = md.getSpec().autoscaling;
    boolean kedaInstalled = autoscaling != null
        && (autoscaling.metric == ScalingMetric.RPS || autoscaling.metric == ScalingMetric.CONCURRENCY)
        && kedaCrd.isMet(scaledObjectType, md, context);
    new ReconcileInputs(config, key, jobName, artifact, problem, kedaInstalled).putInto(context);
  }

  @Override
  public UpdateControl<ModelDeployment> reconcile(ModelDeployment md, Context<ModelDeployment> context) {
    ReconcileInputs in = ReconcileInputs.of(context);
    Deployment deployment = context.getSecondaryResource(Deployment.class).orElse(null);
    TrafficReading reading = config.prometheus() == null ? null
        : context.getSecondaryResource(TrafficReading.class).orElse(null);
    Instant now = Instant.now();
    ModelDeploymentStatus next = StatusAggregator.aggregate(md, in.artifact(), deployment,
        pods(context, COMPONENT_INFERENCE_SERVER), new TrafficView(config.prometheus(), reading, in.kedaInstalled()),
        now.truncatedTo(ChronoUnit.SECONDS).toString());

    ModelDeploymentStatus previous = md.getStatus();
    Duration figuresWait = previous == null ? Duration.ZERO : figuresWait(previous, next, now);
    if (!figuresWait.isZero()) {
      // Only the figures changed, and they were written less than a minute ago: write them later.
      return UpdateControl.<ModelDeployment>noUpdate().rescheduleAfter(figuresWait);
    }
    recordTransitions(md, previous, next, context.getClient());

    UpdateControl<ModelDeployment> control;
    if (previous != null && StatusAggregator.same(previous, next)) {
      control = UpdateControl.noUpdate();
    } else {
      Condition ready = Conditions.find(next.conditions, CONDITION_READY);
      LOG.info("{}/{}: status Ready={} ({}), ArtifactReady={}", md.getMetadata().getNamespace(),
          md.getMetadata().getName(), ready.getStatus(), ready.getReason(), in.artifact().reason());
      // Patched here rather than by returning patchStatus: this also puts the patched object in the
      // framework's cache, so a reconcile that starts before the watch delivers it compares with
      // this status, not the one before (otherwise it patched the same status and Event twice).
      ModelDeployment patch = new ModelDeployment();
      patch.setMetadata(new ObjectMetaBuilder().withName(md.getMetadata().getName())
          .withNamespace(md.getMetadata().getNamespace()).build());
      patch.setStatus(next);
      try {
        PrimaryUpdateAndCacheUtils.ssaPatchStatusAndCacheResource(md, patch, context);
      } catch (RuntimeException e) {
        if (!isPrimaryGone(e, md)) {
          throw e;
        }
        // Deleted while this reconcile ran from the informer's copy (a pod event can arrive before
        // the deletion does): there is no status left to write, and nothing to retry.
        LOG.debug("{}/{}: deleted during the reconcile", md.getMetadata().getNamespace(), md.getMetadata().getName());
        return UpdateControl.noUpdate();
      }
      control = UpdateControl.noUpdate();
    }
    if (in.preconditionProblem() != null) {
      control.rescheduleAfter(PRECONDITION_RECHECK);
    }
    return control;
  }

  @Override
  public ErrorStatusUpdateControl<ModelDeployment> updateErrorStatus(ModelDeployment md,
      Context<ModelDeployment> context, Exception e) {
    if (isConflict(e)) {
      // A write raced with another change (often our own status patch not yet in the cache): the
      // retry sees the fresh object, so there is nothing to tell the user.
      LOG.debug("{}/{}: conflict, retrying: {}", md.getMetadata().getNamespace(), md.getMetadata().getName(), e.getMessage());
      return ErrorStatusUpdateControl.defaultErrorProcessing();
    }
    if (isPrimaryGone(e, md)) {
      // The ModelDeployment was deleted while this reconcile ran: nobody to tell, nothing to retry.
      LOG.debug("{}/{}: deleted during the reconcile: {}", md.getMetadata().getNamespace(), md.getMetadata().getName(),
          e.getMessage());
      return ErrorStatusUpdateControl.noStatusUpdate();
    }
    LOG.warn("{}/{}: reconcile failed: {}", md.getMetadata().getNamespace(), md.getMetadata().getName(), e.toString());
    ModelDeploymentStatus status = md.getStatus() == null ? new ModelDeploymentStatus() : md.getStatus();
    long generation = md.getMetadata().getGeneration() == null ? 0 : md.getMetadata().getGeneration();
    String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    Condition failed = Conditions.of(CONDITION_READY, Conditions.FALSE, "ReconcileError",
        "the operator could not apply the owned objects and retries with back-off: " + truncate(message, 600),
        generation);
    Condition current = Conditions.find(status.conditions, CONDITION_READY);
    if (current != null && Objects.equals(current.getReason(), failed.getReason())
        && Objects.equals(current.getMessage(), failed.getMessage())) {
      return ErrorStatusUpdateControl.defaultErrorProcessing();
    }
    status.conditions = Conditions.put(status.conditions, failed, Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
    md.setStatus(status);
    return ErrorStatusUpdateControl.patchStatus(md);
  }

  /**
   * How long a status change must wait: zero, unless it changes the figures alone and the figures
   * shown were read less than {@link #METRICS_WRITE_INTERVAL} ago.
   */
  static Duration figuresWait(ModelDeploymentStatus previous, ModelDeploymentStatus next, Instant now) {
    if (previous.metrics == null || previous.metrics.observedAt == null
        || !StatusAggregator.onlyMetricsDiffer(previous, next)) {
      return Duration.ZERO;
    }
    Duration since = Duration.between(Instant.parse(previous.metrics.observedAt), now);
    return since.compareTo(METRICS_WRITE_INTERVAL) >= 0 ? Duration.ZERO : METRICS_WRITE_INTERVAL.minus(since);
  }

  /** Whether a 409 Conflict from the API server is behind the failure (dependents wrap it). */
  static boolean isConflict(Throwable e) {
    return causedBy(e, k -> k.getCode() == 409);
  }

  /** Whether the failure is the API server's 404 for this very ModelDeployment: it was deleted meanwhile. */
  static boolean isPrimaryGone(Throwable e, ModelDeployment md) {
    return causedBy(e, k -> k.getCode() == 404 && k.getStatus() != null && k.getStatus().getDetails() != null
        && "modeldeployments".equals(k.getStatus().getDetails().getKind())
        && md.getMetadata().getName().equals(k.getStatus().getDetails().getName()));
  }

  /** Whether {@code test} holds for the API server's answer behind {@code e}, through JOSDK's wrappers. */
  private static boolean causedBy(Throwable e, Predicate<KubernetesClientException> test) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof KubernetesClientException k && test.test(k)) {
        return true;
      }
      if (t instanceof io.javaoperatorsdk.operator.AggregatedOperatorException a
          && !a.getAggregatedExceptions().isEmpty()
          && a.getAggregatedExceptions().values().stream().allMatch(x -> causedBy(x, test))) {
        return true;
      }
    }
    return false;
  }

  private static List<Pod> pods(Context<ModelDeployment> context, String component) {
    return context.getSecondaryResources(Pod.class).stream()
        .filter(p -> p.getMetadata().getLabels() != null
            && component.equals(p.getMetadata().getLabels().get(LABEL_COMPONENT)))
        .toList();
  }

  /** Looks up what the artifact Job mounts; reads only, and only before the Job exists. */
  private PreconditionProblem missingPrerequisite(ModelDeployment md, KubernetesClient client) {
    String badParameter = ArtifactJobBuilder.invalidPassParameter(md.getSpec());
    if (badParameter != null) {
      return new PreconditionProblem("InvalidPassParameter", badParameter);
    }
    String ns = md.getMetadata().getNamespace();
    String secret = md.getSpec().model.credentialsSecret;
    if (secret != null && client.secrets().inNamespace(ns).withName(secret).get() == null) {
      return new PreconditionProblem("SecretNotFound", "Secret " + secret + " named in spec.model.credentialsSecret"
          + " does not exist in namespace " + ns + "; create it or remove the field");
    }
    if (config.artifactStore() instanceof OperatorConfig.Pvc pvc
        && client.persistentVolumeClaims().inNamespace(ns).withName(pvc.claim()).get() == null) {
      return new PreconditionProblem("ArtifactStoreNotFound", "PersistentVolumeClaim " + pvc.claim()
          + " (the artifact store) does not exist in namespace " + ns
          + "; create it (ReadWriteMany, so the build Job and every serving pod can mount it)");
    }
    if (config.artifactStore() instanceof OperatorConfig.S3 s3
        && client.secrets().inNamespace(ns).withName(s3.credentialsSecret()).get() == null) {
      return new PreconditionProblem("SecretNotFound", "Secret " + s3.credentialsSecret() + " with the artifact"
          + " store's credentials (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY for " + s3.uri() + ") does not exist in"
          + " namespace " + ns + "; create it there (the operator's MODELSHIP_ARTIFACT_S3_SECRET names it)");
    }
    String claim = ArtifactJobBuilder.sourceClaim(md.getSpec().model.uri);
    if (claim != null && client.persistentVolumeClaims().inNamespace(ns).withName(claim).get() == null) {
      return new PreconditionProblem("SourceClaimNotFound", "PersistentVolumeClaim " + claim
          + " named in spec.model.uri does not exist in namespace " + ns);
    }
    String dataClaim = ArtifactJobBuilder.dataClaim(md.getSpec());
    if (dataClaim != null && !dataClaim.equals(claim)
        && client.persistentVolumeClaims().inNamespace(ns).withName(dataClaim).get() == null) {
      return new PreconditionProblem("SourceClaimNotFound", "PersistentVolumeClaim " + dataClaim
          + " named in spec.optimization.data.uri does not exist in namespace " + ns);
    }
    return null;
  }

  /**
   * Events on transitions only, so users see them in kubectl describe: a Warning when a condition
   * turns to a failure (once per new reason), and a Normal Event when figures become available
   * again or the objectives are met again after a miss.
   */
  private static void recordTransitions(ModelDeployment md, ModelDeploymentStatus previous, ModelDeploymentStatus next,
      KubernetesClient client) {
    for (String type : List.of(CONDITION_ARTIFACT_READY, CONDITION_READY, CONDITION_METRICS_AVAILABLE,
        CONDITION_SLO_MET, CONDITION_AUTOSCALER_READY)) {
      Condition now = Conditions.find(next.conditions, type);
      if (now == null) {
        continue;
      }
      Condition before = previous == null ? null : Conditions.find(previous.conditions, type);
      boolean failure = switch (type) {
        case CONDITION_ARTIFACT_READY -> Conditions.FALSE.equals(now.getStatus()) && !"Building".equals(now.getReason());
        case CONDITION_READY -> StatusAggregator.READY_FAILURES.contains(now.getReason());
        default -> Conditions.FALSE.equals(now.getStatus());
      };
      if (failure && (before == null || !Objects.equals(before.getReason(), now.getReason()))) {
        emit(md, "Warning", now.getReason(), now.getMessage(), client);
      } else if (!CONDITION_ARTIFACT_READY.equals(type) && !CONDITION_READY.equals(type)
          && Conditions.TRUE.equals(now.getStatus()) && before != null && Conditions.FALSE.equals(before.getStatus())) {
        emit(md, "Normal", now.getReason(), now.getMessage(), client);
      }
    }
  }

  private static void emit(ModelDeployment md, String type, String reason, String message, KubernetesClient client) {
    String time = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
    try {
      client.v1().events().inNamespace(md.getMetadata().getNamespace()).resource(new EventBuilder()
          .withNewMetadata().withGenerateName(md.getMetadata().getName() + "-").endMetadata()
          .withNewInvolvedObject()
            .withApiVersion(md.getApiVersion()).withKind(md.getKind())
            .withName(md.getMetadata().getName()).withNamespace(md.getMetadata().getNamespace())
            .withUid(md.getMetadata().getUid())
          .endInvolvedObject()
          .withType(type)
          .withReason(reason)
          .withMessage(truncate(message, 1000))
          .withNewSource().withComponent(ModelshipConstants.MANAGED_BY).endSource()
          .withReportingComponent(ModelshipConstants.MANAGED_BY)
          .withFirstTimestamp(time)
          .withLastTimestamp(time)
          .withCount(1)
          .build()).create();
    } catch (KubernetesClientException e) {
      // An Event is a courtesy; the condition already carries the same facts.
      LOG.warn("{}/{}: could not record Event {}: {}", md.getMetadata().getNamespace(), md.getMetadata().getName(),
          reason, e.getMessage());
    }
  }

  private static String truncate(String s, int max) {
    return s.length() <= max ? s : s.substring(0, max) + "…";
  }
}
