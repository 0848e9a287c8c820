package io.modelgate.runtime.process;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class MountsTest {
    private static final String MOUNTINFO = """
            22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw
            40 22 0:35 / /run/mg/web\\040one/rootfs rw shared:2 - overlay overlay rw,lowerdir=/l
            41 40 0:36 / /run/mg/web\\040one/rootfs/proc rw - proc proc rw
            42 22 0:37 / /run/mg/web2/rootfs rw - overlay overlay rw
            """;

    @Test
    void finds_mounts_under_a_dir_deepest_first_with_escapes_decoded() {
        assertThat(Mounts.under(Path.of("/run/mg/web one"), MOUNTINFO)).containsExactly(
                Path.of("/run/mg/web one/rootfs/proc"), Path.of("/run/mg/web one/rootfs"));
    }

    @Test
    void does_not_take_a_sibling_with_the_same_prefix() {
        assertThat(Mounts.under(Path.of("/run/mg/web"), MOUNTINFO)).isEmpty();
    }
}
