package dev.modelship.artifact;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class BuildReasonTest {

  @Test
  void eachReasonHasItsOwnExitCodeAndCode() {
    assertThat(Arrays.stream(BuildReason.values()).map(BuildReason::exitCode)).doesNotHaveDuplicates();
    assertThat(Arrays.stream(BuildReason.values()).map(BuildReason::code)).doesNotHaveDuplicates();
    for (BuildReason r : BuildReason.values()) {
      assertThat(BuildReason.ofExitCode(r.exitCode())).isEqualTo(r);
      assertThat(BuildReason.ofCode(r.code())).isEqualTo(r);
      assertThat(r.code()).matches("[A-Z][A-Za-z]+");
    }
  }

  @Test
  void onlyInfrastructureFailuresAreRetried() {
    // Bad arguments, bad models, failed gates, corrupt artifacts and pin mismatches fail the same way
    // every time; a network, store or out-of-memory failure may not.
    assertThat(BuildReason.deterministicFailureExitCodes()).containsExactlyInAnyOrder(2, 4, 5, 7, 8, 9);
  }
}
