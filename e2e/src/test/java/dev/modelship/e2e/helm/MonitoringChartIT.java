package dev.modelship.e2e.helm;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.modelship.e2e.cluster.ControlPlaneBinaries;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The chart's monitoring objects as `helm template` renders them: the PrometheusRule carries
 * exactly files/monitoring/rules.yaml and exists only where the Prometheus Operator's CRD does
 * (Helm's .Capabilities, given here with --api-versions as a cluster's discovery would give it);
 * the rules ConfigMap holds the file byte for byte; the dashboard ConfigMap holds dashboard.json
 * with Grafana's sidecar label; each can be switched off, and the schema refuses unknown keys.
 */
class MonitoringChartIT {

  static final String RELEASE = "modelship";
  static final String NAMESPACE = "modelship-system";
  static final String CRD = "monitoring.coreos.com/v1/PrometheusRule";
  static final YAMLMapper YAML = new YAMLMapper();
  static Path chart;
  static Path helmHome;

  @BeforeAll
  static void locate() throws IOException {
    chart = HelmChartIT.repository().resolve("helm/modelship");
    helmHome = Files.createTempDirectory("modelship-helm-home-");
  }

  @AfterAll
  static void cleanUp() throws IOException {
    try (var paths = Files.walk(helmHome)) {
      for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  @Test
  void withThePrometheusOperatorTheRulesComeAsAPrometheusRuleEqualToRulesYaml() throws Exception {
    List<JsonNode> objects = template("--api-versions", CRD);
    JsonNode rule = only(objects, "PrometheusRule", RELEASE + "-rules");
    assertThat(rule.path("apiVersion").asText()).isEqualTo("monitoring.coreos.com/v1");
    assertThat(rule.path("metadata").path("namespace").asText()).isEqualTo(NAMESPACE);
    JsonNode file = YAML.readTree(chart.resolve("files/monitoring/rules.yaml").toFile());
    assertThat(rule.path("spec")).isEqualTo(file);
    assertThat(rule.path("spec").path("groups")).hasSize(2);
  }

  @Test
  void withoutTheCrdThereIsNoPrometheusRule() throws Exception {
    List<JsonNode> objects = template();
    assertThat(objects).noneMatch(o -> "PrometheusRule".equals(o.path("kind").asText()));
    // ... but the rules ConfigMap and the dashboard are there.
    only(objects, "ConfigMap", RELEASE + "-rules");
    only(objects, "ConfigMap", RELEASE + "-dashboard");
  }

  @Test
  void thePrometheusRuleCanBeSwitchedOffAndLabelledForARuleSelector() throws Exception {
    assertThat(template("--api-versions", CRD, "--set", "monitoring.prometheusRule.enabled=false"))
        .noneMatch(o -> "PrometheusRule".equals(o.path("kind").asText()));
    JsonNode rule = only(template("--api-versions", CRD, "--set", "monitoring.prometheusRule.labels.release=kube-prometheus-stack"),
        "PrometheusRule", RELEASE + "-rules");
    assertThat(rule.path("metadata").path("labels").path("release").asText()).isEqualTo("kube-prometheus-stack");
  }

  @Test
  void theRulesConfigMapHoldsRulesYamlByteForByte() throws Exception {
    JsonNode cm = only(template(), "ConfigMap", RELEASE + "-rules");
    assertThat(cm.path("data").path("modelship.rules.yaml").asText())
        .isEqualTo(Files.readString(chart.resolve("files/monitoring/rules.yaml")).stripTrailing());
    assertThat(template("--set", "monitoring.rulesConfigMap.enabled=false"))
        .noneMatch(o -> "ConfigMap".equals(o.path("kind").asText()) && (RELEASE + "-rules").equals(o.path("metadata").path("name").asText()));
  }

  @Test
  void theDashboardConfigMapCarriesTheSidecarLabelAndTheDashboard() throws Exception {
    JsonNode cm = only(template(), "ConfigMap", RELEASE + "-dashboard");
    assertThat(cm.path("metadata").path("labels").path("grafana_dashboard").asText()).isEqualTo("1");
    assertThat(cm.path("metadata").path("namespace").asText()).isEqualTo(NAMESPACE);
    JsonNode dashboard = new ObjectMapper().readTree(cm.path("data").path("modelship-serving.json").asText());
    assertThat(dashboard).isEqualTo(new ObjectMapper().readTree(chart.resolve("files/monitoring/dashboard.json").toFile()));
    assertThat(dashboard.path("schemaVersion").asInt()).isGreaterThanOrEqualTo(39);

    JsonNode custom = only(template("--set", "monitoring.dashboard.label=my_dashboards", "--set",
        "monitoring.dashboard.labelValue=yes", "--set", "monitoring.dashboard.namespace=grafana"), "ConfigMap", RELEASE + "-dashboard");
    assertThat(custom.path("metadata").path("labels").path("my_dashboards").asText()).isEqualTo("yes");
    assertThat(custom.path("metadata").path("labels").has("grafana_dashboard")).isFalse();
    assertThat(custom.path("metadata").path("namespace").asText()).isEqualTo("grafana");
    assertThat(template("--set", "monitoring.dashboard.enabled=false"))
        .noneMatch(o -> (RELEASE + "-dashboard").equals(o.path("metadata").path("name").asText()));
  }

  @Test
  void theSchemaRefusesAnUnknownMonitoringKey() throws Exception {
    HelmChartIT.Result r = helm("template", RELEASE, chart.toString(), "--namespace", NAMESPACE,
        "--set", "monitoring.prometheusRules.enabled=true");
    assertThat(r.exitCode()).as("helm template with a misspelt key:\n%s", r.output()).isNotZero();
    assertThat(r.output()).contains("prometheusRules");
  }

  // ---------------------------------------------------------------------------------------------

  static List<JsonNode> template(String... extra) throws Exception {
    List<String> args = new ArrayList<>(List.of("template", RELEASE, chart.toString(), "--namespace", NAMESPACE));
    args.addAll(List.of(extra));
    HelmChartIT.Result r = helm(args.toArray(String[]::new));
    assertThat(r.exitCode()).as("helm %s:\n%s", String.join(" ", args), r.output()).isZero();
    List<JsonNode> objects = new ArrayList<>();
    try (var parser = YAML.getFactory().createParser(r.output())) {
      for (var it = YAML.readValues(parser, JsonNode.class); it.hasNext(); ) {
        JsonNode doc = it.next();
        if (doc != null && doc.has("kind")) {
          objects.add(doc);
        }
      }
    }
    return objects;
  }

  static JsonNode only(List<JsonNode> objects, String kind, String name) {
    List<JsonNode> found = objects.stream().filter(o -> kind.equals(o.path("kind").asText())
        && name.equals(o.path("metadata").path("name").asText())).toList();
    assertThat(found).as("%s %s among the rendered objects", kind, name).hasSize(1);
    return found.get(0);
  }

  /** helm without a cluster: template renders offline. Its cache and config in a temporary folder. */
  static HelmChartIT.Result helm(String... args) throws Exception {
    Path helm = ControlPlaneBinaries.directory().resolve("helm");
    if (!Files.isExecutable(helm)) {
      throw new AssertionError(helm + " is missing: run `bash e2e/cluster/build-helm.sh` (scripts/setup.sh does)");
    }
    List<String> cmd = new ArrayList<>(List.of(helm.toString()));
    cmd.addAll(List.of(args));
    Path out = Files.createTempFile(helmHome, "helm-", ".out");
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile());
    pb.environment().put("HELM_CACHE_HOME", helmHome.resolve("cache").toString());
    pb.environment().put("HELM_CONFIG_HOME", helmHome.resolve("config").toString());
    pb.environment().put("HELM_DATA_HOME", helmHome.resolve("data").toString());
    Process p = pb.start();
    if (!p.waitFor(2, TimeUnit.MINUTES)) {
      p.destroyForcibly().waitFor();
      throw new AssertionError("helm " + String.join(" ", args) + " did not finish in 2 minutes");
    }
    return new HelmChartIT.Result(p.exitValue(), Files.readString(out));
  }
}
