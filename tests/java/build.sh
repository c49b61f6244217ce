#!/bin/sh
# Build the test agent JAR and the test program into OUT (default
# build/java): agent.jar (Premain-Class org.sbx.testagent.Agent) and
# app.jar (org.sbx.testapp.Main, org.sbx.testapp.CheckSigned).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-build/java}
mkdir -p "$out/agent-classes" "$out/app-classes"
javac -d "$out/agent-classes" "$here"/agent/org/sbx/testagent/*.java
javac -d "$out/app-classes" "$here"/app/org/sbx/testapp/*.java
jar --create --file "$out/agent.jar" --manifest "$here/agent/MANIFEST.MF" \
	-C "$out/agent-classes" .
jar --create --file "$out/app.jar" -C "$out/app-classes" .
