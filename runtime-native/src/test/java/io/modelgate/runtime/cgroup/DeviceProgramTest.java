package io.modelgate.runtime.cgroup;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The eBPF device programs, run by a small interpreter of the instructions they use (the kernel's own run is in
 * DeviceFilterIT): for every device and access in a table, the program's answer is the allow-list's.
 */
class DeviceProgramTest {
    // include/uapi/linux/bpf.h, written out here rather than taken from the generator
    private static final int DEV_BLOCK = 1;
    private static final int DEV_CHAR = 2;
    private static final int ACC_MKNOD = 1;
    private static final int ACC_READ = 2;
    private static final int ACC_WRITE = 4;
    private static final char[] TYPES = {'b', 'c'};
    private static final int[][] DEVICES = {{1, 3}, {1, 5}, {1, 9}, {5, 2}, {8, 0}, {8, 1}, {136, 0}, {136, 7},
            {195, 0}, {195, 1}, {195, 255}, {4095, 1048575}};
    private static final String[] ACCESSES = {"r", "w", "m", "rw", "rm", "wm", "rwm"};

    @Test
    void allows_exactly_what_the_container_defaults_allow() {
        assertMatchesRules(DeviceRule.CONTAINER_DEFAULTS);
    }

    @Test
    void allows_a_gpu_by_number_and_its_control_node_read_only_besides_the_defaults() {
        List<DeviceRule> rules = new ArrayList<>(DeviceRule.CONTAINER_DEFAULTS);
        rules.add(DeviceRule.parse("c 195:0 rwm"));
        rules.add(DeviceRule.parse("c 195:255 r"));
        rules.add(DeviceRule.parse("b 8:* rw"));
        assertMatchesRules(rules);
        assertThat(allows(DeviceProgram.of(rules), 'c', 195, 1, "r")).as("a GPU not granted").isFalse();
        assertThat(allows(DeviceProgram.of(rules), 'c', 195, 255, "w")).as("write to a read-only node").isFalse();
    }

    @Test
    void allows_nothing_without_rules_and_everything_with_a() {
        assertMatchesRules(List.of());
        assertMatchesRules(List.of(DeviceRule.ALL));
        assertThat(allows(DeviceProgram.of(List.of()), 'c', 1, 3, "r")).isFalse();
        assertThat(allows(DeviceProgram.of(List.of(DeviceRule.ALL)), 'b', 8, 0, "rwm")).isTrue();
    }

    @Test
    void ends_every_path_in_an_exit_and_jumps_only_forward_inside_the_program() {
        long[] code = DeviceProgram.of(DeviceRule.CONTAINER_DEFAULTS);
        assertThat(opcode(code[code.length - 1])).isEqualTo(DeviceProgram.JMP_EXIT);
        for (int pc = 0; pc < code.length; pc++) {
            if (opcode(code[pc]) == DeviceProgram.JMP_JNE_K) {
                assertThat(offset(code[pc])).isPositive();
                assertThat(pc + 1 + offset(code[pc])).isLessThan(code.length);
            }
        }
    }

    @Test
    void refuses_an_access_letter_it_does_not_know() {
        assertThatThrownBy(() -> DeviceProgram.access("rx")).hasMessageContaining("'x'");
    }

    @Test
    void refuses_more_rules_than_a_container_may_have_naming_the_limit() {
        List<DeviceRule> many = new ArrayList<>();
        for (int minor = 0; minor <= DeviceProgram.MAX_RULES; minor++) {
            many.add(DeviceRule.charDevice(195, minor, "rw"));
        }
        assertThat(DeviceProgram.of(many.subList(0, DeviceProgram.MAX_RULES))).isNotEmpty();
        assertThatThrownBy(() -> DeviceProgram.of(many)).isInstanceOf(CgroupException.class)
                .hasMessageContaining("257 rules is over the 256");
    }

    private static void assertMatchesRules(List<DeviceRule> rules) {
        long[] code = DeviceProgram.of(rules);
        for (char type : TYPES) {
            for (int[] device : DEVICES) {
                for (String access : ACCESSES) {
                    assertThat(allows(code, type, device[0], device[1], access))
                            .as("%s %d:%d %s under %s", type, device[0], device[1], access, rules)
                            .isEqualTo(rulesAllow(rules, type, device[0], device[1], access));
                }
            }
        }
    }

    /** The allow-list's meaning, as the v1 devices controller reads devices.allow. */
    private static boolean rulesAllow(List<DeviceRule> rules, char type, int major, int minor, String access) {
        return rules.stream().anyMatch(r -> (r.type() == 'a' || r.type() == type)
                && (r.major() == DeviceRule.ANY || r.major() == major)
                && (r.minor() == DeviceRule.ANY || r.minor() == minor)
                && access.chars().allMatch(c -> r.access().indexOf(c) >= 0));
    }

    /** Runs the program on a bpf_cgroup_dev_ctx for the device and access; true when it answers 1. */
    private static boolean allows(long[] code, char type, int major, int minor, String access) {
        int bits = (access.contains("r") ? ACC_READ : 0) | (access.contains("w") ? ACC_WRITE : 0)
                | (access.contains("m") ? ACC_MKNOD : 0);
        // struct bpf_cgroup_dev_ctx: access_type (access << 16 | type), major, minor; 4 bytes each
        int[] context = {bits << 16 | (type == 'b' ? DEV_BLOCK : DEV_CHAR), major, minor};
        long[] r = new long[11];
        r[1] = -1; // the context pointer: only read through, at offsets 0, 4 and 8
        for (int pc = 0, steps = 0; steps < 10_000; steps++) {
            long insn = code[pc++];
            int dst = (int) (insn >>> 8) & 0xf;
            int src = (int) (insn >>> 12) & 0xf;
            int imm = (int) (insn >>> 32);
            switch (opcode(insn)) {
                case DeviceProgram.LDX_MEM_W -> {
                    assertThat(r[src]).as("loads only from the context").isEqualTo(-1);
                    r[dst] = context[offset(insn) / 4] & 0xffffffffL;
                }
                case DeviceProgram.ALU32_AND_K -> r[dst] = (r[dst] & imm) & 0xffffffffL;
                case DeviceProgram.ALU32_RSH_K -> r[dst] = (r[dst] & 0xffffffffL) >>> imm;
                case DeviceProgram.ALU32_MOV_X -> r[dst] = r[src] & 0xffffffffL;
                case DeviceProgram.ALU64_MOV_K -> r[dst] = imm;
                case DeviceProgram.JMP_JNE_K -> pc += r[dst] != imm ? offset(insn) : 0;
                case DeviceProgram.JMP_EXIT -> {
                    assertThat(r[0]).isIn(0L, 1L);
                    return r[0] == 1;
                }
                default -> throw new AssertionError("opcode " + Integer.toHexString(opcode(insn)) + " at " + (pc - 1));
            }
        }
        throw new AssertionError("the program did not end");
    }

    private static int opcode(long insn) {
        return (int) insn & 0xff;
    }

    private static int offset(long insn) {
        return (short) (insn >>> 16);
    }
}
