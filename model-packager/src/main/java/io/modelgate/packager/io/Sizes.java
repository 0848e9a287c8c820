package io.modelgate.packager.io;

import java.util.Locale;

/** Sizes as Docker prints them: decimal units, three significant digits. */
public final class Sizes {
    private Sizes() {
    }

    public static String human(long bytes) {
        String[] units = {"B", "kB", "MB", "GB", "TB"};
        double v = bytes;
        int u = 0;
        while (v >= 1000 && u < units.length - 1) {
            v /= 1000;
            u++;
        }
        return u == 0 ? bytes + "B" : String.format(Locale.ROOT, v >= 100 ? "%.0f%s" : v >= 10 ? "%.1f%s" : "%.2f%s", v, units[u]);
    }
}
