package dev.modelship.operator;

import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.encoder.JsonEscapeUtil;

/**
 * One JSON object per log line (logback.xml, MODELSHIP_LOG_FORMAT=json), with the keys the inference
 * server's JSON logs use, so that one aggregator query reads both: {@code timestamp} (ISO-8601, UTC),
 * {@code level}, {@code loggerName}, {@code threadName}, {@code mdc} (the resource of a reconcile),
 * {@code message} (with its arguments filled in) and {@code stackTrace} (the exception as Java prints it).
 * Logback's encoder writes the middle ones; its own {@code message} is the unfilled template, its
 * {@code timestamp} epoch milliseconds and its exception a nested object, so this writes those three.
 */
public class JsonLogEncoder extends JsonEncoder {

  public JsonLogEncoder() {
    setWithSequenceNumber(false);
    setWithTimestamp(false);
    setWithNanoseconds(false);
    setWithContext(false);
    setWithMessage(false);
    setWithArguments(false);
    setWithFormattedMessage(false);
    setWithThrowable(false);
  }

  @Override
  protected void appendCustomFields(StringBuilder sb, ILoggingEvent event) {
    // Called after the level (always written), before the closing brace.
    sb.append(',');
    appenderMember(sb, "timestamp", event.getInstant().toString());
    sb.append(',');
    appenderMember(sb, "message", JsonEscapeUtil.jsonEscapeString(event.getFormattedMessage()));
    IThrowableProxy thrown = event.getThrowableProxy();
    if (thrown != null) {
      sb.append(',');
      appenderMember(sb, "stackTrace", JsonEscapeUtil.jsonEscapeString(ThrowableProxyUtil.asString(thrown).strip()));
    }
  }
}
