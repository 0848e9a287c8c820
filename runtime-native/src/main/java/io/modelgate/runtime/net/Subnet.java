package io.modelgate.runtime.net;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/** An IPv4 subnet such as {@code 10.89.0.0/16}; the first host address is the bridge's (the gateway). */
public record Subnet(int network, int prefix) {

    public Subnet {
        if (prefix < 8 || prefix > 30) {
            throw new IllegalArgumentException("subnet prefix /" + prefix + " is out of range (8-30)");
        }
        int mask = mask(prefix);
        if ((network & ~mask) != 0) {
            throw new IllegalArgumentException("subnet " + format(network) + "/" + prefix + " has host bits set (did you mean "
                    + format(network & mask) + "/" + prefix + "?)");
        }
    }

    /** Parses {@code a.b.c.d/prefix}. */
    public static Subnet parse(String cidr) {
        int slash = cidr.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("subnet '" + cidr + "' needs a prefix length, e.g. 10.89.0.0/16");
        }
        try {
            return new Subnet(toInt(cidr.substring(0, slash)), Integer.parseInt(cidr.substring(slash + 1)));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("subnet '" + cidr + "' is not a.b.c.d/prefix");
        }
    }

    public String gateway() {
        return format(network + 1);
    }

    /** The n-th address handed to containers: n = 0 is the first after the gateway. */
    public String host(int n) {
        if (n < 0 || n >= capacity()) {
            throw new IllegalArgumentException("address #" + n + " is outside " + this);
        }
        return format(network + 2 + n);
    }

    /** How many container addresses the subnet has (network, gateway and broadcast excluded). */
    public int capacity() {
        return (1 << (32 - prefix)) - 3;
    }

    @Override
    public String toString() {
        return format(network) + "/" + prefix;
    }

    private static int mask(int prefix) {
        return prefix == 0 ? 0 : -1 << (32 - prefix);
    }

    static int toInt(String ip) {
        String[] parts = ip.split("\\.");
        if (parts.length != 4) {
            throw new NumberFormatException(ip);
        }
        int v = 0;
        for (String p : parts) {
            int octet = Integer.parseInt(p);
            if (octet < 0 || octet > 255) {
                throw new NumberFormatException(ip);
            }
            v = (v << 8) | octet;
        }
        return v;
    }

    static String format(int ip) {
        return ((ip >>> 24) & 0xff) + "." + ((ip >>> 16) & 0xff) + "." + ((ip >>> 8) & 0xff) + "." + (ip & 0xff);
    }

    public static InetAddress address(String ip) {
        try {
            return Inet4Address.getByName(ip);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(ip, e);
        }
    }
}
