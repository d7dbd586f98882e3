package dev.modelship.server.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RuntimeOptionsTest {

    @Test
    void intraOpThreadsLeaveOneCpuForRequestHandlingButNeverDropToZero() {
        assertThat(RuntimeOptions.defaultIntraOpThreads(1)).isEqualTo(1);
        assertThat(RuntimeOptions.defaultIntraOpThreads(2)).isEqualTo(1);
        assertThat(RuntimeOptions.defaultIntraOpThreads(8)).isEqualTo(7);
    }
}
