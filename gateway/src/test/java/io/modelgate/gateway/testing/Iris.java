package io.modelgate.gateway.testing;

import io.restassured.http.ContentType;
import io.restassured.response.Response;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

/** examples/iris, the model the integration tests deploy: packing it into a home, and predicting with it. */
public final class Iris {
    public static final Path DIR = Path.of("..", "examples", "iris").toAbsolutePath().normalize();
    private static volatile String request; // read once: load tests send it from several threads

    private Iris() {
    }

    /** examples/iris/request.json: one setosa and one virginica flower (classes 0 and 2 in expected.json). */
    public static String request() {
        String read = request;
        if (read == null) {
            try {
                read = request = Files.readString(DIR.resolve("request.json"));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return read;
    }

    /** Packs examples/iris into {@code home}'s store as iris:1. */
    public static void pack(Path home) {
        TestHome.cli(home, "pack", DIR.toString());
    }

    /** Packs examples/iris with model.yaml's version changed to {@code version}: iris:{version}, another digest. */
    public static void packAsVersion(Path home, String version) throws IOException {
        Path copy = Files.createTempDirectory("iris-v" + version);
        try {
            try (Stream<Path> files = Files.list(DIR)) {
                for (Path f : files.toList()) {
                    Files.copy(f, copy.resolve(f.getFileName()));
                }
            }
            Path yaml = copy.resolve("model.yaml");
            Files.writeString(yaml, Files.readString(yaml).replace("version: \"1\"", "version: \"" + version + "\""));
            TestHome.cli(home, "pack", copy.toString());
        } finally {
            try (Stream<Path> walk = Files.walk(copy)) {
                for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    /** POST /v2/models/{model}/infer with request.json, through the gateway RestAssured points at. */
    public static Response infer(String model) {
        return given().contentType(ContentType.JSON).body(request()).post("/v2/models/" + model + "/infer");
    }

    /** {@link #infer} through another port of the gateway (its inference port). */
    public static Response infer(String model, int port) {
        return given().port(port).contentType(ContentType.JSON).body(request()).post("/v2/models/" + model + "/infer");
    }

    /**
     * {@link #infer} right after POST /models: the answer once the gateway has registered the deployment (404 until
     * then), after at most 60 s.
     */
    public static Response inferOnceDeployed(String model) throws InterruptedException {
        Response answer = null;
        for (int i = 0; i < 600; i++) {
            answer = infer(model);
            if (answer.statusCode() != 404) {
                break; // 404 only until the gateway has registered the deployment
            }
            TimeUnit.MILLISECONDS.sleep(100);
        }
        return answer;
    }

    /** The answer names classes 0 and 2 (setosa and virginica), as examples/iris/expected.json says. */
    public static void assertPredictsSetosaAndVirginica(Response answer) {
        List<Number> labels = answer.jsonPath().getList("outputs.find { it.name == 'label' }.data.flatten()");
        assertThat(labels).as("setosa and virginica, as examples/iris/expected.json says; the answer: %s",
                answer.asString()).extracting(Number::intValue).containsExactly(0, 2);
    }
}
