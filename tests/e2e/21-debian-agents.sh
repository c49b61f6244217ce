#!/usr/bin/env bash
# Real agent JARs from Debian packages (libjacoco-java, libaspectj-java,
# libbyte-buddy-java): signed by sbx, accepted by jarsigner and
# sbx-verify, and each runs as the -javaagent of a small program.
. "$(dirname "$0")/lib/common.sh"
cd "$WORK"

sh "$TOP/tests/java/build.sh" "$WORK/java" >/dev/null
APP=$WORK/java/app.jar
sbx-keyring generate --key k.key --cert k.crt --subject "CN=debian agents" \
	--no-passphrase >/dev/null
sbx-keyring init kr.json >/dev/null
sbx-keyring add kr.json --cert k.crt --name agents >/dev/null
keytool -importcert -noprompt -alias sbx -file k.crt -keystore trust.p12 \
	-storetype PKCS12 -storepass changeit >/dev/null 2>&1
unzip -q /usr/share/java/org.jacoco.agent.jar jacocoagent.jar

check_agent() {
	name=$1 jar=$2 opts=$3
	expect 0 "$name: sbx-sign" sbx-sign --key k.key --cert k.crt \
		--no-passphrase -o "$name-signed.jar" "$jar"
	expect 0 "$name: jarsigner -verify -strict" jarsigner -verify -strict \
		-keystore trust.p12 -storepass changeit "$name-signed.jar"
	contains "$name: jar verified" "$out" "jar verified."
	expect 0 "$name: sbx-verify" sbx-verify --keyring kr.json \
		"$name-signed.jar"
	contains "$name: accepted" "$out" "accepted: signed by agents"
	expect 0 "$name: JarFile sees every entry signed" \
		java -cp "$APP" org.sbx.testapp.CheckSigned "$name-signed.jar"
	expect 0 "$name: runs as -javaagent" java \
		"-javaagent:$name-signed.jar$opts" -cp "$APP" org.sbx.testapp.Main
	contains "$name: the program ran" "$out" "sbx-test-app main ran"
	# Entries are copied, never re-deflated.
	expect 0 "$name: compressed sizes unchanged" python3 - "$jar" \
		"$name-signed.jar" <<'PY'
import sys, zipfile
a = {i.filename: i for i in zipfile.ZipFile(sys.argv[1]).infolist()}
b = {i.filename: i for i in zipfile.ZipFile(sys.argv[2]).infolist()}
for n, i in a.items():
    if n.upper().startswith("META-INF/MANIFEST"):
        continue
    j = b[n]
    assert (i.compress_size, i.CRC, i.compress_type) == \
        (j.compress_size, j.CRC, j.compress_type), n
PY
}

check_agent jacoco jacocoagent.jar "=destfile=$WORK/jacoco.exec"
expect 0 "jacoco wrote its coverage file" test -s jacoco.exec
check_agent aspectjweaver /usr/share/java/aspectjweaver.jar ""
check_agent byte-buddy-agent /usr/share/java/byte-buddy-agent.jar ""

finish
