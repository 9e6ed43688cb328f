package spark.oracle;

import java.lang.reflect.Constructor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;

import org.apache.spark.SparkConf;
import org.apache.spark.SparkException;
import org.apache.spark.deploy.ApplicationDescription;
import org.apache.spark.deploy.Command;
import org.apache.spark.deploy.DriverDescription;
import org.apache.spark.deploy.ExecutorDescription;
import org.apache.spark.resource.ExecutorResourceRequest;
import org.apache.spark.resource.ResourceInformation;
import org.apache.spark.resource.ResourceProfile;
import org.apache.spark.resource.ResourceRequirement;
import org.apache.spark.resource.TaskResourceRequest;
import org.apache.spark.rpc.RpcAddress;
import org.apache.spark.rpc.RpcEndpointAddress;
import org.apache.spark.rpc.RpcEndpointRef;
import org.apache.spark.rpc.netty.NettyRpcEndpointRef;
import org.apache.spark.rpc.netty.RpcFailure;

/**
 * The golden fixtures: real Spark objects built with the real classes, with the runtime
 * shapes the Spark 4.3.0 daemons produce (List for Seq fields, Map1..Map4 / EmptyMap /
 * HashMap for immutable maps, mutable.HashMap for Command.environment, immutable.ArraySeq
 * for Command.javaOpts, ModuleSerializationProxy-backed case objects).
 *
 * Objects are built once per call of {@link #all()} in a fixed order, so repeated runs
 * produce identical bytes.
 */
final class Fixtures {
    private Fixtures() {}

    static final class Fixture {
        final String name;
        final Object value;
        final String summary;

        Fixture(String name, Object value, String summary) {
            this.name = name;
            this.value = value;
            this.summary = summary;
        }
    }

    // ---------------------------------------------------------------- realistic values

    static final String HOST = "127.0.0.1";
    static final int MASTER_PORT = 7077;
    static final int WORKER_PORT = 7078;
    static final int DRIVER_PORT = 41867;
    static final String MASTER_URL = "spark://127.0.0.1:7077";
    static final String MASTER_WEBUI = "http://127.0.0.1:8080";
    static final String WORKER_WEBUI = "http://127.0.0.1:8081";
    static final String WORKER_ID = "worker-20261126010156-127.0.0.1-7078";
    static final String APP_ID = "app-20261126010221-0000";
    static final String DRIVER_ID = "driver-20261126010300-0000";
    static final String DM = "org.apache.spark.deploy.DeployMessages$";
    static final String EXECUTOR_STATE = "org.apache.spark.deploy.ExecutorState$";
    static final String DRIVER_STATE = "org.apache.spark.deploy.master.DriverState$";

    // ---------------------------------------------------------------- construction helpers

    /** Instantiates {@code fqcn} through the public constructor whose parameters accept {@code args}. */
    static Object construct(String fqcn, Object... args) {
        try {
            Class<?> c = Class.forName(fqcn);
            for (Constructor<?> k : c.getConstructors()) {
                Class<?>[] p = k.getParameterTypes();
                if (p.length != args.length) continue;
                boolean ok = true;
                for (int i = 0; i < p.length && ok; i++) ok = accepts(p[i], args[i]);
                if (ok) return k.newInstance(args);
            }
            throw new IllegalArgumentException("no constructor of " + fqcn + " for " + Arrays.toString(args));
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot construct " + fqcn, e);
        }
    }

    private static boolean accepts(Class<?> param, Object arg) {
        if (arg == null) return !param.isPrimitive();
        if (param == int.class) return arg instanceof Integer;
        if (param == long.class) return arg instanceof Long;
        if (param == boolean.class) return arg instanceof Boolean;
        if (param == double.class) return arg instanceof Double;
        return param.isInstance(arg);
    }

    /** The singleton of a Scala object (case object, companion, enumeration). */
    static Object module(String fqcn) {
        try {
            return Class.forName(fqcn).getField("MODULE$").get(null);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("no module " + fqcn, e);
        }
    }

    /** A value of a Scala Enumeration module, via its accessor method (e.g. RUNNING()). */
    static Object enumValue(String enumerationModule, String name) {
        Object m = module(enumerationModule);
        try {
            return m.getClass().getMethod(name).invoke(m);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("no value " + name + " in " + enumerationModule, e);
        }
    }

    /** Scala immutable List (Nil when empty), as Spark's Seq fields carry at runtime. */
    @SafeVarargs
    static <T> scala.collection.immutable.List<T> list(T... xs) {
        return scala.jdk.javaapi.CollectionConverters.asScala(Arrays.asList(xs)).toList();
    }

