#!/usr/bin/env bash
# Sign and verify agent JARs; the JDK (jarsigner, java -javaagent,
# JarFile) is the judge of the format, in both directions.
. "$(dirname "$0")/lib/common.sh"
SURGERY="python3 $TOP/tests/e2e/lib/jarsurgery.py"
cd "$WORK"

sh "$TOP/tests/java/build.sh" "$WORK/java" >/dev/null
AGENT=$WORK/java/agent.jar
APP=$WORK/java/app.jar
printf 'correct horse battery staple\n' >pass
chmod 600 pass

# --- keys and keyring ---------------------------------------------------
expect 0 "generate release key" sbx-keyring generate --key a.key \
	--cert a.crt --subject "CN=sbx release A,O=sbx tests" \
	--passphrase-file pass
expect 0 "generate a key the keyring will not hold" sbx-keyring generate \
	--key b.key --cert b.crt --subject "CN=sbx stranger B" --no-passphrase
expect 0 "init keyring" sbx-keyring init keyring.json
expect 0 "add key A" sbx-keyring add keyring.json --cert a.crt \
	--name release-a --role jar,provenance

# A truststore for jarsigner holding sbx's certificate.
keytool -importcert -noprompt -alias sbx-a -file a.crt \
	-keystore trust.p12 -storetype PKCS12 -storepass changeit >/dev/null 2>&1

SIGN="sbx-sign --key a.key --cert a.crt --passphrase-file pass"

# --- sbx signs, the JDK accepts -----------------------------------------
expect 0 "sbx-sign the test agent" $SIGN -o signed.jar "$AGENT"
expect 0 "jarsigner -verify -strict accepts sbx's signature" \
	jarsigner -verify -strict -keystore trust.p12 -storepass changeit \
	signed.jar
contains "jarsigner says verified" "$out" "jar verified"
expect 0 "java -javaagent runs the signed agent's premain" \
	java -javaagent:signed.jar=e2e -cp "$APP" org.sbx.testapp.Main
contains "premain ran" "$out" "sbx-test-agent premain ran with e2e"
expect 0 "JarFile(f, true) sees every entry signed" \
	java -cp "$APP" org.sbx.testapp.CheckSigned signed.jar
contains "no unsigned entry" "$out" "unsigned=0"
expect 0 "sbx-verify accepts" sbx-verify --keyring keyring.json signed.jar
contains "verdict line" "$out" "signed.jar: accepted: signed by release-a"
expect 0 "main attributes kept" sh -c \
	"unzip -p signed.jar META-INF/MANIFEST.MF | grep -q '^Premain-Class: org.sbx.testagent.Agent'"
expect 0 ".SF carries both manifest digests" sh -c \
	"unzip -p signed.jar META-INF/SIGNER.SF | grep -q '^SHA-256-Digest-Manifest-Main-Attributes: ' &&
	 unzip -p signed.jar META-INF/SIGNER.SF | grep -q '^SHA-256-Digest-Manifest: '"
expect 0 "block names the signer by issuer and serial" sh -c \
	"unzip -p signed.jar META-INF/SIGNER.RSA | openssl cms -cmsout -print -inform DER | grep -q issuerAndSerialNumber"

expect 0 "one thread gives the same verdict" sbx-verify --threads 1 \
	--keyring keyring.json signed.jar
expect 2 "--threads out of range" sbx-verify --threads 9 \
	--keyring keyring.json signed.jar

# --- JSON output ----------------------------------------------------------
expect 0 "sbx-verify --json" sbx-verify --keyring keyring.json --json signed.jar
expect 0 "json verdict" sh -c "printf '%s' '$out' | jq -e '.results[0].verdict == \"accepted\" and .results[0].signer.name == \"release-a\" and .results[0].violation == null'"

# --- reproducible -----------------------------------------------------------
SOURCE_DATE_EPOCH=1700000000 $SIGN -q -o r1.jar "$AGENT"
SOURCE_DATE_EPOCH=1700000000 $SIGN -q -o r2.jar "$AGENT"
expect 0 "same JAR, key and SOURCE_DATE_EPOCH give the same bytes" cmp r1.jar r2.jar

