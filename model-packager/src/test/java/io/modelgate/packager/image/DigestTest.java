package io.modelgate.packager.image;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DigestTest {
    private static final String EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    @Test
    void hashes_bytes_to_the_known_sha256_when_given_content() {
        assertThat(Digest.sha256(new byte[0]).toString()).isEqualTo("sha256:" + EMPTY_SHA256);
        assertThat(Digest.sha256("abc".getBytes(StandardCharsets.US_ASCII)).hex())
                .isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    @Test
    void round_trips_through_text_when_valid() {
        Digest d = Digest.parse("sha256:" + EMPTY_SHA256);
        assertThat(d.algorithm()).isEqualTo("sha256");
        assertThat(d.hex()).isEqualTo(EMPTY_SHA256);
        assertThat(Digest.parse(d.toString())).isEqualTo(d);
        assertThat(Digest.ofHex(EMPTY_SHA256)).isEqualTo(d);
        assertThat(d.shortHex()).isEqualTo("e3b0c44298fc");
    }

    @Test
    void serialises_as_a_plain_json_string() {
        Digest d = Digest.ofHex(EMPTY_SHA256);
        assertThat(Json.utf8(Json.write(d))).isEqualTo("\"sha256:" + EMPTY_SHA256 + "\"");
        assertThat(Json.read(Json.write(d), Digest.class, "digest")).isEqualTo(d);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",   // uppercase hex
            "sha256:e3b0c44298fc",                                                        // too short
            "sha256:" + EMPTY_SHA256 + "00",                                              // too long
            "sha256:g3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",   // not hex
            "sha512:" + EMPTY_SHA256,                                                     // unsupported algorithm
            "SHA256:" + EMPTY_SHA256,
            ":" + EMPTY_SHA256,
            "sha256:",
            EMPTY_SHA256,                                                                 // no algorithm
            "",
    })
    void refuses_naming_the_whole_input_when_malformed(String text) {
        assertThatThrownBy(() -> Digest.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'" + text + "'");
    }

    @Test
    void says_the_digest_is_missing_when_null() {
        assertThatThrownBy(() -> Digest.parse(null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("missing");
    }

    @Test
    void orders_by_text_when_compared() {
        Digest a = Digest.ofHex("0".repeat(64));
        Digest b = Digest.ofHex("f".repeat(64));
        assertThat(a).isLessThan(b);
        assertThat(a.compareTo(Digest.ofHex("0".repeat(64)))).isZero();
    }
}
