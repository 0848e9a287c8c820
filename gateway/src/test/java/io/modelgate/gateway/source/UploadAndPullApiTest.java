package io.modelgate.gateway.source;

import io.modelgate.packager.store.ImageStore;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.specification.RequestSpecification;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.endsWith;
import static org.hamcrest.Matchers.equalTo;

/**
 * POST /models with an uploaded model directory and with registry references that cannot be had, and the refusals of
 * GET /models/{name}/logs, over HTTP against the gateway's test home (no containers: the reconciler is off).
 */
@QuarkusTest
class UploadAndPullApiTest {
    private static final Path HOME = Path.of(System.getProperty("modelgate.home", "target/test-home"));
    private static final String PROBLEM = "application/problem+json";
    private static final String COMMAND_MODEL = "name: uploaded\nversion: \"2\"\nserver:\n  type: command\n"
            + "  command: [/bin/serve]\n  port: 9000\n";

    private static RequestSpecification authed() {
        return given().header("Authorization", "Bearer test-token");
    }

    private static byte[] tar(Map<String, String> files) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream out = new TarArchiveOutputStream(bytes)) {
            for (Map.Entry<String, String> f : files.entrySet()) {
                byte[] data = f.getValue().getBytes(StandardCharsets.UTF_8);
                TarArchiveEntry e = new TarArchiveEntry(f.getKey());
                e.setSize(data.length);
                out.putArchiveEntry(e);
                out.write(data);
                out.closeArchiveEntry();
            }
        }
        return bytes.toByteArray();
    }

    private static RequestSpecification upload(byte[] tar) {
        return authed().contentType("application/x-tar").body(tar);
    }

    @AfterEach
    void nothingLeftUnpacked() throws IOException {
        Path uploads = HOME.resolve("uploads");
        if (Files.isDirectory(uploads)) {
            try (Stream<Path> left = Files.list(uploads)) {
                assertThat(left).as("unpacked uploads left behind").isEmpty();
            }
        }
        authed().delete("/models/uploaded");
        authed().delete("/models/renamed");
    }

    @Test
    void an_uploaded_model_directory_is_packed_into_the_store_and_deployed() throws IOException {
        byte[] body = tar(Map.of("./model.yaml", COMMAND_MODEL, "./weights.bin", "weights"));
        upload(body).queryParam("maxReplicas", "3").queryParam("env", "MODE=fast").post("/models")
                .then().statusCode(202).header("Location", endsWith("/models/uploaded"))
                .body("name", equalTo("uploaded")).body("image", equalTo("uploaded:2"))
                .body("maxReplicas", equalTo(3)).body("env.MODE", equalTo("fast"));
        assertThat(ImageStore.open(HOME).find("uploaded:2")).isPresent();
        assertThat(HOME.resolve("deployments/uploaded.json")).exists();
        // a name already deployed is refused before anything is packed
        upload(body).queryParam("tag", "never:1").post("/models").then().statusCode(409).body("field", equalTo("name"));
        assertThat(ImageStore.open(HOME).find("never:1")).isEmpty();

        // the same directory again under another name and tag, tarred with its directory (tar -cf - dir)
        upload(tar(Map.of("model/model.yaml", COMMAND_MODEL, "model/weights.bin", "other")))
                .queryParam("name", "renamed").queryParam("tag", "renamed:7").post("/models")
                .then().statusCode(202).body("image", equalTo("renamed:7"));
        assertThat(ImageStore.open(HOME).find("renamed:7")).isPresent();
    }

    @Test
    void a_bad_model_yaml_is_refused_naming_its_line_and_key() throws IOException {
        upload(tar(Map.of("model.yaml", "name: uploaded\nserver:\n  type: command\n  command: [x]\n  prot: 80\n")))
                .post("/models").then().statusCode(400).contentType(PROBLEM).body("field", equalTo("model"))
                .body("detail", containsString("model.yaml:5")).body("detail", containsString("'server.prot'"));
        upload(tar(Map.of("weights.bin", "w"))).post("/models").then().statusCode(400)
                .body("detail", containsString("no model.yaml at its root"));
        assertThat(HOME.resolve("deployments/uploaded.json")).doesNotExist();
    }

    @Test
    void an_unsafe_tar_is_refused_and_nothing_lands_outside() throws IOException {
        upload(tar(Map.of("model.yaml", COMMAND_MODEL, "../../escaped", "x"))).post("/models")
                .then().statusCode(400).contentType(PROBLEM).body("field", equalTo("model"))
                .body("detail", containsString("../../escaped escapes the model directory"));
        assertThat(HOME.resolve("escaped")).doesNotExist();
        assertThat(HOME.getParent().resolve("escaped")).doesNotExist();
    }

    @Test
    void an_upload_over_the_limit_gets_413() throws IOException {
        // the test profile sets modelgate.max-upload-bytes to 1 MiB
        byte[] big = tar(Map.of("model.yaml", COMMAND_MODEL, "weights.bin", "w".repeat(2 << 20)));
        upload(big).post("/models").then().statusCode(413).contentType(PROBLEM)
                .body("detail", containsString("modelgate.max-upload-bytes"));
        assertThat(HOME.resolve("deployments/uploaded.json")).doesNotExist();
    }

    @Test
    void query_parameters_are_checked_before_anything_is_packed() throws IOException {
        upload(tar(Map.of("model.yaml", COMMAND_MODEL))).queryParam("replicas", "3").post("/models")
                .then().statusCode(400).body("field", equalTo("replicas")).body("detail", containsString("maxReplicas"));
        upload(tar(Map.of("model.yaml", COMMAND_MODEL))).queryParam("minReplicas", "many").post("/models")
                .then().statusCode(400).body("field", equalTo("minReplicas"));
        upload(tar(Map.of("model.yaml", COMMAND_MODEL))).queryParam("tag", "localhost:5000/x:1").post("/models")
                .then().statusCode(400).body("field", equalTo("tag"));
    }

    @Test
    void a_registry_that_cannot_be_reached_is_a_problem_naming_image() {
        // nothing listens on port 1 of loopback
        authed().contentType("application/json").body("{\"name\":\"pulled\",\"image\":\"127.0.0.1:1/iris:1\"}")
                .post("/models").then().statusCode(502).contentType(PROBLEM).body("field", equalTo("image"))
                .body("detail", containsString("127.0.0.1:1/iris:1"));
        authed().get("/models/pulled").then().statusCode(404);
        authed().contentType("application/json").body("{\"name\":\"pulled\",\"image\":\"Bad Ref\"}")
                .post("/models").then().statusCode(400).body("field", equalTo("image"))
                .body("detail", containsString("is not valid"));
    }

    @Test
    void the_openapi_document_describes_the_upload_and_the_logs() {
        String doc = given().get("/q/openapi?format=json").then().statusCode(200).extract().asString();
        io.restassured.path.json.JsonPath json = io.restassured.path.json.JsonPath.from(doc);
        assertThat(json.getMap("paths.'/models'.post.requestBody.content")).containsKeys("application/json", "application/x-tar");
        assertThat(json.getString("paths.'/models'.post.description")).contains("--data-binary");
        assertThat(json.getList("paths.'/models/{name}/logs'.get.parameters.name")).contains("tail", "replica", "follow");
    }

    @Test
    void logs_need_the_token_and_a_deployed_model() throws IOException {
        given().get("/models/nothing/logs").then().statusCode(401);
        authed().get("/models/nothing/logs").then().statusCode(404).contentType(PROBLEM)
                .body("detail", containsString("no model 'nothing'"));
        upload(tar(Map.of("model.yaml", COMMAND_MODEL))).post("/models").then().statusCode(202);
        // deployed, but no replica runs (the reconciler is off here): no lines
        authed().get("/models/uploaded/logs").then().statusCode(200).contentType(containsString("text/plain"))
                .body(equalTo(""));
        authed().get("/models/uploaded/logs?tail=-3").then().statusCode(400).body("field", equalTo("tail"));
        authed().get("/models/uploaded/logs?replica=uploaded-000000").then().statusCode(404)
                .body("detail", containsString("no replica 'uploaded-000000'"));
    }
}
