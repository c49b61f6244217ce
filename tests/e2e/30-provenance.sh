#!/usr/bin/env bash
# Whole-file provenance: sbx-sign writes an in-toto Statement with SLSA
# provenance in a DSSE envelope beside every artifact, sbx-verify checks
# it; securesystemslib, the openssl command line and @sigstore/verify
# are the independent judges of the format.
. "$(dirname "$0")/lib/common.sh"
PY="/usr/bin/python3 $TOP/tests/e2e/lib/dsse_interop.py"
cd "$WORK"

sha256() { sha256sum "$1" | cut -d' ' -f1; }
# The Statement inside an envelope (or a bundle's envelope), as JSON.
statement() { jq -r '.payload // .dsseEnvelope.payload' "$1" | base64 -d; }
# Flip the byte at offset $2 of file $1 (size and name unchanged).
flip() {
	python3 -c 'import sys
p, o = sys.argv[1], int(sys.argv[2])
b = bytearray(open(p, "rb").read()); b[o] ^= 1
open(p, "wb").write(b)' "$1" "$2"
}

sh "$TOP/tests/java/build.sh" "$WORK/java" >/dev/null
AGENT=$WORK/java/agent.jar

# --- keys ---------------------------------------------------------------
sbx-keyring generate --key rel.key --cert rel.crt \
	--subject "CN=sbx provenance,O=sbx tests" --no-passphrase >/dev/null
sbx-keyring generate --key stranger.key --cert stranger.crt \
	--subject "CN=sbx stranger" --no-passphrase >/dev/null
sbx-keyring init keyring.json >/dev/null
sbx-keyring add keyring.json --cert rel.crt --name release \
	--role jar,provenance >/dev/null
openssl x509 -in rel.crt -pubkey -noout >rel.pub
KEYID=$(openssl pkey -pubin -in rel.pub -outform DER | sha256sum | cut -d' ' -f1)
SIGN="sbx-sign --key rel.key --cert rel.crt --no-passphrase"
VERIFY="sbx-verify --keyring keyring.json"

# --- a JAR: signed, provenance beside it -------------------------------
expect 0 "sign a JAR" $SIGN -o agent.jar "$AGENT"
contains "provenance written by default" "$out" \
	"agent.jar.intoto.jsonl: provenance for agent.jar (builder urn:sbx:builder:local)"
expect 0 "the provenance is one line" test "$(wc -l <agent.jar.intoto.jsonl)" -eq 1
statement agent.jar.intoto.jsonl >agent.stmt
expect 0 "Statement v1, SLSA v1, subject = name and SHA-256 of the file" \
	jq -e --arg d "$(sha256 agent.jar)" '._type == "https://in-toto.io/Statement/v1"
	and .predicateType == "https://slsa.dev/provenance/v1"
	and .subject == [{name: "agent.jar", digest: {sha256: $d}}]
	and .predicate.buildDefinition.externalParameters.sbx.detached == false
	and .predicate.runDetails.builder.id == "urn:sbx:builder:local"' agent.stmt
expect 0 "envelope: in-toto payloadType, keyid is the sbx key id" \
	jq -e --arg k "$KEYID" '.payloadType == "application/vnd.in-toto+json"
	and (.signatures | length) == 1 and .signatures[0].keyid == $k' \
	agent.jar.intoto.jsonl
expect 0 "verify the JAR: both signatures" $VERIFY agent.jar
contains "JAR signature and provenance" "$out" \
	"agent.jar: accepted: signed by release (key ${KEYID:0:16}), "
contains "provenance in the verdict line" "$out" \
	"; provenance by release (key ${KEYID:0:16}), builder urn:sbx:builder:local"
expect 0 "verify --json" $VERIFY --json agent.jar
expect 0 "json has the provenance result" sh -c "printf '%s' '$out' | jq -e --arg d $(sha256 agent.jar) '
	.results[0].signed_by == \"jar+provenance\" and
	.results[0].provenance.verified and
	.results[0].provenance.subject == \"agent.jar\" and
	.results[0].provenance.sha256 == \$d and
	.results[0].provenance.scheme == \"rsassa-pss-sha256\" and
	.results[0].signer.name == \"release\"'"

# --- one byte appended: the JAR signature cannot see it -----------------
mkdir appended
cp agent.jar agent.jar.intoto.jsonl appended/
printf 'X' >>appended/agent.jar
expect 0 "jarsigner still verifies the JAR with a byte appended" \
	jarsigner -verify appended/agent.jar
