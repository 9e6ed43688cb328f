#!/usr/bin/env bash
# Side by side on one machine: Spark's JVM Master and Worker (pyspark 4.3.0, `bin/spark-class`) and
# spark-space's Swift `spark-master` and `spark-worker`, started in turn on loopback with free ports.
# Prints the median of each figure over the runs and the Swift/JVM ratio, with the median of the runs'
# own ratios and, from 5 runs on, a 90% bootstrap interval of the ratio:
#
#   master start → RPC port accepting       (and → ALIVE on /json/), from the exec of the start command
#   worker start → registered               worker ALIVE on the master's /json/
#   idle RSS of master and worker           VmRSS from /proc/<pid>/status, after registration and --idle s;
#                                           also its private part, RssAnon (what a cgroup's memory.stat
#                                           charges as rss: heap, stacks, relocated data), and RssFile
#   idle CPU of master and worker           utime+stime from /proc/<pid>/stat over --cpu-window s
#   app registered → first executor RUNNING  at the master's RPC port (tcpdump on lo, frames decoded by
#                                           `spark-space decode`): RegisterApplication in → ExecutorUpdated(RUNNING)
#                                           out; split into master → LaunchExecutor and worker → ExecutorStateChanged.
#                                           And in the spark-shell driver's own log (ms timestamps): "Connected to
#                                           Spark cluster with app ID" → first "Executor updated: … RUNNING",
#                                           and how long after the master sent ExecutorUpdated(RUNNING) (on
#                                           the capture) the driver logged it: the driver's own share
#   seed job end to end                     wall time of `spark-shell` running sc.parallelize(1 to 1000000).reduce(_ + _);
#                                           from its log also the driver's start until "Connected to Spark cluster"
#                                           (the driver JVM's own part) and the rest of the wall time (where the
#                                           cluster manager has a say), and app registered → executor registered
#                                           with the driver (what a job waits for), with how long before the first
#                                           job that was; and the CPU seconds its processes used meanwhile
#                                           (/proc, sampled every 100 ms): the spark-shell session, the executor
#                                           (with its JIT compiler threads' share), master + worker
#   seed job with no cluster manager        with --floor: the same spark-shell and job with --master local[2] (tasks in
#                                           the driver JVM: no master, worker or executor JVM), between the two sides
#                                           in every run; the least wall time any cluster manager could reach on
#                                           these cores, printed with what it leaves for the ≤ 0.9 target, and
#                                           its spark-shell's CPU seconds beside each side's
#   max simulated workers held              spark-load stepping N up (fresh master per step, --step-cap each);
#                                           a step holds when every worker registered, stayed ALIVE and had a
#                                           lastheartbeat within one heartbeat interval + 2 s on /json/
#
# usage: Benchmarks/scripts/side-by-side.sh [options]
#   --runs N                 runs of the daemon measurements, JVM and Swift alternating (default 1)
#   --warmup N               unrecorded seed-job runs per side before them (default 1): the page cache
#                            holds the jars and the Swift worker's executor archive exists, as in the
#                            runs after; 0 measures a cold first run too
#   --quick                  skip the max-workers sweep
#   --floor                  also run the seed job in local[2] in every run (and warm-up)
#   --sweep-only             only the max-workers sweep
#   --sweep "N1 N2 ..."      sweep steps (default "100 500 1000 2000 5000 10000"); stops at the first step not held
#   --step-cap S             spark-load --duration per sweep step, seconds (default 45)
#   --register-rate R        sweep registrations per second (default 1000; 0 = all at once)
#   --heartbeat-interval S   sweep heartbeat period, seconds (default 15, Spark's spark.worker.timeout / 4)
#   --idle S                 idle time before reading RSS (default 10)
#   --cpu-window S           idle CPU window (default 20)
#   --swift-bin DIR          where spark-master and spark-worker are (default: `swift build --show-bin-path`)
#   --load-bin PATH          spark-load (default: DIR/spark-load, else .build-load/{release,debug}/spark-load)
#   --decode-bin PATH        spark-space, for the capture (default: DIR/spark-space, else the debug build's);
#                            without it, or without tcpdump and the right to capture on lo, no wire figures
#   --jvm-only / --swift-only
#
# Needs SPARK_HOME (default ~/.cache/spark-space/pyspark-4.3.0/pyspark), Java 17, python3, curl.
# Every process it starts is recorded by PID and ended on exit (SIGTERM, then SIGKILL); executors the
# workers launched are found by their --worker-url and ended the same way.
set -euo pipefail
cd "$(dirname "$0")/../.."
root="$PWD"

