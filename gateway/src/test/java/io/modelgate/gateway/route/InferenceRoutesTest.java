package io.modelgate.gateway.route;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;

/** The data plane on the gateway's main port, beside the management API. */
@QuarkusTest
class InferenceRoutesTest extends DataPlaneTests {
    @Override
    int dataPort() {
        return RestAssured.port;
    }
}
