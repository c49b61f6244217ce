#!/usr/bin/env bash
# Key rotation without a flag day: sign with A, add B, sign with B,
# retire A, revoke A, with the verdict of every artifact asserted at
# every step. An RFC 3161 timestamp by a TSA that the keyring trusts is
# the signing time, so what A signed before its retirement still
# verifies after it; revocation takes back everything A ever signed.
. "$(dirname "$0")/lib/common.sh"
cd "$WORK"

sh "$TOP/tests/java/build.sh" "$WORK/java" >/dev/null
AGENT=$WORK/java/agent.jar

# --- a time-stamp authority on loopback -------------------------------------
mkdir tsa
openssl req -x509 -newkey rsa:2048 -nodes -keyout tsa/tsa.key \
	-out tsa/tsa.crt -subj "/CN=sbx e2e TSA" -days 30 \
	-addext "basicConstraints=critical,CA:FALSE" \
	-addext "keyUsage=critical,digitalSignature" \
	-addext "extendedKeyUsage=critical,timeStamping" 2>/dev/null
python3 "$TOP/tests/e2e/lib/tsa_server.py" tsa &
TSA_PID=$!
stop_tsa() { kill "$TSA_PID" 2>/dev/null; wait "$TSA_PID" 2>/dev/null; }
on_exit stop_tsa
for _ in $(seq 50); do [ -s tsa/port ] && break; sleep 0.1; done
TSA=http://127.0.0.1:$(cat tsa/port)/
DOWN=http://127.0.0.1:1/

sign() {	# sign KEY OUT [sbx-sign options]
	k=$1 o=$2
	shift 2
	sbx-sign -q --key "$k.key" --cert "$k.crt" --no-passphrase \
	    --no-provenance -o "$o" "$@" "$AGENT"
}

# verdict JAR [KEYRING]: "accepted", or "rejected: TYPE", from --json.
verdict() {
	sbx-verify --keyring "${2:-keyring.json}" --json "$1" | jq -r \
	    '.results[0] | if .verdict == "accepted" then "accepted"
	    else .verdict + ": " + .violation end'
}

# at STEP JAR WANT [KEYRING]
at() {
	got=$(verdict "$2" "${4:-keyring.json}" || true)
	if [ "$got" = "$3" ]; then
		ok "$1: $2 $3"
	else
		fail "$1: $2: got '$got', wanted '$3'"
	fi
}

stamp_of() {	# stamp_of JAR: the trusted timestamp sbx-verify reports
	sbx-verify --keyring keyring.json --json "$1" |
	    jq -r '.results[0].signer.timestamp'
}

# --- step 1: key A signs ----------------------------------------------------
expect 0 "generate key A" sbx-keyring generate -q --key a.key --cert a.crt \
	--subject "CN=sbx release A,O=sbx tests" --no-passphrase
sbx-keyring init -q keyring.json
expect 0 "add A for JARs" sbx-keyring add -q keyring.json --cert a.crt \
	--name release-a --role jar
expect 2 "a code-signing certificate is no TSA" sbx-keyring add \
	keyring.json --cert a.crt --name not-a-tsa --role tsa
contains "says why" "$errout" "has an extended key usage other than \
timeStamping alone"
expect 0 "add the TSA as a trusted clock" sbx-keyring add keyring.json \
	--cert tsa/tsa.crt --name test-tsa --role tsa
contains "role tsa" "$out" "as test-tsa for tsa"

expect 0 "A signs a1.jar with a timestamp" sign a a1.jar --tsa "$TSA"
expect 0 "A signs a1-plain.jar without one" sign a a1-plain.jar
at "step 1" a1.jar accepted
at "step 1" a1-plain.jar accepted
expect 0 "a1.jar has a trusted timestamp" test "$(stamp_of a1.jar)" != null
expect 0 "a1-plain.jar has none" test "$(stamp_of a1-plain.jar)" = null

keytool -importcert -noprompt -alias a -file a.crt -keystore trust.p12 \
	-storetype PKCS12 -storepass changeit >/dev/null 2>&1
keytool -importcert -noprompt -alias tsa -file tsa/tsa.crt \
	-keystore trust.p12 -storetype PKCS12 -storepass changeit >/dev/null 2>&1
expect 0 "jarsigner -verify -strict accepts sbx's timestamp" jarsigner \
	-verify -strict -verbose:summary -keystore trust.p12 \
	-storepass changeit a1.jar
contains "jarsigner sees the TSA" "$out" 'Timestamped by "CN=sbx e2e TSA"'
contains "and verifies" "$out" "jar verified."

# The TSA's failures: failover, a TSA that is down, a reply to another.
expect 0 "a TSA that is down is skipped for the next" sign a fo.jar \
	--tsa "$DOWN" --tsa "$TSA"
at "failover" fo.jar accepted
expect 3 "a TSA that cannot be reached" sign a gone.jar \
	--tsa "http://user:pw@127.0.0.1:1/?auth=s3cret"