runs=1 warmup=1 quick=0 sweep_only=0 steps="100 500 1000 2000 5000 10000" step_cap=45 register_rate=1000 hb_interval=15
idle=10 cpu_window=20 swift_bin="" load_bin="" decode_bin="" kinds="jvm swift" floor=0
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --quick) quick=1; shift ;;
    --floor) floor=1; shift ;;
    --sweep-only) sweep_only=1; shift ;;
    --sweep) steps=$2; shift 2 ;;
    --step-cap) step_cap=$2; shift 2 ;;
    --register-rate) register_rate=$2; shift 2 ;;
    --heartbeat-interval) hb_interval=$2; shift 2 ;;
    --idle) idle=$2; shift 2 ;;
    --cpu-window) cpu_window=$2; shift 2 ;;
    --swift-bin) swift_bin=$2; shift 2 ;;
    --load-bin) load_bin=$2; shift 2 ;;
    --decode-bin) decode_bin=$2; shift 2 ;;
    --jvm-only) kinds="jvm"; shift ;;
    --swift-only) kinds="swift"; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

export SPARK_HOME="${SPARK_HOME:-${SPARK_SPACE_CACHE:-$HOME/.cache/spark-space}/pyspark-4.3.0/pyspark}"
[ -x "$SPARK_HOME/bin/spark-class" ] || { echo "no Spark at $SPARK_HOME" >&2; exit 1; }
[ -n "$swift_bin" ] || swift_bin="$(swift build --show-bin-path)"
for tool in spark-master spark-worker; do
  [ -x "$swift_bin/$tool" ] || { echo "no $swift_bin/$tool: build it first (swift build)" >&2; exit 1; }
done
if [ -z "$load_bin" ]; then
  for candidate in "$swift_bin/spark-load" .build-load/release/spark-load .build-load/debug/spark-load; do
    if [ -x "$candidate" ]; then load_bin="$candidate"; break; fi
  done
fi
if [ -z "$decode_bin" ]; then
  for candidate in "$swift_bin/spark-space" "$(swift build --show-bin-path 2>/dev/null)/spark-space"; do
    if [ -x "$candidate" ]; then decode_bin="$candidate"; break; fi
  done
fi
if ! command -v tcpdump > /dev/null; then decode_bin=""; fi
if [ "$quick" = 0 ] && [ ! -x "$load_bin" ]; then
  echo "no spark-load: swift build --product spark-load (or pass --quick)" >&2; exit 1
fi

work="$(mktemp -d -t side-by-side.XXXXXX)"
results="$work/results.tsv"   # kind  metric  value  run
pids=()
groups=()   # spark-shell sessions (setsid): ended as process groups, so the driver JVM goes too
clk_tck=$(getconf CLK_TCK)

# Ends every process this script started, and executors its workers launched.
cleanup() {
  local pid
  for pid in "${groups[@]}"; do kill -KILL -- "-$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  sleep 0.5
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
now_ms() { date +%s%3N; }
record() {  # kind metric value; nothing while warming up
  [ "$recording" = 1 ] || return 0
  printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$run" >> "$results"; echo "  $1 $2: $3"
}
recording=1 run=0
rss_mib() { status_mib "$1" VmRSS; }
status_mib() { awk -v key="$2:" '$1 == key { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }
cpu_ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }  # utime + stime, after the command name

# Stops one process: SIGTERM, up to 15 s, then SIGKILL.
stop_pid() {
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null || return 0
  for i in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
}

# Executors a worker launched (their command line names the worker's RPC port), ended by PID.
stop_executors() {
  local marker="Worker@127.0.0.1:$1" file pid command
  for file in /proc/[0-9]*/cmdline; do
    command=$( { tr '\0' ' ' < "$file"; } 2>/dev/null ) || continue
    case "$command" in
      *CoarseGrainedExecutorBackend*"$marker"*)
        pid=${file#/proc/}; pid=${pid%/cmdline}
        echo "  ending leftover executor $pid" >&2
        kill -KILL "$pid" 2>/dev/null || true ;;
    esac
  done
}

# Starts a command; reports "<pid> <ms until 127.0.0.1:port accepts> <ms until /json/ on web says ALIVE>"
# (-1 for what never happened within 120 s). Times count from just before the exec.
start_timed() { # port web log cmd...
  python3 - "$@" <<'PY'
import json, os, socket, subprocess, sys, time, urllib.request
port, web, log, cmd = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4:]
out = open(log, "wb")
start = time.monotonic()
child = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
rpc = alive = -1
while time.monotonic() - start < 120 and child.poll() is None and alive < 0:
    if rpc < 0:
        probe = socket.socket()
        probe.settimeout(0.05)
        try:
            probe.connect(("127.0.0.1", port))
            rpc = round((time.monotonic() - start) * 1000, 1)
        except OSError:
            pass
        finally:
            probe.close()
    else:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{web}/json/", timeout=2) as answer:
                if json.load(answer).get("status") == "ALIVE":
                    alive = round((time.monotonic() - start) * 1000, 1)
        except Exception:
            pass
    if alive < 0:
        time.sleep(0.002)
print(child.pid, rpc, alive)
PY
}

