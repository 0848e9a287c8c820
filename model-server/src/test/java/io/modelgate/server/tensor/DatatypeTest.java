package io.modelgate.server.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class DatatypeTest {

  @ParameterizedTest
  @EnumSource(Datatype.class)
  void parses_every_protocol_name_when_written_as_the_specification_does(Datatype d) {
    assertThat(Datatype.parse(d.name())).isEqualTo(d);
  }

  @ParameterizedTest
  @EnumSource(Datatype.class)
  void allocates_its_carrier_array_when_asked_for_elements(Datatype d) {
    Object array = d.allocate(3);
    assertThat(array).isInstanceOf(d.carrier());
    assertThat(java.lang.reflect.Array.getLength(array)).isEqualTo(3);
  }

  @Test
  void lists_the_datatypes_when_the_name_is_unknown() {
    assertThatThrownBy(() -> Datatype.parse("FLOAT32"))
        .hasMessage("unknown datatype 'FLOAT32'; one of BOOL, UINT8, UINT16, UINT32, UINT64, INT8, INT16, INT32,"
            + " INT64, FP16, FP32, FP64, BYTES");
  }

  @Test
  void says_datatypes_are_upper_case_when_sent_in_lower_case() {
    assertThatThrownBy(() -> Datatype.parse("fp32")).hasMessageContaining("(datatypes are upper case)");
  }

  @Test
  void carries_unsigned_types_in_the_signed_array_of_the_same_width() {
    assertThat(Datatype.UINT8.carrier()).isEqualTo(byte[].class);
    assertThat(Datatype.UINT16.carrier()).isEqualTo(short[].class);
    assertThat(Datatype.UINT32.carrier()).isEqualTo(int[].class);
    assertThat(Datatype.UINT64.carrier()).isEqualTo(long[].class);
    assertThat(Datatype.FP16.carrier()).isEqualTo(short[].class);
    assertThat(Datatype.BYTES.carrier()).isEqualTo(String[].class);
  }
}
