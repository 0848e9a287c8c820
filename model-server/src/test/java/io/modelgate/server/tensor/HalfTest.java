package io.modelgate.server.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.platform.Fp16Conversions;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class HalfTest {

  @Test
  void round_trips_every_half_when_converted_to_float_and_back() {
    for (int bits = 0; bits <= 0xffff; bits++) {
      short h = (short) bits;
      float f = Half.toFloat(h);
      if (Float.isNaN(f)) {
        assertThat(Half.toFloat(Half.fromFloat(f))).isNaN();
      } else {
        assertThat(Half.fromFloat(f)).as("half 0x%04x", bits).isEqualTo(h);
      }
    }
  }

  @Test
  void agrees_with_onnx_runtime_when_reading_every_half() {
    for (int bits = 0; bits <= 0xffff; bits++) {
      float ours = Half.toFloat((short) bits);
      float ort = Fp16Conversions.fp16ToFloat((short) bits);
      if (Float.isNaN(ort)) {
        assertThat(ours).isNaN();
      } else {
        assertThat(ours).as("half 0x%04x", bits).isEqualTo(ort);
      }
    }
  }

  @Test
  void rounds_to_nearest_even_like_onnx_runtime_when_narrowing_floats() {
    SplittableRandom random = new SplittableRandom(7);
    for (int i = 0; i < 200_000; i++) {
      // Spread over the half range, subnormals and overflow included.
      float f = (float) (random.nextDouble(-1, 1) * Math.pow(2, random.nextInt(-26, 18)));
      assertThat(Half.fromFloat(f)).as("%s", f).isEqualTo(Fp16Conversions.floatToFp16(f));
    }
  }

  @Test
  void rounds_ties_to_even_when_a_float_lies_halfway_between_halves() {
    // 1 + 2^-11 lies halfway between 1 and the next half 1 + 2^-10: even mantissa (1) wins.
    assertThat(Half.toFloat(Half.fromFloat(1f + 0x1p-11f))).isEqualTo(1f);
    // 1 + 3 * 2^-11 lies halfway between 1 + 2^-10 and 1 + 2^-9: even mantissa (1 + 2^-9) wins.
    assertThat(Half.toFloat(Half.fromFloat(1f + 3 * 0x1p-11f))).isEqualTo(1f + 0x1p-9f);
  }

  @Test
  void overflows_to_infinity_when_past_the_largest_half() {
    assertThat(Half.toFloat(Half.fromFloat(65504f))).isEqualTo(65504f);
    assertThat(Half.toFloat(Half.fromFloat(65519f))).isEqualTo(65504f);
    assertThat(Half.toFloat(Half.fromFloat(65520f))).isInfinite();
  }
}
