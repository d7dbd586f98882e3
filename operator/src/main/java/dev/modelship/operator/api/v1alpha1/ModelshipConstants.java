package dev.modelship.operator.api.v1alpha1;

/** Names the API, the labels and the conditions share; the annotations and the builders read them here. */
public final class ModelshipConstants {

  public static final String GROUP = "modelship.dev";
  public static final String VERSION = "v1alpha1";
  public static final String KIND = "ModelDeployment";
  public static final String PLURAL = "modeldeployments";
  public static final String SHORT_NAME = "md";
  public static final String CRD_NAME = PLURAL + "." + GROUP;

  public static final String LABEL_NAME = "app.kubernetes.io/name";
  public static final String LABEL_INSTANCE = "app.kubernetes.io/instance";
  public static final String LABEL_COMPONENT = "app.kubernetes.io/component";
  public static final String LABEL_MANAGED_BY = "app.kubernetes.io/managed-by";
  public static final String LABEL_MODEL_DEPLOYMENT = GROUP + "/model-deployment";
  /** Set on artifact Jobs and their pods: the build key, so a pod is matched to the Job that made it. */
  public static final String LABEL_ARTIFACT_KEY = GROUP + "/artifact-key";

  public static final String APP_NAME = "modelship";
  public static final String MANAGED_BY = "modelship-operator";
  public static final String COMPONENT_ARTIFACT_BUILDER = "artifact-builder";
  public static final String COMPONENT_INFERENCE_SERVER = "inference-server";

  /** On the serving pod template: the digest the pods load, so a new digest rolls out and status can check it. */
  public static final String ANNOTATION_ARTIFACT_DIGEST = GROUP + "/artifact-digest";

  public static final String CONDITION_ARTIFACT_READY = "ArtifactReady";
  public static final String CONDITION_READY = "Ready";
  public static final String CONDITION_METRICS_AVAILABLE = "MetricsAvailable";
  public static final String CONDITION_SLO_MET = "SLOMet";
  public static final String CONDITION_AUTOSCALER_READY = "AutoscalerReady";

  /** Pass names the optimizer knows; the schema rejects any other. */
  public static final String PASS_GRAPH_OPTIMIZE = "graph-optimize";
  public static final String PASS_QUANTIZE_DYNAMIC = "quantize-dynamic";
  public static final String PASS_FLOAT16 = "float16";
  public static final String PASS_PRUNE = "prune";
  public static final String PASS_ORT_FORMAT = "ort-format";
  /** Trains a smaller student on the model's outputs over spec.optimization.data. */
  public static final String PASS_DISTILL = "distill";

  public static final int HTTP_PORT = 8080;
  public static final int GRPC_PORT = 8081;
  /** Service port for scraping; it targets the server's http port, where /metrics lives. */
  public static final int METRICS_SERVICE_PORT = 9090;

  private ModelshipConstants() {}
}
