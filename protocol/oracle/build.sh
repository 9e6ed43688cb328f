#!/usr/bin/env bash
# Compiles the JVM oracle against a Spark distribution's jars.
# usage: build.sh SPARK_HOME OUTDIR
set -euo pipefail
if [ "$#" -ne 2 ]; then
  echo "usage: $0 SPARK_HOME OUTDIR" >&2
  exit 64
fi
spark_home=$1
outdir=$2
src_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [ ! -d "$spark_home/jars" ]; then
  echo "error: $spark_home/jars not found" >&2
  exit 1
fi
mkdir -p "$outdir"
# The golden fixtures are built with Scala 2.13 collections (Spark 4.x): a Scala 2.12 distribution
# (Spark 3.5) gets every subcommand but `golden`.
sources=("$src_dir"/*.java)
if compgen -G "$spark_home/jars/scala-library-2.12.*.jar" > /dev/null; then
  sources=()
  for file in "$src_dir"/*.java; do
    [ "$(basename "$file")" = Fixtures.java ] || sources+=("$file")
  done
fi
# JSON Web Signatures need jjwt, which Spark 4 ships for its JWSFilter.
if ! compgen -G "$spark_home/jars/jjwt-api-*.jar" > /dev/null; then
  kept=()
  for file in "${sources[@]}"; do
    [ "$(basename "$file")" = Tokens.java ] || kept+=("$file")
  done
  sources=("${kept[@]}")
fi
javac -nowarn -encoding UTF-8 --release 17 -cp "$spark_home/jars/*" -d "$outdir" "${sources[@]}"
