package io.modelgate.gateway.testing;

import io.restassured.specification.RequestSpecification;

import static io.restassured.RestAssured.given;

/** The gateway's control API (/models) as the tests call it: with the test profile's token (%test.modelgate.token). */
public final class ModelsApi {
    public static final String TOKEN = "test-token";

    private ModelsApi() {
    }

    /** A request that carries {@code Authorization: Bearer <the test token>}. */
    public static RequestSpecification authed() {
        return given().header("Authorization", "Bearer " + TOKEN);
    }

    /** status.readyReplicas of GET /models/{name}; -1 while the deployment shows none (or is unknown). */
    public static int readyReplicas(String name) {
        Integer r = authed().get("/models/" + name).jsonPath().get("status.readyReplicas");
        return r == null ? -1 : r;
    }
}
