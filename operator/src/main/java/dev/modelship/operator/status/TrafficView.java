package dev.modelship.operator.status;

import dev.modelship.operator.OperatorConfig;
import dev.modelship.operator.traffic.TrafficReading;

/**
 * What status needs to know of traffic and autoscaling beyond the owned objects.
 *
 * @param prometheus the operator's Prometheus, null when it has none
 * @param reading the ModelDeployment's last reading, null before the first
 * @param kedaInstalled whether KEDA's ScaledObject CRD is installed (asked only for rps or concurrency scaling)
 */
public record TrafficView(OperatorConfig.Prometheus prometheus, TrafficReading reading, boolean kedaInstalled) {

  /** No Prometheus, no KEDA. */
  public static final TrafficView NONE = new TrafficView(null, null, false);
}
