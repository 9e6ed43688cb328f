#!/usr/bin/env bash
# Records one Spark standalone session (master + worker + spark-shell job) on loopback.
# usage: record-session.sh [PCAP] [LOGDIR]   (SPARK_HOME, JAVA_HOME from the environment)
# Needs root for tcpdump; ports 17077 (master) and 17078 (worker) must be free.
set -euo pipefail
export SPARK_HOME=${SPARK_HOME:-/root/.cache/spark-space/pyspark-4.3.0/pyspark}
export JAVA_HOME=${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")}
export SPARK_LOCAL_IP=127.0.0.1
export SPARK_WORKER_DIR=${2:-/tmp/capture}/work
L=${2:-/tmp/capture}
PCAP=${1:-/work/main/protocol/captures/spark-4.3.0-session.pcap}
mkdir -p "$L" "$SPARK_WORKER_DIR"
rm -f "$PCAP"

tcpdump -i lo -w "$PCAP" -s 0 -U 'tcp port 17077 or tcp port 17078' >"$L/tcpdump.log" 2>&1 &
TCPDUMP=$!; echo "tcpdump pid $TCPDUMP"
for i in $(seq 50); do grep -q listening "$L/tcpdump.log" && break; sleep 0.2; done

"$SPARK_HOME/bin/spark-class" org.apache.spark.deploy.master.Master --host 127.0.0.1 --port 17077 --webui-port 18080 >"$L/master.log" 2>&1 &
MASTER=$!; echo "master pid $MASTER"
for i in $(seq 120); do grep -q "I have been elected leader" "$L/master.log" && break; sleep 0.5; done

"$SPARK_HOME/bin/spark-class" org.apache.spark.deploy.worker.Worker --host 127.0.0.1 --port 17078 --webui-port 18081 --cores 2 --memory 2g --work-dir "$SPARK_WORKER_DIR" spark://127.0.0.1:17077 >"$L/worker.log" 2>&1 &
WORKER=$!; echo "worker pid $WORKER"
for i in $(seq 120); do grep -q "Successfully registered with master" "$L/worker.log" && break; sleep 0.5; done

printf 'sc.parallelize(1 to 1000000).reduce(_ + _)\n:quit\n' | \
  "$SPARK_HOME/bin/spark-shell" --master spark://127.0.0.1:17077 --conf spark.ui.enabled=false \
  --conf spark.driver.host=127.0.0.1 --conf spark.driver.bindAddress=127.0.0.1 >"$L/shell.log" 2>&1 || echo "shell rc $?"
echo "shell done"
# wait for the worker to report the executor gone
for i in $(seq 60); do grep -qE "Executor app-[0-9-]+/[0-9]+ finished with state" "$L/worker.log" && break; sleep 0.5; done
sleep 3
kill "$WORKER"; wait "$WORKER" || true
sleep 2
kill "$MASTER"; wait "$MASTER" || true
sleep 1
kill -INT "$TCPDUMP"; wait "$TCPDUMP" || true
echo done
