package io.modelgate.gateway.route;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;

/**
 * The data plane on its own port (modelgate.inference.port, 0 in the test profile: a free one): every data-plane test
 * of {@link DataPlaneTests} against that port, and the management API, metrics and OpenAPI document not
 * served there.
 */
@QuarkusTest
class InferencePortTest extends DataPlaneTests {
    @Inject
    InferenceListener listener;

    @Override
    int dataPort() {
        return listener.port().orElseThrow(() -> new AssertionError("the test profile sets modelgate.inference.port"));
    }

    @Test
    void is_a_port_of_its_own() {
        assertThat(dataPort()).isNotEqualTo(RestAssured.port);
    }

    @Test
    void a_path_it_does_not_serve_is_named_in_the_404() {
        for (String path : new String[] {"/v2/models/echo/infer/", "/models/echo/proxyfoo", "/v2/models/"}) {
            given().port(dataPort()).when().post(path).then().statusCode(404).contentType("application/problem+json")
                    .body("detail", containsString("no data-plane path '" + path + "'"));
        }
    }

    @Test
    void serves_neither_the_management_api_nor_metrics_nor_openapi() {
        for (String path : new String[] {"/models", "/q/metrics", "/q/openapi"}) {
            given().port(dataPort()).header("Authorization", "Bearer test-token").when().get(path)
                    .then().statusCode(404).contentType("application/problem+json")
                    .body("detail", containsString("the management API, metrics and OpenAPI document are on the gateway's main port"));
        }
        given().port(dataPort()).header("Authorization", "Bearer test-token").contentType("application/json")
                .body("{\"name\":\"x\",\"image\":\"iris:1\"}").when().post("/models").then().statusCode(404);
    }

    @Test
    void the_main_port_still_serves_the_data_plane_beside_the_management_api() {
        given().when().get("/v2/health/live").then().statusCode(200);
        given().header("Authorization", "Bearer test-token").when().get("/models").then().statusCode(200);
    }
}
