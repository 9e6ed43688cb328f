#!/usr/bin/env bash
# Writes Sources/link/daemons.order: the functions `spark-master` and `spark-worker` run while starting,
# idling and serving a registered worker and an application, one mangled symbol per line. The release
# link of both daemons (Package.swift, Linux) passes the file to lld's --symbol-ordering-file, so these
# functions sit together at the start of .text and an idle daemon maps a few hundred KiB of code instead
# of scattered 64 KiB windows (the kernel maps the cached pages around each faulting page).
#
# The functions come from Valgrind's callgrind, run on release builds without debug info:
#   1. spark-master: start, elected leader, a native spark-worker registers and heartbeats, /json/ read;
#   2. spark-worker: start, registered with a native spark-master, heartbeats, /json/ read;
#   3. spark-master under callgrind while spark-load registers workers, heartbeats and one application.
# Symbols are listed in that order, each once. A stale file only costs locality: lld ignores symbols it
# does not find (--no-warn-symbol-ordering), so rerun this after changes to start-up or idle paths.
#
# usage: Benchmarks/scripts/link-order.sh [--seconds S]   (default 20 s per callgrind run; about 15 min
#        with the first release build)
# Needs valgrind and python3; builds the daemons as for deployment, in .build-deploy (a build directory
# of its own: SwiftPM does not recompile modules built before when only -Xswiftc flags change).
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=20
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
command -v valgrind > /dev/null || { echo "valgrind is needed (apt-get install valgrind)" >&2; exit 1; }

scratch=.build-deploy
# The deployment build (README, "Building for deployment").
build=(swift build -c release --static-swift-stdlib --scratch-path "$scratch" -Xswiftc -Xfrontend -Xswiftc -function-sections)
for product in spark-master spark-worker spark-load; do
  "${build[@]}" --product "$product" > /dev/null
done
bin="$("${build[@]}" --show-bin-path)"
work="$(mktemp -d -t link-order.XXXXXX)"
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
mkdir -p "$work/worker-dir"
# Heartbeats every 2 s instead of 15 s, so a short run sees several.
export SPARK_WORKER_OPTS="-Dspark.worker.timeout=8" SPARK_MASTER_OPTS="-Dspark.worker.timeout=8"

echo "1/3 spark-master: start, a worker registers, idle ($seconds s)"
port=$(free_port); web=$(free_port)
profile master-idle "$port" "$work/spark-master" --host 127.0.0.1 --port "$port" --webui-port "$web"
"$bin/spark-worker" --host 127.0.0.1 --port "$(free_port)" --webui-port "$(free_port)" --cores 1 --memory 1g \
  --work-dir "$work/worker-dir" "spark://127.0.0.1:$port" > "$work/worker.log" 2>&1 &
pids+=("$!"); worker=$!
read_page "http://127.0.0.1:$web/json/"
sleep "$seconds"; finish "$worker"; finish "$profiled"

echo "2/3 spark-worker: start, registered with a master, idle ($seconds s)"
master_port=$(free_port)
"$bin/spark-master" --host 127.0.0.1 --port "$master_port" --webui-port "$(free_port)" > "$work/master.log" 2>&1 &
pids+=("$!"); master=$!
wait_port "$master_port"
worker_port=$(free_port); worker_web=$(free_port)
profile worker "$worker_port" "$work/spark-worker" --host 127.0.0.1 --port "$worker_port" \
  --webui-port "$worker_web" --cores 1 --memory 1g --work-dir "$work/worker-dir" "spark://127.0.0.1:$master_port"
read_page "http://127.0.0.1:$worker_web/json/"
sleep "$seconds"; finish "$profiled"; finish "$master"

echo "3/3 spark-master: serving spark-load ($seconds s)"
port=$(free_port); web=$(free_port)
profile master-load "$port" "$work/spark-master" --host 127.0.0.1 --port "$port" --webui-port "$web"
"$bin/spark-load" --master "spark://127.0.0.1:$port" --workers 4 --apps 1 --heartbeat-interval 2s \
  --duration "${seconds}s" --web-ui "http://127.0.0.1:$web" > "$work/load.log" 2>&1 || true
finish "$profiled"

python3 - "$work" > Sources/link/daemons.order <<'PY'
import re, sys
work = sys.argv[1]
pattern = re.compile(r"^(ob|cob|fl|fi|fe|cfi|cfl|fn|cfn)=\((\d+)\)(?: (.*))?$")
listed, seen = [], set()
for name, binary in [("master-idle", "spark-master"), ("worker", "spark-worker"), ("master-load", "spark-master")]:
    objects, functions, current = {}, {}, None
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
                functions[ident] = text
            symbol = functions[ident]
            if kind == "fn" and current and current.endswith("/" + binary) and symbol not in seen \
                    and not symbol.startswith("0x"):
                seen.add(symbol)
                listed.append(symbol)
print("\n".join(listed))
PY
echo "Sources/link/daemons.order: $(wc -l < Sources/link/daemons.order) symbols"
# SwiftPM does not see the order file as an input of the link: relink the two daemons with it.
rm -f "$bin/spark-master" "$bin/spark-worker"
for product in spark-master spark-worker; do
  "${build[@]}" --product "$product" > /dev/null
done
echo "relinked $bin/spark-master and $bin/spark-worker"
