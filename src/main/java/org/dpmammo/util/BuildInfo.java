package org.dpmammo.util;

/** What build this is: the version the jar's manifest names ("dev" when run from classes, as tests do). */
public final class BuildInfo {
    private BuildInfo() {}

    public static String version() {
        String v = BuildInfo.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }
}
