import java.io.Externalizable;
import java.io.ObjectStreamClass;
import java.io.ObjectStreamField;
import java.io.Serializable;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;

/**
 * Prints the serialization shape of each class named in a list, as the running JVM sees it:
 * serialVersionUID, stream flags, fields in stream order, and the serializable superclass.
 *
 * Output, one line per class, tab-separated:
 *   name  suid  flags(hex)  super-or-"-"  fields
 * where fields is a space-separated list of typecode:name[:signature].
 * Classes that do not exist print "absent", classes that are not serializable print "none".
 */
public final class ShapeDump {
    public static void main(String[] args) throws Exception {
        List<String> names = Files.readAllLines(Paths.get(args[0]));
        ClassLoader loader = ShapeDump.class.getClassLoader();
        for (String raw : names) {
            String name = raw.trim();
            if (name.isEmpty() || name.startsWith("#")) continue;
            Class<?> cls;
            try {
                cls = Class.forName(name, false, loader);
            } catch (ClassNotFoundException | NoClassDefFoundError e) {
                System.out.println(name + "\tabsent");
                continue;
            }
            ObjectStreamClass osc = ObjectStreamClass.lookup(cls);
            if (osc == null) {
                System.out.println(name + "\tnone");
                continue;
            }
            System.out.println(name + "\t" + osc.getSerialVersionUID() + "\t" + String.format("%02x", flags(cls))
                + "\t" + superName(cls) + "\t" + fields(osc));
        }
    }

    private static int flags(Class<?> cls) {
        int flags = 0;
        if (Externalizable.class.isAssignableFrom(cls)) {
            flags |= 0x04 | 0x08;
        } else if (Serializable.class.isAssignableFrom(cls)) {
            flags |= 0x02;
            if (hasPrivateMethod(cls, "writeObject", java.io.ObjectOutputStream.class)) flags |= 0x01;
        }
        if (Enum.class.isAssignableFrom(cls)) flags |= 0x10;
        return flags;
    }

    private static boolean hasPrivateMethod(Class<?> cls, String name, Class<?> parameter) {
        try {
            Method method = cls.getDeclaredMethod(name, parameter);
            return Modifier.isPrivate(method.getModifiers()) && !Modifier.isStatic(method.getModifiers());
        } catch (NoSuchMethodException e) {
            return false;
        }
    }

    private static String superName(Class<?> cls) {
        if (cls.isArray() || cls.isEnum() && cls.getSuperclass() == Enum.class) {
            return cls.isEnum() ? "java.lang.Enum" : "-";
        }
        Class<?> parent = cls.getSuperclass();
        if (parent == null || !Serializable.class.isAssignableFrom(parent)) return "-";
        return parent.getName();
    }

    private static String fields(ObjectStreamClass osc) {
        List<String> parts = new ArrayList<>();
        for (ObjectStreamField field : osc.getFields()) {
            String part = field.getTypeCode() + ":" + field.getName();
            if (!field.isPrimitive()) part += ":" + field.getTypeString();
            parts.add(part);
        }
        return String.join(" ", parts);
    }
}