# --- in place, atomically ---------------------------------------------------
cp "$AGENT" inplace.jar
expect 0 "sign in place" $SIGN -q inplace.jar
expect 0 "in-place result verifies" sbx-verify -q --keyring keyring.json inplace.jar
expect 0 "no temporary file left" sh -c "! ls | grep -q sbx-tmp"

# --- jarsigner signs, sbx accepts -------------------------------------------
keytool -genkeypair -keyalg RSA -keysize 4096 -alias vendor -dname "CN=vendor" \
	-validity 30 -keystore vendor.p12 -storetype PKCS12 -storepass vendorpw \
	>/dev/null 2>&1
keytool -exportcert -rfc -alias vendor -keystore vendor.p12 -storepass vendorpw \
	-file vendor.crt >/dev/null 2>&1
jarsigner -keystore vendor.p12 -storepass vendorpw -signedjar js.jar \
	"$AGENT" vendor >/dev/null 2>&1
expect 1 "jarsigner-signed JAR by an unknown key is rejected" \
	sbx-verify --keyring keyring.json js.jar
contains "untrusted_key named" "$out" "rejected: untrusted_key"
expect 0 "add the vendor certificate" sbx-keyring add keyring.json \
	--cert vendor.crt --name vendor --role jar
expect 0 "jarsigner-signed JAR verifies with sbx once trusted" \
	sbx-verify --keyring keyring.json js.jar
contains "signed by vendor" "$out" "accepted: signed by vendor"

# --- PKCS#12 keystore from keytool as the key ---------------------------------
printf 'vendorpw' >vendorpw
# The vendor key may sign JARs only, so no provenance from it here.
expect 0 "sign with pkcs12:PATH and --key-alias" sbx-sign --no-provenance \
	--key pkcs12:vendor.p12 --key-alias vendor --passphrase-file vendorpw \
	-o p12.jar "$AGENT"
expect 0 "pkcs12-signed JAR verifies" sbx-verify --keyring keyring.json p12.jar
expect 2 "wrong keystore alias is a configuration error" sbx-sign \
	--key pkcs12:vendor.p12 --key-alias nosuch --passphrase-file vendorpw \
	-o x.jar "$AGENT"
contains "names the alias" "$errout" "no key with alias 'nosuch'"

# --- a second signer keeps the first valid ------------------------------------
expect 0 "add a second signer" sbx-sign --no-provenance \
	--key pkcs12:vendor.p12 \
	--key-alias vendor --passphrase-file vendorpw --alias VENDOR \
	-o two.jar signed.jar
keytool -importcert -noprompt -alias vendor -file vendor.crt \
	-keystore trust.p12 -storepass changeit >/dev/null 2>&1
expect 0 "jarsigner accepts both signers" jarsigner -verify -strict \
	-keystore trust.p12 -storepass changeit two.jar
sbx-keyring init only-a.json >/dev/null
sbx-keyring add only-a.json --cert a.crt --name release-a >/dev/null
expect 0 "first signer still verifies" sbx-verify --keyring only-a.json two.jar
contains "signed by release-a" "$out" "signed by release-a"
expect 0 "java runs the twice-signed agent" \
	java -javaagent:two.jar -cp "$APP" org.sbx.testapp.Main

