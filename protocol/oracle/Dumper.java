package spark.oracle;

import java.io.Externalizable;
import java.io.ObjectStreamClass;
import java.io.ObjectStreamField;
import java.io.Serializable;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;

/**
 * Deterministic structural dump of an object graph produced by Java deserialization.
 *
 * Two graphs that print the same text are considered equal for the purposes of the
 * oracle: same runtime classes, same serialized field values, same collection shapes
 * (runtime class + elements in order, maps/sets sorted by the dump of their keys),
 * canonical Scala singletons (enumeration values, case objects, None).
 * Handle sharing and class-descriptor details of the byte stream are deliberately
 * not visible here.
 */
final class Dumper {
    static final int MAX_DEPTH = 40;
    private static final String INDENT = "  ";

    private static final Class<?> ENUM_VALUE = load("scala.Enumeration$Value");
    private static final Class<?> ENUMERATION = load("scala.Enumeration");
    private static final Class<?> RPC_ENDPOINT_REF = load("org.apache.spark.rpc.RpcEndpointRef");

    private final StringBuilder out = new StringBuilder();
    /** Objects on the current path from the root; revisiting one is a cycle. */
    private final IdentityHashMap<Object, Boolean> onPath = new IdentityHashMap<>();

    private Dumper() {}

    /** Full multi-line dump, newline-terminated. */
    static String dump(Object root) {
        Dumper d = new Dumper();
        d.value(root, 0, "");
        return d.out.toString();
    }

