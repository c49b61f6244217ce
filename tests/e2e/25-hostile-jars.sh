#!/usr/bin/env bash
# Hostile variants of a signed agent JAR, crafted header by header: each
# must be refused unless every byte the JVM loads from it is signed. The
# JDK's own behaviour on the worst ones is asserted too, as the reason.
. "$(dirname "$0")/lib/common.sh"
HJ="python3 $TOP/tests/e2e/lib/hostile_jar.py"
cd "$WORK"

sh "$TOP/tests/java/build.sh" "$WORK/java" >/dev/null
AGENT=$WORK/java/agent.jar
APP=$WORK/java/app.jar

# An agent class of the same name that must never run, and a probe that
# reads JARs as JarInputStream and a class loader do.
mkdir -p src/evil/org/sbx/testagent src/probe/org/sbx/probe
cat >src/evil/org/sbx/testagent/Agent.java <<'EOF'
package org.sbx.testagent;

import java.lang.instrument.Instrumentation;

public final class Agent {
	public static void premain(String args, Instrumentation inst) {
		System.out.println("EVIL premain ran");
	}
}
EOF
cat >src/probe/org/sbx/probe/Probe.java <<'EOF'
package org.sbx.probe;

import java.io.FileInputStream;
import java.util.jar.JarEntry;
import java.util.jar.JarInputStream;

public final class Probe {
	public static void main(String[] a) throws Exception {
		try (JarInputStream in = new JarInputStream(
		    new FileInputStream(a[0]), true)) {
			JarEntry e;
			while ((e = in.getNextJarEntry()) != null)
				System.out.println(e.getName() + " "
				    + in.readAllBytes().length);
		}
		System.out.println("stream read");
	}
}
EOF
javac -d evil src/evil/org/sbx/testagent/Agent.java
javac -d probe src/probe/org/sbx/probe/Probe.java
EVIL=$WORK/evil/org/sbx/testagent/Agent.class
A=org/sbx/testagent/Agent.class

sbx-keyring generate --key a.key --cert a.crt --subject "CN=hostile A" \
	--no-passphrase >/dev/null
sbx-keyring generate --key b.key --cert b.crt --subject "CN=stranger B" \
	--no-passphrase >/dev/null
sbx-keyring init keyring.json >/dev/null
sbx-keyring add keyring.json --cert a.crt --name release-a --role jar >/dev/null
SIGN_A="sbx-sign -q --key a.key --cert a.crt --no-passphrase --no-provenance"
SIGN_B="sbx-sign -q --key b.key --cert b.crt --no-passphrase --no-provenance --alias VENDOR"
$SIGN_A -o signed.jar "$AGENT"
VERIFY="sbx-verify --keyring keyring.json"

# hj VARIANT OUT [ARGS...]: OUT is signed.jar after VARIANT.
hj() {
	v=$1 o=$2
	shift 2
	$HJ "$v" signed.jar "$o" "$@"
}

# rejects JAR VIOLATION TEXT: sbx-verify exits 1 naming VIOLATION and TEXT.
rejects() {
	expect 1 "$1 is refused" $VERIFY "$1"
	contains "$1: violation" "$out" "$1: rejected: $2: "
	contains "$1: reason" "$out" "$3"
}

# accepts JAR: sbx-verify exits 0.
accepts() {
	expect 0 "$1 is accepted" $VERIFY "$1"
	contains "$1: verdict" "$out" "$1: accepted: signed by release-a"
}

# runs JAR: the signed agent's premain runs, not the evil one.
runs() {
	expect 0 "$1: java -javaagent runs" java -javaagent:"$1" -cp "$APP" \
		org.sbx.testapp.Main
	contains "$1: the signed premain ran" "$out" "sbx-test-agent premain ran"
}

# --- the baseline and this writer -----------------------------------------
accepts signed.jar
runs signed.jar
hj identity same.jar
accepts same.jar
expect 0 "JarFile sees every entry of the rewritten JAR signed" \
	java -cp "$APP" org.sbx.testapp.CheckSigned same.jar
contains "rewritten: all signed" "$out" "signed=2 unsigned=0"

# --- end records: a second archive hidden in the comment ---------------
# The JDK (ZipFile, and libzip for boot JARs) searches the end record from
# the end of the file and takes one whose central directory and first
# local header carry their signatures even if its comment length is off;
# sbx takes the one whose comment ends the file. The comment holds a
# central directory of the manifest and an unsigned Agent.class.
hj comment-cd comment-cd.jar "$EVIL"
expect 0 "the JVM runs the agent hidden in the comment" \
	java -javaagent:comment-cd.jar -cp "$APP" org.sbx.testapp.Main
contains "hidden premain ran" "$out" "EVIL premain ran"
expect 2 "JarFile sees the hidden directory: one unsigned entry" \
	java -cp "$APP" org.sbx.testapp.CheckSigned comment-cd.jar
