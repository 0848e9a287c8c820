package io.modelgate.runtime.cgroup;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;

import java.lang.ref.Reference;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/**
 * Installs a device allow-list on a cgroup v2 cgroup, which has no devices.allow file: {@link #EBPF} loads the
 * {@link DeviceProgram} for the rules with bpf(2) and attaches it to the cgroup (BPF_CGROUP_DEVICE, as runc and crun
 * do). Attaching again (new limits for a running container) replaces the program attached before, once the new one
 * is in place. The program stays attached for the cgroup's life and goes with it, so there is nothing to undo. Tests
 * of the v2 backend on a fake cgroup tree give a filter of their own.
 */
interface DeviceFilter {
    void attach(Path cgroup, List<DeviceRule> rules);

    DeviceFilter EBPF = Bpf::attachDeviceProgram;

    /** bpf(2) through JNA: load a program, attach it to a cgroup. */
    final class Bpf {
        private static final int BPF_PROG_LOAD = 5;
        private static final int BPF_PROG_ATTACH = 8;
        private static final int BPF_PROG_DETACH = 9;
        private static final int BPF_PROG_GET_FD_BY_ID = 13;
        private static final int BPF_PROG_QUERY = 16;
        /** The kernel attaches at most 64 programs of one type to a cgroup. */
        private static final int MAX_PROGRAMS = 64;
        private static final int BPF_PROG_TYPE_CGROUP_DEVICE = 15;
        private static final int BPF_CGROUP_DEVICE = 6;
        /** Programs of the cgroups above (systemd's, say) keep running as well; every one must allow an access. */
        private static final int BPF_F_ALLOW_MULTI = 2;
        private static final int O_CLOEXEC = 02000000;
        /** Room for union bpf_attr's fields we set; the kernel takes a shorter or longer one whose tail is zero. */
        private static final int ATTR_SIZE = 128;
        private static final int LOG_SIZE = 64 * 1024;

        private Bpf() {
        }

        private interface Libc extends Library {
            long syscall(long number, Object... args) throws LastErrorException;

            int open(String path, int flags) throws LastErrorException;

            int close(int fd) throws LastErrorException;

            String strerror(int errnum);
        }

        private static final class Holder {
            static final Libc LIBC = Native.load("c", Libc.class);
        }

        static void attachDeviceProgram(Path cgroup, List<DeviceRule> rules) {
            long sysBpf = switch (System.getProperty("os.arch")) {
                case "amd64", "x86_64" -> 321;
                case "aarch64", "arm64", "riscv64" -> 280;
                default -> throw new CgroupException("cannot install the device allow-list of cgroup " + cgroup
                        + ": bpf(2) is not wired up for " + System.getProperty("os.arch"));
            };
            Libc libc;
            try {
                libc = Holder.LIBC;
            } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
                throw new CgroupException("cannot load libc through JNA to install the device allow-list of cgroup "
                        + cgroup + ": " + e.getMessage(), e);
            }
            int program = load(libc, sysBpf, DeviceProgram.of(rules), cgroup, rules);
            try {
                int dir;
                try {
                    dir = libc.open(cgroup.toString(), O_CLOEXEC);
                } catch (LastErrorException e) {
                    throw new CgroupException("cannot open cgroup " + cgroup + ": " + libc.strerror(e.getErrorCode()), e);
                }
                try {
                    int[] before = attached(libc, sysBpf, dir, cgroup);
                    try {
                        libc.syscall(sysBpf, BPF_PROG_ATTACH, attachment(dir, program, BPF_F_ALLOW_MULTI), ATTR_SIZE);
                    } catch (LastErrorException e) {
                        throw new CgroupException("cannot attach the device allow-list to cgroup " + cgroup + " (bpf "
                                + "BPF_PROG_ATTACH: " + libc.strerror(e.getErrorCode()) + "); a program attached above "
                                + "it without BPF_F_ALLOW_MULTI forbids programs below", e);
                    }
                    for (int id : before) {
                        detach(libc, sysBpf, dir, id, cgroup);
                    }
                } finally {
                    libc.close(dir);
                }
            } finally {
                libc.close(program);
            }
        }

