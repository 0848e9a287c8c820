package io.modelgate.gateway.deploy;

import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class AdoptionTest {
    private static ReplicaRuntime.LeftOver found(String name, String deployment, String digest, int revision,
                                                 boolean running) {
        return new ReplicaRuntime.LeftOver(new ReplicaRuntime.Replica("id-" + name, name,
                URI.create("http://10.0.0.2:8080/v2/models/m/"), "/ready", "m"), deployment, digest, revision, running);
    }

    @Test
    void adopts_running_replicas_of_every_stored_revision_with_its_image() {
        var a = found("a-000001", "a", "sha256:1", 1, true);
        var a2 = found("a-000002", "a", "sha256:2", 2, true);
        Adoption.Plan plan = Adoption.plan(Map.of("a", Map.of(1, "sha256:1", 2, "sha256:2")), List.of(a, a2));
        assertThat(plan.adopt()).containsExactly(a, a2);
        assertThat(plan.remove()).isEmpty();
    }

    @Test
    void a_replica_recorded_before_revisions_is_taken_for_the_newest_revision_with_its_digest() {
        var old = found("a-000001", "a", "sha256:1", 0, true);
        Adoption.Plan plan = Adoption.plan(Map.of("a", Map.of(1, "sha256:1", 2, "sha256:1", 3, "sha256:9")),
                List.of(old));
        assertThat(plan.adopt()).singleElement().satisfies(f -> assertThat(f.revision()).isEqualTo(2));
    }

    @Test
    void removes_replicas_of_deleted_deployments_other_images_other_revisions_and_exited_ones() {
        var gone = found("b-000001", "b", "sha256:1", 1, true);
        var other = found("a-000001", "a", "sha256:0", 1, true);
        var exited = found("a-000002", "a", "sha256:1", 1, false);
        var noImage = found("c-000001", "c", "sha256:1", 1, true);
        var dropped = found("a-000003", "a", "sha256:1", 7, true);
        var legacy = found("a-000004", "a", "sha256:5", 0, true);
        Adoption.Plan plan = Adoption.plan(Map.of("a", Map.of(1, "sha256:1")),
                List.of(gone, other, exited, noImage, dropped, legacy));
        assertThat(plan.adopt()).isEmpty();
        assertThat(plan.remove()).extracting(Adoption.Removal::replica)
                .containsExactly(gone, other, exited, noImage, dropped, legacy);
        assertThat(plan.remove()).extracting(Adoption.Removal::why).containsExactly(
                "serves deployment 'b', which is gone",
                "runs image sha256:0 but revision 1 of deployment 'a' is sha256:1",
                "is no longer running",
                "serves deployment 'c', which is gone",
                "runs revision 7 of deployment 'a', which no longer lists it",
                "runs image sha256:5 but deployment 'a' now wants sha256:1");
    }

    @Test
    void nothing_found_means_nothing_to_do() {
        Adoption.Plan plan = Adoption.plan(Map.of("a", Map.of(1, "sha256:1")), List.of());
        assertThat(plan.adopt()).isEmpty();
        assertThat(plan.remove()).isEmpty();
    }
}
