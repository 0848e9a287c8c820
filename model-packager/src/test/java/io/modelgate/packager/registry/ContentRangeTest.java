package io.modelgate.packager.registry;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ContentRangeTest {

    @Test
    void writes_inclusive_start_and_end_without_a_unit() {
        assertThat(ContentRange.of(0, 1024)).isEqualTo("0-1023");
        assertThat(ContentRange.of(1048576, 1)).isEqualTo("1048576-1048576");
    }

    @Test
    void refuses_an_empty_chunk() {
        assertThatThrownBy(() -> ContentRange.of(10, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void reads_the_received_byte_count_from_a_range_header() {
        assertThat(ContentRange.receivedBytes("0-1023")).isEqualTo(1024);
        assertThat(ContentRange.receivedBytes("bytes=0-2097151")).isEqualTo(2097152);
    }

    @Test
    void reports_minus_one_when_the_range_header_is_missing_or_odd() {
        assertThat(ContentRange.receivedBytes(null)).isEqualTo(-1);
        assertThat(ContentRange.receivedBytes("garbage")).isEqualTo(-1);
        assertThat(ContentRange.receivedBytes("5-10")).isEqualTo(-1);
    }
}
