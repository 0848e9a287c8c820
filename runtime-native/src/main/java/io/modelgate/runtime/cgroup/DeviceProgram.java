package io.modelgate.runtime.cgroup;

import java.util.ArrayList;
import java.util.List;

/**
 * A device allow-list as cgroup v2 enforces one: an eBPF program of type {@code BPF_PROG_TYPE_CGROUP_DEVICE}. The
 * kernel runs it whenever a process in the cgroup opens or creates a device node, with the node's type, major and
 * minor number and the access asked for ({@code struct bpf_cgroup_dev_ctx}), and allows the access only when the
 * program returns 1. The program tries the rules in order and returns 1 at the first that covers the access, 0 when
 * none does: the allow-list semantics of the v1 devices controller's devices.allow.
 *
 * <p>Each instruction is one {@code struct bpf_insn} as a little-endian 64-bit word: opcode (8 bits), destination
 * and source register (4 bits each), a 16-bit jump offset and a 32-bit immediate.
 */
final class DeviceProgram {
    /** {@code BPF_DEVCG_DEV_BLOCK}, {@code BPF_DEVCG_DEV_CHAR}: the low 16 bits of the context's access_type. */
    static final int TYPE_BLOCK = 1;
    static final int TYPE_CHAR = 2;
    /** {@code BPF_DEVCG_ACC_*}: the high 16 bits of access_type. */
    static final int ACCESS_MKNOD = 1;
    static final int ACCESS_READ = 2;
    static final int ACCESS_WRITE = 4;

    // opcodes: class | operation | source (K: the immediate, X: a register)
    static final int LDX_MEM_W = 0x61;      // dst = *(u32 *)(src + off)
    static final int ALU32_AND_K = 0x54;    // dst = (u32) (dst & imm)
    static final int ALU32_RSH_K = 0x74;    // dst = (u32) dst >> imm
    static final int ALU32_MOV_X = 0xbc;    // dst = (u32) src
    static final int ALU64_MOV_K = 0xb7;    // dst = imm
    static final int JMP_JNE_K = 0x55;      // if dst != imm: skip off instructions
    static final int JMP_EXIT = 0x95;       // return r0

    // registers: r0 holds the answer, r1 the context on entry; r2-r5 what the rules compare
    private static final int R0 = 0;
    private static final int R1 = 1;
    private static final int TYPE = 2;
    private static final int ACCESS = 3;
    private static final int MAJOR = 4;
    private static final int MINOR = 5;

    private DeviceProgram() {
    }

    /**
     * The most rules a program takes: the verifier's work grows with the square of a program's length, and a
     * container needs a dozen or two (its defaults and its GPUs).
     */
    static final int MAX_RULES = 256;

    /** The program allowing what {@code rules} allow, and nothing else. */
    static long[] of(List<DeviceRule> rules) {
        if (rules.size() > MAX_RULES) {
            throw new CgroupException("a device allow-list of " + rules.size() + " rules is over the " + MAX_RULES
                    + " a container may have; allow a whole major number ('c 195:* rwm') rather than each device");
        }
        List<Long> code = new ArrayList<>();
        code.add(insn(LDX_MEM_W, TYPE, R1, 0, 0));      // access_type
        code.add(insn(ALU32_AND_K, TYPE, 0, 0, 0xffff));
        code.add(insn(LDX_MEM_W, ACCESS, R1, 0, 0));    // access_type
        code.add(insn(ALU32_RSH_K, ACCESS, 0, 0, 16));
        code.add(insn(LDX_MEM_W, MAJOR, R1, 4, 0));
        code.add(insn(LDX_MEM_W, MINOR, R1, 8, 0));
        for (DeviceRule rule : rules) {
            rule(rule, code);
        }
        code.add(insn(ALU64_MOV_K, R0, 0, 0, 0));
        code.add(insn(JMP_EXIT, 0, 0, 0, 0));
        return code.stream().mapToLong(Long::longValue).toArray();
    }

    /** One rule: tests that jump past its "return 1" when the device or the access is not the rule's. */
    private static void rule(DeviceRule rule, List<Long> code) {
        int bits = access(rule.access());
        boolean anyAccess = bits == (ACCESS_MKNOD | ACCESS_READ | ACCESS_WRITE);
        int length = (rule.type() == 'a' ? 0 : 1) + (anyAccess ? 0 : 3) + (rule.major() == DeviceRule.ANY ? 0 : 1)
                + (rule.minor() == DeviceRule.ANY ? 0 : 1) + 2;
        int start = code.size();
        if (rule.type() != 'a') {
            code.add(skipUnless(TYPE, rule.type() == 'b' ? TYPE_BLOCK : TYPE_CHAR, start, length, code));
        }
        if (!anyAccess) {
            // the access asked for must hold no bit outside the rule's: (access & ~bits) == 0
            code.add(insn(ALU32_MOV_X, R1, ACCESS, 0, 0));
            code.add(insn(ALU32_AND_K, R1, 0, 0, ~bits & 0xffff));
            code.add(skipUnless(R1, 0, start, length, code));
        }
        if (rule.major() != DeviceRule.ANY) {
            code.add(skipUnless(MAJOR, rule.major(), start, length, code));
        }
        if (rule.minor() != DeviceRule.ANY) {
            code.add(skipUnless(MINOR, rule.minor(), start, length, code));
        }
        code.add(insn(ALU64_MOV_K, R0, 0, 0, 1));
        code.add(insn(JMP_EXIT, 0, 0, 0, 0));
    }

    /** A jump to the end of the rule starting at {@code start} when {@code register} is not {@code value}. */
    private static long skipUnless(int register, int value, int start, int length, List<Long> code) {
        int next = code.size() + 1;
        return insn(JMP_JNE_K, register, 0, start + length - next, value);
    }

    static int access(String access) {
        int bits = 0;
        for (char c : access.toCharArray()) {
            bits |= switch (c) {
                case 'r' -> ACCESS_READ;
                case 'w' -> ACCESS_WRITE;
                case 'm' -> ACCESS_MKNOD;
                default -> throw new IllegalArgumentException("device access '" + c + "' is not r, w or m");
            };
        }
        return bits;
    }

    static long insn(int opcode, int dst, int src, int offset, int imm) {
        return (opcode & 0xffL) | (long) (dst & 0xf) << 8 | (long) (src & 0xf) << 12 | (offset & 0xffffL) << 16
                | (imm & 0xffffffffL) << 32;
    }
}
