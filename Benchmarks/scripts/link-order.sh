#!/usr/bin/env bash
# Writes Sources/link/spark-master.order and Sources/link/spark-worker.order: the functions each daemon
# runs, one mangled symbol per line, those of an idle daemon first. The release link of each daemon
# (Package.swift, Linux) passes its file to lld's --symbol-ordering-file, so these functions sit
# together at the start of .text and an idle daemon maps a compact run of code instead of scattered
# 64 KiB windows (the kernel maps the cached pages around each faulting page).
#
# The functions come from Valgrind's callgrind, run on release builds without debug info, in two
# phases per daemon; a phase's functions are listed after those of the phase before:
#   spark-master: 1. start, a native spark-worker registers and heartbeats, /json/ polled until
#                    it lists the worker (as side-by-side.sh does);
#                 2. serving spark-load's workers and an application, its pages read;
#   spark-worker: 1. start, registered with a native spark-master, heartbeats;
#                 2. the same with its pages read.
# Within a phase, functions that lld can move alone come first; then those whose name is also defined
# in a large section holding many functions (an object file of the Swift runtime or Foundation built
# without function sections, such as the standard library's 1.5 MiB Swift.o): naming one of those
# moves the whole section, so they go after the compact part instead of splitting it. Sections are
# read from a link map of each daemon. A stale file only costs locality: lld ignores symbols it does
# not find (--no-warn-symbol-ordering), so rerun this after changes to start-up or idle paths.
#
# Two regenerations lay the compact part out differently (callgrind lists a phase's functions in its own
# order), and that alone has moved an idle daemon by up to 1 MiB; with --merge the files keep the order
# they have, drop the functions no longer run and put each newly run one after the function the fresh
# profile lists before it, so a layout that was measured stays as it was apart from what changed.
#
# usage: Benchmarks/scripts/link-order.sh [--seconds S] [--merge]
#        (default 20 s per callgrind run; about 15 min with the first release build)
# Needs valgrind and python3; builds the daemons as for deployment, in .build-deploy (a build directory
# of its own: SwiftPM does not recompile modules built before when only -Xswiftc flags change).
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=20 merge=0
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --merge) merge=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
command -v valgrind > /dev/null || { echo "valgrind is needed (apt-get install valgrind)" >&2; exit 1; }

scratch=.build-deploy
# The deployment build (README, "Building for deployment").
build=(swift build -c release --static-swift-stdlib --scratch-path "$scratch" -Xswiftc -Xfrontend -Xswiftc -function-sections)
bin="$("${build[@]}" --show-bin-path)"
work="$(mktemp -d -t link-order.XXXXXX)"
"${build[@]}" --product spark-load > /dev/null
# A link map of each daemon (relinked for it): which input section holds which symbols.
for product in spark-master spark-worker; do
  rm -f "$bin/$product"
  "${build[@]}" --product "$product" -Xlinker "-Map=$work/$product.map" -Xlinker --no-demangle > /dev/null
done
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# Valgrind cannot read the toolchain's DWARF 5; the symbol table is all it needs.
for product in spark-master spark-worker; do
  objcopy --strip-debug "$bin/$product" "$work/$product"
done
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
wait_port() { # port: up to 60 s (callgrind starts slowly)
  python3 - "$1" <<'PY'
import socket, sys, time
deadline = time.time() + 60
while time.time() < deadline:
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1).close(); sys.exit(0)
    except OSError:
        time.sleep(0.2)
sys.exit(1)
PY
}
# Runs a command under callgrind for $seconds (a background job recorded in pids), output in $work/$1.out.
profile() { # name port cmd...
  local name=$1 port=$2; shift 2
  valgrind --tool=callgrind --demangle=no --callgrind-out-file="$work/$name.out" "$@" > "$work/$name.log" 2>&1 &
  pids+=("$!"); profiled=$!
  wait_port "$port" || { echo "$name did not open port $port (log: $work/$name.log)" >&2; exit 1; }
}
finish() { # pid: SIGTERM and wait, so callgrind writes its file
  kill -TERM "$1"; wait "$1" 2>/dev/null || true
}

# Reads a page a few times (as an operator's browser or a status check would).
read_page() { # url
  python3 - "$1" <<'PY'
import sys, time, urllib.request
for _ in range(3):
    try:
        urllib.request.urlopen(sys.argv[1], timeout=30).read()
    except OSError:
        pass
    time.sleep(1)
PY
}
# Polls the master's /json/ until it lists one ALIVE worker (up to 60 s), as side-by-side.sh does after
# starting its worker: the master's JSON for a registered worker is part of its idle phase there.
wait_alive_worker() { # web
  python3 - "$1" <<'PY'
import json, sys, time, urllib.request
deadline = time.time() + 60
while time.time() < deadline:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/json/", timeout=5) as answer:
            if json.load(answer).get("aliveworkers") == 1:
                break
    except Exception:
        pass
    time.sleep(0.05)
PY
}
mkdir -p "$work/worker-dir"
# As on a dyno and in side-by-side.sh, the daemons run with SPARK_HOME set (its conf/spark-defaults.conf
# is looked for at start).
export SPARK_HOME="${SPARK_HOME:-${SPARK_SPACE_CACHE:-$HOME/.cache/spark-space}/pyspark-4.3.0/pyspark}"
# Heartbeats every 2 s instead of 15 s, so a short run sees several.
export SPARK_WORKER_OPTS="-Dspark.worker.timeout=8" SPARK_MASTER_OPTS="-Dspark.worker.timeout=8"