expect 1 "sbx-verify rejects it through the provenance" $VERIFY appended/agent.jar
contains "digest mismatch named" "$out" \
	"appended/agent.jar: rejected: provenance_mismatch: appended/agent.jar.intoto.jsonl: digest of file differs from subject"

# --- --detached: the JAR is untouched, the provenance is the signature --
cp "$AGENT" det.jar
expect 0 "sign --detached" $SIGN --detached det.jar
contains "says detached" "$out" "det.jar.intoto.jsonl: provenance for det.jar (builder urn:sbx:builder:local, detached)"
expect 0 "the JAR's bytes are identical" cmp "$AGENT" det.jar
expect 0 "no signature files were added" sh -c \
	"! unzip -l det.jar | grep -q 'META-INF/.*\\.SF'"
expect 0 "verify the detached JAR" $VERIFY det.jar
contains "accepted by provenance" "$out" \
	"det.jar: accepted: provenance by release (key ${KEYID:0:16}), builder urn:sbx:builder:local, detached"
expect 0 "json: signed by the provenance only" sh -c "$VERIFY --json det.jar |
	jq -e '.results[0].signed_by == \"provenance\" and .results[0].signer == null and .results[0].provenance.detached'"
expect 0 "java runs the detached agent" \
	java -javaagent:det.jar=detached -cp "$WORK/java/app.jar" org.sbx.testapp.Main
contains "premain ran" "$out" "premain ran with detached"
cp det.jar det-changed.jar
cp det.jar.intoto.jsonl det-changed.jar.intoto.jsonl
expect 1 "a copy under another name is not the subject" $VERIFY det-changed.jar
contains "no subject" "$out" "no subject is named det-changed.jar"
mkdir detflip && cp det.jar det.jar.intoto.jsonl detflip/
flip detflip/det.jar 100
expect 1 "detached JAR with one byte changed" $VERIFY detflip/det.jar
contains "digest mismatch" "$out" "provenance_mismatch"
mv det.jar.intoto.jsonl det.jar.prov
expect 1 "the detached JAR without its provenance is unsigned" $VERIFY det.jar
contains "unsigned JAR" "$out" "det.jar: rejected: unsigned"
expect 0 "--provenance names it elsewhere" $VERIFY --provenance det.jar.prov det.jar

# --- a JAR signed in the JAR format needs that signature ---------------
cp "$AGENT" plain.jar
$SIGN -q --detached plain.jar
statement plain.jar.intoto.jsonl >plain.stmt
# The provenance of an unsigned JAR that does not say "detached".
jq -c '.predicate.buildDefinition.externalParameters.sbx.detached = false' \
	plain.stmt | tr -d '\n' >plain-nd.stmt
$PY sign plain-nd.stmt rel.key rsassa-pss-sha256 plain-nd.jsonl >/dev/null
expect 1 "provenance without detached does not replace the JAR signature" \
	$VERIFY --provenance plain-nd.jsonl plain.jar
contains "unsigned" "$out" "plain.jar: rejected: unsigned"

# --- a native agent (.so) and a tarball: the provenance is the signature
printf 'int sbx_answer(void) { return 42; }\n' >agent.c
cc -shared -fPIC -o libagent.so agent.c
SO_SHA=$(sha256 libagent.so)
expect 0 "sign a shared object" $SIGN libagent.so
expect 0 "the .so is unchanged" test "$(sha256 libagent.so)" = "$SO_SHA"
expect 0 "verify the .so" $VERIFY libagent.so
contains ".so accepted by provenance" "$out" "libagent.so: accepted: provenance by release"
mkdir t && printf 'agent bundle\n' >t/README && cp libagent.so t/
tar czf agents.tar.gz t
expect 0 "sign a tarball" $SIGN -q agents.tar.gz
expect 0 "verify the tarball" $VERIFY agents.tar.gz
for f in libagent.so agents.tar.gz; do
	mkdir "flip-$f" && cp "$f" "$f.intoto.jsonl" "flip-$f/"
	flip "flip-$f/$f" 20
	expect 1 "$f with one byte changed" $VERIFY "flip-$f/$f"
	contains "$f: digest differs" "$out" "digest of file differs from subject"
done
rm libagent.so.intoto.jsonl
expect 1 "a .so without provenance is unsigned" $VERIFY libagent.so
contains "says why" "$out" "a file that is not a JAR is signed only by its provenance"

