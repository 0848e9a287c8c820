package io.modelgate.gateway.route;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

/** The data plane's path normalisation (RFC 3986, 6.2.2), on the examples of 5.4 and the escapes it must keep. */
class PathNormalisationTest {
    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
            "/v2/models/iris/infer, /v2/models/iris/infer",
            "/v2/models/ir%69s/infer, /v2/models/iris/infer",
            "/v2/models/%49RIS%2d1%2E%5f%7E/infer, /v2/models/IRIS-1._~/infer",
            "/a/b/c/./../../g, /a/g",
            "/a/b/c/.., /a/b/",
            "/a/b/., /a/b/",
            "/.., /",
            "/../../x, /x",
            "/models/a/proxy/../../b/proxy/x, /models/b/proxy/x",
            "/models/a/proxy/%2e%2e/x, /models/a/x",
            "/models/a/proxy/x//y/../z, /models/a/proxy/x//z",
            "/models/a/proxy/a%2Fb/%2F%3F%20, /models/a/proxy/a%2Fb/%2F%3F%20",
            "/models/a/proxy/100%/%zz/%2/%, /models/a/proxy/100%/%zz/%2/%",
            "/models/a/proxy/%252e%252e, /models/a/proxy/%252e%252e",
            "/x/.../..a/a.., /x/.../..a/a..",
    })
    void decodes_unreserved_escapes_then_removes_dot_segments(String raw, String routed) {
        assertThat(InferenceRoutes.normalized(raw)).isEqualTo(routed);
    }
}
