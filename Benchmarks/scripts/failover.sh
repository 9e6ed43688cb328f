#!/usr/bin/env bash
# Master failover, side by side: two masters (ours, then Spark's JVM Master) on one real ZooKeeper
# server and a JVM worker; the leader is ended with SIGKILL or SIGTERM and the time until the
# standby reports ALIVE on /json is measured. Prints one line per run and a summary table.
#
# usage: Benchmarks/scripts/failover.sh [runs]      (needs .ci/setup done and `swift build` products)
#        SWIFT_BIN=DIR selects the spark-master to run (default: `swift build --show-bin-path`)
set -euo pipefail
cd "$(dirname "$0")/../.."
runs="${1:-1}"
export SPARK_HOME="${SPARK_HOME:-${SPARK_SPACE_CACHE:-$HOME/.cache/spark-space}/pyspark-4.3.0/pyspark}"
bin="${SWIFT_BIN:-$(swift build --show-bin-path)}"
work="$(mktemp -d -t failover.XXXXXX)"
pids=()
cleanup() { for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
now_ms() { date +%s%3N; }
status() { curl -s --max-time 1 "http://127.0.0.1:$1/json/" | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])' 2>/dev/null || true; }
wait_status() { # port status timeout_s
  local deadline=$(( $(date +%s) + $3 ))
  while [ "$(date +%s)" -lt "$deadline" ]; do [ "$(status "$1")" = "$2" ] && return 0; sleep 0.05; done
  return 1
}

# ZooKeeper with a 500 ms tick, so sessions can be as short as 1 s.
zk_port=$(free_port); mkdir -p "$work/zk"
cat > "$work/zk/zoo.cfg" <<CFG
tickTime=500
dataDir=$work/zk
clientPort=$zk_port
clientPortAddress=127.0.0.1
minSessionTimeout=1000
admin.enableServer=false
4lw.commands.whitelist=*
CFG
java -cp "/usr/share/java/zookeeper.jar:/usr/share/java/*" -Dzookeeper.admin.enableServer=false \
  org.apache.zookeeper.server.quorum.QuorumPeerMain "$work/zk/zoo.cfg" > "$work/zk.log" 2>&1 &
pids+=($!)
sleep 3

declare -A results
run_one() { # kind signal run
  local kind=$1 signal=$2 run=$3 dir="/failover-$kind-$signal-$run"
  local ports=("$(free_port)" "$(free_port)") webs=("$(free_port)" "$(free_port)") master_pids=()
  local opts="-Dspark.deploy.recoveryMode=ZOOKEEPER -Dspark.deploy.zookeeper.url=127.0.0.1:$zk_port -Dspark.deploy.zookeeper.dir=$dir"
  for i in 0 1; do
    if [ "$kind" = swift ]; then
      SPARK_MASTER_OPTS="$opts -Dspark.deploy.zookeeper.sessionTimeout=2s" "$bin/spark-master" --host 127.0.0.1 \
        --port "${ports[$i]}" --webui-port "${webs[$i]}" > "$work/$kind-$signal-$run-m$i.log" 2>&1 &
    else
      SPARK_NO_DAEMONIZE=1 SPARK_DAEMON_MEMORY=512m SPARK_MASTER_OPTS="$opts" "$SPARK_HOME/bin/spark-class" \
        org.apache.spark.deploy.master.Master --host 127.0.0.1 --port "${ports[$i]}" --webui-port "${webs[$i]}" \
        > "$work/$kind-$signal-$run-m$i.log" 2>&1 &
    fi
    master_pids+=($!); pids+=($!)
    if [ "$i" = 0 ]; then wait_status "${webs[0]}" ALIVE 90 || { echo "leader did not start" >&2; return 1; }; fi
  done
  wait_status "${webs[1]}" STANDBY 90 || { echo "standby did not start" >&2; return 1; }
  SPARK_NO_DAEMONIZE=1 SPARK_DAEMON_MEMORY=256m SPARK_LOCAL_IP=127.0.0.1 "$SPARK_HOME/bin/spark-class" \
    org.apache.spark.deploy.worker.Worker --host 127.0.0.1 --cores 1 --memory 1g --work-dir "$work/w-$kind-$signal-$run" \
    "spark://127.0.0.1:${ports[0]},127.0.0.1:${ports[1]}" > "$work/$kind-$signal-$run-w.log" 2>&1 &
  local worker=$!; pids+=($worker)
  for _ in $(seq 1 300); do grep -q "Successfully registered" "$work/$kind-$signal-$run-w.log" && break; sleep 0.1; done
  sleep 2
  local start; start=$(now_ms)
  kill "-$signal" "${master_pids[0]}"
  if wait_status "${webs[1]}" ALIVE 120; then
    local ms=$(( $(now_ms) - start ))
    echo "$kind $signal run $run: standby ALIVE after $ms ms"
    results["$kind-$signal"]="${results["$kind-$signal"]:-} $ms"
  else
    echo "$kind $signal run $run: standby never became ALIVE" >&2
  fi
  kill -9 "${master_pids[@]}" "$worker" 2>/dev/null || true
  sleep 1
}

for run in $(seq 1 "$runs"); do
  for kind in swift jvm; do
    for signal in KILL TERM; do run_one "$kind" "$signal" "$run"; done
  done
done

median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {if (NR==0) print "-"; else print a[int((NR+1)/2)]}'; }
echo
printf '%-8s %-10s %-10s %s\n' signal swift_ms jvm_ms ratio
for signal in KILL TERM; do
  s=$(echo "${results["swift-$signal"]:-}" | median); j=$(echo "${results["jvm-$signal"]:-}" | median)
  ratio=$( [ "$s" != - ] && [ "$j" != - ] && python3 -c "print(f'{$s/$j:.3f}')" || echo -)
  printf '%-8s %-10s %-10s %s\n' "SIG$signal" "$s" "$j" "$ratio"
done
echo "logs: $work"