# --- securesystemslib checks sbx's signature over the PAE ---------------
expect 0 "securesystemslib verifies the RSASSA-PSS envelope" \
	$PY verify agent.jar.intoto.jsonl rel.pub rsassa-pss-sha256
contains "names the subject" "$out" "subject agent.jar $(sha256 agent.jar)"
expect 1 "securesystemslib refuses it as PKCS#1 v1.5 (it does check)" \
	$PY verify agent.jar.intoto.jsonl rel.pub rsa-pkcs1v15-sha256
jq -c '.payload = (.payload | @base64d | sub("agent.jar"; "agent.jaR") | @base64)' \
	agent.jar.intoto.jsonl >forged.jsonl
expect 1 "securesystemslib refuses a changed payload" \
	$PY verify forged.jsonl rel.pub rsassa-pss-sha256

# --- sbx verifies envelopes made by securesystemslib and by openssl -----
printf 'independently made\n' >indep.bin
D=$(sha256 indep.bin)
printf '{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"indep.bin","digest":{"sha256":"%s"}}],"predicateType":"https://slsa.dev/provenance/v1","predicate":{"buildDefinition":{"buildType":"https://example.invalid/openssl-cli/v1","externalParameters":{}},"runDetails":{"builder":{"id":"https://example.invalid/openssl-cli"}}}}' "$D" >indep.stmt
for scheme in rsassa-pss-sha256 rsa-pkcs1v15-sha256; do
	$PY sign indep.stmt rel.key "$scheme" "ssl-$scheme.jsonl" >/dev/null
	expect 0 "sbx verifies securesystemslib's $scheme envelope" \
		$VERIFY --json --provenance "ssl-$scheme.jsonl" indep.bin
	expect 0 "reported as $scheme" sh -c "printf '%s' '$out' |
		jq -e '.results[0].provenance.scheme == \"$scheme\"'"
done
PT=application/vnd.in-toto+json
{ printf 'DSSEv1 %d %s %d ' "${#PT}" "$PT" "$(stat -c %s indep.stmt)"
  cat indep.stmt; } >indep.pae
# PSS with openssl's default salt length, not the 32 bytes sbx uses.
openssl dgst -sha256 -sign rel.key -sigopt rsa_padding_mode:pss \
	-out pss.sig indep.pae
openssl dgst -sha256 -sign rel.key -out pkcs1.sig indep.pae
SSLKEYID=$($PY keyid rel.pub rsassa-pss-sha256)
for s in pss pkcs1; do
	jq -n --arg p "$(base64 -w0 indep.stmt)" --arg s "$(base64 -w0 $s.sig)" \
		--arg k "$SSLKEYID" --arg t "$PT" \
		'{payloadType: $t, payload: $p, signatures: [{keyid: $k, sig: $s}]}' \
		>"openssl-$s.json"
	expect 0 "sbx verifies the openssl CLI's $s envelope (foreign keyid)" \
		$VERIFY --provenance "openssl-$s.json" indep.bin
	contains "builder from the foreign statement" "$out" \
		"indep.bin: accepted: provenance by release (key ${KEYID:0:16}), builder https://example.invalid/openssl-cli"
done
openssl dgst -sha256 -sign stranger.key -sigopt rsa_padding_mode:pss \
	-out stranger.sig indep.pae
jq -n --arg p "$(base64 -w0 indep.stmt)" --arg s "$(base64 -w0 stranger.sig)" \
	--arg t "$PT" '{payloadType: $t, payload: $p, signatures: [{sig: $s}]}' \
	>openssl-stranger.json
expect 1 "an envelope by a key outside the keyring" \
	$VERIFY --provenance openssl-stranger.json indep.bin
contains "unknown key" "$out" "untrusted_key: openssl-stranger.json: signature by unknown key"

# --- @sigstore/verify checks sbx's bundle -------------------------------
expect 0 "sign with --bundle" $SIGN --bundle -o bundled.jar "$AGENT"
contains "bundle named" "$out" ", bundle bundled.jar.sigstore.json"
expect 0 "bundle: v0.3 media type, key hint, one PKCS#1 signature" \
	jq -e --arg k "$KEYID" '.mediaType == "application/vnd.dev.sigstore.bundle.v0.3+json"
	and .verificationMaterial.publicKey.hint == $k
	and .verificationMaterial.tlogEntries == []
	and (.dsseEnvelope.signatures | length) == 1' bundled.jar.sigstore.json
