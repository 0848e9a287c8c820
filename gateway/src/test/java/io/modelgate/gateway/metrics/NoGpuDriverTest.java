package io.modelgate.gateway.metrics;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

/** A gateway on a machine without the NVIDIA driver: NVML does not load, and everything else works as before. */
@QuarkusTest
@TestProfile(NoGpuDriverTest.NoDriver.class)
class NoGpuDriverTest {
    public static class NoDriver implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            // a library that is not there, whether or not the machine running the test has a GPU
            return Map.of("modelgate.metrics.nvml-library", "target/no-nvidia-driver/libnvidia-ml.so.1");
        }
    }

    @Inject
    ResourceMetrics resources;

    @Test
    void serves_the_api_and_metrics_without_gpu_series_when_nvml_does_not_load() {
        resources.sample(); // as the sampler does every interval: NVML missing is not an error

        String scrape = given().get("/q/metrics").then().statusCode(200).extract().asString();
        assertThat(scrape).doesNotContain("modelgate_gpu_");
        given().header("Authorization", "Bearer test-token").get("/models").then().statusCode(200);
    }
}