    /** Immutable Scala map from alternating keys and values, built in that insertion order. */
    @SuppressWarnings("unchecked")
    static <K, V> scala.collection.immutable.Map<K, V> imap(Object... kv) {
        LinkedHashMap<K, V> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((K) kv[i], (V) kv[i + 1]);
        return scala.collection.immutable.Map$.MODULE$.from(scala.jdk.javaapi.CollectionConverters.asScala(m));
    }

    /** `entries` with the default function of the real `sys.env` (what spark-submit's Client sends). */
    @SuppressWarnings({"unchecked", "rawtypes"})
    static scala.collection.immutable.Map<String, String> withSysEnvDefault(scala.collection.immutable.Map<String, String> entries) {
        scala.collection.immutable.Map.WithDefault env = (scala.collection.immutable.Map.WithDefault) scala.sys.package$.MODULE$.env();
        return new scala.collection.immutable.Map.WithDefault(entries, env.defaultValue());
    }

    static scala.collection.mutable.HashMap<String, String> mutableMap(String... kv) {
        scala.collection.mutable.HashMap<String, String> m = new scala.collection.mutable.HashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.update(str(kv[i]), str(kv[i + 1]));
        return m;
    }

    /**
     * immutable.ArraySeq$ofRef over an Object[] (not a String[]): that is what Spark's
     * {@code sparkJavaOpts ++ extraJavaOpts} produces for Command.javaOpts (observed).
     */
    static scala.collection.immutable.ArraySeq<String> arraySeq(String... xs) {
        Object[] backing = new Object[xs.length];
        for (int i = 0; i < xs.length; i++) backing[i] = str(xs[i]);
        return scala.collection.immutable.ArraySeq$.MODULE$.unsafeWrapArray(backing);
    }

    static <T> scala.Option<T> some(T v) {
        return scala.Option.apply(v);
    }

    @SuppressWarnings("unchecked")
    static <T> scala.Option<T> none() {
        return (scala.Option<T>) scala.None$.MODULE$;
    }

    /** An endpoint ref as a server-mode RpcEnv serializes it; {@code host} is used as given. */
    static RpcEndpointRef ref(String host, int port, String name) {
        RpcAddress addr = host == null ? null : new RpcAddress(host, port);
        return new NettyRpcEndpointRef(new SparkConf(false), new RpcEndpointAddress(addr, str(name)), null);
    }

    static ResourceInformation resource(String name, String... addresses) {
        String[] copy = new String[addresses.length];
        for (int i = 0; i < copy.length; i++) copy[i] = str(addresses[i]);
        return new ResourceInformation(name, copy);
    }

    /**
     * A new String instance with the given text. ObjectOutputStream shares strings by identity,
     * so interned Java literals used in two fields would turn into a back-reference where the
     * real daemon writes two strings. Fixtures use {@code str(...)} for every value and pass
     * the same instance only where the Spark code does (see the notes at each fixture).
     * The empty string stays the interned literal: Spark's "" values are all literals.
     */
    static String str(String s) {
        return s.isEmpty() ? "" : new String(s);
    }

    static <T extends Throwable> T withoutStackTrace(T t) {
        t.setStackTrace(new StackTraceElement[0]);
        return t;
    }

    /**
     * The default resource profile as a spark-shell driver sends it: created by
     * ResourceProfile.getOrCreateDefaultProfile (id 0, executorResources memory/offHeap,
     * taskResources cpus) and with the task-slot caches already computed, as they are once
     * the driver's scheduler has started.
     */
    static ResourceProfile defaultProfile(long executorMemoryMiB) {
        SparkConf conf = new SparkConf(false)
                .set("spark.master", "spark://127.0.0.1:7077")
                .set("spark.executor.memory", executorMemoryMiB + "m");
        ResourceProfile p = org.apache.spark.resource.ResourceProfile$.MODULE$.reInitDefaultProfile(conf);
        p.maxTasksPerExecutor(conf);
        return p;
    }

    static scala.collection.immutable.List<String> strings(String... xs) {
        String[] copy = new String[xs.length];
        for (int i = 0; i < copy.length; i++) copy[i] = str(xs[i]);
        return list(copy);
    }

    static scala.collection.immutable.List<String> executorArguments(String driverHostPort) {
        return strings("--driver-url", "spark://CoarseGrainedScheduler@" + driverHostPort,
                "--executor-id", "{{EXECUTOR_ID}}", "--hostname", "{{HOSTNAME}}", "--cores", "{{CORES}}",
                "--app-id", "{{APP_ID}}", "--worker-url", "{{WORKER_URL}}",
                "--resourceProfileId", "{{RESOURCE_PROFILE_ID}}");
    }