expect 0 "the bundle and the .intoto.jsonl carry the same Statement" sh -c \
	"[ \"\$(jq -r .dsseEnvelope.payload bundled.jar.sigstore.json)\" = \"\$(jq -r .payload bundled.jar.intoto.jsonl)\" ]"
expect 0 "securesystemslib: the bundle's signature is PKCS#1 v1.5" sh -c \
	"jq .dsseEnvelope bundled.jar.sigstore.json >b.env && $PY verify b.env rel.pub rsa-pkcs1v15-sha256"
expect 0 "sbx verifies its own bundle" \
	$VERIFY --provenance bundled.jar.sigstore.json bundled.jar

mkdir npm
cp "$TOP"/tests/e2e/sigstore/package.json "$TOP"/tests/e2e/sigstore/package-lock.json \
	"$TOP"/tests/e2e/sigstore/verify.js npm/
expect 0 "install the pinned @sigstore/verify" sh -c \
	"cd npm && npm ci --no-audit --no-fund --ignore-scripts --prefer-offline"
SIGSTORE="node npm/verify.js"
expect 0 "@sigstore/verify verifies sbx's bundle and its Statement" \
	$SIGSTORE bundled.jar.sigstore.json rel.pub "$KEYID" bundled.jar "$(sha256 bundled.jar)"
contains "statement checked" "$out" "verified: bundled.jar built by urn:sbx:builder:local"
expect 1 "@sigstore/verify: the Statement must name the file's digest" \
	$SIGSTORE bundled.jar.sigstore.json rel.pub "$KEYID" bundled.jar "$(sha256 agent.jar)"
jq -c '.dsseEnvelope.payload = (.dsseEnvelope.payload | @base64d | sub("bundled"; "Bundled") | @base64)' \
	bundled.jar.sigstore.json >forged.sigstore.json
expect 1 "@sigstore/verify refuses a changed payload" \
	$SIGSTORE forged.sigstore.json rel.pub "$KEYID" Bundled.jar "$(sha256 bundled.jar)"
contains "signature error" "$errout" "SIGNATURE_ERROR"
# Why the bundle is PKCS#1: the PSS envelope in a bundle does not verify.
jq -c --slurpfile e bundled.jar.intoto.jsonl '.dsseEnvelope = $e[0]' \
	bundled.jar.sigstore.json >pss.sigstore.json
expect 1 "@sigstore/verify reads an RSA key as PKCS#1: PSS fails there" \
	$SIGSTORE pss.sigstore.json rel.pub "$KEYID" bundled.jar "$(sha256 bundled.jar)"
expect 1 "@sigstore/verify with another key as trusted material" sh -c \
	"openssl x509 -in stranger.crt -pubkey -noout >stranger.pub &&
	 $SIGSTORE bundled.jar.sigstore.json stranger.pub '$KEYID' bundled.jar $(sha256 bundled.jar)"

# --- GitHub Actions identity and the source repository ------------------
git init -q -b main src
git -C src config user.email ci@example.com
git -C src config user.name ci
echo 'agent source' >src/Agent.java
git -C src add Agent.java
git -C src commit -q -m 'agent 1.0'
git -C src tag v1.0.0
git -C src remote add origin https://ci-bot:hunter2@github.com/acme/agent.git
HEAD=$(git -C src rev-parse HEAD)
gha() {
	env GITHUB_ACTIONS=true GITHUB_SERVER_URL=https://github.com \
	    GITHUB_REPOSITORY=acme/agent GITHUB_REF=refs/tags/v1.0.0 \
	    GITHUB_SHA="$HEAD" GITHUB_WORKFLOW_REF="acme/agent/.github/workflows/release.yml@refs/tags/v1.0.0" \
	    GITHUB_RUN_ID=4242 GITHUB_RUN_ATTEMPT=3 GITHUB_EVENT_NAME=push \
	    RUNNER_ENVIRONMENT=github-hosted "$@"
}
BUILDER="https://github.com/acme/agent/.github/workflows/release.yml@refs/tags/v1.0.0"
INVOCATION="https://github.com/acme/agent/actions/runs/4242/attempts/3"
expect 0 "sign in GitHub Actions" gha $SIGN --source src -o gha.jar "$AGENT"
contains "builder is the workflow" "$out" "(builder $BUILDER)"
statement gha.jar.intoto.jsonl >gha.stmt
expect 0 "GITHUB_* give builder id, invocation id, source and workflow" \
	jq -e --arg b "$BUILDER" --arg i "$INVOCATION" --arg c "$HEAD" '
	.predicate.runDetails.builder.id == $b and
	.predicate.runDetails.metadata.invocationId == $i and
	.predicate.buildDefinition.externalParameters.source ==
	    {repository: "https://github.com/acme/agent", ref: "refs/tags/v1.0.0", dirty: false} and
	.predicate.buildDefinition.externalParameters.workflow ==
	    {repository: "https://github.com/acme/agent", path: ".github/workflows/release.yml", ref: "refs/tags/v1.0.0"} and
	.predicate.buildDefinition.internalParameters.github.eventName == "push" and
	.predicate.buildDefinition.resolvedDependencies ==
	    [{uri: "git+https://github.com/acme/agent@refs/tags/v1.0.0", digest: {gitCommit: $c}}]' gha.stmt
