package dev.modelship.operator.traffic;

import dev.modelship.operator.api.v1alpha1.MetricsStatus;
import dev.modelship.operator.api.v1alpha1.Slo;
import dev.modelship.operator.traffic.TrafficQueries.Figures;
import java.math.BigDecimal;
import java.math.MathContext;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What the operator knows of one ModelDeployment's traffic after a poll: the secondary resource
 * of the polling event source. It is built so that it changes only when the status would: figures
 * are rounded and kept while they hold, and the poll's time enters only with a change. The
 * framework reconciles a ModelDeployment when its reading changes, so steady traffic costs nothing.
 *
 * @param availability whether figures are being read, and if not, why
 * @param problem what went wrong, for the condition's message; null when figures are read
 * @param figures the last figures read; they stay during an outage. Null before the first
 * @param slo the verdict on spec.slo; null without objectives
 */
public record TrafficReading(Availability availability, String problem, MetricsStatus figures, SloVerdict slo) {

  /**
   * Polls in a row without an answer, or without the model's series, before MetricsAvailable turns
   * False: one lost poll is not an outage, and a new pod is scraped only after a scrape interval.
   */
  public static final int FAILED_POLLS_BEFORE_UNAVAILABLE = 3;
  /** Polls in a row that miss an objective before SLOMet turns False. */
  public static final int VIOLATING_POLLS_BEFORE_MISSED = 2;
  /** Fewer requests in the window give no verdict: a p99 of a few requests says little. */
  public static final int MIN_REQUESTS_FOR_VERDICT = 100;
  /**
   * A figure moves in status only beyond a relative change: 5 % for the request rate, which is
   * steady under steady load (±0.05 % measured); 50 % for latency quantiles, whose tail wobbles by
   * ±25 % at a steady load (a p99 over 2 minutes at a steady 40 requests/s, read every 30 s on a
   * shared 2-core machine: 5.2, 6.6, 4.5 ms); 25 % for the error ratio, with an absolute change of
   * 0.001 too, so that 0.0004 and 0.0006 errors per request are the same figure. The status is a
   * glance: SLOMet decides on the figures as read, and dashboards show every wobble.
   */
  static final double RATE_BAND = 0.05;
  static final double LATENCY_BAND = 0.5;
  static final double RATIO_BAND = 0.25;
  static final double RATIO_FLOOR = 0.001;

  public enum Availability { READ, NOT_SCRAPED, UNREACHABLE, QUERY_FAILED }

  /** SLOMet's status (True, False, Unknown), reason and message, and the violating polls in a row behind it. */
  public record SloVerdict(String status, String reason, String message, int violatingPolls) {}

  /** What one poll gave for one model: an answer for it, or why the poll failed. */
  public sealed interface PollResult permits Scraped, NotScraped, Failed {}

  public record Scraped(Figures figures, String observedAt) implements PollResult {}

  /** @param inARow polls in a row that found no series of the model, this one included */
  public record NotScraped(String message, int inARow) implements PollResult {}

  /** @param failedInARow polls in a row without an answer, this one included */
  public record Failed(Availability availability, String message, int failedInARow) implements PollResult {}

  /**
   * The reading after a poll. Pure.
   *
   * @param previous the reading before, or null
   * @param slo the ModelDeployment's objectives, or null
   * @param window the range figures are computed over, for the amount of evidence
   * @return the new reading, {@code previous} itself when nothing the status shows changed
   *     (null when there is no reading yet)
   */
  public static TrafficReading next(TrafficReading previous, PollResult poll, Slo slo, Duration window) {
    MetricsStatus figures = previous == null ? null : previous.figures;
    TrafficReading next;
    if (poll instanceof Failed failed) {
      if (failed.failedInARow() < FAILED_POLLS_BEFORE_UNAVAILABLE) {
        return previous;
      }
      next = new TrafficReading(failed.availability(), failed.message(), figures,
          slo == null ? null : unknown("MetricsUnavailable", "no figures to check the objectives against: "
              + failed.message()));
    } else if (poll instanceof NotScraped notScraped) {
      if (notScraped.inARow() < FAILED_POLLS_BEFORE_UNAVAILABLE) {
        // A pod that just became ready has not been scraped yet: the first scrape takes an interval.
        return previous;
      }
      next = new TrafficReading(Availability.NOT_SCRAPED, notScraped.message(), figures,
          slo == null ? null : unknown("MetricsUnavailable", "no figures to check the objectives against: "
              + notScraped.message()));
    } else {
      Scraped scraped = (Scraped) poll;
      MetricsStatus settled = settle(figures, scraped.figures(), scraped.observedAt());
      next = new TrafficReading(Availability.READ, null, settled,
          verdict(previous == null ? null : previous.slo, slo, scraped.figures(), settled, window));
    }
    return next.equals(previous) ? previous : next;
  }

