package dev.modelship.operator.traffic;

import static org.assertj.core.api.Assertions.assertThat;

import dev.modelship.operator.api.v1alpha1.MetricsStatus;
import dev.modelship.operator.api.v1alpha1.Slo;
import dev.modelship.operator.traffic.TrafficQueries.Figures;
import dev.modelship.operator.traffic.TrafficReading.Availability;
import dev.modelship.operator.traffic.TrafficReading.Failed;
import dev.modelship.operator.traffic.TrafficReading.NotScraped;
import dev.modelship.operator.traffic.TrafficReading.Scraped;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class TrafficReadingTest {

  static final Duration WINDOW = Duration.ofMinutes(2);
  static final String T1 = "2026-11-29T10:00:00Z";
  static final String T2 = "2026-11-29T10:00:30Z";

  @Test
  void figuresAreRoundedToTwoSignificantDigits() {
    TrafficReading r = TrafficReading.next(null, new Scraped(new Figures(412.5, 0.00213, 0.0118, 0.0), T1), null, WINDOW);
    assertThat(r.availability()).isEqualTo(Availability.READ);
    assertThat(r.figures().requestsPerSecond).isEqualTo(410.0);
    assertThat(r.figures().latencyP50Seconds).isEqualTo(0.0021);
    assertThat(r.figures().latencyP99Seconds).isEqualTo(0.012);
    assertThat(r.figures().errorRatio).isEqualTo(0.0);
    assertThat(r.figures().observedAt).isEqualTo(T1);
  }

  @Test
  void steadyTrafficWithinFivePercentIsTheSameReadingSoNothingIsWritten() {
    TrafficReading first = TrafficReading.next(null, new Scraped(new Figures(99.6, 0.0021, 0.0124, 0.0), T1), null, WINDOW);
    // 99.6 rounds to 100, 97 to 97 and 0.0126 to 0.013: each would change the figure without the dead band.
    TrafficReading second = TrafficReading.next(first, new Scraped(new Figures(97.0, 0.0021, 0.0126, 0.0), T2), null, WINDOW);
    assertThat(second).isSameAs(first);
    assertThat(second.figures().observedAt).isEqualTo(T1);
  }

  @Test
  void aFigureThatMovesMoreThanFivePercentIsANewReadingWithTheNewTime() {
    TrafficReading first = TrafficReading.next(null, new Scraped(new Figures(100, 0.002, 0.012, 0.0), T1), null, WINDOW);
    TrafficReading second = TrafficReading.next(first, new Scraped(new Figures(120, 0.002, 0.012, 0.0), T2), null, WINDOW);
    assertThat(second.figures().requestsPerSecond).isEqualTo(120.0);
    assertThat(second.figures().latencyP99Seconds).isEqualTo(0.012);
    assertThat(second.figures().observedAt).isEqualTo(T2);
  }

  @Test
  void latenciesAndTheErrorRatioHaveWiderBandsThanTheRate() {
    TrafficReading first = TrafficReading.next(null, new Scraped(new Figures(40, 0.0006, 0.0027, 0.0004), T1), null, WINDOW);
    // p50 +17 %, p99 -22 %, 0.0002 more errors per request: the wobble of a steady load.
    TrafficReading wobble = TrafficReading.next(first, new Scraped(new Figures(40.5, 0.0007, 0.0021, 0.0006), T2), null, WINDOW);
    assertThat(wobble).isSameAs(first);
    // p99 +67 %: a change.
    TrafficReading slower = TrafficReading.next(first, new Scraped(new Figures(40, 0.0006, 0.0045, 0.0004), T2), null, WINDOW);
    assertThat(slower.figures().latencyP99Seconds).isEqualTo(0.0045);
    // Errors appearing where there were none are news, however few.
    TrafficReading clean = TrafficReading.next(null, new Scraped(new Figures(40, 0.0006, 0.0027, 0.0), T1), null, WINDOW);
    assertThat(TrafficReading.next(clean, new Scraped(new Figures(40, 0.0006, 0.0027, 0.0002), T2), null, WINDOW)
        .figures().errorRatio).isEqualTo(0.0002);
  }

  @Test
  void withoutRequestsThereIsARateOfZeroAndNoLatency() {
    TrafficReading r = TrafficReading.next(null, new Scraped(TrafficQueries.Figures.IDLE, T1), null, WINDOW);
    assertThat(r.figures().requestsPerSecond).isEqualTo(0.0);
    assertThat(r.figures().latencyP50Seconds).isNull();
    assertThat(r.figures().latencyP99Seconds).isNull();
    assertThat(r.figures().errorRatio).isNull();
  }

  @Test
  void twoFailedPollsChangeNothingAndTheThirdIsAnOutageThatKeepsTheFigures() {
    TrafficReading read = TrafficReading.next(null, new Scraped(new Figures(50, 0.002, 0.01, 0.0), T1), null, WINDOW);
    assertThat(TrafficReading.next(read, new Failed(Availability.UNREACHABLE, "refused", 1), null, WINDOW)).isSameAs(read);
    assertThat(TrafficReading.next(read, new Failed(Availability.UNREACHABLE, "refused", 2), null, WINDOW)).isSameAs(read);
    TrafficReading down = TrafficReading.next(read, new Failed(Availability.UNREACHABLE, "refused", 3), null, WINDOW);
    assertThat(down.availability()).isEqualTo(Availability.UNREACHABLE);
    assertThat(down.problem()).isEqualTo("refused");
    assertThat(down.figures()).isSameAs(read.figures());
    // Before any figures, two failures leave no reading at all.
    assertThat(TrafficReading.next(null, new Failed(Availability.QUERY_FAILED, "HTTP 500", 2), null, WINDOW)).isNull();
  }

  @Test
  void aNewPodIsNotCalledUnscrapedBeforeThreePolls() {
    assertThat(TrafficReading.next(null, new NotScraped("no series", 2), null, WINDOW)).isNull();
    TrafficReading r = TrafficReading.next(null, new NotScraped("no series", 3), null, WINDOW);
    assertThat(r.availability()).isEqualTo(Availability.NOT_SCRAPED);
    assertThat(r.problem()).isEqualTo("no series");
  }

  @Test
  void anObjectiveIsMissedOnlyAfterTwoViolatingPollsInARow() {
    Slo slo = new Slo();
    slo.latencyP99 = "50ms";
    slo.errorRatio = 0.01;
    // 10 rps over 120 s: 1,200 requests, enough for a verdict. p99 of 40 ms meets 50ms.
    TrafficReading met = TrafficReading.next(null, new Scraped(new Figures(10, 0.01, 0.04, 0.0), T1), slo, WINDOW);
    assertThat(met.slo().status()).isEqualTo("True");
    assertThat(met.slo().reason()).isEqualTo("WithinObjective");

    Scraped slow = new Scraped(new Figures(10, 0.03, 0.08, 0.0), T2);
    TrafficReading once = TrafficReading.next(met, slow, slo, WINDOW);
    assertThat(once.slo().status()).as("one poll is not a verdict").isEqualTo("True");
    assertThat(once.slo().violatingPolls()).isEqualTo(1);
    TrafficReading twice = TrafficReading.next(once, slow, slo, WINDOW);
    assertThat(twice.slo().status()).isEqualTo("False");
    assertThat(twice.slo().reason()).isEqualTo("ObjectiveMissed");
    assertThat(twice.slo().message()).contains("p99 latency 0.08s is over the objective 50ms");
    // A third slow poll says the same: no new write.
    assertThat(TrafficReading.next(twice, slow, slo, WINDOW)).isSameAs(twice);

    TrafficReading errors = TrafficReading.next(twice, new Scraped(new Figures(10, 0.01, 0.04, 0.05), T2), slo, WINDOW);
    assertThat(errors.slo().message()).contains("error ratio 0.05 is over the objective 0.01");
  }

  @Test
  void tooLittleTrafficGivesNoVerdict() {
    Slo slo = new Slo();
    slo.latencyP99 = "1us";
    // 0.5 rps over 120 s: 60 requests, fewer than 100.
    TrafficReading r = TrafficReading.next(null, new Scraped(new Figures(0.5, 0.01, 0.9, 0.0), T1), slo, WINDOW);
    assertThat(r.slo().status()).isEqualTo("Unknown");
    assertThat(r.slo().reason()).isEqualTo("TooLittleTraffic");
    assertThat(r.slo().message()).contains("60 requests in the last 120s");
  }

  @Test
  void objectivesAreReadInTheirUnits() {
    assertThat(TrafficReading.seconds("250us")).isEqualTo(0.00025);
    assertThat(TrafficReading.seconds("50ms")).isEqualTo(0.05);
    assertThat(TrafficReading.seconds("2s")).isEqualTo(2.0);
  }

  @Test
  void readingsWithEqualFiguresAreEqual() {
    MetricsStatus a = TrafficReading.settle(null, new Figures(1, 2, 3, 0), T1);
    MetricsStatus b = TrafficReading.settle(null, new Figures(1, 2, 3, 0), T1);
    assertThat(new TrafficReading(Availability.READ, null, a, null))
        .isEqualTo(new TrafficReading(Availability.READ, null, b, null));
  }
}
