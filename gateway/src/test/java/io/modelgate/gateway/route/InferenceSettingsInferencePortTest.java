package io.modelgate.gateway.route;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import jakarta.inject.Inject;
import org.junit.jupiter.api.BeforeEach;

/** {@link InferenceSettingsTests} on the inference port, served by its own HTTP/1.1 server ({@link InferenceServer}). */
@QuarkusTest
@TestProfile(InferenceSettingsTests.Settings.class)
class InferenceSettingsInferencePortTest extends InferenceSettingsTests {
    @Inject
    InferenceListener listener;

    @BeforeEach
    void onTheInferencePort() {
        RestAssured.port = listener.port().orElseThrow(); // the main port stays mainPort, for metrics
    }
}