# The daemons' environment; `env` and spark-class exec in turn, so the PID ends up the JVM's. Both
# sides bind loopback, and their executors inherit it. The Swift daemons read no conf directory either
# (pyspark has no `$SPARK_HOME/conf`); theirs is left unset because the executor's class path names
# it, and a per-run directory would give every series a new executor archive.
local_env=(SPARK_LOCAL_IP=127.0.0.1 SPARK_LOCAL_HOSTNAME=127.0.0.1)
jvm_env=(env SPARK_NO_DAEMONIZE=1 "${local_env[@]}" SPARK_CONF_DIR="$work/conf-empty")
swift_env=(env "${local_env[@]}")
mkdir -p "$work/conf-empty"

# Starts a master of `kind`; sets master_pid, master_port, master_web and records start-up times.
start_master() { # kind tag
  local kind=$1 tag=$2 out cmd
  master_port=$(free_port); master_web=$(free_port)
  if [ "$kind" = swift ]; then
    cmd=("${swift_env[@]}" "$swift_bin/spark-master" --host 127.0.0.1 --port "$master_port" --webui-port "$master_web")
  else
    cmd=("${jvm_env[@]}" "$SPARK_HOME/bin/spark-class" org.apache.spark.deploy.master.Master --host 127.0.0.1
         --port "$master_port" --webui-port "$master_web")
  fi
  out=$(start_timed "$master_port" "$master_web" "$work/$tag-master.log" "${cmd[@]}")
  read -r master_pid master_rpc_ms master_alive_ms <<< "$out"
  pids+=("$master_pid")
  [ "$master_alive_ms" != "-1" ] || { echo "$kind master did not become ALIVE (log: $work/$tag-master.log)" >&2; return 1; }
}

start_worker() { # kind tag
  local kind=$1 tag=$2
  worker_port=$(free_port); worker_web=$(free_port)
  local args=(--host 127.0.0.1 --port "$worker_port" --webui-port "$worker_web" --cores 2 --memory 2g
              --work-dir "$work/$tag-work" "spark://127.0.0.1:$master_port")
  mkdir -p "$work/$tag-work"
  local t0; t0=$(now_ms)
  if [ "$kind" = swift ]; then
    "${swift_env[@]}" "$swift_bin/spark-worker" "${args[@]}" > "$work/$tag-worker.log" 2>&1 &
  else
    "${jvm_env[@]}" "$SPARK_HOME/bin/spark-class" org.apache.spark.deploy.worker.Worker "${args[@]}" > "$work/$tag-worker.log" 2>&1 &
  fi
  worker_pid=$!; pids+=("$worker_pid")
  worker_registered_ms=$(wait_alive_worker "$master_web" "$t0")
  [ "$worker_registered_ms" != "-1" ] || { echo "$kind worker did not register (log: $work/$tag-worker.log)" >&2; return 1; }
}

# Polls the master's /json/ every few ms until it lists one ALIVE worker; prints ms since t0 (-1 after 60 s).
wait_alive_worker() { # web t0_ms
  python3 - "$1" "$2" <<'PY'
import json, sys, time, urllib.request
web, t0 = int(sys.argv[1]), int(sys.argv[2])
deadline = time.time() + 60
while time.time() < deadline:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{web}/json/", timeout=2) as answer:
            if json.load(answer).get("aliveworkers") == 1:
                print(int(time.time() * 1000) - t0)
                sys.exit(0)
    except Exception:
        pass
    time.sleep(0.005)
print(-1)
PY
}