# Starts a native master (not profiled) for a profiled worker; sets master and master_port.
start_master() {
  master_port=$(free_port)
  "$bin/spark-master" --host 127.0.0.1 --port "$master_port" --webui-port "$(free_port)" > "$work/master.log" 2>&1 &
  pids+=("$!"); master=$!
  wait_port "$master_port"
}
# Profiles a worker registered with a native master; reads its pages when $2 is "pages".
profile_worker() { # name [pages]
  start_master
  local port web; port=$(free_port); web=$(free_port)
  profile "$1" "$port" "$work/spark-worker" --host 127.0.0.1 --port "$port" --webui-port "$web" --cores 1 \
    --memory 1g --work-dir "$work/worker-dir" "spark://127.0.0.1:$master_port"
  if [ "${2:-}" = pages ]; then wait_port "$web"; read_page "http://127.0.0.1:$web/json/"; read_page "http://127.0.0.1:$web/"; fi
  sleep "$seconds"; finish "$profiled"; finish "$master"
}

echo "1/4 spark-master: start, a worker registers, idle ($seconds s)"
port=$(free_port); web=$(free_port)
profile master-idle "$port" "$work/spark-master" --host 127.0.0.1 --port "$port" --webui-port "$web"
wait_port "$web"; read_page "http://127.0.0.1:$web/json/"
"$bin/spark-worker" --host 127.0.0.1 --port "$(free_port)" --webui-port "$(free_port)" --cores 1 --memory 1g \
  --work-dir "$work/worker-dir" "spark://127.0.0.1:$port" > "$work/worker.log" 2>&1 &
pids+=("$!"); worker=$!
wait_alive_worker "$web"
sleep "$seconds"; finish "$worker"; finish "$profiled"

echo "2/4 spark-master: serving spark-load, pages read ($seconds s)"
port=$(free_port); web=$(free_port)
profile master-load "$port" "$work/spark-master" --host 127.0.0.1 --port "$port" --webui-port "$web"
wait_port "$web"; read_page "http://127.0.0.1:$web/" &
"$bin/spark-load" --master "spark://127.0.0.1:$port" --workers 4 --apps 1 --heartbeat-interval 2s \
  --duration "${seconds}s" --web-ui "http://127.0.0.1:$web" > "$work/load.log" 2>&1 || true
wait "$!" 2>/dev/null || true
finish "$profiled"

echo "3/4 spark-worker: start, registered with a master, idle ($seconds s)"
profile_worker worker-idle
echo "4/4 spark-worker: the same, pages read ($seconds s)"
profile_worker worker-pages pages

python3 - "$work" "$merge" <<'PY'
import os, re, sys
work, merge = sys.argv[1], sys.argv[2] == "1"
pattern = re.compile(r"^(ob|cob|fl|fi|fe|cfi|cfl|fn|cfn)=\((\d+)\)(?: (.*))?$")

def executed(name, binary):
    """The functions of `binary` in a callgrind file, in the order listed (Valgrind's `'N` copies folded)."""
    objects, functions, current, listed, seen = {}, {}, None, [], set()
    for line in open(f"{work}/{name}.out", errors="replace"):
        match = pattern.match(line.rstrip("\n"))
        if not match:
            continue
        kind, ident, text = match.groups()
        if kind in ("ob", "cob"):
            if text:
                objects[ident] = text
            if kind == "ob":
                current = objects[ident]
        elif kind in ("fn", "cfn"):
            if text:
                functions[ident] = re.sub(r"'\d+$", "", text)
            symbol = functions[ident]
            if kind == "fn" and current and current.endswith("/" + binary) and symbol not in seen \
                    and not symbol.startswith("0x"):
                seen.add(symbol)
                listed.append(symbol)
    return listed

def shared_names(binary):
    """Names defined in a code section of over 16 KiB that holds more than one symbol (lld map)."""
    shared, section, names = set(), None, []
    def close():
        if section is not None and section > 16384 and len(names) > 1:
            shared.update(names)
    for line in open(f"{work}/{binary}.map", errors="replace"):
        fields = line.split()
        if len(fields) < 5:
            continue
        try:
            size = int(fields[2], 16)
        except ValueError:
            continue
        if ":(" in line:
            close()
            section, names = (size if ":(.text" in line else None), []
        elif section is not None and len(fields) == 5:
            names.append(fields[4])
    close()
    return shared

for binary, phases in [("spark-master", ["master-idle", "master-load"]), ("spark-worker", ["worker-idle", "worker-pages"])]:
    shared, listed, seen = shared_names(binary), [], set()
    for phase in phases:
        symbols = [s for s in executed(phase, binary) if s not in seen]
        seen.update(symbols)
        listed += [s for s in symbols if s not in shared] + [s for s in symbols if s in shared]
    path = f"Sources/link/{binary}.order"
    if merge and os.path.exists(path):
        fresh, running = listed, set(listed)
        listed = [s for s in dict.fromkeys(open(path).read().splitlines()) if s in running]
        have = set(listed)
        for index, symbol in enumerate(fresh):
            if symbol in have:
                continue
            before = index - 1
            while before >= 0 and fresh[before] not in have:
                before -= 1
            listed.insert(listed.index(fresh[before]) + 1 if before >= 0 else 0, symbol)
            have.add(symbol)
    with open(path, "w") as out:
        out.write("\n".join(listed) + "\n")
    print(f"Sources/link/{binary}.order: {len(listed)} symbols, {sum(s in shared for s in listed)} in shared sections")
PY
# SwiftPM does not see the order files as inputs of the link: relink the two daemons with them.
rm -f "$bin/spark-master" "$bin/spark-worker"
for product in spark-master spark-worker; do
  "${build[@]}" --product "$product" > /dev/null
done
echo "relinked $bin/spark-master and $bin/spark-worker"
