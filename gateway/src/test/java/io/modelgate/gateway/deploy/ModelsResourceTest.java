package io.modelgate.gateway.deploy;

import io.modelgate.packager.store.ImageStore;
import io.modelgate.packager.testing.TestImages;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.specification.RequestSpecification;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.endsWith;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;

/**
 * The management API end to end over HTTP, against the gateway's test home: target/test-home, or the system property
 * modelgate.home where the build sets one (failsafe does, and it wins over application.properties).
 */
@QuarkusTest
class ModelsResourceTest {
    private static final Path HOME = Path.of(System.getProperty("modelgate.home", "target/test-home"));
    private static final String PROBLEM = "application/problem+json";

    @BeforeAll
    static void anImageInTheStore() throws IOException {
        TestImages.put(ImageStore.open(HOME), "tiny:1", "hello");
        TestImages.put(ImageStore.open(HOME), "tiny:2", "hello again");
        Path deployments = HOME.resolve("deployments");
        if (Files.isDirectory(deployments)) {
            try (Stream<Path> old = Files.list(deployments)) {
                for (Path p : old.toList()) {
                    Files.delete(p);
                }
            }
        }
    }

    private static RequestSpecification authed() {
        return given().header("Authorization", "Bearer test-token");
    }

    private static void refused(String body, int status, String field, String detail) {
        var r = authed().contentType(ContentType.JSON).body(body).when().post("/models").then()
                .statusCode(status).contentType(PROBLEM).body("status", equalTo(status))
                .body("detail", containsString(detail));
        if (field != null) {
            r.body("field", equalTo(field));
        }
    }

    @Test
    void deploys_durably_then_shows_lists_and_deletes() {
        String location = authed().contentType(ContentType.JSON)
                .body("{\"name\":\"happy\",\"image\":\"tiny:1\",\"minReplicas\":0,\"maxReplicas\":4,"
                        + "\"containerConcurrency\":8,\"resources\":{\"cpus\":1,\"memory\":\"256Mi\",\"gpus\":0},"
                        + "\"env\":{\"A\":\"b\"},\"autoscaling\":{\"target\":5,\"stableWindow\":\"30s\"}}")
                .when().post("/models")
                .then().statusCode(202).header("Location", endsWith("/models/happy"))
                .body("name", equalTo("happy")).body("maxReplicas", equalTo(4))
                .body("autoscaling.scaleToZeroGrace", equalTo("30s"))
                .extract().header("Location");
        // durable before the answer: the file is there as soon as 202 is
        assertThat(HOME.resolve("deployments/happy.json")).exists();

        authed().when().get(location).then().statusCode(200).body("image", equalTo("tiny:1"))
                .body("resources.memory", equalTo(256 << 20)).body("env.A", equalTo("b"));
        authed().when().get("/models").then().statusCode(200).body("name", hasItem("happy"));
        authed().when().delete("/models/happy").then().statusCode(204);
        authed().when().get("/models/happy").then().statusCode(404).contentType(PROBLEM)
                .body("detail", containsString("no model 'happy' is deployed"));
        authed().when().get("/models").then().statusCode(200).body("name", not(hasItem("happy")));
        assertThat(HOME.resolve("deployments/happy.json")).doesNotExist();
    }

    @Test
    void answers_409_for_a_name_already_deployed() {
        String body = "{\"name\":\"twice\",\"image\":\"tiny:1\"}";
        authed().contentType(ContentType.JSON).body(body).when().post("/models").then().statusCode(202);
        refused(body, 409, "name", "model 'twice' is already deployed");
        authed().when().delete("/models/twice").then().statusCode(204);
    }