  /**
   * The figures to show: each rounded to two significant digits, the previous value kept while the
   * new one is within its band of it, and the previous object itself (its observedAt
   * included) when no figure moved.
   */
  static MetricsStatus settle(MetricsStatus previous, Figures raw, String observedAt) {
    MetricsStatus m = new MetricsStatus();
    m.requestsPerSecond = hold(previous == null ? null : previous.requestsPerSecond, raw.requestsPerSecond(),
        RATE_BAND, 0);
    m.latencyP50Seconds = hold(previous == null ? null : previous.latencyP50Seconds, raw.latencyP50Seconds(),
        LATENCY_BAND, 0);
    m.latencyP99Seconds = hold(previous == null ? null : previous.latencyP99Seconds, raw.latencyP99Seconds(),
        LATENCY_BAND, 0);
    m.errorRatio = hold(previous == null ? null : previous.errorRatio, raw.errorRatio(), RATIO_BAND, RATIO_FLOOR);
    if (previous != null && Objects.equals(previous.requestsPerSecond, m.requestsPerSecond)
        && Objects.equals(previous.latencyP50Seconds, m.latencyP50Seconds)
        && Objects.equals(previous.latencyP99Seconds, m.latencyP99Seconds)
        && Objects.equals(previous.errorRatio, m.errorRatio)) {
      return previous;
    }
    m.observedAt = observedAt;
    return m;
  }

  private static Double hold(Double shown, double raw, double band, double floor) {
    if (!Double.isFinite(raw)) {
      // No requests: no latency or ratio. +Inf (beyond the last bucket) has no JSON number either.
      return null;
    }
    if (shown != null && Math.abs(raw - shown) <= Math.max(band * Math.abs(shown), floor)
        && (shown == 0) == (raw == 0)) {
      return shown;
    }
    return round(raw);
  }

  /** Two significant digits. */
  static double round(double v) {
    return v == 0 ? 0 : new BigDecimal(v).round(new MathContext(2)).doubleValue();
  }

  /**
   * @param raw the figures the verdict is decided on
   * @param shown the same figures as status shows them, for the message: a message that followed
   *     every wobble of the raw figures would be a status write at every poll
   */
  static SloVerdict verdict(SloVerdict previous, Slo slo, Figures raw, MetricsStatus shown, Duration window) {
    if (slo == null || (slo.latencyP99 == null && slo.errorRatio == null)) {
      return null;
    }
    double requests = raw.requestsIn(window);
    if (requests < MIN_REQUESTS_FOR_VERDICT) {
      return unknown("TooLittleTraffic", String.format(java.util.Locale.ROOT,
          "%.0f requests in the last %ds, fewer than the %d a verdict needs", requests, window.toSeconds(),
          MIN_REQUESTS_FOR_VERDICT));
    }
    List<String> missed = new ArrayList<>();
    List<String> met = new ArrayList<>();
    if (slo.latencyP99 != null) {
      double objective = seconds(slo.latencyP99);
      if (!(raw.latencyP99Seconds() <= objective)) {
        missed.add("p99 latency " + shownOr(shown.latencyP99Seconds, "over 10") + "s is over the objective "
            + slo.latencyP99);
      } else {
        met.add("p99 latency within " + slo.latencyP99);
      }
    }
    if (slo.errorRatio != null) {
      double ratio = Double.isNaN(raw.errorRatio()) ? 0 : raw.errorRatio();
      if (ratio > slo.errorRatio) {
        missed.add("error ratio " + shownOr(shown.errorRatio, "?") + " is over the objective " + slo.errorRatio);
      } else {
        met.add("error ratio within " + slo.errorRatio);
      }
    }
    if (missed.isEmpty()) {
      return new SloVerdict("True", "WithinObjective", String.join("; ", met) + " over the last "
          + window.toSeconds() + "s", 0);
    }
    int inARow = Math.min(VIOLATING_POLLS_BEFORE_MISSED, previous == null ? 1 : previous.violatingPolls() + 1);
    if (inARow < VIOLATING_POLLS_BEFORE_MISSED) {
      // One poll over the objective is not yet a verdict: keep what was said, count the poll.
      return previous == null ? new SloVerdict("Unknown", "Evaluating", "checking the objectives", inARow)
          : new SloVerdict(previous.status(), previous.reason(), previous.message(), inARow);
    }
    return new SloVerdict("False", "ObjectiveMissed", String.join("; ", missed) + " over the last "
        + window.toSeconds() + "s, " + VIOLATING_POLLS_BEFORE_MISSED + " polls in a row", inARow);
  }

  private static SloVerdict unknown(String reason, String message) {
    return new SloVerdict("Unknown", reason, message, 0);
  }

  /** An objective such as 50ms, 250us or 2s in seconds; the schema admits only these forms. */
  static double seconds(String objective) {
    if (objective.endsWith("us")) {
      return Long.parseLong(objective.substring(0, objective.length() - 2)) / 1e6;
    }
    if (objective.endsWith("ms")) {
      return Long.parseLong(objective.substring(0, objective.length() - 2)) / 1e3;
    }
    return Long.parseLong(objective.substring(0, objective.length() - 1));
  }

  private static String shownOr(Double v, String otherwise) {
    return v == null ? otherwise : BigDecimal.valueOf(v).stripTrailingZeros().toPlainString();
  }
}
