#!/usr/bin/env bash
# Runs the JVM oracle built by build.sh.
# usage: run.sh SPARK_HOME CLASSDIR SUBCOMMAND ARGS...
set -euo pipefail
if [ "$#" -lt 3 ]; then
  echo "usage: $0 SPARK_HOME CLASSDIR SUBCOMMAND ARGS..." >&2
  exit 64
fi
spark_home=$1
classdir=$2
shift 2
# Small, short-lived JVM; the add-opens flags let the dumper read JDK-internal fields
# (Throwable.cause, detailMessage) reflectively on Java 17.
exec java -Xss4m -Xmx512m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto \
  --add-opens=java.base/java.lang=ALL-UNNAMED \
  --add-opens=java.base/java.util=ALL-UNNAMED \
  --add-opens=java.base/java.net=ALL-UNNAMED \
  --add-opens=java.base/java.nio=ALL-UNNAMED \
  --add-opens=java.base/sun.nio.ch=ALL-UNNAMED \
  --add-opens=java.base/java.util.concurrent=ALL-UNNAMED \
  -cp "$classdir:$spark_home/jars/*" spark.oracle.SparkOracle "$@"