expect 0 "sbx-verify reports builder and invocation" $VERIFY --json gha.jar
expect 0 "json: builder_id, invocation_id, commit" sh -c "printf '%s' '$out' |
	jq -e --arg b '$BUILDER' --arg i '$INVOCATION' --arg c '$HEAD' '.results[0].provenance |
	.builder_id == \$b and .invocation_id == \$i and .commit == \$c and .ref == \"refs/tags/v1.0.0\"'"
REAL_HEAD=$HEAD
HEAD=0123456789abcdef0123456789abcdef01234567
expect 2 "GITHUB_SHA that is not the checked-out commit" \
	gha $SIGN --source src -o x.jar "$AGENT"
HEAD=$REAL_HEAD
contains "names both commits" "$errout" "GITHUB_SHA is 0123456789ab"
expect 2 "GitHub Actions without GITHUB_RUN_ID" \
	env GITHUB_ACTIONS=true GITHUB_SERVER_URL=https://github.com \
	GITHUB_REPOSITORY=acme/agent GITHUB_SHA="$HEAD" \
	GITHUB_WORKFLOW_REF=acme/agent/.github/workflows/r.yml@refs/heads/main \
	GITHUB_RUN_ATTEMPT=1 $SIGN --detached -o y.jar "$AGENT"

# Outside Actions: git gives the source, --builder-id the builder.
expect 0 "sign from a local clone with --builder-id" $SIGN --source src \
	--builder-id https://ci.example.com/builders/release -o local.jar "$AGENT"
statement local.jar.intoto.jsonl >local.stmt
expect 0 "credentials are cut from the remote URL" jq -e --arg c "$HEAD" '
	.predicate.runDetails.builder.id == "https://ci.example.com/builders/release" and
	.predicate.buildDefinition.resolvedDependencies ==
	    [{uri: "git+https://github.com/acme/agent.git@refs/heads/main", digest: {gitCommit: $c}}]' local.stmt
expect 0 "no password in the provenance" sh -c "! grep -q hunter2 local.stmt"

# --- policy: builder, repository, ref, max age, required -----------------
policy() { printf '{"keyring": "keyring.json", "provenance": %s}\n' "$1" >policy.json; }
policy '{"builders": ["https://github.com/acme/*/.github/workflows/release.yml@refs/tags/*"]}'
expect 0 "policy allows the release workflow" sbx-verify --policy policy.json gha.jar
policy '{"builders": ["https://github.com/acme/*/.github/workflows/nightly.yml@*"]}'
expect 1 "policy refuses another builder" sbx-verify --policy policy.json gha.jar
contains "builder not allowed" "$out" "source_not_allowed: gha.jar.intoto.jsonl: builder not allowed: $BUILDER"
policy '{"repositories": ["https://github.com/acme/*"], "refs": ["refs/tags/v*"]}'
expect 0 "policy allows repository and tag" sbx-verify --policy policy.json gha.jar
policy '{"repositories": ["https://github.com/evil/*"]}'
expect 1 "policy refuses the repository" sbx-verify --policy policy.json gha.jar
contains "repository not allowed" "$out" "source repository not allowed: https://github.com/acme/agent"
policy '{"refs": ["refs/heads/main"]}'
expect 1 "policy refuses the ref" sbx-verify --policy policy.json gha.jar
contains "ref not allowed" "$out" "ref not allowed: refs/tags/v1.0.0"
policy '{"max_age": "1h"}'
expect 0 "policy max_age: fresh provenance" sbx-verify --policy policy.json gha.jar
policy '{"required": true}'
expect 0 "required provenance present" sbx-verify --policy policy.json gha.jar
$SIGN -q --no-provenance -o noprov.jar "$AGENT"
expect 0 "no provenance written with --no-provenance" test ! -e noprov.jar.intoto.jsonl
expect 0 "a JAR-signed JAR without provenance, provenance optional" $VERIFY noprov.jar
expect 1 "required provenance missing" sbx-verify --policy policy.json noprov.jar
contains "provenance missing" "$out" "noprov.jar: rejected: provenance_missing: no provenance (noprov.jar.intoto.jsonl), and the policy requires one"

