package io.modelgate.runtime.cgroup;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One entry of a device allow-list, in the form of the v1 devices controller's devices.allow and devices.list
 * ({@code c 195:* rwm}): type {@code a} (all), {@code c} (char) or {@code b} (block), major and minor number
 * ({@link #ANY} is {@code *}) and access, a combination of r(ead), w(rite) and m(knod).
 */
public record DeviceRule(char type, int major, int minor, String access) {
    private static final Pattern FORM = Pattern.compile("([abc])(?: (\\*|\\d+):(\\*|\\d+) ([rwm]+))?");

    /** Any major or minor number: {@code *}. */
    public static final int ANY = -1;

    /** Every device, every access: what an unrestricted cgroup's devices.list shows. */
    public static final DeviceRule ALL = new DeviceRule('a', ANY, ANY, "rwm");

    /**
     * What every container needs, as Docker and runc allow by default: mknod of any node, and use of the nodes
     * the runtime puts in a container's /dev (null, zero, full, random, urandom, tty, ptmx and /dev/pts/*).
     */
    public static final List<DeviceRule> CONTAINER_DEFAULTS = List.of(
            parse("c *:* m"), parse("b *:* m"),
            parse("c 1:3 rwm"), parse("c 1:5 rwm"), parse("c 1:7 rwm"), parse("c 1:8 rwm"), parse("c 1:9 rwm"),
            parse("c 5:0 rwm"), parse("c 5:2 rwm"), parse("c 136:* rwm"));

    public DeviceRule {
        if (type != 'a' && type != 'b' && type != 'c') {
            throw new IllegalArgumentException("device type '" + type + "' is not a (all), b (block) or c (char)");
        }
        if (major < ANY || minor < ANY) {
            throw new IllegalArgumentException("device number " + major + ":" + minor + " is negative (use ANY for *)");
        }
        if (access == null || !access.matches("[rwm]{1,3}") || access.chars().distinct().count() < access.length()) {
            throw new IllegalArgumentException("device access '" + access + "' must be a non-empty combination of "
                    + "r, w and m, each at most once");
        }
        access = (access.indexOf('r') >= 0 ? "r" : "") + (access.indexOf('w') >= 0 ? "w" : "")
                + (access.indexOf('m') >= 0 ? "m" : ""); // as the kernel lists it
        if (type == 'a' && (major != ANY || minor != ANY)) {
            throw new IllegalArgumentException("a rule for all devices ('a') cannot name a device number");
        }
        if (type == 'a' && !access.equals("rwm")) {
            // the v1 devices controller takes any 'a' rule as every access to every device
            throw new IllegalArgumentException("a rule for all devices ('a') allows every access; '" + access
                    + "' alone cannot be given to all devices");
        }
    }

    /** A rule for one character device, or all of a major with {@link #ANY}: {@code charDevice(195, ANY, "rwm")}. */
    public static DeviceRule charDevice(int major, int minor, String access) {
        return new DeviceRule('c', major, minor, access);
    }

    /** Parses the kernel's form, {@code c 195:* rwm}, or a bare {@code a}. */
    public static DeviceRule parse(String text) {
        Matcher m = FORM.matcher(text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("device rule '" + text + "' is not of the form 'c 195:* rwm' "
                    + "(type a/b/c, major:minor with * for any, access from rwm)");
        }
        char type = m.group(1).charAt(0);
        if (m.group(2) == null) {
            return new DeviceRule(type, ANY, ANY, "rwm");
        }
        return new DeviceRule(type, number(m.group(2)), number(m.group(3)), m.group(4));
    }

    /** The kernel's form, as written to devices.allow. */
    @Override
    public String toString() {
        return type + " " + text(major) + ":" + text(minor) + " " + access;
    }

    private static int number(String text) {
        return text.equals("*") ? ANY : Integer.parseInt(text);
    }

    private static String text(int number) {
        return number == ANY ? "*" : Integer.toString(number);
    }
}