# Runs the seed job in a real spark-shell; records its wall time and, from the driver's own log, the
# time from "application registered" to the first executor RUNNING. Kind `local`: the same shell with
# --master local[2] and no daemons, wall time only.
run_shell() { # kind tag
  local kind=$1 tag=$2
  local timing="$work/$tag-driver-timing.log" cfg="$work/$tag-log4j2.properties"  # after: `local` expands all its words first
  local master_url="spark://127.0.0.1:${master_port:-}"
  [ "$kind" != local ] || master_url="local[2]"
  cat > "$cfg" <<CFG
rootLogger.level = warn
rootLogger.appenderRef.console.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{HH:mm:ss.SSS} %p %c{1}: %m%n%ex
appender.timing.type = File
appender.timing.name = timing
appender.timing.fileName = $timing
appender.timing.layout.type = PatternLayout
appender.timing.layout.pattern = %d{UNIX_MILLIS} %c{1}: %m%n
logger.client.name = org.apache.spark.deploy.client
logger.client.level = info
logger.client.additivity = false
logger.client.appenderRef.timing.ref = timing
logger.backend.name = org.apache.spark.scheduler.cluster.StandaloneSchedulerBackend
logger.backend.level = info
logger.backend.additivity = false
logger.backend.appenderRef.timing.ref = timing
logger.endpoint.name = org.apache.spark.scheduler.cluster.StandaloneSchedulerBackend\$StandaloneDriverEndpoint
logger.endpoint.level = info
logger.endpoint.additivity = false
logger.endpoint.appenderRef.timing.ref = timing
logger.context.name = org.apache.spark.SparkContext
logger.context.level = info
logger.context.additivity = false
logger.context.appenderRef.timing.ref = timing
CFG
  printf 'sc.parallelize(1 to 1000000).reduce(_ + _)\n:quit\n' > "$work/$tag-shell.in"
  local capture="$work/$tag-master-port.pcap" capture_pid=""
  [ -z "$decode_bin" ] || [ "$kind" = local ] || start_capture "$capture" "$work/$tag-tcpdump.err"
  local t0 status=0; t0=$(now_ms)
  # Its own session, so the launcher scripts and the driver JVM end together.
  setsid env SPARK_LOCAL_IP=127.0.0.1 SPARK_LOCAL_HOSTNAME=127.0.0.1 SPARK_CONF_DIR="$work/conf-empty" \
    "$SPARK_HOME/bin/spark-shell" --master "$master_url" --conf spark.ui.enabled=false \
    --conf spark.driver.host=127.0.0.1 --conf spark.driver.bindAddress=127.0.0.1 \
    --driver-java-options "-Dlog4j2.configurationFile=file:$cfg" \
    < "$work/$tag-shell.in" > "$work/$tag-shell.out" 2> "$work/$tag-shell.err" &
  local shell=$!; pids+=("$shell"); groups+=("$shell")
  local cpu_file="$work/$tag-cpu" daemons0=""
  [ "$kind" = local ] || daemons0=$(( $(cpu_ticks "$master_pid") + $(cpu_ticks "$worker_pid") ))
  if [ "$kind" = local ]; then start_cpu_watch "$shell" "" "$cpu_file"; else start_cpu_watch "$shell" "$worker_port" "$cpu_file"; fi
  local deadline=$(( $(date +%s) + 240 ))
  while kill -0 "$shell" 2>/dev/null && [ "$(date +%s)" -lt "$deadline" ]; do sleep 0.05; done
  if kill -0 "$shell" 2>/dev/null; then
    kill -KILL -- "-$shell" 2>/dev/null || true
    kill -KILL "$cpu_watch_pid" 2>/dev/null || true
    stop_capture
    echo "$kind spark-shell did not finish in 240 s (see $work/$tag-shell.err)" >&2
    return 1
  fi
  wait "$shell" || status=$?
  local wall=$(( $(now_ms) - t0 ))
  kill -KILL -- "-$shell" 2>/dev/null || true
  wait "$cpu_watch_pid" 2>/dev/null || true
  local driver_cpu="" executor_cpu="" executor_jit="" daemons_cpu=""
  [ ! -s "$cpu_file" ] || read -r driver_cpu executor_cpu executor_jit < "$cpu_file"
  if [ -n "$daemons0" ]; then
    daemons_cpu=$(awk -v a="$daemons0" -v b="$(( $(cpu_ticks "$master_pid") + $(cpu_ticks "$worker_pid") ))" -v t="$clk_tck" \
      'BEGIN { printf "%.2f", (b - a) / t }')
  fi
  wire_running_ms=""
  if [ -n "$capture_pid" ]; then
    stop_capture
    wire_figures "$kind" "$capture"
  fi
  if ! grep -q "res0: Int = 1784293664" "$work/$tag-shell.out"; then
    echo "$kind seed job did not print its result (status $status; see $work/$tag-shell.out/.err)" >&2
    return 1
  fi
  if [ "$kind" = local ]; then
    record floor "seed job wall ms" "$wall"
    [ -z "$driver_cpu" ] || record floor "seed job CPU s: spark-shell" "$driver_cpu"
    return 0
  fi
  record "$kind" "seed job wall ms" "$wall"
  if [ -n "$driver_cpu" ]; then
    record "$kind" "seed job CPU s: spark-shell" "$driver_cpu"
    record "$kind" "seed job CPU s: executor" "$executor_cpu"
    record "$kind" "  executor: JIT compiler threads s" "$executor_jit"
  fi
  [ -z "$daemons_cpu" ] || record "$kind" "seed job CPU s: master + worker" "$daemons_cpu"
  local timeline
  timeline=$(python3 - "$timing" "$t0" "$wire_running_ms" <<'PY'
import re, sys
first = {}
patterns = {
    "registered": r"Connected to Spark cluster with app ID",
    "running": r"Executor updated: \S+ is now RUNNING",
    "executor": r"Registered executor .* with ID",
    "job": r"Starting job: ",
}
for line in open(sys.argv[1], errors="replace"):
    stamp, _, text = line.partition(" ")
    for name, pattern in patterns.items():
        if name not in first and re.search(pattern, text) and (name == "registered" or "registered" in first):
            first[name] = int(stamp)
show = lambda name, since: f"{first[name] - since:.0f}" if name in first else "-"
registered = first.get("registered")
if registered is None:
    print("- - - - -")
else:
    # How long after the master's ExecutorUpdated(RUNNING) left its port the driver logged it (same clock).
    lag = f"{first['running'] - float(sys.argv[3]):.1f}" if sys.argv[3] and "running" in first else "-"
    idle = f"{first['job'] - first['executor']:.0f}" if "job" in first and "executor" in first else "-"
    print(registered - int(sys.argv[2]), show("running", registered), lag, show("executor", registered), idle)
PY
)
  local to_registered to_running lag to_executor executor_idle
  read -r to_registered to_running lag to_executor executor_idle <<< "$timeline"
  if [ "$to_registered" = "-" ]; then echo "$kind: no registration line in $timing" >&2; return 0; fi
  record "$kind" "  driver: start to app registered ms" "$to_registered"
  record "$kind" "  from app registered to the end ms" "$(( wall - to_registered ))"
  [ "$to_running" = "-" ] || record "$kind" "registered to RUNNING in driver log ms" "$to_running"
  [ "$lag" = "-" ] || record "$kind" "  driver: logged after ExecutorUpdated sent ms" "$lag"
  [ "$to_executor" = "-" ] || record "$kind" "registered to executor registered ms" "$to_executor"
  [ "$executor_idle" = "-" ] || record "$kind" "  executor registered before the job ms" "$executor_idle"
}

