package dev.modelship.operator;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.javaoperatorsdk.operator.monitoring.micrometer.MicrometerMetrics;
import io.micrometer.core.instrument.MeterRegistry;

/** Builds the JOSDK operator with its one controller; shared by {@link Main} and the integration tests. */
public final class ModelshipOperator {

  public static final String LEASE_NAME = "modelship-operator";

  private ModelshipOperator() {}

  /**
   * @param onLostLeadership run when this process stops leading; {@link Main} exits unless it is
   *     already shutting down (JOSDK's own exit-on-stop would call System.exit inside the shutdown
   *     hook, which blocks forever)
   */
  public static Operator create(KubernetesClient client, OperatorConfig config, MeterRegistry registry,
      Runnable onLostLeadership) {
    Operator operator = new Operator(o -> {
      o.withKubernetesClient(client);
      // Per-controller, not per-resource: a label per ModelDeployment would grow without bound.
      o.withMetrics(MicrometerMetrics.withoutPerResourceMetrics(registry));
      o.withStopOnInformerErrorDuringStartup(true);
      // The caller made the client and closes it; stopping the operator must not.
      o.withCloseClientOnStop(false);
      o.withReconciliationTerminationTimeout(config.shutdownGrace());
      if (config.leaderElection()) {
        o.withLeaderElectionConfiguration(new LeaderElectionConfiguration(LEASE_NAME, config.leaseNamespace(),
            LeaderElectionConfiguration.LEASE_DURATION_DEFAULT_VALUE,
            LeaderElectionConfiguration.RENEW_DEADLINE_DEFAULT_VALUE,
            LeaderElectionConfiguration.RETRY_PERIOD_DEFAULT_VALUE,
            null,
            new LeaderCallbacks(() -> {}, onLostLeadership, leader -> {}),
            false));
      }
    });
    operator.register(new ModelDeploymentReconciler(config, registry), c -> {
      if (!config.namespaces().isEmpty()) {
        c.settingNamespaces(config.namespaces());
      }
    });
    return operator;
  }
}
