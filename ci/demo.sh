#!/usr/bin/env bash
# make demo: the main job end to end on a real agent JAR from Debian
# (JaCoCo's agent): a fresh key and keyring, sign, verify, run it as a
# -javaagent, tamper with one class, and watch the refusal, by sbx-verify
# and by the start-up guard in front of the JVM.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
PATH=$top/bin:$PATH
work=$(mktemp -d "${TMPDIR:-/tmp}/sbx-demo.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"

step() { printf '\n== %s\n' "$*"; }
show() { printf '$ %s\n' "$*"; "$@"; }

step "1. a real agent JAR from Debian's libjacoco-java"
unzip -q -o /usr/share/java/org.jacoco.agent.jar jacocoagent.jar
show unzip -p jacocoagent.jar META-INF/MANIFEST.MF

step "2. a fresh RSA-4096 signing key (passphrase from a file, never argv)"
head -c 32 /dev/urandom | base64 >passphrase
chmod 600 passphrase
show sbx-keyring generate --key release.key --cert release.crt \
	--subject "CN=sbx demo release key" --passphrase-file passphrase
ls -l release.key

step "3. a keyring that trusts it for JARs and provenance"
show sbx-keyring init keyring.json
show sbx-keyring add keyring.json --cert release.crt --name demo-release \
	--role jar,provenance
show sbx-keyring list keyring.json

step "4. sign the agent"
show sbx-sign --key release.key --cert release.crt \
	--passphrase-file passphrase -o jacocoagent-signed.jar jacocoagent.jar

step "5. verify it with sbx, and with the JDK's jarsigner"
show sbx-verify --keyring keyring.json jacocoagent-signed.jar
keytool -importcert -noprompt -alias demo -file release.crt \
	-keystore trust.p12 -storetype PKCS12 -storepass changeit >/dev/null 2>&1
show jarsigner -verify -strict -keystore trust.p12 -storepass changeit \
	jacocoagent-signed.jar

step "6. run it as a -javaagent of a small program"
mkdir -p app/demo
cat >app/demo/Hello.java <<'JAVA'
package demo;
public class Hello {
	public static void main(String[] a) {
		System.out.println("hello from a JVM with a signed agent");
	}
}
JAVA
javac -d app app/demo/Hello.java
show java -javaagent:jacocoagent-signed.jar=destfile=jacoco.exec \
	-cp app demo.Hello
ls -l jacoco.exec

step "7. tamper with one class inside the signed JAR"
victim=$(unzip -Z1 jacocoagent-signed.jar | grep '\.class$' | sed -n 1p)
echo "changing one byte of $victim"
python3 "$top/tests/e2e/lib/jarsurgery.py" flip jacocoagent-signed.jar \
	jacocoagent-tampered.jar "$victim"

step "8. sbx refuses it, and says why"
set +e
sbx-verify --keyring keyring.json jacocoagent-tampered.jar
status=$?
set -e
echo "exit status: $status (1 = rejected)"
[ "$status" -eq 1 ]

step "9. the start-up guard: a JVM with the signed agent starts"
cat >runtime.json <<'JSON'
{ "keyring": "keyring.json", "tenant": "demo",
  "audit": { "file": "audit.jsonl" } }
JSON
show sbx-guard --policy runtime.json -- \
	java -javaagent:"$work/jacocoagent-signed.jar=destfile=jacoco.exec" \
	-cp app demo.Hello

step "10. and one with the tampered agent never does"
set +e
show sbx-guard --policy runtime.json -- \
	java -javaagent:"$work/jacocoagent-tampered.jar=destfile=jacoco.exec" \
	-cp app demo.Hello
status=$?
set -e
echo "exit status: $status (126 = refused, java never ran)"
[ "$status" -eq 126 ]
for i in $(seq 1 50); do
	[ "$(wc -l <audit.jsonl)" -ge 2 ] && break
	sleep 0.1
done
echo "the audit log has both starts:"
jq -c '{decision, artifact: .artifact.path, violation: .violation.type}' \
	audit.jsonl
echo
echo "demo finished: signed, verified, ran, refused the tampered copy, and"
echo "the guard kept a JVM from starting with it"