    @Test
    void names_the_field_of_each_invalid_request() {
        refused("{\"name\":\"x\",", 400, "body", "malformed JSON");
        refused("{\"name\":\"x\",\"image\":\"tiny:1\",\"replicas\":3}", 400, "replicas", "unknown field 'replicas'");
        refused("{\"name\":\"x\",\"image\":\"tiny:1\",\"minReplicas\":-2}", 400, "minReplicas", "got -2");
        refused("{\"name\":\"x\",\"image\":\"tiny:1\",\"minReplicas\":5,\"maxReplicas\":2}", 400, "maxReplicas",
                "must not be less than minReplicas (5)");
        refused("{\"name\":\"Not_DNS\",\"image\":\"tiny:1\"}", 400, "name", "is not DNS-safe");
        refused("{\"name\":\"ghost\",\"image\":\"ghost:9\"}", 400, "image", "no image 'ghost:9' in the store");
        refused("", 400, "body", "the request body is empty");
    }

    @Test
    void answers_413_for_a_body_over_the_limit() {
        String big = "{\"name\":\"big\",\"image\":\"tiny:1\",\"env\":{\"X\":\"" + "a".repeat(70_000) + "\"}}";
        refused(big, 413, null, "over 65536 bytes");
    }

    @Test
    void needs_the_bearer_token() {
        given().when().get("/models").then().statusCode(401).contentType(PROBLEM)
                .header("WWW-Authenticate", containsString("Bearer"))
                .body("detail", containsString("Authorization: Bearer"));
        given().header("Authorization", "Bearer wrong").when().get("/models").then().statusCode(401)
                .contentType(PROBLEM);
        given().contentType(ContentType.JSON).body("{\"name\":\"sneaky\",\"image\":\"tiny:1\"}")
                .when().post("/models").then().statusCode(401);
        assertThat(HOME.resolve("deployments/sneaky.json")).doesNotExist();
    }

    @Test
    void answers_the_frameworks_own_refusals_as_problems_too() {
        authed().when().put("/models").then().statusCode(405).contentType(PROBLEM)
                .body("detail", containsString("does not take that method"));
        authed().when().get("/nothing/here").then().statusCode(404).contentType(PROBLEM)
                .body("detail", containsString("no such path"));
    }

    @Test
    void lists_models_in_the_openapi_document() {
        given().queryParam("format", "json").when().get("/q/openapi").then().statusCode(200)
                .body("paths", org.hamcrest.Matchers.hasKey("/models"))
                .body("paths", org.hamcrest.Matchers.hasKey("/models/{name}"));
    }

    private static io.restassured.response.ValidatableResponse patch(String name, String body) {
        return authed().contentType("application/merge-patch+json").body(body).when().patch("/models/" + name).then();
    }

    @Test
    void patch_changes_bounds_durably_and_keeps_the_revision() throws IOException {
        authed().contentType(ContentType.JSON).body("{\"name\":\"bounds\",\"image\":\"tiny:1\",\"maxReplicas\":2}")
                .when().post("/models").then().statusCode(202).body("revisions[0].revision", equalTo(1))
                .body("revisions[0].weight", equalTo(100)).body("revisions[0].digest", org.hamcrest.Matchers.startsWith("sha256:"));
        try {
            patch("bounds", "{\"minReplicas\":1,\"maxReplicas\":6,\"containerConcurrency\":3,\"timeout\":\"2m\"}")
                    .statusCode(202).body("maxReplicas", equalTo(6)).body("timeout", equalTo("120s"))
                    .body("revisions.size()", equalTo(1));
            // durable before the answer
            assertThat(Files.readString(HOME.resolve("deployments/bounds.json"))).contains("\"maxReplicas\" : 6");
            authed().contentType(ContentType.JSON).body("{\"autoscaling\":{\"scaleToZeroGrace\":\"5s\"}}")
                    .when().patch("/models/bounds").then().statusCode(202)
                    .body("autoscaling.scaleToZeroGrace", equalTo("5s")).body("minReplicas", equalTo(1));
            patch("bounds", "{}").statusCode(202).body("maxReplicas", equalTo(6)).body("timeout", equalTo("120s"));
            // null: back to the gateway's modelgate.inference.timeout
            patch("bounds", "{\"timeout\":null}").statusCode(202).body("$", not(org.hamcrest.Matchers.hasKey("timeout")));
        } finally {
            authed().when().delete("/models/bounds").then().statusCode(204);
        }
    }

