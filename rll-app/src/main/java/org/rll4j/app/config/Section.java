package org.rll4j.app.config;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Strict reader of one mapping of a parsed YAML/JSON configuration. Every read names the key it
 * consumed; {@link #finish()} rejects any key that was not read, naming it, the keys allowed here and
 * the closest one. Values of the wrong type or out of range fail naming the full dotted path.
 */
final class Section {

    private final String path;
    private final Map<String, Object> values;
    private final Set<String> known = new LinkedHashSet<>();

    Section(String path, Map<String, Object> values) {
        this.path = path;
        this.values = values == null ? Map.of() : values;
    }

    private String key(String name) {
        return path.isEmpty() ? name : path + "." + name;
    }

    private Object raw(String name) {
        known.add(name);
        return values.get(name);
    }

    /** Whether the key is given, without counting it as read (a key {@link #finish} then still reports as unknown). */
    boolean has(String name) {
        return values.containsKey(name);
    }

    Section section(String name) {
        Object v = raw(name);
        if (v == null) {
            return new Section(key(name), Map.of());
        }
        if (!(v instanceof Map<?, ?> m)) {
            throw new ConfigException(String.format(Locale.ROOT, "%s must be a mapping of keys, found %s", key(name), describe(v)));
        }
        Map<String, Object> copy = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : m.entrySet()) {
            copy.put(String.valueOf(e.getKey()), e.getValue());
        }
        return new Section(key(name), copy);
    }

    String string(String name, String def) {
        Object v = raw(name);
        if (v == null) {
            return def;
        }
        if (v instanceof Map || v instanceof List) {
            throw new ConfigException(String.format(Locale.ROOT, "%s must be a single value, found %s", key(name), describe(v)));
        }
        return String.valueOf(v);
    }

    /** One of {@code allowed} (case-insensitive), returned in lower case. */
    String choice(String name, String def, Collection<String> allowed) {
        String v = string(name, def);
        String lower = v.toLowerCase(Locale.ROOT);
        if (!allowed.contains(lower)) {
            throw new ConfigException(String.format(Locale.ROOT, "%s must be one of %s, found '%s'", key(name), allowed, v));
        }
        return lower;
    }

    boolean bool(String name, boolean def) {
        Object v = raw(name);
        if (v == null) {
            return def;
        }
        if (v instanceof Boolean b) {
            return b;
        }
        String s = String.valueOf(v).toLowerCase(Locale.ROOT);
        if (s.equals("true") || s.equals("false")) {
            return Boolean.parseBoolean(s);
        }
        throw new ConfigException(String.format(Locale.ROOT, "%s must be true or false, found %s", key(name), describe(v)));
    }

    long integer(String name, long def, long min, long max) {
        Object v = raw(name);
        if (v == null) {
            return def;
        }
        long x;
        if (v instanceof Integer || v instanceof Long) {
            x = ((Number) v).longValue();
        } else {
            try {
                x = Long.parseLong(String.valueOf(v).trim());
            } catch (NumberFormatException e) {
                throw new ConfigException(String.format(Locale.ROOT, "%s must be an integer in [%d, %d], found %s", key(name),
                        min, max, describe(v)));
            }
        }
        if (x < min || x > max) {
            throw new ConfigException(String.format(Locale.ROOT, "%s must be an integer in [%d, %d], found %d", key(name), min,
                    max, x));
        }
        return x;
    }

    int integer(String name, int def, int min, int max) {
        return (int) integer(name, (long) def, min, max);
    }

    double number(String name, double def, double min, double max) {
        Object v = raw(name);
        if (v == null) {
            return def;
        }
        double x;
        if (v instanceof Number n) {
            x = n.doubleValue();
        } else {
            try {
                x = Double.parseDouble(String.valueOf(v).trim());
            } catch (NumberFormatException e) {
                throw new ConfigException(String.format(Locale.ROOT, "%s must be a number in [%s, %s], found %s", key(name),
                        fmt(min), fmt(max), describe(v)));
            }
        }
        if (!(x >= min && x <= max)) {
            throw new ConfigException(String.format(Locale.ROOT, "%s must be a number in [%s, %s], found %s", key(name), fmt(min),
                    fmt(max), fmt(x)));
        }
        return x;
    }

    /** A number or absent (null): for optional overrides. */
    Double optionalNumber(String name, double min, double max) {
        if (values.get(name) == null) {
            known.add(name);
            return null;
        }
        return number(name, 0, min, max);
    }

    int[] integers(String name, int[] def, int min) {
        Object v = raw(name);
        if (v == null) {
            return def.clone();
        }
        List<?> list = v instanceof List<?> l ? l : List.of(v);
        if (list.isEmpty()) {
            throw new ConfigException(String.format(Locale.ROOT, "%s must list at least one integer >= %d, found []", key(name), min));
        }
        int[] out = new int[list.size()];
        for (int i = 0; i < out.length; i++) {
            Object o = list.get(i);
            try {
                out[i] = o instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue()) ? n.intValue()
                        : Integer.parseInt(String.valueOf(o).trim());
            } catch (NumberFormatException e) {
                throw new ConfigException(String.format(Locale.ROOT, "%s[%d] must be an integer >= %d, found %s", key(name), i, min,
                        describe(o)));
            }
            if (out[i] < min) {
                throw new ConfigException(String.format(Locale.ROOT, "%s[%d] must be an integer >= %d, found %d", key(name), i, min,
                        out[i]));
            }
        }
        return out;
    }

    /** Rejects keys that no read asked for. */
    void finish() {
        for (String k : values.keySet()) {
            if (!known.contains(k)) {
                String where = path.isEmpty() ? "at the top level" : "in '" + path + "'";
                String close = closest(k, known);
                throw new ConfigException(String.format(Locale.ROOT, "unknown key '%s' %s%s; allowed keys: %s", key(k), where,
                        close == null ? "" : " (did you mean '" + close + "'?)", new TreeSet<>(known)));
            }
        }
    }

    private static String closest(String k, Collection<String> candidates) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String c : candidates) {
            int d = distance(k.toLowerCase(Locale.ROOT), c.toLowerCase(Locale.ROOT));
            if (d < bestDistance) {
                bestDistance = d;
                best = c;
            }
        }
        return bestDistance <= Math.max(2, k.length() / 3) ? best : null;
    }

    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    private static String describe(Object v) {
        if (v instanceof Map) {
            return "a mapping";
        }
        if (v instanceof List<?> l) {
            return "a list " + new ArrayList<>(l);
        }
        return v instanceof String ? "'" + v + "'" : String.valueOf(v);
    }

    private static String fmt(double d) {
        if (d == Double.MAX_VALUE) {
            return "inf";
        }
        return d == Math.rint(d) && Math.abs(d) < 1e15 ? String.valueOf((long) d) : String.valueOf(d);
    }
}