    /** The JVM options a Spark 4.3.0 spark-shell puts into the executor Command (observed). */
    static String[] sparkShellJavaOpts(int driverPort) {
        return new String[] {
            "-Dspark.driver.port=" + driverPort,
            "-Djava.net.preferIPv6Addresses=false",
            "-XX:+IgnoreUnrecognizedVMOptions",
            "--add-modules=jdk.incubator.vector",
            "--add-opens=java.base/java.lang=ALL-UNNAMED",
            "--add-opens=java.base/java.lang.invoke=ALL-UNNAMED",
            "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
            "--add-opens=java.base/java.io=ALL-UNNAMED",
            "--add-opens=java.base/java.net=ALL-UNNAMED",
            "--add-opens=java.base/java.nio=ALL-UNNAMED",
            "--add-opens=java.base/java.util=ALL-UNNAMED",
            "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
            "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED",
            "--add-opens=java.base/jdk.internal.ref=ALL-UNNAMED",
            "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
            "--add-opens=java.base/sun.nio.cs=ALL-UNNAMED",
            "--add-opens=java.base/sun.security.action=ALL-UNNAMED",
            "--add-opens=java.base/sun.util.calendar=ALL-UNNAMED",
            "--add-opens=java.security.jgss/sun.security.krb5=ALL-UNNAMED",
            "-Dio.netty.tryReflectionSetAccessible=true",
            "-Dio.netty.allocator.type=pooled",
            "-Dio.netty.handler.ssl.defaultEndpointVerificationAlgorithm=NONE",
            "--sun-misc-unsafe-memory-access=allow",
            "--enable-native-access=ALL-UNNAMED",
        };
    }

    // ---------------------------------------------------------------- the fixtures

