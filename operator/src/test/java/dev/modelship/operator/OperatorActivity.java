package dev.modelship.operator;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import org.awaitility.Awaitility;

/**
 * What an operator running in the test JVM has done and is doing, read from its JOSDK metrics.
 * A test that asserts the operator did <em>not</em> do something waits here for the moment after
 * which it would have, instead of sleeping.
 */
public final class OperatorActivity {
  private static final String PREFIX = "operator.sdk.";
  private final MeterRegistry registry;

  public OperatorActivity(MeterRegistry registry) {
    this.registry = registry;
  }

  /** Deleted ModelDeployments whose deletion the operator has finished handling. */
  public double deletionsHandled() {
    return count("events.delete");
  }

  public double reconcilesFinished() {
    return count("reconciliations.success") + count("reconciliations.failed");
  }

  /** No reconcile running and none queued. */
  public boolean idle() {
    String controller = ModelDeploymentReconciler.NAME;
    return nothingCounted("reconciliations.executions." + controller)
        && nothingCounted("reconciliations.queue.size." + controller);
  }

  /** Waits until {@code done} holds and the operator is idle. */
  public void awaitIdleWhen(Duration atMost, BooleanSupplier done) {
    try {
      Awaitility.await().atMost(atMost).pollInterval(Duration.ofMillis(200))
          .until(() -> done.getAsBoolean() && idle());
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      throw new AssertionError("the operator did not settle in " + atMost + ": condition " + done.getAsBoolean()
          + ", deletions handled " + deletionsHandled() + ", " + gauges("reconciliations.executions.")
          + ", " + gauges("reconciliations.queue.size."), e);
    }
  }

  private String gauges(String prefix) {
    String name = prefix + ModelDeploymentReconciler.NAME;
    return name + " " + registry.find(PREFIX + name).gauges().stream()
        .map(g -> g.getId().getTags() + "=" + g.value()).toList();
  }

  private double count(String name) {
    return registry.find(PREFIX + name).counters().stream().mapToDouble(Counter::count).sum();
  }

  /**
   * Zero, or below: JOSDK 5.2.3's EventProcessor counts an execution as finished (in a finally) even
   * when it skipped it because the ModelDeployment had left the cache, deleted meanwhile, so after a
   * deletion these gauges can sit at -1 with nothing running.
   */
  private boolean nothingCounted(String name) {
    return registry.find(PREFIX + name).gauges().stream().allMatch(g -> g.value() <= 0);
  }

}
