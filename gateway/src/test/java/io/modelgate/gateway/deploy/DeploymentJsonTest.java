package io.modelgate.gateway.deploy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DeploymentJsonTest {
    private static DeploymentSpec parse(String json) {
        return DeploymentJson.parseRequest(json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void fills_in_defaults() {
        DeploymentSpec s = parse("{\"name\":\"iris\",\"image\":\"iris:1\"}");
        assertThat(s.minReplicas()).isZero();
        assertThat(s.maxReplicas()).isEqualTo(1);
        assertThat(s.containerConcurrency()).isZero();
        assertThat(s.autoscaling()).isEqualTo(DeploymentSpec.Autoscaling.DEFAULT);
        assertThat(s.timeout()).as("absent: the gateway's modelgate.inference.timeout applies").isEmpty();
        assertThat(s.routing().replicaTimeout()).isEmpty();
        assertThat(s.scaling().targetPerReplica()).isEqualTo(70.0);
        assertThat(s.resources()).isEqualTo(DeploymentSpec.Resources.NONE);
        assertThat(parse("{\"name\":\"iris\",\"image\":\"iris:1\",\"minReplicas\":3}").maxReplicas()).isEqualTo(3);
    }

    @Test
    void reads_every_field_and_writes_them_back_the_same() {
        String json = "{\"name\":\"iris-v2\",\"image\":\"iris:1\",\"minReplicas\":1,\"maxReplicas\":4,"
                + "\"containerConcurrency\":8,\"timeout\":\"90s\",\"resources\":{\"cpus\":0.5,\"memory\":\"512Mi\",\"gpus\":1},"
                + "\"env\":{\"LOG_LEVEL\":\"debug\"},"
                + "\"autoscaling\":{\"target\":5,\"stableWindow\":\"2m\",\"scaleToZeroGrace\":45}}";
        DeploymentSpec s = parse(json);
        assertThat(s.resources().memoryBytes()).hasValue(512L << 20);
        assertThat(s.autoscaling().stableWindow()).isEqualTo(Duration.ofMinutes(2));
        assertThat(s.scaling().panicWindow()).isEqualTo(Duration.ofSeconds(12));
        assertThat(s.autoscaling().scaleToZeroGrace()).isEqualTo(Duration.ofSeconds(45));
        assertThat(s.scaling().targetPerReplica()).isEqualTo(5.0);
        assertThat(s.timeout()).hasValue(Duration.ofSeconds(90));
        assertThat(s.routing().replicaTimeout()).hasValue(Duration.ofSeconds(90));
        Deployment d = new Deployment(s, Instant.parse("2026-01-01T00:00:00Z"));
        byte[] written = DeploymentJson.write(d).toString().getBytes(StandardCharsets.UTF_8);
        assertThat(DeploymentJson.parseStored(written)).isEqualTo(d);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            malformed JSON            | {"name":"iris",                                                   | body                 | malformed JSON at line 1
            not an object             | [1,2]                                                             | body                 | must be a JSON object
            unknown field             | {"name":"iris","image":"i:1","replicas":2}                        | replicas             | unknown field 'replicas'
            unknown nested field      | {"name":"iris","image":"i:1","resources":{"cpu":1}}               | resources.cpu        | the fields here are cpus, memory, gpus
            missing name              | {"image":"i:1"}                                                   | name                 | name is required
            not DNS-safe              | {"name":"Iris_1","image":"i:1"}                                   | name                 | is not DNS-safe
            negative minReplicas      | {"name":"iris","image":"i:1","minReplicas":-1}                    | minReplicas          | from 0 to 1000, got -1
            inverted bounds           | {"name":"iris","image":"i:1","minReplicas":3,"maxReplicas":2}     | maxReplicas          | must not be less than minReplicas (3)
            fractional replicas       | {"name":"iris","image":"i:1","maxReplicas":1.5}                   | maxReplicas          | whole number
            bad memory                | {"name":"iris","image":"i:1","resources":{"memory":"lots"}}       | resources.memory     | such as "512Mi"
            bad window                | {"name":"iris","image":"i:1","autoscaling":{"stableWindow":"1s"}} | autoscaling.stableWindow | between 6s and 600s
            non-string env            | {"name":"iris","image":"i:1","env":{"N":1}}                       | env.N                | must be a string
            duplicate key             | {"name":"iris","name":"x","image":"i:1"}                          | body                 | Duplicate field 'name'
            zero timeout              | {"name":"iris","image":"i:1","timeout":"0s"}                      | timeout              | between 100ms and 3600s
            timeout over an hour      | {"name":"iris","image":"i:1","timeout":"2h"}                      | timeout              | between 100ms and 3600s
            timeout not a duration    | {"name":"iris","image":"i:1","timeout":"soon"}                    | timeout              | such as "60s"
            """)
    void names_the_field_at_fault(String what, String json, String field, String message) {
        assertThatThrownBy(() -> parse(json)).as(what).isInstanceOfSatisfying(FieldException.class, e -> {
            assertThat(e.field()).isEqualTo(field);
            assertThat(e.getMessage()).contains(message);
        });
    }

    @Test
    void a_patch_sets_the_timeout_and_null_takes_it_back_to_the_gateways() {
        DeploymentSpec current = parse("{\"name\":\"iris\",\"image\":\"iris:1\"}");
        DeploymentSpec set = DeploymentJson.parsePatch("{\"timeout\":\"2m\"}".getBytes(StandardCharsets.UTF_8), current).spec();
        assertThat(set.timeout()).hasValue(Duration.ofMinutes(2));
        DeploymentSpec reset = DeploymentJson.parsePatch("{\"timeout\":null}".getBytes(StandardCharsets.UTF_8), set).spec();
        assertThat(reset.timeout()).isEmpty();
        assertThat(reset).isEqualTo(current);
    }
}
