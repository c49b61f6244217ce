#!/bin/sh
# runtime-check/java/build.sh: build sbx-guard-api.jar (org.sbx.guard.Sbx)
# into OUT (default build/java-api): the class sandboxes call to report a
# violation to libsbxguard.so.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-build/java-api}
mkdir -p "$out/classes"
javac --release 11 -d "$out/classes" "$here"/org/sbx/guard/Sbx.java
jar --create --file "$out/sbx-guard-api.jar" -C "$out/classes" .
