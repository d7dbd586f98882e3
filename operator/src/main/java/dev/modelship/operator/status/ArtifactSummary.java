package dev.modelship.operator.status;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Optional;

/**
 * The optimizer's summary, as its Job's pod leaves it in the termination message: either the
 * artifact's figures or an error with a reason.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public class ArtifactSummary {

  private static final ObjectMapper JSON = new ObjectMapper();

  public String digest;
  public String format;
  public Long bytes;
  public Long sourceBytes;
  public Validation validation;
  public Error error;

  @JsonIgnoreProperties(ignoreUnknown = true)
  public static class Validation {
    public Integer samples;
    public Double maxAbsError;
  }

  @JsonIgnoreProperties(ignoreUnknown = true)
  public static class Error {
    public String reason;
    public String message;
  }

  /** Parses a termination message; empty when it is not the optimizer's JSON. */
  public static Optional<ArtifactSummary> parse(String terminationMessage) {
    if (terminationMessage == null || terminationMessage.isBlank()) {
      return Optional.empty();
    }
    try {
      return Optional.of(JSON.readValue(terminationMessage, ArtifactSummary.class));
    } catch (Exception e) {
      return Optional.empty();
    }
  }
}