    static List<Fixture> all() {
        List<Fixture> out = new ArrayList<>();

        // Each daemon uses its own host string for its RpcEnv address and for the host fields
        // of its own messages (RegisterWorker.host is the same instance as the worker ref's
        // host, observed); addresses parsed from URLs are separate strings.
        String workerHost = str(HOST);
        String masterHost = str(HOST);
        String driverHost = str(HOST);
        RpcEndpointRef masterRef = ref(masterHost, MASTER_PORT, "Master");
        RpcEndpointRef workerRef = ref(workerHost, WORKER_PORT, "Worker");
        RpcEndpointRef appClientRef = ref(driverHost, DRIVER_PORT, "AppClient");
        ResourceProfile profile = defaultProfile(1024);

        Command executorCommand = new Command(
                str("org.apache.spark.executor.CoarseGrainedExecutorBackend"),
                executorArguments(HOST + ":" + DRIVER_PORT),
                mutableMap("OMP_NUM_THREADS", "1", "SPARK_USER", "root"),
                list(), list(),
                arraySeq("-Dspark.driver.port=" + DRIVER_PORT, "-Djava.net.preferIPv6Addresses=false",
                        "-XX:+IgnoreUnrecognizedVMOptions"));
        ApplicationDescription appDesc = new ApplicationDescription(
                str("Spark shell"), some(2), executorCommand, str("http://127.0.0.1:4040"), profile,
                none(), none(), none(), str("root"));

        Object running = enumValue(EXECUTOR_STATE, "RUNNING");
        Object killed = enumValue(EXECUTOR_STATE, "KILLED");
        Object lost = enumValue(EXECUTOR_STATE, "LOST");
        ExecutorDescription execDesc = (ExecutorDescription) construct(
                "org.apache.spark.deploy.ExecutorDescription", str(APP_ID), 0, 0, 2, 1024, running);

        Command driverCommand = new Command(
                str("org.apache.spark.deploy.worker.DriverWrapper"),
                strings("{{WORKER_URL}}", "{{USER_JAR}}", "org.apache.spark.examples.SparkPi", "10"),
                imap(str("SPARK_HOME"), str("/opt/spark"), str("JAVA_HOME"), str("/usr/lib/jvm/java-17-openjdk-amd64"),
                        str("HOME"), str("/root"), str("USER"), str("root"),
                        str("PATH"), str("/usr/local/bin:/usr/bin:/bin")),
                list(), list(),
                arraySeq("-Dspark.master=spark://127.0.0.1:7077", "-Dspark.submit.deployMode=cluster",
                        "-Dspark.app.name=org.apache.spark.examples.SparkPi"));
        String examplesJar = "file:/opt/spark/examples/jars/spark-examples_2.13-4.3.0.jar";
        DriverDescription driverDesc = new DriverDescription(str(examplesJar), 1024, 1, false, driverCommand, list());

        // ---- §2 embedded classes on their own
        out.add(new Fixture("RpcAddress", new RpcAddress(str(HOST), MASTER_PORT), "RpcAddress(127.0.0.1, 7077)"));
        out.add(new Fixture("RpcEndpointAddress",
                new RpcEndpointAddress(new RpcAddress(str(HOST), MASTER_PORT), str("Master")),
                "RpcEndpointAddress(RpcAddress(127.0.0.1,7077), Master) toString=spark://Master@127.0.0.1:7077"));
        out.add(new Fixture("NettyRpcEndpointRef", masterRef,
                "ref spark://Master@127.0.0.1:7077, defaultAskTimeout 120 SECONDS spark.rpc.askTimeout"));
        out.add(new Fixture("NettyRpcEndpointRef-client", ref(null, 0, "AppClient"),
                "client-mode ref: rpcAddress null, toString spark-client://AppClient"));
        out.add(new Fixture("ExecutorResourceRequest", new ExecutorResourceRequest(str("memory"), 1024L, "", ""),
                "ExecutorResourceRequest(memory, 1024, \"\", \"\")"));
        out.add(new Fixture("TaskResourceRequest", new TaskResourceRequest(str("cpus"), 1.0),
                "TaskResourceRequest(cpus, 1.0)"));
        out.add(new Fixture("ResourceInformation", resource(str("gpu"), "0", "1"),
                "ResourceInformation(gpu, [0, 1])"));
        out.add(new Fixture("ResourceRequirement", new ResourceRequirement(str("gpu"), 1, 1),
                "ResourceRequirement(gpu, 1, 1)"));
        out.add(new Fixture("ResourceProfile", profile,
                "default profile id 0: memory 1024, offHeap 0, cpus 1.0; caches: slots Some(Map(cores->1)), limiting Some(\"\"), maxTasks Some(1), coresLimitKnown false"));
        out.add(new Fixture("Command", executorCommand,
                "executor Command: CoarseGrainedExecutorBackend, 14 args (List), env mutable.HashMap(OMP_NUM_THREADS=1, SPARK_USER=root), Nil, Nil, javaOpts ArraySeq$ofRef(Object[3])"));
        out.add(new Fixture("ApplicationDescription", appDesc,
                "Spark shell, maxCores Some(2), appUiUrl http://127.0.0.1:4040, default profile, eventLogDir/Codec/initialExecutorLimit None, user root"));
        out.add(new Fixture("ExecutorDescription", execDesc,
                "ExecutorDescription(app, exec 0, rp 0, 2 cores, 1024 MiB, RUNNING)"));
        out.add(new Fixture("DriverDescription", driverDesc,
                "DriverDescription(examples jar, 1024 MiB, 1 core, supervise false, DriverWrapper command with env immutable.HashMap(5 entries), resourceReqs Nil)"));

        // ---- §3 Worker -> Master
        out.add(new Fixture("RegisterWorker",
                construct(DM + "RegisterWorker", str(WORKER_ID), workerHost, WORKER_PORT, workerRef, 2, 2048,
                        str(WORKER_WEBUI), new RpcAddress(str(HOST), MASTER_PORT), imap()),
                "RegisterWorker(worker-...-7078, 127.0.0.1 (same String as the ref's host), 7078, Worker ref, 2 cores, 2048 MiB, http://127.0.0.1:8081, RpcAddress(127.0.0.1,7077), Map())"));
        String gpu = str("gpu");
        out.add(new Fixture("RegisterWorker-resources",
                construct(DM + "RegisterWorker", str(WORKER_ID), workerHost, WORKER_PORT, workerRef, 2, 2048,
                        str(WORKER_WEBUI), new RpcAddress(str(HOST), MASTER_PORT),
                        imap(gpu, resource(gpu, "0", "1"))),
                "RegisterWorker as above with resources Map1(gpu -> ResourceInformation(gpu, [0, 1]))"));
        out.add(new Fixture("WorkerLatestState",
                construct(DM + "WorkerLatestState", str(WORKER_ID), list(execDesc), strings(DRIVER_ID)),
                "WorkerLatestState(worker id, List(ExecutorDescription RUNNING), List(driver id))"));
        out.add(new Fixture("WorkerLatestState-empty",
                construct(DM + "WorkerLatestState", str(WORKER_ID), list(), list()),
                "WorkerLatestState(worker id, Nil, Nil) as sent by an idle worker (second Nil is a back-reference)"));
        out.add(new Fixture("Heartbeat", construct(DM + "Heartbeat", str(WORKER_ID), workerRef),
                "Heartbeat(worker id, Worker ref)"));
        out.add(new Fixture("ExecutorStateChanged",
                construct(DM + "ExecutorStateChanged", str(APP_ID), 0, killed,
                        some(str("Runner thread for executor " + APP_ID + "/0 interrupted")), some(143)),
                "ExecutorStateChanged(app, 0, KILLED, Some(Runner thread ... interrupted), Some(143))"));
        out.add(new Fixture("ExecutorStateChanged-none",
                construct(DM + "ExecutorStateChanged", str(APP_ID), 0, running, none(), none()),
                "ExecutorStateChanged(app, 0, RUNNING, None, None)"));
        out.add(new Fixture("DriverStateChanged",
                construct(DM + "DriverStateChanged", str(DRIVER_ID), enumValue(DRIVER_STATE, "FINISHED"), none()),
                "DriverStateChanged(driver id, FINISHED, None)"));
        out.add(new Fixture("DriverStateChanged-exception",
                construct(DM + "DriverStateChanged", str(DRIVER_ID), enumValue(DRIVER_STATE, "ERROR"),
                        some(withoutStackTrace(new Exception(str("Driver failed to start"))))),
                "DriverStateChanged(driver id, ERROR, Some(java.lang.Exception(Driver failed to start), cause self, empty stack trace))"));
        Object execResponse = construct(DM + "WorkerExecutorStateResponse", execDesc,
                imap(gpu, resource(gpu, "0")));
        Object driverResponse = construct(DM + "WorkerDriverStateResponse", str(DRIVER_ID), imap());
        out.add(new Fixture("WorkerExecutorStateResponse", execResponse,
                "WorkerExecutorStateResponse(ExecutorDescription RUNNING, Map1(gpu -> [0]))"));
        out.add(new Fixture("WorkerDriverStateResponse", driverResponse,
                "WorkerDriverStateResponse(driver id, Map())"));
        out.add(new Fixture("WorkerSchedulerStateResponse",
                construct(DM + "WorkerSchedulerStateResponse", str(WORKER_ID), list(execResponse), list(driverResponse)),
                "WorkerSchedulerStateResponse(worker id, List(WorkerExecutorStateResponse), List(WorkerDriverStateResponse))"));
        out.add(new Fixture("WorkerDecommissioning", construct(DM + "WorkerDecommissioning", str(WORKER_ID), workerRef),
                "WorkerDecommissioning(worker id, Worker ref)"));

        // ---- §4 Master -> Worker
        out.add(new Fixture("RegisteredWorker",
                construct(DM + "RegisteredWorker", masterRef, str(MASTER_WEBUI),
                        new RpcAddress(str(HOST), MASTER_PORT), false),
                "RegisteredWorker(Master ref, http://127.0.0.1:8080, RpcAddress(127.0.0.1,7077) (echo, separate object), duplicate=false)"));
        out.add(new Fixture("RegisterWorkerFailed", construct(DM + "RegisterWorkerFailed", str("Duplicate worker ID")),
                "RegisterWorkerFailed(Duplicate worker ID)"));
        out.add(new Fixture("MasterInStandby", module(DM + "MasterInStandby$"),
                "case object MasterInStandby (ModuleSerializationProxy)"));
        out.add(new Fixture("ReconnectWorker", construct(DM + "ReconnectWorker", str(MASTER_URL)),
                "ReconnectWorker(spark://127.0.0.1:7077)"));
        out.add(new Fixture("LaunchExecutor",
                construct(DM + "LaunchExecutor", str(MASTER_URL), str(APP_ID), 0, 0, appDesc, 2, 1024, imap()),
                "LaunchExecutor(master url, app, exec 0, rp 0, ApplicationDescription, 2 cores, 1024 MiB, Map())"));
        String fpga = str("fpga");
        out.add(new Fixture("LaunchExecutor-resources2",
                construct(DM + "LaunchExecutor", str(MASTER_URL), str(APP_ID), 1, 0, appDesc, 2, 1024,
                        imap(gpu, resource(gpu, "0", "1"), fpga, resource(fpga, "f0"))),
                "LaunchExecutor exec 1 with resources Map2(gpu -> [0,1], fpga -> [f0])"));
        String nic = str("nic"), ssd = str("ssd"), tpu = str("tpu");
        out.add(new Fixture("LaunchExecutor-resources5",
                construct(DM + "LaunchExecutor", str(MASTER_URL), str(APP_ID), 2, 0, appDesc, 2, 1024,
                        imap(gpu, resource(gpu, "0"), fpga, resource(fpga, "f0"), nic, resource(nic, "eth1"),
                                ssd, resource(ssd, "nvme0"), tpu, resource(tpu, "t0", "t1"))),
                "LaunchExecutor exec 2 with 5 resources (immutable.HashMap via DefaultSerializationProxy, MapFactory$ToFactory)"));
        out.add(new Fixture("KillExecutor", construct(DM + "KillExecutor", str(MASTER_URL), str(APP_ID), 0),
                "KillExecutor(master url, app, 0)"));
        out.add(new Fixture("LaunchDriver", construct(DM + "LaunchDriver", str(DRIVER_ID), driverDesc, imap()),
                "LaunchDriver(driver id, DriverDescription, Map())"));
        out.add(new Fixture("KillDriver", construct(DM + "KillDriver", str(DRIVER_ID)), "KillDriver(driver id)"));
        out.add(new Fixture("ApplicationFinished", construct(DM + "ApplicationFinished", str(APP_ID)),
                "ApplicationFinished(app id)"));
        out.add(new Fixture("MasterChanged", construct(DM + "MasterChanged", masterRef, str(MASTER_WEBUI)),
                "MasterChanged(Master ref, http://127.0.0.1:8080)"));
        out.add(new Fixture("DecommissionWorker", module(DM + "DecommissionWorker$"),
                "case object DecommissionWorker (ModuleSerializationProxy)"));

        // ---- §5 driver <-> Master
        out.add(new Fixture("RegisterApplication", construct(DM + "RegisterApplication", appDesc, appClientRef),
                "RegisterApplication(ApplicationDescription(Spark shell, Some(2), ...), AppClient ref 127.0.0.1:41867)"));
        out.add(new Fixture("RegisteredApplication", construct(DM + "RegisteredApplication", str(APP_ID), masterRef),
                "RegisteredApplication(app id, Master ref)"));
        out.add(new Fixture("ExecutorAdded",
                construct(DM + "ExecutorAdded", 0, str(WORKER_ID), str(HOST + ":" + WORKER_PORT), 2, 1024),
                "ExecutorAdded(0, worker id, 127.0.0.1:7078, 2 cores, 1024 MiB)"));
        out.add(new Fixture("ExecutorUpdated",
                construct(DM + "ExecutorUpdated", 0, running, none(), none(), none()),
                "ExecutorUpdated(0, RUNNING, None, None, None)"));
        out.add(new Fixture("ExecutorUpdated-exited",
                construct(DM + "ExecutorUpdated", 0, killed,
                        some(str("Runner thread for executor " + APP_ID + "/0 interrupted")), some(143), none()),
                "ExecutorUpdated(0, KILLED, Some(Runner thread ... interrupted), Some(143), None)"));
        out.add(new Fixture("ExecutorUpdated-workerHost",
                construct(DM + "ExecutorUpdated", 0, lost, some(str("worker lost")), none(), some(str(HOST))),
                "ExecutorUpdated(0, LOST, Some(worker lost), None, Some(127.0.0.1))"));
        out.add(new Fixture("WorkerRemoved",
                construct(DM + "WorkerRemoved", str(WORKER_ID), str(HOST), str("Not receiving heartbeat for 60 seconds")),
                "WorkerRemoved(worker id, 127.0.0.1, Not receiving heartbeat for 60 seconds)"));
        out.add(new Fixture("ApplicationRemoved", construct(DM + "ApplicationRemoved", str("KILLED")),
                "ApplicationRemoved(KILLED)"));
        out.add(new Fixture("MasterChangeAcknowledged", construct(DM + "MasterChangeAcknowledged", str(APP_ID)),
                "MasterChangeAcknowledged(app id)"));
        out.add(new Fixture("UnregisterApplication", construct(DM + "UnregisterApplication", str(APP_ID)),
                "UnregisterApplication(app id)"));
        out.add(new Fixture("RequestExecutors",
                construct(DM + "RequestExecutors", str(APP_ID), imap(profile, Integer.valueOf(2))),
                "RequestExecutors(app id, Map1(default ResourceProfile -> java.lang.Integer 2))"));
        out.add(new Fixture("KillExecutors", construct(DM + "KillExecutors", str(APP_ID), strings("0", "1")),
                "KillExecutors(app id, List(0, 1))"));

        // ---- §6 legacy submission client <-> Master
        out.add(new Fixture("RequestSubmitDriver", construct(DM + "RequestSubmitDriver", driverDesc),
                "RequestSubmitDriver(DriverDescription, resourceReqs Nil)"));
        out.add(new Fixture("RequestSubmitDriver-gpu",
                construct(DM + "RequestSubmitDriver", new DriverDescription(str(examplesJar), 1024, 1, true,
                        driverCommand, list(new ResourceRequirement(str("gpu"), 1, 1)))),
                "RequestSubmitDriver(DriverDescription supervise=true, resourceReqs List(ResourceRequirement(gpu,1,1)))"));
        // spark-submit's Client passes `sys.env`: a Map.WithDefault whose default function (a
        // serialized lambda of scala.sys.package$) throws for a missing key. The same shape, with
        // fixed entries.
        out.add(new Fixture("RequestSubmitDriver-sysenv",
                construct(DM + "RequestSubmitDriver", new DriverDescription(str(examplesJar), 1024, 1, false,
                        new Command(str("org.apache.spark.deploy.worker.DriverWrapper"),
                                strings("{{WORKER_URL}}", "{{USER_JAR}}", "org.apache.spark.examples.SparkPi", "10"),
                                withSysEnvDefault(imap(str("HOME"), str("/root"), str("SPARK_HOME"), str("/opt/spark"))),
                                list(), list(), arraySeq("-Dspark.master=spark://127.0.0.1:7077")),
                        list())),
                "RequestSubmitDriver(DriverDescription with command environment Map.WithDefault(Map2(HOME, SPARK_HOME), sys.env's default))"));
        out.add(new Fixture("SubmitDriverResponse",
                construct(DM + "SubmitDriverResponse", masterRef, true, some(str(DRIVER_ID)),
                        str("Driver successfully submitted as " + DRIVER_ID)),
                "SubmitDriverResponse(Master ref, true, Some(driver id), Driver successfully submitted as ...)"));
        out.add(new Fixture("SubmitDriverResponse-standby",
                construct(DM + "SubmitDriverResponse", masterRef, false, none(),
                        str("Current state is not alive: STANDBY. Can only accept driver submissions in ALIVE state.")),
                "SubmitDriverResponse(Master ref, false, None, Current state is not alive: STANDBY. ...)"));
        out.add(new Fixture("RequestKillDriver", construct(DM + "RequestKillDriver", str(DRIVER_ID)),
                "RequestKillDriver(driver id)"));
        out.add(new Fixture("KillDriverResponse",
                construct(DM + "KillDriverResponse", masterRef, str(DRIVER_ID), true,
                        str("Kill request for " + DRIVER_ID + " submitted")),
                "KillDriverResponse(Master ref, driver id, true, Kill request for ... submitted)"));
        out.add(new Fixture("RequestDriverStatus", construct(DM + "RequestDriverStatus", str(DRIVER_ID)),
                "RequestDriverStatus(driver id)"));
        out.add(new Fixture("DriverStatusResponse",
                construct(DM + "DriverStatusResponse", true, some(enumValue(DRIVER_STATE, "RUNNING")),
                        some(str(WORKER_ID)), some(str(HOST + ":" + WORKER_PORT)), none()),
                "DriverStatusResponse(true, Some(DriverState.RUNNING), Some(worker id), Some(127.0.0.1:7078), None)"));
        out.add(new Fixture("DriverStatusResponse-notfound",
                construct(DM + "DriverStatusResponse", false, none(), none(), none(), none()),
                "DriverStatusResponse(false, None, None, None, None)"));
        out.add(new Fixture("RequestKillAllDrivers", module(DM + "RequestKillAllDrivers$"),
                "case object RequestKillAllDrivers (ModuleSerializationProxy)"));
        out.add(new Fixture("KillAllDriversResponse",
                construct(DM + "KillAllDriversResponse", masterRef, true, str("Kill request for all drivers submitted")),
                "KillAllDriversResponse(Master ref, true, Kill request for all drivers submitted)"));

        // ---- §8 / RPC infrastructure
        out.add(new Fixture("CheckExistence",
                construct("org.apache.spark.rpc.netty.RpcEndpointVerifier$CheckExistence", str("Master")),
                "CheckExistence(Master)"));
        out.add(new Fixture("CheckExistence-Worker",
                construct("org.apache.spark.rpc.netty.RpcEndpointVerifier$CheckExistence", str("Worker")),
                "CheckExistence(Worker) as sent by an executor's WorkerWatcher"));
        out.add(new Fixture("BooleanTrue", Boolean.TRUE, "java.lang.Boolean(true) reply"));
        out.add(new Fixture("BooleanFalse", Boolean.FALSE, "java.lang.Boolean(false) reply"));
        out.add(new Fixture("RpcFailure", new RpcFailure(withoutStackTrace(new SparkException(str("boom")))),
                "RpcFailure(SparkException(boom)): cause null, empty stack trace, errorClass None, messageParameters Map(), context QueryContext[0], sqlState None"));
        SparkException traced = new SparkException(str("boom"));
        traced.setStackTrace(new StackTraceElement[] {
            new StackTraceElement("org.apache.spark.rpc.netty.Inbox", "process", "Inbox.scala", 104),
        });
        out.add(new Fixture("RpcFailure-stacktrace", new RpcFailure(traced),
                "RpcFailure(SparkException(boom)) with one StackTraceElement(Inbox.process Inbox.scala:104)"));

        out.addAll(captured());
        return out;
    }

