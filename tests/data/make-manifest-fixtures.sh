#!/bin/sh
# Regenerate the manifest fixtures in tests/data/manifest.
# Needs javac and java (openjdk-17-jdk-headless) and unzip. Writes:
#   fold-*.mf, jdk-*.mf, jdk-*.txt   from tests/java/ManifestGen.java
#   real-*.mf                        META-INF/MANIFEST.MF of Debian's
#                                    agent JARs in /usr/share/java
set -eu

D=$(cd "$(dirname "$0")" && pwd)
SRC=$D/../java/ManifestGen.java
OUT=$D/manifest
J=/usr/share/java
EXPORT=--add-exports=java.base/sun.security.util=ALL-UNNAMED

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT INT TERM

mkdir -p "$OUT"
rm -f -- "$OUT"/fold-*.mf "$OUT"/jdk-*.mf "$OUT"/jdk-*.txt "$OUT"/real-*.mf

javac -encoding UTF-8 "$EXPORT" -d "$TMP" "$SRC" 2>"$TMP/javac.err" || {
	cat "$TMP/javac.err" >&2
	exit 1
}
java "$EXPORT" -cp "$TMP" ManifestGen "$OUT"

# The manifests as shipped: agents (Premain-Class, Agent-Class) and not.
unzip -p "$J/aspectjweaver.jar" META-INF/MANIFEST.MF \
    >"$OUT/real-aspectjweaver.mf"
unzip -p "$J/byte-buddy-agent.jar" META-INF/MANIFEST.MF \
    >"$OUT/real-byte-buddy-agent.mf"
for n in agent agent.rt ant core report; do
	unzip -p "$J/org.jacoco.$n.jar" META-INF/MANIFEST.MF \
	    >"$OUT/real-org.jacoco.$n.mf"
done
# The JaCoCo agent proper ships inside org.jacoco.agent.jar.
unzip -p "$J/org.jacoco.agent.jar" jacocoagent.jar >"$TMP/jacocoagent.jar"
unzip -p "$TMP/jacocoagent.jar" META-INF/MANIFEST.MF \
    >"$OUT/real-jacocoagent.mf"
# Written with 73-byte continuation lines: why the reader accepts more
# than 72 bytes per line (include/sbx/manifest.h).
unzip -p "$J/cdi-api.jar" META-INF/MANIFEST.MF >"$OUT/real-cdi-api.mf"
