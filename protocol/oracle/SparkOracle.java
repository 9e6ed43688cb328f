package spark.oracle;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.ObjectStreamClass;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * JVM oracle for the Swift implementation of Spark's standalone RPC.
 *
 * Subcommands (stdout is machine-read, diagnostics go to stderr):
 *   suids CLASSLIST_FILE          className TAB (suid | absent | none), one line per input line
 *   golden OUTDIR                 writes NAME.bin, NAME.txt and manifest.txt for every fixture
 *   read FILE                     deep dump of the single object in FILE
 *   compare GOLDENDIR CANDIDATEDIR  OK/FAIL per candidate *.bin, exit 0 iff all OK
 *   dumpdir DIR                   "== name" + deep dump for every *.bin in DIR
 *   jws KEY ALG [NAME=VALUE...]   a JSON Web Signature made by jjwt (Spark 4's JWSFilter library)
 *   jws-raw KEY MAC HEADER PAYLOAD  a JSON Web Signature of that header and payload text, JDK HMAC
 */
public final class SparkOracle {
    private SparkOracle() {}

    public static void main(String[] args) throws Exception {
        PrintStream stdout = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), false,
                StandardCharsets.UTF_8);
        // Spark and log4j may print to System.out while initializing; keep stdout clean.
        System.setOut(System.err);
        int rc;
        try {
            rc = run(args, stdout);
        } finally {
            stdout.flush();
        }
        System.exit(rc);
    }

    /** Through reflection: Tokens is compiled only where the distribution ships jjwt. */
    private static int jws(String[] args, PrintStream out) throws Exception {
        Class<?> tokens;
        try {
            tokens = Class.forName("spark.oracle.Tokens");
        } catch (ClassNotFoundException e) {
            System.err.println("jws: this distribution has no jjwt");
            return 2;
        }
        if (args[0].equals("jws-raw")) {
            java.lang.reflect.Method raw = tokens.getDeclaredMethod("jwsRaw", String.class, String.class, String.class, String.class);
            raw.setAccessible(true);
            out.println(raw.invoke(null, args[1], args[2], args[3], args[4]));
            return 0;
        }
        java.lang.reflect.Method jws = tokens.getDeclaredMethod("jws", String.class, String.class, String[].class);
        jws.setAccessible(true);
        out.println(jws.invoke(null, args[1], args[2], Arrays.copyOfRange(args, 3, args.length)));
        return 0;
    }

    private static int usage() {
        System.err.println("usage: SparkOracle suids CLASSLIST | golden OUTDIR | read FILE"
                + " | compare GOLDENDIR CANDIDATEDIR | dumpdir DIR | jws KEY ALG [NAME=VALUE...] | jws-raw KEY MAC HEADER PAYLOAD");
        return 64;
    }

    private static int run(String[] args, PrintStream out) throws Exception {
        if (args.length == 0) return usage();
        switch (args[0]) {
            case "suids":
                return args.length == 2 ? suids(Paths.get(args[1]), out) : usage();
            case "golden":
                return args.length == 2 ? golden(Paths.get(args[1]), out) : usage();
            case "read":
                return args.length == 2 ? read(Paths.get(args[1]), out) : usage();
            case "compare":
                return args.length == 3 ? compare(Paths.get(args[1]), Paths.get(args[2]), out) : usage();
            case "jws":
                return args.length >= 3 ? jws(args, out) : usage();
            case "jws-raw":
                return args.length == 5 ? jws(args, out) : usage();
            case "dumpdir":
                return args.length == 2 ? dumpdir(Paths.get(args[1]), out) : usage();
            default:
                return usage();
        }
    }

    // ---------------------------------------------------------------- suids

    private static int suids(Path list, PrintStream out) throws IOException {
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        for (String raw : Files.readAllLines(list, StandardCharsets.UTF_8)) {
            String name = raw.trim();
            if (name.isEmpty() || name.startsWith("#")) continue;
            String result;
            try {
                Class<?> c = Class.forName(name, false, loader);
                ObjectStreamClass osc = ObjectStreamClass.lookup(c);
                result = osc == null ? "none" : Long.toString(osc.getSerialVersionUID());
            } catch (ClassNotFoundException | NoClassDefFoundError e) {
                result = "absent";
            }
            out.println(name + "\t" + result);
        }
        return 0;
    }

    // ---------------------------------------------------------------- serialization helpers

    /** One fresh ObjectOutputStream, exactly one writeObject. */
    static byte[] serialize(Object o) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream oos = new ObjectOutputStream(bytes)) {
            oos.writeObject(o);
            oos.flush();
        }
        return bytes.toByteArray();
    }

    /** Result of reading one stream: the object, or the failure, plus whether bytes followed it. */
    static final class ReadResult {
        Object value;
        Throwable error;
        boolean trailing;
    }

    static ReadResult deserialize(byte[] data) {
        ReadResult r = new ReadResult();
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(data))) {
            r.value = in.readObject();
            try {
                in.readObject();
                r.trailing = true;
            } catch (EOFException end) {
                r.trailing = false;
            } catch (Throwable other) {
                r.trailing = true;
            }
        } catch (Throwable t) {
            r.error = t;
        }
        return r;
    }

    static String describe(Throwable t) {
        return t.getClass().getName() + ": " + String.valueOf(t.getMessage()).replace('\n', ' ');
    }

    private static List<Path> binFiles(Path dir) throws IOException {
        List<Path> files = new ArrayList<>();
        try (var stream = Files.list(dir)) {
            stream.filter(p -> p.getFileName().toString().endsWith(".bin") && Files.isRegularFile(p))
                    .forEach(files::add);
        }
        files.sort((a, b) -> a.getFileName().toString().compareTo(b.getFileName().toString()));
        return files;
    }

    private static String baseName(Path p) {
        String n = p.getFileName().toString();
        return n.endsWith(".bin") ? n.substring(0, n.length() - 4) : n;
    }

    // ---------------------------------------------------------------- read / dumpdir

    private static int read(Path file, PrintStream out) {
        byte[] data;
        try {
            data = Files.readAllBytes(file);
        } catch (IOException e) {
            out.println("ERROR " + describe(e));
            return 2;
        }
        ReadResult r = deserialize(data);
        if (r.error != null) {
            out.println("ERROR " + describe(r.error));
            return 2;
        }
        if (r.trailing) System.err.println("warning: " + file + " has bytes after the first object");
        out.print(Dumper.dump(r.value));
        return 0;
    }

    private static int dumpdir(Path dir, PrintStream out) throws IOException {
        int rc = 0;
        for (Path p : binFiles(dir)) {
            out.println("== " + baseName(p));
            ReadResult r = deserialize(Files.readAllBytes(p));
            if (r.error != null) {
                out.println("ERROR " + describe(r.error));
                rc = 2;
            } else {
                if (r.trailing) System.err.println("warning: " + p + " has bytes after the first object");
                out.print(Dumper.dump(r.value));
            }
        }
        return rc;
    }

    // ---------------------------------------------------------------- compare

    private static int compare(Path goldenDir, Path candidateDir, PrintStream out) throws IOException {
        List<Path> candidates = binFiles(candidateDir);
        if (candidates.isEmpty()) {
            out.println("FAIL no *.bin files in " + candidateDir);
            return 1;
        }
        boolean allOk = true;
        for (Path cand : candidates) {
            String name = baseName(cand);
            Path gold = goldenDir.resolve(cand.getFileName().toString());
            if (!Files.isRegularFile(gold)) {
                out.println("FAIL " + name + " ERROR no golden file " + gold);
                allOk = false;
                continue;
            }
            byte[] candBytes = Files.readAllBytes(cand);
            byte[] goldBytes = Files.readAllBytes(gold);
            ReadResult c = deserialize(candBytes);
            if (c.error != null) {
                out.println("FAIL " + name + " ERROR " + describe(c.error));
                allOk = false;
                continue;
            }
            ReadResult g = deserialize(goldBytes);
            if (g.error != null) {
                out.println("FAIL " + name + " ERROR golden: " + describe(g.error));
                allOk = false;
                continue;
            }
            if (c.trailing) {
                out.println("FAIL " + name + " TRAILING bytes after the object in the candidate");
                allOk = false;
                continue;
            }
            String cd = Dumper.dump(c.value);
            String gd = Dumper.dump(g.value);
            if (cd.equals(gd)) {
                out.println("OK " + name);
                System.err.println(name + ": " + (Arrays.equals(candBytes, goldBytes)
                        ? "bytes identical" : "bytes differ (" + candBytes.length + " vs golden "
                        + goldBytes.length + "), dumps equal"));
            } else {
                out.println("FAIL " + name);
                for (String l : LineDiff.diff(gd, cd)) out.println("    " + l);
                allOk = false;
            }
        }
        return allOk ? 0 : 1;
    }

    // ---------------------------------------------------------------- golden

    private static int golden(Path outDir, PrintStream out) throws Exception {
        Files.createDirectories(outDir);
        // The fixtures are built with Scala 2.13 collections (Spark 4.x); build.sh leaves them out
        // when it compiles against a Scala 2.12 distribution, where the other subcommands still work.
        List<?> fixtures;
        try {
            fixtures = (List<?>) Class.forName("spark.oracle.Fixtures").getDeclaredMethod("all").invoke(null);
        } catch (ClassNotFoundException e) {
            System.err.println("error: this oracle was compiled without the fixtures (a Scala 2.12 distribution)");
            return 2;
        }
        StringBuilder manifest = new StringBuilder();
        int rc = 0;
        for (Object fixture : fixtures) {
            Class<?> type = fixture.getClass();
            String name = (String) type.getDeclaredField("name").get(fixture);
            Object value = type.getDeclaredField("value").get(fixture);
            String summary = (String) type.getDeclaredField("summary").get(fixture);
            byte[] bytes = serialize(value);
            String written = Dumper.dump(value);
            ReadResult back = deserialize(bytes);
            if (back.error != null) {
                System.err.println("error: " + name + " does not read back: " + describe(back.error));
                rc = 1;
            } else if (!Dumper.dump(back.value).equals(written)) {
                System.err.println("error: " + name + " reads back to a different dump:");
                for (String l : LineDiff.diff(written, Dumper.dump(back.value))) {
                    System.err.println("    " + l);
                }
                rc = 1;
            }
            Files.write(outDir.resolve(name + ".bin"), bytes);
            Files.write(outDir.resolve(name + ".txt"), written.getBytes(StandardCharsets.UTF_8));
            manifest.append(name).append('\t').append(value.getClass().getName()).append('\t')
                    .append(summary.replace('\t', ' ').replace('\n', ' ')).append('\n');
            out.println(name + "\t" + bytes.length);
        }
        Files.write(outDir.resolve("manifest.txt"), manifest.toString().getBytes(StandardCharsets.UTF_8));
        return rc;
    }
}
