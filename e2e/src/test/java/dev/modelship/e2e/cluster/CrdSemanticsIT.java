package dev.modelship.e2e.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;

import io.fabric8.kubeapitest.KubeAPIServer;
import io.fabric8.kubeapitest.KubeAPIServerConfigBuilder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Schema semantics that only a real kube-apiserver has, on a fresh API server (kube-api-test,
 * pinned to the version e2e/cluster/build.sh builds; it never downloads while that directory
 * exists, and {@link ControlPlaneBinaries} fails the class before it could when it does not).
 */
@ExtendWith(ControlPlaneBinaries.class) // runs before @BeforeAll: fails the class when a binary is missing
class CrdSemanticsIT {

  private static final String NS = "default";
  private static final ResourceDefinitionContext WIDGETS = new ResourceDefinitionContext.Builder()
      .withGroup("smoke.modelship.dev")
      .withVersion("v1")
      .withKind("Widget")
      .withPlural("widgets")
      .withNamespaced(true)
      .build();

  /** A default, an enum, a CEL rule and the status subresource: what only a real server enforces. */
  private static final String CRD_YAML = """
      apiVersion: apiextensions.k8s.io/v1
      kind: CustomResourceDefinition
      metadata:
        name: widgets.smoke.modelship.dev
      spec:
        group: smoke.modelship.dev
        scope: Namespaced
        names:
          plural: widgets
          singular: widget
          kind: Widget
          listKind: WidgetList
        versions:
          - name: v1
            served: true
            storage: true
            subresources:
              status: {}
            schema:
              openAPIV3Schema:
                type: object
                properties:
                  spec:
                    type: object
                    required: [minReplicas, maxReplicas]
                    x-kubernetes-validations:
                      - rule: "self.minReplicas <= self.maxReplicas"
                        message: "minReplicas must not exceed maxReplicas"
                    properties:
                      mode:
                        type: string
                        enum: [Safe, Fast]
                        default: Safe
                      minReplicas:
                        type: integer
                        minimum: 0
                      maxReplicas:
                        type: integer
                        minimum: 0
                  status:
                    type: object
                    properties:
                      phase:
                        type: string
      """;

  static KubeAPIServer apiServer;
  static KubernetesClient client;

