package io.modelgate.gateway.deploy;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RolloutTest {
    private static final DeploymentSpec V1 = new DeploymentSpec("iris", "iris:1", 0, 2, 4, DeploymentSpec.Resources.NONE,
            new TreeMap<>(), DeploymentSpec.Autoscaling.DEFAULT, java.util.Optional.empty());
    private static final Deployment FIRST = new Deployment(V1, Instant.EPOCH, List.of(Revision.first(V1, "sha256:1")));

    /** PATCH {@code json} onto {@code d}, the image (when given) resolving to {@code digest}. */
    private static Deployment patch(Deployment d, String json, String digest) {
        DeploymentJson.Patch p = DeploymentJson.parsePatch(json.getBytes(StandardCharsets.UTF_8), d.spec());
        return Rollout.apply(d, p.spec(), p.imageGiven() ? Optional.of(digest) : Optional.empty(), p.weight());
    }

    private static List<String> weights(Deployment d) {
        return d.revisions().stream().map(r -> r.number() + ":" + r.image() + "@" + r.weight()).toList();
    }

    @Test
    void a_bounds_change_keeps_the_revisions() {
        Deployment d = patch(FIRST, "{\"minReplicas\":1,\"maxReplicas\":5,\"containerConcurrency\":2}", null);
        assertThat(d.spec().maxReplicas()).isEqualTo(5);
        assertThat(d.spec().containerConcurrency()).isEqualTo(2);
        assertThat(d.revisions()).isEqualTo(FIRST.revisions());
        assertThat(patch(FIRST, "{}", null)).as("a PATCH that changes nothing").isEqualTo(FIRST);
    }

    @Test
    void a_new_image_replaces_the_current_revision() {
        Deployment d = patch(FIRST, "{\"image\":\"iris:2\"}", "sha256:2");
        assertThat(weights(d)).containsExactly("1:iris:1@0", "2:iris:2@100");
        assertThat(d.spec().image()).isEqualTo("iris:2");
        assertThat(d.revision(2).orElseThrow().digest()).isEqualTo("sha256:2");
    }

    @Test
    void the_same_tag_naming_a_new_digest_is_a_new_revision_and_the_same_digest_is_not() {
        assertThat(weights(patch(FIRST, "{\"image\":\"iris:1\"}", "sha256:1"))).containsExactly("1:iris:1@100");
        assertThat(weights(patch(FIRST, "{\"image\":\"iris:1\"}", "sha256:moved")))
                .containsExactly("1:iris:1@0", "2:iris:1@100");
    }

    @Test
    void env_or_resources_make_a_new_revision_of_the_same_image() {
        Deployment d = patch(FIRST, "{\"env\":{\"MODE\":\"fast\"}}", null);
        assertThat(weights(d)).containsExactly("1:iris:1@0", "2:iris:1@100");
        assertThat(d.revision(2).orElseThrow().env()).containsEntry("MODE", "fast");
        assertThat(d.revision(2).orElseThrow().digest()).isEqualTo("sha256:1");
        Deployment e = patch(d, "{\"env\":{\"MODE\":null},\"resources\":{\"memory\":\"1Gi\"}}", null);
        assertThat(weights(e)).as("the revision already at 0 is dropped").containsExactly("2:iris:1@0", "3:iris:1@100");
        assertThat(e.revision(3).orElseThrow().env()).isEmpty();
        assertThat(e.revision(3).orElseThrow().resources().memoryBytes()).hasValue(1L << 30);
    }

    @Test
    void a_canary_shares_requests_then_is_promoted() {
        Deployment canary = patch(FIRST, "{\"image\":\"iris:2\",\"rollout\":{\"weight\":20}}", "sha256:2");
        assertThat(weights(canary)).containsExactly("1:iris:1@80", "2:iris:2@20");
        assertThat(canary.spec().image()).as("the spec shows the newest revision taking requests").isEqualTo("iris:2");
        Deployment more = patch(canary, "{\"rollout\":{\"weight\":50}}", null);
        assertThat(weights(more)).containsExactly("1:iris:1@50", "2:iris:2@50");
        Deployment promoted = patch(more, "{\"rollout\":{\"weight\":100}}", null);
        assertThat(weights(promoted)).containsExactly("1:iris:1@0", "2:iris:2@100");
        assertThat(promoted.spec().image()).isEqualTo("iris:2");
    }

    @Test
    void weight_zero_rolls_back_and_shows_the_old_image_again() {
        Deployment canary = patch(FIRST, "{\"image\":\"iris:2\",\"rollout\":{\"weight\":20}}", "sha256:2");
        Deployment back = patch(canary, "{\"rollout\":{\"weight\":0}}", null);
        assertThat(weights(back)).containsExactly("1:iris:1@100", "2:iris:2@0");
        assertThat(back.spec().image()).isEqualTo("iris:1");
        Deployment third = patch(back, "{\"image\":\"iris:3\",\"rollout\":{\"weight\":10}}", "sha256:3");
        assertThat(weights(third)).containsExactly("1:iris:1@90", "3:iris:3@10");
    }

    @Test
    void a_new_canary_during_a_canary_replaces_it() {
        Deployment canary = patch(FIRST, "{\"image\":\"iris:2\",\"rollout\":{\"weight\":20}}", "sha256:2");
        Deployment next = patch(canary, "{\"image\":\"iris:3\",\"rollout\":{\"weight\":30}}", "sha256:3");
        assertThat(weights(next)).containsExactly("1:iris:1@70", "2:iris:2@0", "3:iris:3@30");
    }

    @Test
    void refuses_a_split_with_one_revision_and_a_new_revision_at_zero() {
        assertThatThrownBy(() -> patch(FIRST, "{\"rollout\":{\"weight\":30}}", null))
                .isInstanceOfSatisfying(FieldException.class, e -> {
                    assertThat(e.field()).isEqualTo("rollout.weight");
                    assertThat(e.getMessage()).contains("has one revision");
                });
        assertThatThrownBy(() -> patch(FIRST, "{\"image\":\"iris:2\",\"rollout\":{\"weight\":0}}", "sha256:2"))
                .isInstanceOfSatisfying(FieldException.class, e -> assertThat(e.field()).isEqualTo("rollout.weight"));
        assertThat(weights(patch(FIRST, "{\"rollout\":{\"weight\":100}}", null))).containsExactly("1:iris:1@100");
    }

    @Test
    void patch_fields_are_validated_like_post_and_named() {
        String[][] cases = {
                {"{\"maxReplicas\":0}", "maxReplicas"},
                {"{\"minReplicas\":3}", "maxReplicas"},
                {"{\"image\":null}", "image"},
                {"{\"name\":\"other\"}", "name"},
                {"{\"replicas\":3}", "replicas"},
                {"{\"resources\":{\"memory\":\"lots\"}}", "resources.memory"},
                {"{\"rollout\":{\"weight\":101}}", "rollout.weight"},
                {"{\"rollout\":{}}", "rollout.weight"},
                {"{\"rollout\":{\"share\":1}}", "rollout.share"},
                {"{\"env\":{\"1X\":\"a\"}}", "env.1X"},
                {"[1]", "body"},
        };
        for (String[] c : cases) {
            assertThatThrownBy(() -> patch(FIRST, c[0], "sha256:2")).as(c[0])
                    .isInstanceOfSatisfying(FieldException.class, e -> assertThat(e.field()).isEqualTo(c[1]));
        }
        assertThat(patch(FIRST, "{\"name\":\"iris\",\"minReplicas\":2,\"maxReplicas\":3}", null).spec().minReplicas())
                .as("the same name is fine").isEqualTo(2);
    }

    @Test
    void a_deployment_with_revisions_survives_a_round_trip_through_the_store_format() {
        Deployment canary = patch(FIRST, "{\"image\":\"iris:2\",\"env\":{\"A\":\"b\"},\"rollout\":{\"weight\":20}}",
                "sha256:2");
        byte[] written = DeploymentJson.write(canary).toString().getBytes(StandardCharsets.UTF_8);
        assertThat(DeploymentJson.parseStored(written)).isEqualTo(canary);
    }
}
