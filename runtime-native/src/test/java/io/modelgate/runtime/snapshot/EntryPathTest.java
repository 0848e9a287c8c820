package io.modelgate.runtime.snapshot;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class EntryPathTest {

    @Test
    void cleans_dots_and_slashes_when_the_name_stays_inside() throws Refusal {
        assertThat(EntryPath.parse("./a//b/./c/").components()).containsExactly("a", "b", "c");
        assertThat(EntryPath.parse("a/b/../c").components()).containsExactly("a", "c");
        assertThat(EntryPath.parse("./").isRoot()).isTrue();
        assertThat(EntryPath.parse("a/..").isRoot()).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"..", "../etc/passwd", "a/../../b", "./../x"})
    void refuses_names_when_they_climb_above_the_root(String name) {
        assertThatThrownBy(() -> EntryPath.parse(name)).isInstanceOf(Refusal.class).hasMessage("escapes the root");
    }

    @Test
    void refuses_absolute_names_and_says_why() {
        assertThatThrownBy(() -> EntryPath.parse("/etc/passwd")).hasMessageStartingWith("is an absolute path");
    }

    @Test
    void refuses_names_when_they_hold_a_nul() {
        assertThatThrownBy(() -> EntryPath.parse("a\0b")).hasMessageContaining("NUL");
    }

    @Test
    void classifies_whiteouts_opaque_markers_and_aufs_metadata() throws Refusal {
        assertThat(EntryPath.parse("etc/.wh.passwd")).isEqualTo(new EntryPath(List.of("etc", "passwd"), EntryPath.Kind.WHITEOUT));
        assertThat(EntryPath.parse("var/lib/.wh..wh..opq")).isEqualTo(new EntryPath(List.of("var", "lib"), EntryPath.Kind.OPAQUE));
        assertThat(EntryPath.parse(".wh..wh..opq")).isEqualTo(new EntryPath(List.of(), EntryPath.Kind.OPAQUE));
        assertThat(EntryPath.parse(".wh..wh.plnk/123.456").kind()).isEqualTo(EntryPath.Kind.IGNORED);
        assertThat(EntryPath.parse("usr/.wh.x.wh.y").components()).containsExactly("usr", "x.wh.y");
        assertThat(EntryPath.parse("a.wh.b").kind()).isEqualTo(EntryPath.Kind.PATH);
    }

    @ParameterizedTest
    @ValueSource(strings = {".wh..", "./.wh.", ".wh...", "a/.wh..", "a/.wh."})
    void refuses_whiteouts_when_they_would_delete_their_own_directory_or_above(String name) {
        assertThatThrownBy(() -> EntryPath.parse(name)).hasMessageStartingWith("is a whiteout");
    }

    @ParameterizedTest
    @ValueSource(strings = {".wh.etc/passwd", ".wh.dir/", "a/.wh.b/c"})
    void refuses_whiteouts_when_a_slash_follows_the_prefix(String name) {
        assertThatThrownBy(() -> EntryPath.parse(name)).hasMessageContaining("with a '/' after the prefix");
    }

    @Test
    void refuses_hardlink_targets_when_absolute_or_above_the_root() {
        assertThatThrownBy(() -> EntryPath.parseLinkTarget("/etc/shadow"))
                .hasMessageStartingWith("is a hardlink to /etc/shadow, whose target is an absolute path");
        assertThatThrownBy(() -> EntryPath.parseLinkTarget("../../etc/shadow"))
                .hasMessage("is a hardlink to ../../etc/shadow, whose target escapes the root");
        assertThatThrownBy(() -> EntryPath.parseLinkTarget("./")).hasMessage("is a hardlink to the root directory");
    }
}
