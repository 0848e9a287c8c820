package io.modelgate.server;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ProcessAgeTest {
  // Captured from `cat /proc/self/stat` and `cat /proc/uptime`; the command name holds spaces and a ')'.
  private static final String STAT = "17192 (java (main) x) R 17190 17190 14725 0 -1 4194304 98 0 0 0 0 0 0 0 20 0 1 0"
      + " 327304 3133440 394 18446744073709551615 94642157031424 0";

  @Test
  void subtracts_the_start_tick_from_the_uptime_when_reading_proc() {
    assertThat(ProcessAge.millis(STAT, "3273.66 3397.88\n")).hasValue(620);
  }

  @Test
  void gives_nothing_when_proc_says_something_else() {
    assertThat(ProcessAge.millis("garbage", "3273.66 1")).isEmpty();
    assertThat(ProcessAge.millis(STAT, "3000.00 1")).isEmpty();
  }

  @Test
  void reads_this_processs_age_when_on_linux() {
    if (System.getProperty("os.name").startsWith("Linux")) {
      assertThat(ProcessAge.millis()).isPresent();
      assertThat(ProcessAge.millis().getAsLong()).isBetween(0L, 24L * 3600 * 1000);
    }
  }
}