# CPU seconds of the seed job's processes while it runs, from /proc (utime + stime, sampled every
# 100 ms, new processes looked for every 500 ms): the spark-shell session (launcher scripts, Spark's
# launcher JVM and the driver JVM), the executors of the worker on `worker_port` (and their JIT compiler
# threads' share). Ends 10 s after the session's last process at the latest; writes
# "<driver s> <executor s> <executor JIT s>" to `out`. Sets cpu_watch_pid.
start_cpu_watch() { # session worker_port out
  python3 - "$@" <<'PY' &
import glob, os, sys, time
session, port, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
marker = f"Worker@127.0.0.1:{port}".encode() if port else None
tck = os.sysconf("SC_CLK_TCK")
seen = {}    # pid -> ("driver" | "executor", ticks)
jit = {}     # executor pid -> ticks of its C1/C2 compiler threads
def ticks(path):
    fields = open(path).read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12]), int(fields[3])  # utime + stime, session
def scan():
    for stat in glob.glob("/proc/[0-9]*/stat"):
        pid = int(stat.split("/")[2])
        if pid in seen:
            continue
        try:
            _, sid = ticks(stat)
            if sid == session:
                seen[pid] = ("driver", 0)
            elif marker:
                command = open(f"/proc/{pid}/cmdline", "rb").read()
                if b"CoarseGrainedExecutorBackend" in command and marker in command:
                    seen[pid] = ("executor", 0)
        except (OSError, IndexError, ValueError):
            pass
def sample():
    alive = {"driver": 0, "executor": 0}
    for pid, (kind, _) in list(seen.items()):
        try:
            value, _ = ticks(f"/proc/{pid}/stat")
        except (OSError, IndexError, ValueError):
            continue
        seen[pid] = (kind, value)
        alive[kind] += 1
        if kind == "executor":
            total = 0
            for task in glob.glob(f"/proc/{pid}/task/*"):
                try:
                    if open(task + "/comm").read().startswith(("C1 Compiler", "C2 Compiler")):
                        total += ticks(task + "/stat")[0]
                except (OSError, IndexError, ValueError):
                    pass
            jit[pid] = max(jit.get(pid, 0), total)
    return alive
start, ended, last_scan = time.monotonic(), None, 0.0
while time.monotonic() - start < 300:
    now = time.monotonic()
    if now - last_scan >= 0.5:
        scan()
        last_scan = now
    alive = sample()
    if alive["driver"] == 0 and now - start > 2:
        ended = ended or now
        if alive["executor"] == 0 or now - ended > 10:
            break
    time.sleep(0.1)
total = lambda kind: sum(v for k, v in seen.values() if k == kind) / tck
with open(out, "w") as file:
    file.write(f"{total('driver'):.2f} {total('executor'):.2f} {sum(jit.values()) / tck:.2f}\n")
PY
  cpu_watch_pid=$!; pids+=("$cpu_watch_pid")
}

# Captures the master's RPC port on lo (packets written as they come); sets capture_pid, or leaves it
# empty when tcpdump cannot capture here.
start_capture() { # pcap stderr-file
  tcpdump -i lo -U -n -w "$1" "tcp port $master_port" 2> "$2" &
  capture_pid=$!; pids+=("$capture_pid")
  local i
  for i in $(seq 1 100); do
    grep -q "listening on" "$2" 2>/dev/null && return 0
    kill -0 "$capture_pid" 2>/dev/null || break
    sleep 0.05
  done
  echo "  no capture of the master's port: $(head -c 300 "$2")" >&2
  kill -KILL "$capture_pid" 2>/dev/null || true
  capture_pid=""
}