    private static Class<?> load(String name) {
        try {
            return Class.forName(name, false, Dumper.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException("class not on the classpath: " + name, e);
        }
    }

    // ---------------------------------------------------------------- output helpers

    private void line(int indent, String text) {
        for (int i = 0; i < indent; i++) out.append(INDENT);
        out.append(text).append('\n');
    }

    /** Appends pre-rendered text (rendered at indent 0) shifted to {@code indent}, first line prefixed. */
    private void appendShifted(int indent, String prefix, String rendered) {
        String[] lines = rendered.split("\n", -1);
        int n = lines.length;
        if (n > 0 && lines[n - 1].isEmpty()) n--;
        for (int i = 0; i < n; i++) {
            line(indent, (i == 0 ? prefix : "") + lines[i]);
        }
    }

    private String renderDetached(Object v) {
        Dumper sub = new Dumper();
        sub.onPath.putAll(onPath);
        sub.value(v, 0, "");
        return sub.out.toString();
    }

    // ---------------------------------------------------------------- leaves

    static String quote(String s) {
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"': b.append("\\\""); break;
                case '\\': b.append("\\\\"); break;
                case '\n': b.append("\\n"); break;
                case '\r': b.append("\\r"); break;
                case '\t': b.append("\\t"); break;
                default:
                    if (c < 0x20 || c > 0x7e) b.append(String.format("\\u%04x", (int) c));
                    else b.append(c);
            }
        }
        return b.append('"').toString();
    }

    private static boolean isBox(Object v) {
        return v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte
                || v instanceof Double || v instanceof Float || v instanceof Boolean
                || v instanceof Character;
    }

    static boolean isScalaModule(Object v) {
        Class<?> c = v.getClass();
        if (!c.getName().endsWith("$")) return false;
        try {
            Field f = c.getField("MODULE$");
            return Modifier.isStatic(f.getModifiers()) && f.getType() == c;
        } catch (NoSuchFieldException e) {
            return false;
        }
    }

    private static boolean isCanonicalModule(Object v) {
        try {
            return v.getClass().getField("MODULE$").get(null) == v;
        } catch (ReflectiveOperationException e) {
            return false;
        }
    }

    private static Object readField(Class<?> owner, String name, Object target) {
        try {
            Field f = owner.getDeclaredField(name);
            if (!f.trySetAccessible()) return Inaccessible.INSTANCE;
            return f.get(target);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return Inaccessible.INSTANCE;
        }
    }

    /** Marker for a field the dumper may not read (JDK strong encapsulation). */
    private enum Inaccessible { INSTANCE }

    /** Single-line rendering of leaf values, or null if {@code v} needs a block. */
    private String leaf(Object v) {
        if (v == null) return "null";
        if (v instanceof String) return quote((String) v);
        if (isBox(v)) {
            String s = v instanceof Character ? quote(v.toString()) : v.toString();
            return v.getClass().getName() + "(" + s + ")";
        }
        if (v instanceof Class) return "class " + ((Class<?>) v).getName();
        if (v instanceof Enum) {
            Enum<?> e = (Enum<?>) v;
            return e.getDeclaringClass().getName() + "." + e.name();
        }
        if (ENUM_VALUE.isInstance(v)) return enumerationValue(v);
        if (v instanceof scala.None$) {
            return isCanonicalModule(v) ? "None" : "None <NOT CANONICAL>";
        }
        if (v instanceof scala.Some) {
            String inner = leaf(((scala.Some<?>) v).value());
            return inner == null ? null : "Some(" + inner + ")";
        }
        if (v instanceof scala.concurrent.duration.FiniteDuration) {
            scala.concurrent.duration.FiniteDuration d = (scala.concurrent.duration.FiniteDuration) v;
            return "FiniteDuration(" + d.length() + " " + d.unit().name() + ")";
        }
        if (RPC_ENDPOINT_REF.isInstance(v)) return endpointRef(v);
        if (v instanceof java.net.URI) return "java.net.URI(" + quote(v.toString()) + ")";
        if (v instanceof scala.collection.Iterable && ((scala.collection.Iterable<?>) v).isEmpty()) {
            String cls = v.getClass().getName();
            if (v instanceof scala.collection.Map) return cls + " {}";
            return cls + backingArray(v) + " []";
        }
        if (isScalaModule(v) && !(v instanceof scala.collection.Iterable)) {
            return "module " + v.getClass().getName() + (isCanonicalModule(v) ? "" : " <NOT CANONICAL>");
        }
        if (v.getClass().isArray() && java.lang.reflect.Array.getLength(v) == 0) {
            return v.getClass().getComponentType().getName() + "[0] []";
        }
        if (v instanceof byte[]) {
            byte[] b = (byte[]) v;
            StringBuilder s = new StringBuilder("byte[" + b.length + "] ");
            for (byte x : b) s.append(String.format("%02x", x & 0xff));
            return s.toString();
        }
        return null;
    }

    private String enumerationValue(Object v) {
        Object outer = readField(ENUM_VALUE, "scala$Enumeration$$outerEnum", v);
        String name;
        try {
            name = v.toString();
        } catch (RuntimeException e) {
            name = "<toString failed: " + e + ">";
        }
        int id;
        try {
            id = (Integer) ENUM_VALUE.getMethod("id").invoke(v);
        } catch (ReflectiveOperationException e) {
            return "<enumeration value: " + e + ">";
        }
        if (!(ENUMERATION.isInstance(outer))) {
            return "<enumeration value without enumeration> " + name + "#" + id;
        }
        String enumName = outer.toString();
        boolean canonical = isCanonicalModule(outer);
        if (canonical) {
            try {
                Method apply = ENUMERATION.getMethod("apply", int.class);
                canonical = apply.invoke(outer, id) == v;
            } catch (ReflectiveOperationException e) {
                canonical = false;
            }
        }
        return enumName + "." + name + (canonical ? "" : " <NOT CANONICAL id=" + id + ">");
    }

    private String endpointRef(Object ref) {
        StringBuilder b = new StringBuilder();
        b.append(ref.getClass().getSimpleName()).append('(');
        Object addr = readField(ref.getClass(), "endpointAddress", ref);
        if (addr == null) {
            b.append("<null endpointAddress>");
        } else if (addr == Inaccessible.INSTANCE) {
            b.append(ref.toString());
        } else {
            Object cached = readField(addr.getClass(), "toString", addr);
            Object name = readField(addr.getClass(), "name", addr);
            Object rpc = readField(addr.getClass(), "rpcAddress", addr);
            b.append(cached instanceof String ? (String) cached : String.valueOf(cached));
            b.append(", name=").append(name instanceof String ? quote((String) name) : String.valueOf(name));
            b.append(", rpcAddress=");
            if (rpc == null) {
                b.append("null");
            } else {
                Object host = readField(rpc.getClass(), "host", rpc);
                Object port = readField(rpc.getClass(), "port", rpc);
                b.append("RpcAddress(")
                        .append(host instanceof String ? quote((String) host) : String.valueOf(host))
                        .append(", ").append(port).append(')');
            }
        }
        Object timeout = readField(RPC_ENDPOINT_REF, "defaultAskTimeout", ref);
        b.append(", defaultAskTimeout=");
        if (timeout == null || timeout == Inaccessible.INSTANCE) {
            b.append(String.valueOf(timeout == null ? "null" : "<inaccessible>"));
        } else {
            Object duration = readField(timeout.getClass(), "duration", timeout);
            Object prop = readField(timeout.getClass(), "timeoutProp", timeout);
            String d = duration == null ? "null" : leaf(duration);
            b.append(d).append(' ').append(prop instanceof String ? quote((String) prop) : String.valueOf(prop));
        }
        return b.append(')').toString();
    }

    // ---------------------------------------------------------------- dispatcher

    private void value(Object v, int indent, String prefix) {
        if (indent > MAX_DEPTH) {
            line(indent, prefix + "<depth limit>");
            return;
        }
        String s = leaf(v);
        if (s != null) {
            line(indent, prefix + s);
            return;
        }
        if (onPath.containsKey(v)) {
            line(indent, prefix + "<cycle " + v.getClass().getName() + ">");
            return;
        }
        onPath.put(v, Boolean.TRUE);
        try {
            block(v, indent, prefix);
        } finally {
            onPath.remove(v);
        }
    }

    private void block(Object v, int indent, String prefix) {
        Class<?> c = v.getClass();
        if (v instanceof scala.Some) {
            line(indent, prefix + "Some(");
            value(((scala.Some<?>) v).value(), indent + 1, "");
            line(indent, ")");
        } else if (v instanceof Throwable) {
            throwable((Throwable) v, indent, prefix);
        } else if (v instanceof scala.collection.Map) {
            List<Object[]> entries = new ArrayList<>();
            scala.collection.Iterator<?> it = ((scala.collection.Map<?, ?>) v).iterator();
            while (it.hasNext()) {
                scala.Tuple2<?, ?> t = (scala.Tuple2<?, ?>) it.next();
                entries.add(new Object[] {t._1(), t._2()});
            }
            mapBlock(c.getName(), entries, indent, prefix);
        } else if (v instanceof scala.collection.Set) {
            List<Object> elems = new ArrayList<>();
            scala.collection.Iterator<?> it = ((scala.collection.Iterable<?>) v).iterator();
            while (it.hasNext()) elems.add(it.next());
            sortedElements(c.getName(), elems, indent, prefix);
        } else if (v instanceof scala.collection.Iterable) {
            List<Object> elems = new ArrayList<>();
            scala.collection.Iterator<?> it = ((scala.collection.Iterable<?>) v).iterator();
            while (it.hasNext()) elems.add(it.next());
            seqBlock(c.getName() + backingArray(v), elems, indent, prefix);
        } else if (c.isArray()) {
            int n = java.lang.reflect.Array.getLength(v);
            List<Object> elems = new ArrayList<>(n);
            for (int i = 0; i < n; i++) elems.add(java.lang.reflect.Array.get(v, i));
            seqBlock(c.getComponentType().getName() + "[" + n + "]", elems, indent, prefix);
        } else if (v instanceof java.util.Map) {
            List<Object[]> entries = new ArrayList<>();
            for (java.util.Map.Entry<?, ?> e : ((java.util.Map<?, ?>) v).entrySet()) {
                entries.add(new Object[] {e.getKey(), e.getValue()});
            }
            mapBlock(c.getName(), entries, indent, prefix);
        } else if (v instanceof java.util.Set) {
            sortedElements(c.getName(), new ArrayList<Object>((java.util.Set<?>) v), indent, prefix);
        } else if (v instanceof java.util.Collection) {
            seqBlock(c.getName(), new ArrayList<Object>((java.util.Collection<?>) v), indent, prefix);
        } else {
            object(v, indent, prefix);
        }
    }

    /**
     * For array-backed Scala sequences, " of <array class>": the component type of the backing
     * array is part of the serialized form (e.g. Object[] vs String[] inside ArraySeq$ofRef).
     */
    private static String backingArray(Object v) {
        // By name and reflection: immutable.ArraySeq is Scala 2.13's, WrappedArray 2.12's.
        String name = v.getClass().getName();
        String accessor = null;
        if (name.startsWith("scala.collection.immutable.ArraySeq")) {
            accessor = "unsafeArray";
        } else if (name.startsWith("scala.collection.mutable.ArraySeq") || name.startsWith("scala.collection.mutable.WrappedArray")) {
            accessor = "array";
        }
        if (accessor == null) return "";
        Object arr;
        try {
            arr = v.getClass().getMethod(accessor).invoke(v);
        } catch (ReflectiveOperationException e) {
            return "";
        }
        return arr == null ? "" : " of " + arr.getClass().getComponentType().getName() + "[]";
    }

    private void seqBlock(String header, List<Object> elems, int indent, String prefix) {
        if (elems.isEmpty()) {
            line(indent, prefix + header + " []");
            return;
        }
        line(indent, prefix + header + " [");
        for (Object e : elems) value(e, indent + 1, "");
        line(indent, "]");
    }

    private void sortedElements(String header, List<Object> elems, int indent, String prefix) {
        List<String> rendered = new ArrayList<>();
        for (Object e : elems) rendered.add(renderDetached(e));
        rendered.sort(null);
        if (rendered.isEmpty()) {
            line(indent, prefix + header + " []");
            return;
        }
        line(indent, prefix + header + " [");
        for (String r : rendered) appendShifted(indent + 1, "", r);
        line(indent, "]");
    }

    private void mapBlock(String header, List<Object[]> entries, int indent, String prefix) {
        if (entries.isEmpty()) {
            line(indent, prefix + header + " {}");
            return;
        }
        List<String[]> rendered = new ArrayList<>();
        for (Object[] e : entries) {
            rendered.add(new String[] {renderDetached(e[0]), renderDetached(e[1])});
        }
        rendered.sort((a, b) -> a[0].equals(b[0]) ? a[1].compareTo(b[1]) : a[0].compareTo(b[0]));
        line(indent, prefix + header + " {");
        for (String[] e : rendered) {
            String key = e[0].endsWith("\n") ? e[0].substring(0, e[0].length() - 1) : e[0];
            if (key.indexOf('\n') < 0) {
                appendShifted(indent + 1, key + " -> ", e[1]);
            } else {
                line(indent + 1, "entry {");
                appendShifted(indent + 2, "key=", e[0]);
                appendShifted(indent + 2, "value=", e[1]);
                line(indent + 1, "}");
            }
        }
        line(indent, "}");
    }

    private void throwable(Throwable t, int indent, String prefix) {
        line(indent, prefix + t.getClass().getName() + " {");
        Object message = readField(Throwable.class, "detailMessage", t);
        if (message == Inaccessible.INSTANCE) message = t.getMessage();
        value(message, indent + 1, "message=");
        Object cause = readField(Throwable.class, "cause", t);
        if (cause == t) {
            line(indent + 1, "cause=<self>");
        } else if (cause == Inaccessible.INSTANCE) {
            value(t.getCause(), indent + 1, "cause=");
        } else {
            value(cause, indent + 1, "cause=");
        }
        Throwable[] suppressed = t.getSuppressed();
        if (suppressed.length > 0) {
            line(indent + 1, "suppressed [");
            for (Throwable s : suppressed) value(s, indent + 2, "");
            line(indent + 1, "]");
        }
        List<Class<?>> chain = hierarchy(t.getClass());
        for (Class<?> k : chain) {
            if (k.getName().startsWith("java.")) continue;
            fields(k, t, indent + 1, t.getClass());
        }
        line(indent, "}");
    }

    private static List<Class<?>> hierarchy(Class<?> c) {
        List<Class<?>> chain = new ArrayList<>();
        for (Class<?> k = c; k != null; k = k.getSuperclass()) chain.add(0, k);
        return chain;
    }

    private static boolean isJdk(Class<?> c) {
        String n = c.getName();
        return n.startsWith("java.") || n.startsWith("javax.") || n.startsWith("jdk.")
                || n.startsWith("sun.") || n.startsWith("com.sun.");
    }

    private void object(Object v, int indent, String prefix) {
        Class<?> c = v.getClass();
        List<Class<?>> chain = hierarchy(c);
        if (isJdk(c)) {
            // Only dump JDK internals whose serialized fields are all readable.
            for (Class<?> k : chain) {
                for (String name : serialFieldNames(k)) {
                    if (readField(k, name, v) == Inaccessible.INSTANCE) {
                        line(indent, prefix + c.getName() + "(" + quote(String.valueOf(v)) + ")");
                        return;
                    }
                }
            }
        }
        int before = out.length();
        line(indent, prefix + c.getName() + " {");
        int afterHeader = out.length();
        for (Class<?> k : chain) fields(k, v, indent + 1, c);
        if (out.length() == afterHeader) {
            out.setLength(before);
            line(indent, prefix + c.getName() + " {}");
        } else {
            line(indent, "}");
        }
    }

    /** Names of the fields Java serialization writes for class {@code k} itself, sorted by name. */
    private static List<String> serialFieldNames(Class<?> k) {
        List<String> names = new ArrayList<>();
        if (!Serializable.class.isAssignableFrom(k) || Externalizable.class.isAssignableFrom(k)) {
            return names;
        }
        ObjectStreamClass osc = ObjectStreamClass.lookup(k);
        if (osc == null) return names;
        // lookup(k) describes k only; skip fields inherited from the superclass descriptor.
        for (ObjectStreamField f : osc.getFields()) names.add(f.getName());
        names.sort(null);
        return names;
    }

    private void fields(Class<?> k, Object v, int indent, Class<?> runtime) {
        String owner = k == runtime ? "" : k.getName().substring(k.getName().lastIndexOf('.') + 1) + ".";
        for (String name : serialFieldNames(k)) {
            Object fv = readField(k, name, v);
            if (fv == Inaccessible.INSTANCE) {
                line(indent, owner + name + "=<inaccessible>");
            } else {
                value(fv, indent, owner + name + "=");
            }
        }
    }
}
