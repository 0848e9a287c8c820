package io.modelgate.runtime.gpu;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class DeviceStatTest {
    @TempDir
    Path tmp;

    /** glibc's gnu_dev_makedev. */
    private static long makedev(long major, long minor) {
        return ((major & 0xfff) << 8) | ((major & ~0xfffL) << 32) | (minor & 0xff) | ((minor & ~0xffL) << 12);
    }

    @Test
    void splits_device_numbers_as_glibc_does() {
        assertThat(DeviceStat.major(makedev(195, 255))).isEqualTo(195);
        assertThat(DeviceStat.minor(makedev(195, 255))).isEqualTo(255);
        assertThat(DeviceStat.major(makedev(508, 1))).isEqualTo(508);
        assertThat(DeviceStat.minor(makedev(508, 1))).isEqualTo(1);
        long big = makedev(0x12345, 0x6789a);
        assertThat(DeviceStat.major(big)).isEqualTo(0x12345);
        assertThat(DeviceStat.minor(big)).isEqualTo(0x6789a);
    }

    @Test
    void reads_a_character_devices_numbers_and_nothing_for_a_file() throws Exception {
        Path file = Files.writeString(tmp.resolve("file"), "x");
        assertThat(DeviceStat.host().stat(file)).isEmpty();
        FakeMachine.mknod(tmp.resolve("uvm"), 508, 1);
        assertThat(DeviceStat.host().stat(tmp.resolve("uvm"))).hasValue(new DeviceStat.Number('c', 508, 1));
    }
}