# Ends the capture, if any: SIGINT (tcpdump writes what it holds), up to 5 s, then SIGKILL.
stop_capture() {
  [ -n "${capture_pid:-}" ] || return 0
  local i
  kill -INT "$capture_pid" 2>/dev/null || true
  for i in $(seq 1 50); do kill -0 "$capture_pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$capture_pid" 2>/dev/null || true
  wait "$capture_pid" 2>/dev/null || true
  capture_pid=""
}

# The cluster manager's part of "registered → RUNNING", from the frames on the master's port:
# RegisterApplication received → ExecutorUpdated(RUNNING) sent to the driver, and its two legs
# (master: → LaunchExecutor sent; worker: LaunchExecutor → ExecutorStateChanged(RUNNING) received).
wire_figures() { # kind pcap
  local kind=$1 figures
  figures=$("$decode_bin" decode --json --port "$master_port" "$2" 2> /dev/null | python3 -c '
import json, sys
first = {}
for line in sys.stdin:
    try:
        frame = json.loads(line)
    except ValueError:
        continue
    name, message = frame.get("messageName"), frame.get("message") or {}
    if frame.get("kind") != "frame" or frame.get("time") is None:
        continue
    if name in ("ExecutorStateChanged", "ExecutorUpdated") and message.get("state") != "RUNNING":
        continue
    if name in ("RegisterApplication", "LaunchExecutor", "ExecutorStateChanged", "ExecutorUpdated") and name not in first:
        first[name] = float(frame["time"])
names = ("RegisterApplication", "LaunchExecutor", "ExecutorStateChanged", "ExecutorUpdated")
if all(n in first for n in names):
    ms = lambda a, b: (first[b] - first[a]) * 1000
    print(f"{ms(names[0], names[3]):.2f} {ms(names[0], names[1]):.2f} {ms(names[1], names[2]):.2f} {first[names[3]] * 1000:.1f}")
') || true
  if [ -z "$figures" ]; then echo "  $kind: the capture holds no RegisterApplication … ExecutorUpdated(RUNNING)" >&2; return 0; fi
  local total master worker
  read -r total master worker wire_running_ms <<< "$figures"
  record "$kind" "registered to RUNNING at master port ms" "$total"
  record "$kind" "  master: to LaunchExecutor ms" "$master"
  record "$kind" "  worker: to ExecutorStateChanged ms" "$worker"
}

measure_daemons() { # kind run
  local kind=$1 run=$2 tag="$1-run$2"
  echo "== $kind, run $run"
  master_pid="" worker_pid="" worker_port=""
  start_master "$kind" "$tag" || return 1
  record "$kind" "master start to RPC port ms" "$master_rpc_ms"
  record "$kind" "master start to ALIVE ms" "$master_alive_ms"
  start_worker "$kind" "$tag" || return 1
  record "$kind" "worker start to registered ms" "$worker_registered_ms"
  sleep "$idle"
  record "$kind" "master idle RSS MiB" "$(rss_mib "$master_pid")"
  record "$kind" "worker idle RSS MiB" "$(rss_mib "$worker_pid")"
  record "$kind" "master idle RssAnon MiB" "$(status_mib "$master_pid" RssAnon)"
  record "$kind" "worker idle RssAnon MiB" "$(status_mib "$worker_pid" RssAnon)"
  record "$kind" "master idle RssFile MiB" "$(status_mib "$master_pid" RssFile)"
  record "$kind" "worker idle RssFile MiB" "$(status_mib "$worker_pid" RssFile)"
  local m0 w0 m1 w1
  m0=$(cpu_ticks "$master_pid"); w0=$(cpu_ticks "$worker_pid")
  sleep "$cpu_window"
  m1=$(cpu_ticks "$master_pid"); w1=$(cpu_ticks "$worker_pid")
  record "$kind" "master idle CPU s/${cpu_window}s" "$(awk -v a="$m0" -v b="$m1" -v t="$clk_tck" 'BEGIN { printf "%.2f", (b - a) / t }')"
  record "$kind" "worker idle CPU s/${cpu_window}s" "$(awk -v a="$w0" -v b="$w1" -v t="$clk_tck" 'BEGIN { printf "%.2f", (b - a) / t }')"
  run_shell "$kind" "$tag" || true
  stop_daemons
}

# Ends the current worker (and what it launched) and master, if any.
stop_daemons() {
  if [ -n "${worker_pid:-}" ]; then stop_pid "$worker_pid"; stop_executors "$worker_port"; fi
  if [ -n "${master_pid:-}" ]; then stop_pid "$master_pid"; fi
  worker_pid="" master_pid=""
}

# One sweep step: fresh master, spark-load with N workers; sets step_held.
sweep_step() { # kind n
  local kind=$1 n=$2 tag="$1-sweep-$2"
  step_held=0 master_pid="" worker_pid=""
  start_master "$kind" "$tag" || { stop_daemons; return 0; }
  local c0; c0=$(cpu_ticks "$master_pid")
  local status=0
  "$load_bin" --master "spark://127.0.0.1:$master_port" --web-ui "http://127.0.0.1:$master_web" --workers "$n" \
    --apps 1 --app-max-cores 16 --heartbeat-interval "${hb_interval}s" --register-rate "$register_rate" \
    --duration "${step_cap}s" --grace 20s --json > "$work/$tag-load.json" 2> "$work/$tag-load.err" || status=$?
  local c1 rss; c1=$(cpu_ticks "$master_pid"); rss=$(rss_mib "$master_pid")
  stop_pid "$master_pid"
  local summary
  summary=$(python3 - "$work/$tag-load.json" "$status" <<'PY'
import json, sys
try:
    r = json.load(open(sys.argv[1]))
except Exception:
    print(f"no report (spark-load exit {sys.argv[2]})"); sys.exit(0)
s = r.get("masterStatus") or {}
p = r["probe"]["roundTrip"]
print(f'{"HELD" if r["verdict"]["held"] else "NOT HELD"}: registered {r["registration"]["registered"]}/{r["workers"]} '
      f'at {r["registration"]["perSecond"]:.0f}/s, {s.get("alive", "?")} ALIVE, {s.get("late", "?")} late, '
      f'max heartbeat age {s.get("maxHeartbeatAgeMs", 0):.0f} ms, probe p99 {p.get("p99") or 0:.1f} ms, '
      f'/json/ {s.get("fetchMs", 0):.0f} ms, errors {sum(r["errors"].values())}')
PY
)
  local cpu; cpu=$(awk -v a="$c0" -v b="$c1" -v t="$clk_tck" 'BEGIN { printf "%.1f", (b - a) / t }')
  echo "  $kind $n workers: $summary; master CPU ${cpu} s, RSS ${rss} MiB"
  printf '%s\t%s\t%s\t%s\t%s\n' "$kind" "$n" "$summary" "$cpu" "$rss" >> "$work/sweep.tsv"
  case "$summary" in HELD*) step_held=1 ;; *) step_held=0 ;; esac
}

