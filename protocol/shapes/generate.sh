#!/usr/bin/env bash
# Regenerates the class-shape table of one Spark line from its real jars.
# usage: protocol/shapes/generate.sh SPARK_HOME VERSION SWIFT_NAME   (e.g. ... 4.3.0 spark430)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
spark_home="$1"; version="$2"; swift_name="$3"
classes="$(mktemp -d)"
trap 'rm -rf "$classes"' EXIT
javac -d "$classes" "$here/ShapeDump.java"
java -cp "$classes:$spark_home/jars/*" ShapeDump "$here/classes.txt" > "$here/spark-$version.tsv"
python3 "$here/generate-swift.py" "$here/spark-$version.tsv" "$version" "$swift_name" \
  > "$here/../../Sources/SparkProtocol/Generated/ClassShapes+Spark${version//./}.swift"
