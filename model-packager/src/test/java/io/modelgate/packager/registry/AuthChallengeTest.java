package io.modelgate.packager.registry;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class AuthChallengeTest {

    @Test
    void reads_realm_service_and_scope_of_a_bearer_challenge() {
        List<AuthChallenge> challenges = AuthChallenge.parse(
                "Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\",scope=\"repository:library/ubuntu:pull\"");

        assertThat(challenges).hasSize(1);
        AuthChallenge c = challenges.get(0);
        assertThat(c.isBearer()).isTrue();
        assertThat(c.param("realm")).isEqualTo("https://auth.docker.io/token");
        assertThat(c.param("service")).isEqualTo("registry.docker.io");
        assertThat(c.param("scope")).isEqualTo("repository:library/ubuntu:pull");
    }

    @Test
    void keeps_commas_and_spaces_inside_quoted_values() {
        AuthChallenge c = AuthChallenge.parse("Bearer realm=\"http://127.0.0.1:1/token\", service=\"svc\", "
                + "scope=\"repository:b/iris:pull,push repository:a/iris:pull\", error=\"insufficient_scope\"").get(0);

        assertThat(c.param("scope")).isEqualTo("repository:b/iris:pull,push repository:a/iris:pull");
        assertThat(c.param("error")).isEqualTo("insufficient_scope");
    }

    @Test
    void reads_scheme_and_parameter_names_case_insensitively() {
        AuthChallenge c = AuthChallenge.parse("BASIC Realm=\"Registry Realm\"").get(0);

        assertThat(c.isBasic()).isTrue();
        assertThat(c.param("realm")).isEqualTo("Registry Realm");
    }

    @Test
    void splits_several_challenges_in_one_header() {
        List<AuthChallenge> challenges = AuthChallenge.parse("Basic realm=\"basic\", Bearer realm=\"https://a/token\",service=\"s\"");

        assertThat(challenges).extracting(AuthChallenge::scheme).containsExactly("basic", "bearer");
        assertThat(challenges.get(1).param("service")).isEqualTo("s");
    }

    @Test
    void unescapes_quoted_pairs_and_accepts_unquoted_values() {
        AuthChallenge c = AuthChallenge.parse("Bearer realm=https://a.example/token,service=\"say \\\"hi\\\"\"").get(0);

        assertThat(c.param("realm")).isEqualTo("https://a.example/token");
        assertThat(c.param("service")).isEqualTo("say \"hi\"");
    }

    @Test
    void yields_nothing_for_an_empty_or_missing_header() {
        assertThat(AuthChallenge.parse(null)).isEmpty();
        assertThat(AuthChallenge.parse("  ")).isEmpty();
    }
}