echo "side-by-side: work directory $work"
echo "  $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) RAM, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "  Swift daemons: $swift_bin; spark-load: ${load_bin:-none}; decoder: ${decode_bin:-none}; Spark: $SPARK_HOME"

# The seed job in local[2] for this run (--floor).
run_floor() {
  echo "== local[2], run $run"
  run_shell local "local-run$run" || echo "local[2] run $run failed" >&2
}

# A seed job on a fresh cluster, figures not recorded.
warm_up() { # kind n
  local kind=$1 tag="$1-warmup$2"
  echo "== $kind, warm-up $2 (not recorded)"
  recording=0
  { start_master "$kind" "$tag" && start_worker "$kind" "$tag" && sleep "$idle" && run_shell "$kind" "$tag"; } ||
    echo "$kind warm-up $2 failed (see $work/$tag-*)" >&2
  stop_daemons
  recording=1
}

if [ "$sweep_only" = 0 ]; then
  for n in $(seq 1 "$warmup"); do
    for kind in $kinds; do warm_up "$kind" "$n"; done
    [ "$floor" = 0 ] || { recording=0; echo "== local[2], warm-up $n (not recorded)"; run_shell local "local-warmup$n" || true; recording=1; }
  done
  for run in $(seq 1 "$runs"); do
    # Alternate which side goes first, so neither always runs on a warmer machine; the floor goes between them.
    if [ $(( run % 2 )) = 1 ]; then order="$kinds"; else order="$(echo "$kinds" | awk '{ for (i = NF; i > 0; i--) printf "%s ", $i }')"; fi
    first=1
    for kind in $order; do
      if [ "$floor" = 1 ] && [ "$first" = 0 ]; then run_floor; fi
      first=0
      measure_daemons "$kind" "$run" || { echo "$kind run $run failed; its figures are incomplete" >&2; stop_daemons; }
    done
    # With one side only, the floor comes after it.
    if [ "$floor" = 1 ] && [ "$(echo $kinds | wc -w)" = 1 ]; then run_floor; fi
  done
fi

declare -A max_held
if [ "$quick" = 0 ]; then
  for kind in $kinds; do
    echo "== $kind max-workers sweep: $steps (heartbeat ${hb_interval}s, ${register_rate} registrations/s, ${step_cap}s per step)"
    max_held[$kind]=0
    for n in $steps; do
      sweep_step "$kind" "$n"
      [ "$step_held" = 1 ] || break
      max_held[$kind]=$n
    done
  done
fi

