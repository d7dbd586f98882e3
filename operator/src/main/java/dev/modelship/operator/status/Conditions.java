package dev.modelship.operator.status;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** Condition bookkeeping: a condition's transition time moves only when its status does. */
public final class Conditions {

  public static final String TRUE = "True";
  public static final String FALSE = "False";
  public static final String UNKNOWN = "Unknown";

  private Conditions() {}

  public static Condition of(String type, String status, String reason, String message, long generation) {
    return new ConditionBuilder()
        .withType(type)
        .withStatus(status)
        .withReason(reason)
        .withMessage(message)
        .withObservedGeneration(generation)
        .build();
  }

  /**
   * Returns the list with {@code next} in place of the condition of the same type, keeping the
   * previous lastTransitionTime when the status did not change.
   *
   * @param now RFC 3339 time stamped on a condition whose status changed
   */
  public static List<Condition> put(List<Condition> previous, Condition next, String now) {
    List<Condition> out = new ArrayList<>();
    boolean placed = false;
    for (Condition c : previous == null ? List.<Condition>of() : previous) {
      if (Objects.equals(c.getType(), next.getType())) {
        out.add(withTime(next, Objects.equals(c.getStatus(), next.getStatus()) && c.getLastTransitionTime() != null
            ? c.getLastTransitionTime() : now));
        placed = true;
      } else {
        out.add(c);
      }
    }
    if (!placed) {
      out.add(withTime(next, now));
    }
    return out;
  }

  /** {@link #put}, or the list without a condition of that type when {@code next} is null. */
  public static List<Condition> putOrRemove(List<Condition> previous, String type, Condition next, String now) {
    if (next != null) {
      return put(previous, next, now);
    }
    List<Condition> out = new ArrayList<>(previous == null ? List.of() : previous);
    out.removeIf(c -> type.equals(c.getType()));
    return out;
  }

  public static Condition find(List<Condition> conditions, String type) {
    if (conditions == null) {
      return null;
    }
    return conditions.stream().filter(c -> type.equals(c.getType())).findFirst().orElse(null);
  }

  private static Condition withTime(Condition c, String time) {
    return new ConditionBuilder(c).withLastTransitionTime(time).build();
  }
}
