package io.modelgate.gateway.deploy;

import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class AdoptionTest {
    private static ReplicaRuntime.LeftOver found(String name, String deployment, String digest, boolean running) {
        return new ReplicaRuntime.LeftOver(new ReplicaRuntime.Replica("id-" + name, name,
                URI.create("http://10.0.0.2:8080/v2/models/m/"), "/ready", "m"), deployment, digest, running);
    }

    @Test
    void adopts_running_replicas_of_stored_deployments_with_the_same_image() {
        var a = found("a-000001", "a", "sha256:1", true);
        var a2 = found("a-000002", "a", "sha256:1", true);
        Adoption.Plan plan = Adoption.plan(Map.of("a", "sha256:1"), List.of(a, a2));
        assertThat(plan.adopt()).containsExactly(a, a2);
        assertThat(plan.remove()).isEmpty();
    }

    @Test
    void removes_replicas_of_deleted_deployments_other_images_and_exited_ones() {
        var gone = found("b-000001", "b", "sha256:1", true);
        var other = found("a-000001", "a", "sha256:0", true);
        var exited = found("a-000002", "a", "sha256:1", false);
        var noImage = found("c-000001", "c", "sha256:1", true);
        Adoption.Plan plan = Adoption.plan(Map.of("a", "sha256:1"), List.of(gone, other, exited, noImage));
        assertThat(plan.adopt()).isEmpty();
        assertThat(plan.remove()).extracting(Adoption.Removal::replica).containsExactly(gone, other, exited, noImage);
        assertThat(plan.remove()).extracting(Adoption.Removal::why).containsExactly(
                "serves deployment 'b', which is gone",
                "runs image sha256:0 but deployment 'a' now wants sha256:1",
                "is no longer running",
                "serves deployment 'c', which is gone");
    }

    @Test
    void nothing_found_means_nothing_to_do() {
        Adoption.Plan plan = Adoption.plan(Map.of("a", "sha256:1"), List.of());
        assertThat(plan.adopt()).isEmpty();
        assertThat(plan.remove()).isEmpty();
    }
}