    /**
     * Replicas of messages recorded in protocol/captures/spark-4.3.0-session.pcap (values and
     * string sharing as observed). Their bytes equal the captured Java streams exactly.
     */
    static List<Fixture> captured() {
        List<Fixture> out = new ArrayList<>();
        String masterUrl = "spark://127.0.0.1:17077";
        String workerId = "worker-20261126021840-127.0.0.1-17078";
        String appId = "app-20261126021850-0000";
        String workerHost = str(HOST);
        RpcEndpointRef workerRef = ref(workerHost, 17078, "Worker");
        RpcEndpointRef masterRef = ref(str(HOST), 17077, "Master");
        Object running = enumValue(EXECUTOR_STATE, "RUNNING");

        out.add(new Fixture("RegisterWorker-captured",
                construct(DM + "RegisterWorker", str(workerId), workerHost, 17078, workerRef, 2, 2048,
                        str("http://127.0.0.1:18081"), new RpcAddress(str(HOST), 17077), imap()),
                "RegisterWorker as captured: worker 127.0.0.1:17078, 2 cores, 2048 MiB, master 127.0.0.1:17077"));
        out.add(new Fixture("RegisteredWorker-captured",
                construct(DM + "RegisteredWorker", masterRef, str("http://localhost:18080"),
                        new RpcAddress(str(HOST), 17077), false),
                "RegisteredWorker as captured (masterWebUiUrl http://localhost:18080)"));
        out.add(new Fixture("WorkerLatestState-captured",
                construct(DM + "WorkerLatestState", str(workerId), list(), list()),
                "WorkerLatestState as captured (Nil, Nil)"));
        out.add(new Fixture("Heartbeat-captured", construct(DM + "Heartbeat", str(workerId), workerRef),
                "Heartbeat as captured"));

        ResourceProfile shellProfile = defaultProfile(1024);
        ApplicationDescription shellDesc = new ApplicationDescription(
                str("Spark shell"), none(),
                new Command(str("org.apache.spark.executor.CoarseGrainedExecutorBackend"),
                        executorArguments("127.0.0.1:35037"),
                        mutableMap("OMP_NUM_THREADS", "1", "SPARK_USER", "root"),
                        list(), list(), arraySeq(sparkShellJavaOpts(35037))),
                "", shellProfile, none(), none(), none(), str("root"));
        out.add(new Fixture("RegisterApplication-captured",
                construct(DM + "RegisterApplication", shellDesc, ref(str(HOST), 35037, "AppClient")),
                "RegisterApplication as captured from spark-shell 4.3.0 (ui disabled so appUiUrl \"\", maxCores None, 24 javaOpts)"));
        out.add(new Fixture("RegisteredApplication-captured",
                construct(DM + "RegisteredApplication", str(appId), masterRef),
                "RegisteredApplication as captured"));
        out.add(new Fixture("LaunchExecutor-captured",
                construct(DM + "LaunchExecutor", str(masterUrl), str(appId), 0, 0, shellDesc, 2, 1024, imap()),
                "LaunchExecutor as captured (exec 0, 2 cores, 1024 MiB, Map())"));
        out.add(new Fixture("ExecutorAdded-captured",
                construct(DM + "ExecutorAdded", 0, str(workerId), str("127.0.0.1:17078"), 2, 1024),
                "ExecutorAdded as captured"));
        out.add(new Fixture("ExecutorStateChanged-captured-running",
                construct(DM + "ExecutorStateChanged", str(appId), 0, running, none(), none()),
                "ExecutorStateChanged(app, 0, RUNNING, None, None) as captured"));
        out.add(new Fixture("ExecutorUpdated-captured",
                construct(DM + "ExecutorUpdated", 0, running, none(), none(), none()),
                "ExecutorUpdated(0, RUNNING, None, None, None) as captured"));
        out.add(new Fixture("UnregisterApplication-captured", construct(DM + "UnregisterApplication", str(appId)),
                "UnregisterApplication as captured"));
        out.add(new Fixture("KillExecutor-captured", construct(DM + "KillExecutor", str(masterUrl), str(appId), 0),
                "KillExecutor as captured"));
        out.add(new Fixture("ApplicationFinished-captured", construct(DM + "ApplicationFinished", str(appId)),
                "ApplicationFinished as captured"));
        out.add(new Fixture("ExecutorStateChanged-captured-killed",
                construct(DM + "ExecutorStateChanged", str(appId), 0, enumValue(EXECUTOR_STATE, "KILLED"),
                        some(str("Runner thread for executor " + appId + "/0 interrupted")), some(143)),
                "ExecutorStateChanged(app, 0, KILLED, Some(Runner thread ... interrupted), Some(143)) as captured"));
        return out;
    }
}
