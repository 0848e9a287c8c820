package io.modelgate.gateway.route;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;

/** {@link InferenceSettingsTests} on the main port, where the data plane is served beside the management API. */
@QuarkusTest
@TestProfile(InferenceSettingsTests.Settings.class)
class InferenceSettingsMainPortTest extends InferenceSettingsTests {
}
