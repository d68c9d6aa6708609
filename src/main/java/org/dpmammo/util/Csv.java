package org.dpmammo.util;

import java.util.ArrayList;
import java.util.List;

/** Splitting of one CSV record: commas, with double-quoted fields that may hold commas and "" escapes (RFC 4180). */
public final class Csv {
    private Csv() {}

    /**
     * The fields of one line (one record per line: quoted line breaks are not supported).
     *
     * @throws IllegalArgumentException if a quoted field is not closed
     */
    public static List<String> split(String line) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quoted) {
                if (c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
                    cur.append('"');
                    i++;
                } else if (c == '"') {
                    quoted = false;
                } else {
                    cur.append(c);
                }
            } else if (c == '"') {
                quoted = true;
            } else if (c == ',') {
                out.add(cur.toString());
                cur.setLength(0);
            } else {
                cur.append(c);
            }
        }
        if (quoted) throw new IllegalArgumentException("unterminated quoted field");
        out.add(cur.toString());
        return out;
    }
}