contains "hidden entry unsigned" "$out" "unsigned: $A"
rejects comment-cd.jar malformed_archive "in the archive comment"

hj comment-eocd-last comment-last.jar "$EVIL"
rejects comment-last.jar malformed_archive "in the archive comment"

hj comment-sig comment-sig.jar 504b0506
rejects comment-sig.jar malformed_archive "in the archive comment"

hj comment-eocd-exact comment-exact.jar
rejects comment-exact.jar malformed_archive \
	"two end of central directory records (offsets "

hj comment-text comment-text.jar
accepts comment-text.jar
runs comment-text.jar

hj trailing trailing.jar
rejects trailing.jar malformed_archive \
	"16 bytes after the end of central directory record"
hj prefix prefix.jar
rejects prefix.jar malformed_archive "bytes does not end at offset "

# --- manifest sections no signature covers ---------------------------------
# The JDK refuses to define a package whose manifest section the signers
# do not all cover ("Untrusted manifest entry"): sbx must not say yes.
hj pkg-section pkg.jar
refused "the JVM refuses an unsigned package section" \
	java -javaagent:pkg.jar -cp "$APP" org.sbx.testapp.Main
contains "untrusted section" "$errout" \
	"Untrusted manifest entry: org/sbx/testagent/"
rejects pkg.jar unsigned_entry "org/sbx/testagent/"

hj section-nodigest nodigest.jar
rejects nodigest.jar unsigned_entry "org/sbx/other/Gone.class"

# The same section, covered by an untrusted second signer only.
hj pkg-section pkg-plain.jar
$SIGN_B -o pkg-vendor.jar pkg-plain.jar
refused "the JVM refuses a section only the untrusted signer covers" \
	java -javaagent:pkg-vendor.jar -cp "$APP" org.sbx.testapp.Main
contains "untrusted vendor section" "$errout" \
	"Untrusted manifest entry: org/sbx/testagent/"
rejects pkg-vendor.jar unsigned_entry "org/sbx/testagent/"

# --- manifest edits the signature catches ----------------------------------
hj main-attr boot.jar "Boot-Class-Path: evil.jar"
rejects boot.jar digest_mismatch \
	"META-INF/SIGNER.SF: the manifest's main attributes changed after signing"
hj main-attr cp.jar "Class-Path: evil.jar"
rejects cp.jar digest_mismatch "main attributes changed after signing"
hj sf-drop-main-digest nomain.jar SIGNER "Boot-Class-Path: evil.jar"
rejects nomain.jar bad_signature \
	"signature over META-INF/SIGNER.SF does not verify"
hj dup-section dupsec.jar "$A" "$EVIL"
rejects dupsec.jar digest_mismatch \
	"the manifest section for $A changed after signing"
hj refold refold.jar "$A"
rejects refold.jar digest_mismatch \
	"the manifest section for $A changed after signing"
hj line-ends cr.jar cr
rejects cr.jar digest_mismatch "main attributes changed after signing"
hj line-ends lf.jar lf
rejects lf.jar digest_mismatch "main attributes changed after signing"
hj replace replaced.jar "$A" "$EVIL"
rejects replaced.jar digest_mismatch \
	"$A: SHA-256-Digest does not match the manifest"

# --- entry names -------------------------------------------------------------
hj add case-mf.jar meta-inf/manifest.mf "$EVIL"
rejects case-mf.jar malformed_archive "more than one META-INF/MANIFEST.MF"
# The launcher finds the manifest of -javaagent and -jar by its exact
# name: a JAR whose only manifest is spelt otherwise has none for it.
hj rename lower-mf.jar META-INF/MANIFEST.MF meta-inf/manifest.mf
expect 1 "the launcher finds no manifest in lower case" \
	java -javaagent:lower-mf.jar -cp "$APP" org.sbx.testapp.Main
contains "launcher: manifest missing" "$out$errout" "JAR manifest missing"
rejects lower-mf.jar unsigned "meta-inf/manifest.mf"

hj duplicate dup.jar "$A"
rejects dup.jar malformed_archive "$A: duplicate entry name"
for n in "/$A" "./$A" "org/sbx/testagent/AGENT.class" \
	'org\sbx\testagent\Evil.class' \
	"META-INF/versions/9/$A"; do
	hj add name.jar "$n" "$EVIL"
	rejects name.jar unsigned_entry "$n is not signed: it has no manifest section"
done
hj add nul.jar 'org/sbx/testagent/Evil.class\x00.txt' "$EVIL"
rejects nul.jar malformed_archive \
	'org/sbx/testagent/Evil.class\x00.txt: name contains a NUL byte'
