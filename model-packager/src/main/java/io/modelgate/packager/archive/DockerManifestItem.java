package io.modelgate.packager.archive;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

import java.util.List;

/**
 * One entry of a docker-archive's {@code manifest.json} (moby image/tarexport): the config file, the tags and
 * the layer files, bottom first, as paths inside the tar.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonPropertyOrder({"Config", "RepoTags", "Layers"})
record DockerManifestItem(@JsonProperty("Config") String config,
                          @JsonProperty("RepoTags") List<String> repoTags,
                          @JsonProperty("Layers") List<String> layers) {
    DockerManifestItem {
        repoTags = repoTags == null ? List.of() : List.copyOf(repoTags);
        layers = layers == null ? List.of() : List.copyOf(layers);
    }
}
