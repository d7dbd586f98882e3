package dev.modelship.operator;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.javaoperatorsdk.operator.monitoring.micrometer.MicrometerMetrics;
import io.micrometer.core.instrument.MeterRegistry;

/** Builds the JOSDK operator with its one controller; shared by {@link Main} and the integration tests. */
public final class ModelshipOperator {

  public static final String LEASE_NAME = "modelship-operator";

  private ModelshipOperator() {}

  public static Operator create(KubernetesClient client, OperatorConfig config, MeterRegistry registry) {
    Operator operator = new Operator(o -> {
      o.withKubernetesClient(client);
      o.withMetrics(MicrometerMetrics.newPerResourceCollectingMicrometerMetricsBuilder(registry).build());
      o.withStopOnInformerErrorDuringStartup(true);
      // The caller made the client and closes it; stopping the operator must not.
      o.withCloseClientOnStop(false);
      o.withReconciliationTerminationTimeout(config.shutdownGrace());
      if (config.leaderElection()) {
        o.withLeaderElectionConfiguration(config.leaseNamespace() == null
            ? new LeaderElectionConfiguration(LEASE_NAME)
            : new LeaderElectionConfiguration(LEASE_NAME, config.leaseNamespace()));
      }
    });
    operator.register(new ModelDeploymentReconciler(config), c -> {
      if (!config.namespaces().isEmpty()) {
        c.settingNamespaces(config.namespaces());
      }
    });
    return operator;
  }
}
