package dev.modelship.operator.traffic;

import dev.modelship.operator.OperatorConfig;
import dev.modelship.operator.api.v1alpha1.ModelDeployment;
import dev.modelship.operator.traffic.PrometheusClient.QueryException;
import dev.modelship.operator.traffic.TrafficQueries.Answer;
import dev.modelship.operator.traffic.TrafficQueries.ModelKey;
import dev.modelship.operator.traffic.TrafficReading.Availability;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.polling.PollingEventSource;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One poll per interval for every ModelDeployment at once: runs {@link TrafficQueries}, and turns
 * the answer into each ModelDeployment's {@link TrafficReading}. The framework's polling event
 * source calls it and reconciles a ModelDeployment when its reading changed. It never throws: a
 * failed poll is a reading too, and an event source that throws would make the operator's health
 * check fail (and its pod restart) because Prometheus is down.
 */
public final class TrafficPoller implements PollingEventSource.GenericResourceFetcher<TrafficReading> {

  private static final Logger LOG = LoggerFactory.getLogger(TrafficPoller.class);

  private final OperatorConfig.Prometheus settings;
  private final PrometheusClient client;
  private final Supplier<Collection<ModelDeployment>> deployments;
  private final Clock clock;
  private final List<String> queries;
  private final Timer pollDuration;
  private final Counter queriesSent;
  private final Counter pollsFailed;
  private Map<ResourceID, TrafficReading> readings = Map.of();
  private Map<ResourceID, Integer> notScrapedInARow = Map.of();
  private int failedInARow;

  /** @param deployments the ModelDeployments in the framework's cache, at the time of each poll */
  public TrafficPoller(OperatorConfig.Prometheus settings, PrometheusClient client,
      Supplier<Collection<ModelDeployment>> deployments, Clock clock, MeterRegistry registry) {
    this.settings = settings;
    this.client = client;
    this.deployments = deployments;
    this.clock = clock;
    this.queries = TrafficQueries.queries(settings.window());
    this.pollDuration = Timer.builder("modelship.operator.prometheus.poll.duration")
        .description("Time of one poll of Prometheus for every ModelDeployment's traffic")
        .register(registry);
    this.queriesSent = Counter.builder("modelship.operator.prometheus.queries")
        .description("Instant queries sent to Prometheus").register(registry);
    this.pollsFailed = Counter.builder("modelship.operator.prometheus.polls.failed")
        .description("Polls of Prometheus without an answer").register(registry);
  }

  @Override
  public synchronized Map<ResourceID, Set<TrafficReading>> fetchResources() {
    long start = System.nanoTime();
    Answer answer = null;
    QueryException failure = null;
    try {
      queriesSent.increment(queries.size());
      answer = TrafficQueries.combine(client.query(queries));
      failedInARow = 0;
    } catch (QueryException e) {
      failure = e;
    } catch (RuntimeException e) {
      failure = new QueryException(PrometheusClient.Failure.QUERY_FAILED, "reading the answer failed: " + e);
    }
    if (failure != null) {
      failedInARow++;
      pollsFailed.increment();
      LOG.warn("polling Prometheus failed ({} in a row): {}", failedInARow, failure.getMessage());
    }
    String now = Instant.now(clock).truncatedTo(ChronoUnit.SECONDS).toString();
    Map<ResourceID, TrafficReading> next = new HashMap<>();
    Map<ResourceID, Integer> notScraped = new HashMap<>();
    Map<ResourceID, Set<TrafficReading>> out = new HashMap<>();
    Collection<ModelDeployment> all;
    try {
      all = deployments.get();
    } catch (RuntimeException e) {
      // The framework's cache is not started yet (the first poll runs as the event source starts).
      LOG.debug("no ModelDeployments to read figures for yet: {}", e.toString());
      all = List.of();
    }
    for (ModelDeployment md : all) {
      ResourceID id = ResourceID.fromResource(md);
      TrafficReading.PollResult result = pollResult(md, answer, failure, now,
          notScrapedInARow.getOrDefault(id, 0) + 1);
      if (result instanceof TrafficReading.NotScraped n) {
        notScraped.put(id, n.inARow());
      } else if (result instanceof TrafficReading.Failed) {
        notScraped.put(id, notScrapedInARow.getOrDefault(id, 0));
      }
      TrafficReading reading = TrafficReading.next(readings.get(id), result,
          md.getSpec() == null ? null : md.getSpec().slo, settings.window());
      if (reading != null) {
        next.put(id, reading);
      }
      out.put(id, reading == null ? Set.of() : Set.of(reading));
    }
    readings = next;
    notScrapedInARow = notScraped;
    pollDuration.record(System.nanoTime() - start, java.util.concurrent.TimeUnit.NANOSECONDS);
    return out;
  }

  private TrafficReading.PollResult pollResult(ModelDeployment md, Answer answer, QueryException failure,
      String now, int notScrapedInARow) {
    if (failure != null) {
      return new TrafficReading.Failed(failure.failure() == PrometheusClient.Failure.UNREACHABLE
          ? Availability.UNREACHABLE : Availability.QUERY_FAILED, failure.getMessage(), failedInARow);
    }
    ModelKey key = new ModelKey(md.getMetadata().getNamespace(), md.getMetadata().getName());
    if (!answer.scraped().contains(key)) {
      return new TrafficReading.NotScraped("Prometheus at " + settings.displayUrl()
          + " has no modelship_model_info series with namespace=\"" + key.namespace() + "\" and model=\""
          + key.model() + "\": nothing scrapes the serving pods' metrics port, or the scrape does not add a"
          + " namespace label (a ServiceMonitor does; the README has a scrape config)", notScrapedInARow);
    }
    return new TrafficReading.Scraped(answer.figuresOf(key), now);
  }
}
