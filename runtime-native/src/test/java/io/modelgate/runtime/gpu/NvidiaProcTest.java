package io.modelgate.runtime.gpu;

import org.junit.jupiter.api.Test;

import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

class NvidiaProcTest {
    @Test
    void reads_the_driver_version_of_the_proprietary_and_the_open_module() {
        assertThat(NvidiaProc.driverVersionFromProc(FakeMachine.resource("proc-driver-nvidia-version.txt"))).hasValue("550.54.15");
        assertThat(NvidiaProc.driverVersionFromProc(FakeMachine.resource("proc-driver-nvidia-version-open.txt"))).hasValue("550.54.15");
        assertThat(NvidiaProc.driverVersionFromProc("GCC version: gcc version 12.2.0\n")).isEmpty();
    }

    @Test
    void reads_the_driver_version_from_sys_when_alone_on_its_line() {
        assertThat(NvidiaProc.driverVersionFromSys("535.104.05\n")).hasValue("535.104.05");
        assertThat(NvidiaProc.driverVersionFromSys("not a version")).isEmpty();
    }

    @Test
    void reads_character_majors_but_not_block_ones() {
        var majors = NvidiaProc.characterMajors(FakeMachine.resource("proc-devices.txt"));
        assertThat(majors).containsEntry("nvidia-uvm", 508).containsEntry("nvidia-frontend", 195).containsEntry("tty", 4)
                .doesNotContainKey("loop").doesNotContainKey("blkext");
    }

    @Test
    void reads_a_gpus_uuid_model_and_minor() {
        NvidiaProc.Information i = NvidiaProc.information(FakeMachine.resource("gpu-information-1.txt"));
        assertThat(i.minor()).hasValue(1);
        assertThat(i.uuid()).hasValue("GPU-1f2e3d4c-5b6a-4798-8a7b-6c5d4e3f2a10");
        assertThat(i.model()).hasValue("NVIDIA H100 80GB HBM3");
        assertThat(NvidiaProc.information("Model: \n").model()).isEqualTo(Optional.empty());
    }
}