  @BeforeAll
  static void startApiServerAndInstallCrd() throws Exception {
    // Offline: kube-api-test never tries a download this machine cannot make.
    apiServer = new KubeAPIServer(KubeAPIServerConfigBuilder.anAPIServerConfig()
        .withApiServerVersion(ControlPlaneBinaries.KUBERNETES_VERSION)
        .withOfflineMode(true)
        .withUpdateKubeConfig(false)
        .build());
    apiServer.start();
    client = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(apiServer.getKubeConfigYaml())).build();
    assertThat(client.getKubernetesVersion().getGitVersion())
        .as("the API server kube-api-test started is the one build.sh built")
        .isEqualTo("v" + ControlPlaneBinaries.KUBERNETES_VERSION);
    try (InputStream in = new ByteArrayInputStream(CRD_YAML.getBytes(StandardCharsets.UTF_8))) {
      CustomResourceDefinition crd = client.apiextensions().v1().customResourceDefinitions().load(in).item();
      client.resource(crd).create();
    }
    Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> {
      CustomResourceDefinition crd = client.apiextensions().v1().customResourceDefinitions()
          .withName("widgets.smoke.modelship.dev").get();
      return crd.getStatus() != null && crd.getStatus().getConditions().stream()
          .anyMatch(c -> "Established".equals(c.getType()) && "True".equals(c.getStatus()));
    });
    // Established can come a moment before the endpoint serves; wait for a list to work.
    Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
        .ignoreExceptions()
        .until(() -> client.genericKubernetesResources(WIDGETS).inNamespace(NS).list() != null);
  }

  @AfterAll
  static void stop() {
    if (client != null) {
      client.close();
    }
    if (apiServer != null) {
      apiServer.stop();
    }
  }

  private static GenericKubernetesResource widget(String name, Map<String, Object> spec) {
    return new GenericKubernetesResourceBuilder()
        .withApiVersion("smoke.modelship.dev/v1")
        .withKind("Widget")
        .withNewMetadata().withName(name).withNamespace(NS).endMetadata()
        .withAdditionalProperties(Map.of("spec", spec))
        .build();
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> section(GenericKubernetesResource r, String name) {
    return (Map<String, Object>) r.getAdditionalProperties().get(name);
  }

  @Test
  void serverFillsInTheSchemaDefault() {
    GenericKubernetesResource created = client.genericKubernetesResources(WIDGETS).inNamespace(NS)
        .resource(widget("defaulted", Map.of("minReplicas", 1, "maxReplicas", 3))).create();

    assertThat(section(created, "spec")).containsEntry("mode", "Safe");
    GenericKubernetesResource read = client.genericKubernetesResources(WIDGETS).inNamespace(NS)
        .withName("defaulted").get();
    assertThat(section(read, "spec"))
        .containsEntry("mode", "Safe")
        .containsEntry("minReplicas", 1)
        .containsEntry("maxReplicas", 3);
  }

  @Test
  void celRuleRejectsAnInvalidObjectWithItsMessage() {
    var widgets = client.genericKubernetesResources(WIDGETS).inNamespace(NS);
    assertThatThrownBy(() -> widgets.resource(widget("inverted", Map.of("minReplicas", 5, "maxReplicas", 2))).create())
        .isInstanceOfSatisfying(KubernetesClientException.class, e -> {
          assertThat(e.getCode()).isEqualTo(422);
          assertThat(e.getMessage()).contains("minReplicas must not exceed maxReplicas");
        });
    assertThat(widgets.withName("inverted").get()).isNull();
  }

  @Test
  void enumRejectsAValueOutsideIt() {
    var widgets = client.genericKubernetesResources(WIDGETS).inNamespace(NS);
    assertThatThrownBy(() -> widgets
        .resource(widget("turbo", Map.of("mode", "Turbo", "minReplicas", 1, "maxReplicas", 1))).create())
        .isInstanceOfSatisfying(KubernetesClientException.class, e -> {
          assertThat(e.getCode()).isEqualTo(422);
          assertThat(e.getMessage()).contains("spec.mode").contains("Unsupported value: \"Turbo\"");
        });
  }

  @Test
  void specUpdateIgnoresStatusAndStatusUpdateIgnoresSpec() {
    var widgets = client.genericKubernetesResources(WIDGETS).inNamespace(NS);
    GenericKubernetesResource created = widgets.resource(widget("with-status", Map.of("minReplicas", 1, "maxReplicas", 2)))
        .create();
    assertThat(created.getMetadata().getGeneration()).isEqualTo(1L);
    assertThat(created.getAdditionalProperties()).doesNotContainKey("status");

    // Status goes through the /status subresource only; it leaves the generation alone.
    created.getAdditionalProperties().put("status", Map.of("phase", "Ready"));
    GenericKubernetesResource afterStatus = widgets.resource(created).updateStatus();
    assertThat(section(afterStatus, "status")).containsEntry("phase", "Ready");
    assertThat(afterStatus.getMetadata().getGeneration()).isEqualTo(1L);

    // A spec update that also tries to change status: spec changes, status does not.
    afterStatus.getAdditionalProperties().put("spec", Map.of("minReplicas", 2, "maxReplicas", 4, "mode", "Fast"));
    afterStatus.getAdditionalProperties().put("status", Map.of("phase", "Hacked"));
    GenericKubernetesResource afterSpec = widgets.resource(afterStatus).update();
    assertThat(section(afterSpec, "spec")).containsEntry("maxReplicas", 4).containsEntry("mode", "Fast");
    assertThat(section(afterSpec, "status")).containsEntry("phase", "Ready");
    assertThat(afterSpec.getMetadata().getGeneration()).isEqualTo(2L);

    // And a status update that also tries to change spec: status changes, spec does not.
    afterSpec.getAdditionalProperties().put("spec", Map.of("minReplicas", 0, "maxReplicas", 9, "mode", "Safe"));
    afterSpec.getAdditionalProperties().put("status", Map.of("phase", "Degraded"));
    GenericKubernetesResource afterStatus2 = widgets.resource(afterSpec).updateStatus();
    assertThat(section(afterStatus2, "status")).containsEntry("phase", "Degraded");
    assertThat(section(afterStatus2, "spec")).containsEntry("maxReplicas", 4).containsEntry("mode", "Fast");
    assertThat(afterStatus2.getMetadata().getGeneration()).isEqualTo(2L);
  }
}