echo
echo "== medians over $runs run(s); ratio = Swift / JVM of the medians; paired = median of each run's Swift / JVM;"
echo "   90% = the ratio's bootstrap interval (runs drawn with replacement, 2000 draws; from 5 runs on)"
python3 - "$results" <<'PY'
import random, statistics, sys
from collections import defaultdict
values = defaultdict(lambda: defaultdict(list))
order = []
try:
    lines = open(sys.argv[1]).read().splitlines()
except FileNotFoundError:
    lines = []
by_run = defaultdict(dict)  # (metric, run) -> kind -> value
for line in lines:
    kind, metric, value, run = line.split("\t")
    if metric not in order:
        order.append(metric)
    try:
        values[metric][kind].append(float(value))
        by_run[(metric, run)][kind] = float(value)
    except ValueError:
        pass
def interval(pairs):
    """5th and 95th percentile of the ratio of medians over runs drawn with replacement (fixed seed)."""
    if len(pairs) < 5:
        return "-"
    draw = random.Random(7)
    ratios = []
    for _ in range(2000):
        sample = [draw.choice(pairs) for _ in pairs]
        jvm = statistics.median(j for j, _ in sample)
        if jvm:
            ratios.append(statistics.median(s for _, s in sample) / jvm)
    if not ratios:
        return "-"
    ratios.sort()
    return f"{ratios[len(ratios) * 5 // 100]:.3f}-{ratios[len(ratios) * 95 // 100]:.3f}"
print(f'{"figure":40} {"JVM":>10} {"Swift":>10} {"Swift/JVM":>10} {"paired":>8} {"90%":>13}')
for metric in order:
    if not values[metric]["jvm"] and not values[metric]["swift"]:
        continue
    jvm = statistics.median(values[metric]["jvm"]) if values[metric]["jvm"] else None
    swift = statistics.median(values[metric]["swift"]) if values[metric]["swift"] else None
    ratio = f"{swift / jvm:.3f}" if jvm and swift is not None else "-"
    both = [(v["jvm"], v["swift"]) for (m, _), v in sorted(by_run.items()) if m == metric and "jvm" in v and "swift" in v]
    pairs = [s / j for j, s in both if j]
    paired = f"{statistics.median(pairs):.3f}" if pairs else "-"
    show = lambda v: "-" if v is None else f"{v:.2f}" if v < 10 else f"{v:.0f}"
    print(f"{metric:40} {show(jvm):>10} {show(swift):>10} {ratio:>10} {paired:>8} {interval(both):>13}")
# The floor: the seed job with no cluster manager (local[2]), against the JVM side of the same runs.
wall = "seed job wall ms"
floor_runs = [(v["jvm"], v["floor"], v.get("swift")) for (m, _), v in sorted(by_run.items()) if m == wall and "jvm" in v and "floor" in v]
floor_only = [v["floor"] for (m, _), v in sorted(by_run.items()) if m == wall and "floor" in v]
if floor_only and not floor_runs:
    print(f"seed job in local[2], no cluster manager: {statistics.median(floor_only):.0f} ms (no JVM side to compare)")
if floor_runs:
    jvm = statistics.median(j for j, _, _ in floor_runs)
    low = statistics.median(f for _, f, _ in floor_runs)
    ratio = low / jvm
    pairs = [f / j for j, f, _ in floor_runs if j]
    print(f"seed job in local[2], no cluster manager: {low:.0f} ms = {ratio:.3f} of the JVM side's {jvm:.0f} ms "
          f"(paired {statistics.median(pairs):.3f}, interval {interval([(j, f) for j, f, _ in floor_runs])})")
    swift = [s for _, _, s in floor_runs if s is not None]
    if swift:
        above = statistics.median(swift) - low
        print(f"  above that floor: JVM {jvm - low:.0f} ms, Swift {above:.0f} ms; a seed job at 0.9 of the JVM side "
              f"leaves {0.9 * jvm - low:.0f} ms above it")
# CPU seconds spent while the seed job ran, by process: what a cluster adds to the local run on shared cores.
cpu = lambda kind, metric: statistics.median(values[metric][kind]) if values[metric][kind] else None
parts = ("seed job CPU s: spark-shell", "seed job CPU s: executor", "seed job CPU s: master + worker")
rows = [(name, [cpu(kind, m) for m in parts]) for name, kind in (("local[2]", "floor"), ("JVM", "jvm"), ("Swift", "swift"))]
if any(v is not None for _, row in rows for v in row):
    print("CPU seconds while the seed job ran (medians): spark-shell session / executor / master + worker = total")
    for name, row in rows:
        if row[0] is None:
            continue
        shown = " / ".join("-" if v is None else f"{v:.1f}" for v in row)
        print(f"  {name:9} {shown} = {sum(v for v in row if v is not None):.1f}")
PY
if [ "$quick" = 0 ]; then
  for kind in $kinds; do echo "max simulated workers held ($kind): ${max_held[$kind]}"; done
fi
echo "raw figures: $results"; [ "$quick" = 1 ] || echo "sweep steps: $work/sweep.tsv"