    @Test
    void patch_with_a_new_image_makes_a_revision_and_a_weight_splits_requests() {
        authed().contentType(ContentType.JSON).body("{\"name\":\"canary\",\"image\":\"tiny:1\"}")
                .when().post("/models").then().statusCode(202);
        try {
            patch("canary", "{\"image\":\"tiny:2\",\"rollout\":{\"weight\":20}}").statusCode(202)
                    .body("image", equalTo("tiny:2"))
                    .body("revisions.revision", org.hamcrest.Matchers.contains(1, 2))
                    .body("revisions.weight", org.hamcrest.Matchers.contains(80, 20))
                    .body("revisions.image", org.hamcrest.Matchers.contains("tiny:1", "tiny:2"));
            authed().when().get("/models/canary").then().statusCode(200)
                    .body("revisions.weight", org.hamcrest.Matchers.contains(80, 20))
                    .body("revisions[1].requestsServed", equalTo(0));
            patch("canary", "{\"rollout\":{\"weight\":0}}").statusCode(202).body("image", equalTo("tiny:1"))
                    .body("revisions.weight", org.hamcrest.Matchers.contains(100, 0));
            patch("canary", "{\"rollout\":{\"weight\":100}}").statusCode(202).body("image", equalTo("tiny:2"))
                    .body("revisions.weight", org.hamcrest.Matchers.contains(0, 100));
        } finally {
            authed().when().delete("/models/canary").then().statusCode(204);
        }
    }

    @Test
    void patch_refusals_name_the_field_and_change_nothing() throws IOException {
        authed().contentType(ContentType.JSON).body("{\"name\":\"strict\",\"image\":\"tiny:1\",\"maxReplicas\":2}")
                .when().post("/models").then().statusCode(202);
        try {
            byte[] before = Files.readAllBytes(HOME.resolve("deployments/strict.json"));
            String[][] cases = {
                    {"{\"maxReplicas\":-1}", "maxReplicas", "got -1"},
                    {"{\"minReplicas\":5}", "maxReplicas", "must not be less than minReplicas (5)"},
                    {"{\"image\":\"ghost:9\"}", "image", "no image 'ghost:9' in the store"},
                    {"{\"name\":\"renamed\"}", "name", "cannot be changed"},
                    {"{\"rollout\":{\"weight\":50}}", "rollout.weight", "has one revision"},
                    {"{\"resources\":{\"gpus\":64}}", "resources.gpus", "needs 64 GPU(s) per replica but this machine has"},
                    {"{\"size\":1}", "size", "unknown field 'size'"},
                    {"{", "body", "malformed JSON"},
            };
            for (String[] c : cases) {
                patch("strict", c[0]).statusCode(400).contentType(PROBLEM).body("field", equalTo(c[1]))
                        .body("detail", containsString(c[2]));
            }
            assertThat(Files.readAllBytes(HOME.resolve("deployments/strict.json"))).as("left as it was").isEqualTo(before);
            patch("nobody", "{\"maxReplicas\":3}").statusCode(404).contentType(PROBLEM)
                    .body("detail", containsString("no model 'nobody' is deployed"));
            given().contentType("application/merge-patch+json").body("{\"maxReplicas\":3}").when()
                    .patch("/models/strict").then().statusCode(401);
        } finally {
            authed().when().delete("/models/strict").then().statusCode(204);
        }
    }

    @Test
    void post_refuses_more_gpus_than_the_machine_has() {
        refused("{\"name\":\"greedy\",\"image\":\"tiny:1\",\"resources\":{\"gpus\":64}}", 400, "resources.gpus",
                "model 'greedy' needs 64 GPU(s) per replica but this machine has");
    }

    @Test
    void documents_patch_and_its_rollout_in_the_openapi_document() {
        given().queryParam("format", "json").when().get("/q/openapi").then().statusCode(200)
                .body("paths.'/models/{name}'", org.hamcrest.Matchers.hasKey("patch"))
                .body("paths.'/models/{name}'.patch.requestBody.content", org.hamcrest.Matchers.hasKey("application/merge-patch+json"))
                .body("paths.'/models/{name}'.patch.description", containsString("rollout.weight"));
    }
}
