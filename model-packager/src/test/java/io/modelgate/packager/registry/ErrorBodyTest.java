package io.modelgate.packager.registry;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class ErrorBodyTest {

    @Test
    void summarises_the_codes_and_messages_of_a_distribution_error_body() {
        ErrorBody body = ErrorBody.parse(("{\"errors\":[{\"code\":\"BLOB_UPLOAD_INVALID\",\"message\":\"blob upload invalid\","
                + "\"detail\":\"digest mismatch\"},{\"code\":\"DENIED\",\"message\":\"requested access to the resource is denied\"}]}")
                .getBytes(StandardCharsets.UTF_8));

        assertThat(body.codes()).containsExactly("BLOB_UPLOAD_INVALID", "DENIED");
        assertThat(body.summary()).isEqualTo("BLOB_UPLOAD_INVALID: blob upload invalid (digest mismatch); "
                + "DENIED: requested access to the resource is denied");
    }

    @Test
    void keeps_structured_details_as_json() {
        ErrorBody body = ErrorBody.parse("{\"errors\":[{\"code\":\"MANIFEST_BLOB_UNKNOWN\",\"message\":\"blob unknown\",\"detail\":{\"digest\":\"sha256:ab\"}}]}"
                .getBytes(StandardCharsets.UTF_8));

        assertThat(body.summary()).isEqualTo("MANIFEST_BLOB_UNKNOWN: blob unknown ({\"digest\":\"sha256:ab\"})");
    }

    @Test
    void keeps_the_text_of_a_body_that_is_not_a_registry_error() {
        ErrorBody body = ErrorBody.parse("<html><body><h1>502 Bad Gateway</h1></body></html>".getBytes(StandardCharsets.UTF_8));

        assertThat(body.codes()).isEmpty();
        assertThat(body.summary()).isEqualTo("502 Bad Gateway");
    }

    @Test
    void is_empty_for_an_empty_body() {
        assertThat(ErrorBody.parse(new byte[0]).summary()).isEmpty();
    }
}