# --- --source-repo: the commit exists and an allowed ref reaches it ------
policy '{"refs": ["refs/tags/v*"]}'
expect 0 "--source-repo: the tag reaches the commit" \
	sbx-verify --policy policy.json --source-repo src gha.jar
expect 0 "json says the source was checked" sh -c \
	"sbx-verify --policy policy.json --source-repo src --json gha.jar | jq -e '.results[0].provenance.source_checked'"
git -C src tag -d v1.0.0 >/dev/null
expect 1 "--source-repo: no allowed ref reaches it" \
	sbx-verify --policy policy.json --source-repo src gha.jar
contains "not reachable" "$out" "is not reachable from a ref the policy allows"
git init -q -b main other
expect 1 "--source-repo: the commit is not there" \
	sbx-verify --policy policy.json --source-repo other gha.jar
contains "commit missing" "$out" "provenance_mismatch"
expect 2 "--source-repo: not a repository" $VERIFY --source-repo "$WORK/java" gha.jar

# --- a dirty tree is refused unless --allow-dirty, which is recorded ----
echo 'changed' >>src/Agent.java
expect 2 "dirty tree refused" $SIGN --source src -o dirty.jar "$AGENT"
contains "says what is dirty" "$errout" "src: the work tree has uncommitted changes (Agent.java); commit them or pass --allow-dirty"
expect 0 "nothing signed when refused" test ! -e dirty.jar
expect 0 "--allow-dirty signs" $SIGN --source src --allow-dirty -o dirty.jar "$AGENT"
expect 0 "recorded" sh -c "jq -r .payload dirty.jar.intoto.jsonl | base64 -d |
	jq -e '.predicate.buildDefinition.externalParameters.source.dirty and
	.predicate.buildDefinition.externalParameters.sbx.allowDirty'"
expect 0 "verify shows the dirty tree" $VERIFY dirty.jar
contains "dirty in the verdict" "$out" ", dirty tree"

# --- malformed and missing provenance ------------------------------------
cp "$AGENT" m.jar
$SIGN -q --detached m.jar
printf '{"payload":"e30=","payloadType":"text/plain","signatures":[{"sig":"AAAA"}]}\n' \
	>m.jar.intoto.jsonl
expect 1 "wrong payloadType" $VERIFY m.jar
contains "payloadType named" "$out" "m.jar: rejected: provenance_mismatch: m.jar.intoto.jsonl: payloadType is \"text/plain\""
printf '{"payload":"e30=","payloadType":"%s","signatures":[{"sig":"A!AA"}]}\n' \
	"$PT" >m.jar.intoto.jsonl
expect 1 "bad base64" $VERIFY m.jar
contains "bad base64 named" "$out" "signatures[0].sig: bad base64"
printf '{"payload":"e30=","payload":"e30=","payloadType":"%s","signatures":[]}\n' \
	"$PT" >m.jar.intoto.jsonl
expect 1 "duplicate member" $VERIFY m.jar
contains "duplicate named" "$out" "duplicate"
head -c 17000000 /dev/zero >m.jar.intoto.jsonl
expect 1 "huge provenance" $VERIFY m.jar
contains "size named" "$out" "larger than 16777216 bytes"
expect 3 "--provenance that does not exist" $VERIFY --provenance nosuch.jsonl m.jar
contains "names the file" "$errout" "nosuch.jsonl"

# --- usage -----------------------------------------------------------------
expect 2 "-o for a file that is not a JAR" $SIGN -o x.so agents.tar.gz
expect 2 "--no-provenance for a file that is not a JAR" $SIGN --no-provenance agents.tar.gz
expect 2 "--no-provenance with --bundle" $SIGN --no-provenance --bundle -o x.jar "$AGENT"
expect 2 "--builder-id that is not a URI" $SIGN --builder-id 'not a uri' -o x.jar "$AGENT"
expect 2 "--provenance with two files" $VERIFY --provenance a.jsonl agent.jar det.jar
expect 0 "no output left by refused runs" sh -c "! ls x.jar x.so y.jar 2>/dev/null"

finish
