package dev.modelship.artifact;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class PassSpecTest {

  @Test
  void whatTheOperatorWritesTheOptimizerReadsBack() {
    PassSpec written = new PassSpec("quantize-dynamic", Map.of("perChannel", "true", "exclude", "Softmax"));
    assertThat(written.toString()).isEqualTo("quantize-dynamic:exclude=Softmax,perChannel=true");
    assertThat(PassSpec.parse(written.toString())).isEqualTo(written);
    assertThat(PassSpec.parse("graph-optimize")).isEqualTo(new PassSpec("graph-optimize", Map.of()));
    assertThat(new PassSpec("graph-optimize", Map.of()).toString()).isEqualTo("graph-optimize");
  }

  @Test
  void malformedPassesAreRefusedWithTheirName() {
    assertThatThrownBy(() -> PassSpec.parse(":x=1")).hasMessageContaining("empty pass name");
    assertThatThrownBy(() -> PassSpec.parse("prune:ratio")).hasMessageContaining("'ratio' is not key=value");
    assertThatThrownBy(() -> PassSpec.parse("prune:a=1,a=2")).hasMessageContaining("'a' given twice");
  }

  @Test
  void valuesWithSeparatorsOrEdgeSpacesCannotBeCarried() {
    assertThat(PassSpec.representable("true")).isTrue();
    assertThat(PassSpec.representable("")).isTrue();
    assertThat(PassSpec.representable("a,b")).isFalse();
    assertThat(PassSpec.representable("a=b")).isFalse();
    assertThat(PassSpec.representable(" x")).isFalse();
    assertThat(PassSpec.representable(null)).isFalse();
  }
}
