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
 * The device allow-list of a cgroup v2 cgroup, which has no devices.allow file: {@link #EBPF} loads the
 * {@link DeviceProgram} for the rules with bpf(2) and attaches it to the cgroup (BPF_CGROUP_DEVICE, as runc and crun
 * do). Attaching again (new limits for a running container) replaces the program attached before in one step;
 * {@link #clear} detaches it, lifting the restriction. A program stays attached for the cgroup's life and goes with
 * it, so removing a container needs nothing from here. Tests of the v2 backend on a fake cgroup tree give a filter of
 * their own.
 */
interface DeviceFilter {
    /** Restricts the cgroup's processes to the devices {@code rules} allow, in place of any earlier list. */
    void attach(Path cgroup, List<DeviceRule> rules);

    /** Lifts the restriction: every device program attached to the cgroup itself is detached. */
    void clear(Path cgroup);

    DeviceFilter EBPF = new DeviceFilter() {
        @Override
        public void attach(Path cgroup, List<DeviceRule> rules) {
            Bpf.attach(cgroup, rules);
        }

        @Override
        public void clear(Path cgroup) {
            Bpf.clear(cgroup);
        }
    };

    /** bpf(2) through JNA: load a program, attach it to a cgroup, replace or detach what is there. */
    final class Bpf {
        private static final int BPF_PROG_LOAD = 5;
        private static final int BPF_PROG_ATTACH = 8;
        private static final int BPF_PROG_DETACH = 9;
        private static final int BPF_PROG_GET_FD_BY_ID = 13;
        private static final int BPF_PROG_QUERY = 16;
        private static final int BPF_PROG_TYPE_CGROUP_DEVICE = 15;
        private static final int BPF_CGROUP_DEVICE = 6;
        /** Programs of the cgroups above (systemd's, say) keep running as well; every one must allow an access. */
        private static final int BPF_F_ALLOW_MULTI = 2;
        /** With ALLOW_MULTI: the new program takes the place of replace_bpf_fd's, atomically (Linux 5.6). */
        private static final int BPF_F_REPLACE = 4;
        /** The kernel attaches at most 64 programs of one type to a cgroup. */
        private static final int MAX_PROGRAMS = 64;
        private static final int EPERM = 1;
        private static final int ENOENT = 2;
        private static final int EINVAL = 22;
        private static final int ENOSYS = 38;
        private static final int O_CLOEXEC = 02000000;
        private static final int RLIMIT_MEMLOCK = 8;
        /** Room for union bpf_attr's fields we set; the kernel takes a shorter or longer one whose tail is zero. */
        private static final int ATTR_SIZE = 128;
        private static final int LOG_SIZE = 256 * 1024;
        /** How much of the verifier's log a refusal quotes: its last lines say why. */
        private static final int LOG_QUOTED = 2_000;

        private Bpf() {
        }

        private interface Libc extends Library {
            long syscall(long number, Object... args) throws LastErrorException;

            int open(String path, int flags) throws LastErrorException;

            int close(int fd) throws LastErrorException;

            int getrlimit(int resource, long[] limit) throws LastErrorException;

            int setrlimit(int resource, long[] limit) throws LastErrorException;

            String strerror(int errnum);
        }

        private static final class Holder {
            static final Libc LIBC = Native.load("c", Libc.class);
        }

        /**
         * One attach or clear at a time in this process: the query of what is attached and the replacement must not
         * interleave with another's (two updates of one container would leave both programs attached, so that only
         * what both allow is allowed).
         */
        static synchronized void attach(Path cgroup, List<DeviceRule> rules) {
            Libc libc = libc(cgroup);
            long sysBpf = sysBpf(cgroup);
            int program = load(libc, sysBpf, DeviceProgram.of(rules), cgroup, rules);
            try {
                int dir = open(libc, cgroup);
                try {
                    int[] before = attached(libc, sysBpf, dir, cgroup);
                    if (before.length == 1) {
                        replace(libc, sysBpf, dir, program, before[0], cgroup);
                    } else {
                        // none yet; or several, which only a failure half-way can leave: the new one goes first,
                        // then the others
                        attachNew(libc, sysBpf, dir, program, 0, 0, cgroup);
                        for (int id : before) {
                            detach(libc, sysBpf, dir, id, cgroup);
                        }
                    }
                } finally {
                    closeQuietly(libc, dir);
                }
            } finally {
                closeQuietly(libc, program);
            }
        }

        /** How many device programs are attached to the cgroup itself. */
        static synchronized int programs(Path cgroup) {
            Libc libc = libc(cgroup);
            int dir = open(libc, cgroup);
            try {
                return attached(libc, sysBpf(cgroup), dir, cgroup).length;
            } finally {
                closeQuietly(libc, dir);
            }
        }

        static synchronized void clear(Path cgroup) {
            Libc libc = libc(cgroup);
            long sysBpf = sysBpf(cgroup);
            int dir = open(libc, cgroup);
            try {
                int[] before;
                try {
                    before = attached(libc, sysBpf, dir, cgroup);
                } catch (CgroupException e) {
                    return; // no cgroup BPF here at all: nothing can have been attached
                }
                for (int id : before) {
                    detach(libc, sysBpf, dir, id, cgroup);
                }
            } finally {
                closeQuietly(libc, dir);
            }
        }

        private static void replace(Libc libc, long sysBpf, int dir, int program, int oldId, Path cgroup) {
            int old;
            try {
                old = programFd(libc, sysBpf, oldId);
            } catch (LastErrorException e) {
                attachNew(libc, sysBpf, dir, program, 0, 0, cgroup); // detached meanwhile: nothing to replace
                return;
            }
            try {
                attachNew(libc, sysBpf, dir, program, BPF_F_REPLACE, old, cgroup);
            } finally {
                closeQuietly(libc, old);
            }
        }

        private static void attachNew(Libc libc, long sysBpf, int dir, int program, int flags, int replaced, Path cgroup) {
            Memory attr = attachment(dir, program, BPF_F_ALLOW_MULTI | flags);
            attr.setInt(16, replaced);                         // replace_bpf_fd
            try {
                libc.syscall(sysBpf, BPF_PROG_ATTACH, attr, ATTR_SIZE);
            } catch (LastErrorException e) {
                int errno = e.getErrorCode();
                throw new CgroupException("cannot attach the device allow-list to cgroup " + cgroup + " (bpf "
                        + "BPF_PROG_ATTACH: " + libc.strerror(errno) + ")" + (errno == EPERM
                        ? "; a device program attached to a cgroup above it without BPF_F_ALLOW_MULTI forbids "
                        + "programs below" : ""), e);
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
            int program;
            try {
                program = programFd(libc, sysBpf, id);
            } catch (LastErrorException e) {
                return; // detached meanwhile
            }
            try {
                libc.syscall(sysBpf, BPF_PROG_DETACH, attachment(dir, program, 0), ATTR_SIZE);
            } catch (LastErrorException e) {
                if (e.getErrorCode() != ENOENT) { // ENOENT: detached meanwhile
                    throw new CgroupException("cannot detach device program " + id + " from cgroup " + cgroup
                            + " (bpf BPF_PROG_DETACH: " + libc.strerror(e.getErrorCode()) + ")", e);
                }
            } finally {
                closeQuietly(libc, program);
            }
        }

        private static int programFd(Libc libc, long sysBpf, int id) {
            Memory attr = new Memory(ATTR_SIZE);
            attr.clear();
            attr.setInt(0, id);                                // prog_id
            return (int) libc.syscall(sysBpf, BPF_PROG_GET_FD_BY_ID, attr, ATTR_SIZE);
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

        /**
         * Loads the program. Quietly first; only when the kernel refuses it is it loaded again with the verifier's
         * log, to say why (a log that overflows its buffer fails the load by itself). Kernels before 5.11 charge
         * the program against RLIMIT_MEMLOCK even for root: refused with EPERM, it is loaded once more under an
         * unlimited one, which is then put back.
         */
        private static int load(Libc libc, long sysBpf, long[] code, Path cgroup, List<DeviceRule> rules) {
            try {
                return loadOnce(libc, sysBpf, code, null);
            } catch (LastErrorException e) {
                if (e.getErrorCode() == EPERM) {
                    Integer fd = underUnlimitedMemlock(libc, () -> loadOnce(libc, sysBpf, code, null));
                    if (fd != null) {
                        return fd;
                    }
                }
                Memory log = new Memory(LOG_SIZE);
                log.clear();
                String verifier = "";
                try {
                    closeQuietly(libc, loadOnce(libc, sysBpf, code, log));
                } catch (LastErrorException again) {
                    verifier = log.getString(0, StandardCharsets.US_ASCII.name()).strip();
                }
                if (verifier.length() > LOG_QUOTED) {
                    verifier = "..." + verifier.substring(verifier.length() - LOG_QUOTED);
                }
                int errno = e.getErrorCode();
                throw new CgroupException("cannot load the device allow-list of cgroup " + cgroup + " (" + rules.size()
                        + " rules) as an eBPF program (bpf BPF_PROG_LOAD: " + libc.strerror(errno) + ")"
                        + (errno == EPERM || errno == EINVAL || errno == ENOSYS ? "; cgroup v2 limits a container's "
                        + "devices this way, which needs root and a kernel built with CONFIG_CGROUP_BPF" : "")
                        + (verifier.isEmpty() ? "" : "; the verifier said: " + verifier), e);
            }
        }

        private static int loadOnce(Libc libc, long sysBpf, long[] code, Memory log) {
            Memory insns = new Memory(8L * code.length);
            for (int i = 0; i < code.length; i++) {
                insns.setLong(8L * i, code[i]);
            }
            byte[] text = "Apache-2.0\0".getBytes(StandardCharsets.US_ASCII);
            Memory license = new Memory(text.length);
            license.write(0, text, 0, text.length);
            Memory attr = new Memory(ATTR_SIZE);
            attr.clear();
            attr.setInt(0, BPF_PROG_TYPE_CGROUP_DEVICE);       // prog_type
            attr.setInt(4, code.length);                       // insn_cnt
            attr.setPointer(8, insns);                         // insns
            attr.setPointer(16, license);                      // license
            if (log != null) {
                attr.setInt(24, 1);                            // log_level
                attr.setInt(28, (int) log.size());             // log_size
                attr.setPointer(32, log);                      // log_buf
            }
            byte[] name = "modelgate_dev".getBytes(StandardCharsets.US_ASCII);
            attr.write(48, name, 0, name.length);              // prog_name, shown by bpftool
            attr.setInt(68, BPF_CGROUP_DEVICE);                // expected_attach_type
            try {
                return (int) libc.syscall(sysBpf, BPF_PROG_LOAD, attr, ATTR_SIZE);
            } finally {
                // the kernel has read the buffers attr points to: only now may they be freed
                Reference.reachabilityFence(insns);
                Reference.reachabilityFence(license);
            }
        }

        /** The load under an unlimited RLIMIT_MEMLOCK, then the limit as it was; null when that fails too. */
        private static Integer underUnlimitedMemlock(Libc libc, java.util.function.IntSupplier load) {
            long[] was = new long[2];
            try {
                libc.getrlimit(RLIMIT_MEMLOCK, was);
                libc.setrlimit(RLIMIT_MEMLOCK, new long[] {-1L, -1L}); // RLIM_INFINITY
            } catch (LastErrorException e) {
                return null;
            }
            try {
                return load.getAsInt();
            } catch (LastErrorException e) {
                return null;
            } finally {
                try {
                    libc.setrlimit(RLIMIT_MEMLOCK, was);
                } catch (LastErrorException ignored) {
                    // raised it, so it can be lowered again
                }
            }
        }

        private static int open(Libc libc, Path cgroup) {
            try {
                return libc.open(cgroup.toString(), O_CLOEXEC);
            } catch (LastErrorException e) {
                throw new CgroupException("cannot open cgroup " + cgroup + ": " + libc.strerror(e.getErrorCode()), e);
            }
        }

        private static void closeQuietly(Libc libc, int fd) {
            try {
                libc.close(fd);
            } catch (LastErrorException ignored) {
                // nothing to do about a descriptor that will not close; the error at hand matters more
            }
        }

        private static Libc libc(Path cgroup) {
            try {
                return Holder.LIBC;
            } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
                throw new CgroupException("cannot load libc through JNA to set the device allow-list of cgroup "
                        + cgroup + ": " + e.getMessage(), e);
            }
        }

        private static long sysBpf(Path cgroup) {
            return switch (System.getProperty("os.arch")) {
                case "amd64", "x86_64" -> 321;
                case "aarch64", "arm64", "riscv64" -> 280;
                default -> throw new CgroupException("cannot set the device allow-list of cgroup " + cgroup
                        + ": bpf(2) is not wired up for " + System.getProperty("os.arch"));
            };
        }
    }
}