# --- tampering ---------------------------------------------------------------
printf 'not a class' >junk
$SURGERY replace signed.jar t-changed.jar org/sbx/testagent/Helper.class junk
expect 1 "changed entry" sbx-verify --keyring keyring.json t-changed.jar
contains "names the entry" "$out" "digest_mismatch: org/sbx/testagent/Helper.class"
$SURGERY add signed.jar t-added.jar org/sbx/testagent/Evil.class evil
expect 1 "added entry" sbx-verify --keyring keyring.json t-added.jar
contains "names the added entry" "$out" "unsigned_entry: org/sbx/testagent/Evil.class is not signed"
$SURGERY remove signed.jar t-removed.jar org/sbx/testagent/Helper.class
expect 1 "removed entry" sbx-verify --keyring keyring.json t-removed.jar
contains "names the removed entry" "$out" "org/sbx/testagent/Helper.class is signed in the manifest but missing"
$SURGERY sf-edit signed.jar t-sf.jar META-INF/SIGNER.SF "Created-By: sbx" "Created-By: sbX"
expect 1 "one byte of the .SF changed" sbx-verify --keyring keyring.json t-sf.jar
contains "bad signature" "$out" "bad_signature"
$SURGERY duplicate signed.jar t-dup.jar org/sbx/testagent/Agent.class
expect 1 "duplicate entry names" sbx-verify --keyring keyring.json t-dup.jar
contains "malformed archive" "$out" "malformed_archive"
{ printf 'hidden!'; cat signed.jar; } >t-prefix.jar
expect 1 "bytes before the first entry" sbx-verify --keyring keyring.json t-prefix.jar
contains "malformed archive (prefix)" "$out" "malformed_archive"
{ cat signed.jar; printf 'hidden!'; } >t-suffix.jar
expect 1 "bytes after the end record" sbx-verify --keyring keyring.json t-suffix.jar
contains "malformed archive (suffix)" "$out" "malformed_archive"
sbx-sign --key b.key --cert b.crt --no-passphrase -q -o t-stranger.jar "$AGENT"
expect 1 "signed by a key not in the keyring" sbx-verify --keyring keyring.json t-stranger.jar
contains "untrusted key" "$out" "untrusted_key"
expect 1 "unsigned JAR" sbx-verify --keyring keyring.json "$AGENT"
contains "unsigned" "$out" "rejected: unsigned"
$SURGERY flip signed.jar t-agent.jar org/sbx/testagent/Agent.class
expect 1 "changed premain class" sbx-verify --keyring keyring.json t-agent.jar
contains "names the premain class" "$out" "org/sbx/testagent/Agent.class: SHA-256-Digest does not match"
# The JVM fails (1, or 134 when it aborts) with a SecurityException.
refused "the JVM refuses the changed premain class too" \
	java -Xshare:auto -XX:-CreateCoredumpOnCrash \
	-javaagent:t-agent.jar -cp "$APP" org.sbx.testapp.Main
contains "JVM's own reason" "$errout" "SecurityException"

# --- what the JDK would quietly accept, sbx refuses --------------------------
# A .SF without the main-attributes digest, re-signed so the block is valid.
unzip -p signed.jar META-INF/SIGNER.SF | grep -v '^SHA-256-Digest-Manifest' >nomain.sf || true
# Keep the blank line that ends the main section.
python3 - <<'PY'
sf = open("nomain.sf", "rb").read()
head, rest = sf.split(b"\r\n\r\n", 1) if b"\r\n\r\n" in sf else (sf, b"")
open("nomain.sf", "wb").write(head + b"\r\n\r\n" + rest)
PY
openssl pkey -in a.key -passin file:pass -out a-plain.key 2>/dev/null
openssl cms -sign -binary -noattr -outform DER -md sha256 -signer a.crt \
	-inkey a-plain.key -in nomain.sf -out nomain.rsa
$SURGERY replace signed.jar t-nomain1.jar META-INF/SIGNER.SF nomain.sf
$SURGERY replace t-nomain1.jar t-nomain.jar META-INF/SIGNER.RSA nomain.rsa
expect 1 ".SF without the main-attributes digest" sbx-verify --keyring keyring.json t-nomain.jar
contains "main attributes unprotected" "$out" "Digest-Manifest-Main-Attributes"

$SURGERY sf-edit signed.jar t-ver0.jar META-INF/SIGNER.SF "Signature-Version: 1.0" "Signature-Version: 2.0"
unzip -p t-ver0.jar META-INF/SIGNER.SF >v2.sf
openssl cms -sign -binary -outform DER -md sha256 -signer a.crt \
	-inkey a-plain.key -in v2.sf -out v2.rsa