        /** The ids of the device programs attached to the cgroup itself (not those above it). */
        private static int[] attached(Libc libc, long sysBpf, int dir, Path cgroup) {
            Memory ids = new Memory(4L * MAX_PROGRAMS);
            Memory attr = new Memory(ATTR_SIZE);
            attr.clear();
            attr.setInt(0, dir);                               // target_fd
            attr.setInt(4, BPF_CGROUP_DEVICE);                 // attach_type
            attr.setPointer(16, ids);                          // prog_ids
            attr.setInt(24, MAX_PROGRAMS);                     // prog_cnt: room for, then how many
            try {
                libc.syscall(sysBpf, BPF_PROG_QUERY, attr, ATTR_SIZE);
            } catch (LastErrorException e) {
                throw new CgroupException("cannot list the device programs of cgroup " + cgroup + " (bpf BPF_PROG_QUERY: "
                        + libc.strerror(e.getErrorCode()) + ")", e);
            }
            return ids.getIntArray(0, attr.getInt(24));
        }

        private static void detach(Libc libc, long sysBpf, int dir, int id, Path cgroup) {
            Memory attr = new Memory(ATTR_SIZE);
            attr.clear();
            attr.setInt(0, id);                                // prog_id
            int program;
            try {
                program = (int) libc.syscall(sysBpf, BPF_PROG_GET_FD_BY_ID, attr, ATTR_SIZE);
            } catch (LastErrorException e) {
                return; // detached meanwhile
            }
            try {
                libc.syscall(sysBpf, BPF_PROG_DETACH, attachment(dir, program, 0), ATTR_SIZE);
            } catch (LastErrorException e) {
                throw new CgroupException("cannot detach the earlier device allow-list (program " + id + ") from cgroup "
                        + cgroup + " (bpf BPF_PROG_DETACH: " + libc.strerror(e.getErrorCode()) + ")", e);
            } finally {
                libc.close(program);
            }
        }

        /** The attr of BPF_PROG_ATTACH, and of BPF_PROG_DETACH (whose flags must be 0). */
        private static Memory attachment(int dir, int program, int flags) {
            Memory attr = new Memory(ATTR_SIZE);
            attr.clear();
            attr.setInt(0, dir);                               // target_fd
            attr.setInt(4, program);                           // attach_bpf_fd
            attr.setInt(8, BPF_CGROUP_DEVICE);                 // attach_type
            attr.setInt(12, flags);                            // attach_flags
            return attr;
        }

        private static int load(Libc libc, long sysBpf, long[] code, Path cgroup, List<DeviceRule> rules) {
            Memory insns = new Memory(8L * code.length);
            for (int i = 0; i < code.length; i++) {
                insns.setLong(8L * i, code[i]);
            }
            byte[] text = "Apache-2.0\0".getBytes(StandardCharsets.US_ASCII);
            Memory license = new Memory(text.length);
            license.write(0, text, 0, text.length);
            Memory log = new Memory(LOG_SIZE);
            log.clear();
            Memory attr = new Memory(ATTR_SIZE);
            attr.clear();
            attr.setInt(0, BPF_PROG_TYPE_CGROUP_DEVICE);       // prog_type
            attr.setInt(4, code.length);                       // insn_cnt
            attr.setPointer(8, insns);                         // insns
            attr.setPointer(16, license);                      // license
            attr.setInt(24, 1);                                // log_level: the verifier says why it refuses
            attr.setInt(28, LOG_SIZE);                         // log_size
            attr.setPointer(32, log);                          // log_buf
            byte[] name = "modelgate_dev".getBytes(StandardCharsets.US_ASCII);
            attr.write(48, name, 0, name.length);              // prog_name, shown by bpftool
            attr.setInt(68, BPF_CGROUP_DEVICE);                // expected_attach_type
            try {
                int fd = (int) libc.syscall(sysBpf, BPF_PROG_LOAD, attr, ATTR_SIZE);
                // the kernel has read the buffers attr points to: only now may they be freed
                Reference.reachabilityFence(insns);
                Reference.reachabilityFence(license);
                return fd;
            } catch (LastErrorException e) {
                Reference.reachabilityFence(insns);
                Reference.reachabilityFence(license);
                String verifier = log.getString(0, StandardCharsets.US_ASCII.name()).strip();
                throw new CgroupException("cannot load the device allow-list " + rules + " for cgroup " + cgroup
                        + " as an eBPF program (bpf BPF_PROG_LOAD: " + libc.strerror(e.getErrorCode())
                        + (verifier.isEmpty() ? "" : "; verifier: " + verifier) + "); cgroup v2 needs it to limit "
                        + "which devices a container may use (a kernel built with CONFIG_CGROUP_BPF, and root)", e);
            }
        }
    }
}