hj add utf8.jar 'org/sbx/\xff\xfe.class' "$EVIL"
rejects utf8.jar unsigned_entry "is not signed: it has no manifest section"
hj long-name long.jar 65000 "$EVIL"
rejects long.jar unsigned_entry "org/sbx/aaaa"
expect 0 "a 65000-byte name makes a one-line, bounded message" \
	test "$(printf '%s\n' "$out" | wc -l)" -eq 1 -a "${#out}" -lt 1024
hj local-name local.jar "$A" org/sbx/testagent/Xgent.class
rejects local.jar malformed_archive \
	"$A: local header name differs from the central directory"

# --- directory entries ---------------------------------------------------
# A directory of the same name as a class, carrying the evil class as
# hidden data: the JDK prefers the exact name and reads it as 0 bytes,
# but hidden bytes are refused all the same.
hj dir-alias alias.jar "$EVIL"
rejects alias.jar malformed_archive \
	"org/sbx/testagent/Agent.class/: inflates to more than the 0 bytes"
runs alias.jar
# A directory entry carrying data: never checked, and JarInputStream
# fails on it; every byte must be accounted for.
hj dir-data dirdata.jar
expect 1 "JarInputStream fails on a directory with data" \
	java -cp probe org.sbx.probe.Probe dirdata.jar
rejects dirdata.jar malformed_archive "org/sbx/hidden/"

# --- data descriptors and ZIP64 ---------------------------------------------
hj stored-descriptor stored-dd.jar "$A"
expect 1 "JarInputStream refuses a STORED entry with a data descriptor" \
	java -cp probe org.sbx.probe.Probe stored-dd.jar
contains "EXT descriptor" "$errout" "only DEFLATED entries can have EXT descriptor"
rejects stored-dd.jar malformed_archive "$A: "
hj wide-descriptor wide-dd.jar "$A"
expect 1 "JarInputStream misreads a 64-bit descriptor of a small entry" \
	java -cp probe org.sbx.probe.Probe wide-dd.jar
contains "invalid entry size" "$errout" "invalid entry size"
rejects wide-dd.jar malformed_archive "$A: "
hj zip64-extra zip64.jar "$A"
accepts zip64.jar
runs zip64.jar
expect 0 "JarInputStream reads ZIP64 fields" \
	java -cp probe org.sbx.probe.Probe zip64.jar
contains "stream complete" "$out" "stream read"

# --- signature files -----------------------------------------------------
hj add sigfile.jar META-INF/SIG-EVIL "$EVIL"
rejects sigfile.jar unsigned_entry \
	"META-INF/SIG-EVIL: signature-related file that no signature covers"
hj copy-entry ec.jar META-INF/SIGNER.RSA META-INF/SIGNER.EC
rejects ec.jar malformed_archive \
	"META-INF/SIGNER.EC: a second signature block for SIGNER"
hj copy-entry rsalow.jar META-INF/SIGNER.RSA META-INF/signer.rsa
rejects rsalow.jar malformed_archive "a second signature block for signer"
hj copy-entry orphan.jar META-INF/SIGNER.RSA META-INF/EVIL.RSA
rejects orphan.jar unsigned \
	"META-INF/EVIL.RSA: signature block without a .SF file"
hj copy-entry lonesf.jar META-INF/SIGNER.SF META-INF/EVIL.SF
rejects lonesf.jar unsigned "META-INF/EVIL.SF has no signature block"

# --- several signers -------------------------------------------------------
hj add plus.jar org/sbx/testagent/Evil.class "$EVIL"
$SIGN_B -o partial.jar plus.jar
rejects partial.jar unsigned_entry \
	"org/sbx/testagent/Evil.class is not signed by SIGNER"
$SIGN_B -o both.jar signed.jar
accepts both.jar
runs both.jar
$HJ flip both.jar broken-b.jar META-INF/VENDOR.RSA 10
rejects broken-b.jar bad_signature \
	"META-INF/VENDOR.RSA: signature over META-INF/VENDOR.SF does not verify"

# --- size and time ----------------------------------------------------------
hj big-manifest bigmf.jar 186000
expect 1 "a 15.8 MB manifest of unsigned sections is refused in time" \
	timeout 20 $VERIFY bigmf.jar
contains "big manifest: unsigned section" "$out" \
	"bigmf.jar: rejected: unsigned_entry: "
hj big-manifest hugemf.jar 200000
rejects hugemf.jar malformed_archive \
	"META-INF/MANIFEST.MF: 17000367 bytes, more than the 16000000 allowed"
hj many-entries many.jar 65000
expect 0 "65,000 directory entries verify in time" timeout 20 $VERIFY many.jar
hj long-line longline.jar 5000000
expect 1 "a 5 MB folded name in an unsigned section is refused in time" \
	timeout 20 $VERIFY longline.jar

finish