$SURGERY replace t-ver0.jar t-ver.jar META-INF/SIGNER.RSA v2.rsa
expect 1 "Signature-Version other than 1.0" sbx-verify --keyring keyring.json t-ver.jar
contains "says the JDK would ignore it" "$out" "Signature-Version is not 1.0"

unzip -p signed.jar META-INF/SIGNER.SF >orig.sf
openssl cms -sign -binary -keyid -outform DER -md sha256 -signer a.crt \
	-inkey a-plain.key -in orig.sf -out keyid.rsa
$SURGERY replace signed.jar t-keyid.jar META-INF/SIGNER.RSA keyid.rsa
expect 1 "signer named by subject key identifier" sbx-verify --keyring keyring.json t-keyid.jar
contains "SKI refused" "$out" "subject key identifier"

printf 'garbage' >garbage.rsa
$SURGERY replace signed.jar t-block.jar META-INF/SIGNER.RSA garbage.rsa
expect 1 "unparsable block" sbx-verify --keyring keyring.json t-block.jar
contains "unparsable block" "$out" "cannot parse the signature block"

# --- weak algorithms ------------------------------------------------------------
keytool -genkeypair -keyalg RSA -keysize 2048 -alias small -dname "CN=small" \
	-validity 30 -keystore small.p12 -storetype PKCS12 -storepass smallpw >/dev/null 2>&1
keytool -exportcert -rfc -alias small -keystore small.p12 -storepass smallpw \
	-file small.crt >/dev/null 2>&1
sbx-keyring add keyring.json --cert small.crt --name small --role jar >/dev/null
jarsigner -keystore small.p12 -storepass smallpw -signedjar t-2048.jar \
	"$AGENT" small >/dev/null 2>&1
expect 1 "RSA-2048 signer" sbx-verify --keyring keyring.json t-2048.jar
contains "below minimum" "$out" "weak_algorithm"
jarsigner -keystore vendor.p12 -storepass vendorpw -digestalg SHA-1 \
	-sigalg SHA1withRSA -signedjar t-sha1.jar "$AGENT" vendor >/dev/null 2>&1
expect 1 "SHA-1 digests" sbx-verify --keyring keyring.json t-sha1.jar
contains "weak algorithm" "$out" "weak_algorithm"

# --- a package section (Sealed) is signed too ------------------------------------
printf 'Manifest-Version: 1.0\nPremain-Class: org.sbx.testagent.Agent\n\nName: org/sbx/testagent/\nSealed: true\n\n' >pkg.mf
jar --create --file pkg.jar --manifest pkg.mf -C "$WORK/java/agent-classes" .
expect 0 "sign a JAR with a package section" $SIGN -q -o pkg-signed.jar pkg.jar
expect 0 "the .SF covers the package section" sh -c \
	"unzip -p pkg-signed.jar META-INF/SIGNER.SF | grep -q '^Name: org/sbx/testagent/'"
expect 0 "sbx-verify accepts it" sbx-verify --keyring keyring.json pkg-signed.jar
expect 0 "jarsigner accepts it" jarsigner -verify -strict -keystore trust.p12 \
	-storepass changeit pkg-signed.jar
expect 0 "the JVM defines the sealed package" \
	java -javaagent:pkg-signed.jar -cp "$APP" org.sbx.testapp.Main

# --- exit statuses ---------------------------------------------------------------
expect 3 "missing file exits 3" sbx-verify --keyring keyring.json nosuch.jar
contains "names the file" "$errout" "nosuch.jar"
expect 2 "bad flag exits 2" sbx-verify --bogus signed.jar
expect 2 "missing keyring is a usage error" sbx-verify signed.jar
expect 3 "unreadable keyring exits 3" sbx-verify --keyring nosuch.json signed.jar
expect 2 "sign without a passphrase option" sbx-sign --key a.key --cert a.crt -o x.jar "$AGENT"
expect 2 "sign with the wrong passphrase" sh -c "printf wrong >wrong; sbx-sign --key a.key --cert a.crt --passphrase-file wrong -o x.jar '$AGENT'"
contains "message names the key file" "$errout" "a.key"
expect 0 "no output left by failed signing" test ! -e x.jar

finish
