package dev.modelship.optimizer;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The summary is read as a Kubernetes termination message, which is cut at 4096 bytes. */
class SummaryTest {

    @Test
    void aLongErrorIsShortenedToFitAndStaysValidJson() throws Exception {
        String huge = "é".repeat(20_000); // two bytes each in UTF-8
        Summary s = Summary.failed(new OptimizerException(OptimizerException.Kind.BAD_MODEL, huge));
        String json = s.toJson();
        assertThat(json.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(4096);
        var node = new ObjectMapper().readTree(json);
        assertThat(node.get("status").asText()).isEqualTo("failed");
        assertThat(node.get("exitCode").asInt()).isEqualTo(4);
        assertThat(node.get("error").asText()).startsWith("ééé").endsWith("…");
    }
}