case "$errout" in
*s3cret* | *user:pw*) fail "the TSA's credentials were printed: $errout" ;;
*) ok "the TSA's credentials are not printed" ;;
esac
contains "the URL without them" "$errout" "http://127.0.0.1:1/: "
echo down >tsa/mode
expect 3 "every TSA down: nothing signed" sign a down.jar --tsa "$TSA"
contains "says which" "$errout" "sbx-sign: $AGENT: ${TSA}: HTTP status 503"
expect 0 "no JAR written" test ! -e down.jar
echo other >tsa/mode
expect 1 "a reply to another query is refused" sign a other.jar --tsa "$TSA"
contains "imprint" "$errout" "${TSA}: timestamp token: message imprint \
mismatch"
expect 0 "no JAR written" test ! -e other.jar
echo garbage >tsa/mode
expect 1 "a reply that is no token is refused" sign a junk.jar --tsa "$TSA"
contains "says so" "$errout" "${TSA}: not a time-stamp reply"
echo good >tsa/mode
expect 2 "--tsa is for JAR signatures" sbx-sign --key a.key --cert a.crt \
	--no-passphrase --tsa "$TSA" --detached "$AGENT"

# --- step 2: B is added and signs; A still verifies -------------------------
expect 0 "generate key B" sbx-keyring generate -q --key b.key --cert b.crt \
	--subject "CN=sbx release B,O=sbx tests" --no-passphrase
expect 0 "add B" sbx-keyring add -q keyring.json --cert b.crt \
	--name release-b --role jar
expect 0 "B signs b1.jar" sign b b1.jar --tsa "$TSA"
at "step 2" a1.jar accepted
at "step 2" a1-plain.jar accepted
at "step 2" b1.jar accepted

# A vendor's jarsigner -tsa signature, read the same way.
keytool -genkeypair -keyalg RSA -keysize 4096 -alias vendor \
	-dname "CN=sbx vendor" -validity 30 -keystore vendor.p12 \
	-storetype PKCS12 -storepass vendorpw >/dev/null 2>&1
keytool -exportcert -rfc -alias vendor -keystore vendor.p12 \
	-storepass vendorpw -file vendor.crt >/dev/null 2>&1
expect 0 "jarsigner -tsa signs against the test TSA" jarsigner \
	-keystore vendor.p12 -storepass vendorpw -tsa "$TSA" \
	-signedjar v1.jar "$AGENT" vendor
expect 0 "jarsigner signs without a timestamp" jarsigner \
	-keystore vendor.p12 -storepass vendorpw -signedjar v1-plain.jar \
	"$AGENT" vendor
expect 0 "add the vendor" sbx-keyring add -q keyring.json --cert vendor.crt \
	--name vendor --role jar
at "step 2" v1.jar accepted
expect 0 "jarsigner's timestamp is trusted" test "$(stamp_of v1.jar)" != null
t_js=$(stamp_of v1.jar)
t_tool=$(date -u -d "$(jarsigner -verify -verbose:summary v1.jar |
	sed -n 's/.*Timestamped by .* on //p' | head -1)" +%Y-%m-%dT%H:%M:%SZ)
expect 0 "sbx reads the time jarsigner shows" test "$t_js" = "$t_tool"

# --- step 3: A is retired ---------------------------------------------------
sleep 1			# times have one-second steps: retire strictly after
expect 0 "retire A" sbx-keyring retire keyring.json release-a
expect 0 "retire the vendor" sbx-keyring retire -q keyring.json vendor
at "step 3" a1.jar accepted
at "step 3" a1-plain.jar "rejected: expired_key"
at "step 3" b1.jar accepted
at "step 3" v1.jar accepted
at "step 3" v1-plain.jar "rejected: expired_key"
expect 1 "why a1-plain.jar is refused" sbx-verify --keyring keyring.json \
	a1-plain.jar
contains "retired before the time of the check" "$out" "a1-plain.jar: \
rejected: expired_key: key release-a ($(jq -r '.keys[0].id' keyring.json)) \
was retired at "
sleep 1
expect 0 "A signs after its retirement" sign a a2.jar --tsa "$TSA"
at "step 3" a2.jar "rejected: expired_key"

# Only a TSA the keyring trusts makes a signing time: without it, now.
cp keyring.json untrusted-tsa.json
sbx-keyring revoke -q untrusted-tsa.json test-tsa --reason "clock drift"
at "step 3, TSA revoked" a1.jar "rejected: expired_key" untrusted-tsa.json
at "step 3, TSA revoked" b1.jar accepted untrusted-tsa.json

# --- step 4: A is revoked ---------------------------------------------------
expect 0 "revoke A" sbx-keyring revoke keyring.json release-a \
	--reason "key compromised"
at "step 4" a1.jar "rejected: revoked_key"
at "step 4" a1-plain.jar "rejected: revoked_key"
at "step 4" a2.jar "rejected: revoked_key"
at "step 4" b1.jar accepted
at "step 4" v1.jar accepted
expect 1 "the reason is given" sbx-verify --keyring keyring.json a1.jar
contains "revoked, with the reason" "$out" "a1.jar: rejected: revoked_key: \
key release-a ($(jq -r '.keys[0].id' keyring.json)) was revoked at "
contains "the reason" "$out" ": key compromised"

finish
