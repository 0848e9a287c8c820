package io.modelgate.packager.model;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** .modelignore follows .dockerignore: the last matching pattern decides, directories cover their contents. */
class FileSelectionTest {

    @ParameterizedTest(name = "{0} on {1} -> included={2}")
    @CsvSource(delimiter = '|', value = {
            "*.tmp              | a.tmp             | false",
            "*.tmp              | dir/a.tmp         | true",
            "**/*.tmp           | dir/a.tmp         | false",
            "**/*.tmp           | a.tmp             | false",
            ".git               | .git/HEAD         | false",
            ".git               | x/.git/HEAD       | true",
            "/build             | build/out.bin     | false",
            "./build/           | build/out.bin     | false",
            "data/*/raw         | data/a/raw/x      | false",
            "data/*/raw         | data/a/b/raw/x    | true",
            "data/**/raw        | data/a/b/raw/x    | false",
            "file?.txt          | file1.txt         | false",
            "file?.txt          | file10.txt        | true",
            "[a-c].txt          | b.txt             | false",
            "[!a-c].txt         | b.txt             | true",
            "[!a-c].txt         | d.txt             | false",
            "*.md;!README.md    | README.md         | true",
            "*.md;!README.md    | NOTES.md          | false",
            "!README.md;*.md    | README.md         | false",
            "logs;!logs/keep    | logs/keep         | true",
            "logs;!logs/keep    | logs/drop         | false",
            "#comment-like      | a.txt             | true",
    })
    void applies_dockerignore_rules(String patterns, String path, boolean included) {
        List<String> list = Arrays.asList(patterns.split(";"));
        assertThat(FileSelection.of(List.of(), list).includes(path)).isEqualTo(included);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "src/**         | src/a/b.py     | true",
            "src/**         | tests/a.py     | false",
            "*.yaml         | model.yaml     | true",
    })
    void keeps_only_included_paths_when_include_is_given(String include, String path, boolean included) {
        assertThat(FileSelection.of(List.of(include), List.of()).includes(path)).isEqualTo(included);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            ".git            | .git   | false",
            ".git;!.git/keep | .git   | true",
            "*.tmp           | src    | true",
    })
    void skips_walking_excluded_directories_unless_a_negation_may_reinclude(String patterns, String dir, boolean walk) {
        assertThat(FileSelection.of(List.of(), Arrays.asList(patterns.split(";"))).mayContainIncluded(dir)).isEqualTo(walk);
    }
}
