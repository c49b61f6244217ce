#!/usr/bin/env bash
# Deploy: sbx-verify --fetch URL --install DEST against a local HTTPS
# server on loopback with a test CA. A good artifact installs; a
# tampered one, one without the provenance the policy requires, a 404,
# a body over --max-size and a server that stalls are refused with their
# exit status and reason, and DEST keeps its previous version with no
# temporary file left beside it. Bundles (tar.gz, tar.xz, zip): a
# tampered JAR inside or a member named ../x is refused and nothing is
# unpacked; a good bundle installs whole, swapped in atomically. And
# ci/deploy/sbx-deploy.sh maps all of it to its documented exit codes.
. "$(dirname "$0")/lib/common.sh"
cd "$WORK"

# Flip one byte of file $1 at offset $2 (size and name unchanged).
flip() {
	python3 -c 'import sys
p, o = sys.argv[1], int(sys.argv[2])
b = bytearray(open(p, "rb").read()); b[o] ^= 1
open(p, "wb").write(b)' "$1" "$2"
}
# A signed JAR with one class changed: the JAR signature no longer holds.
tamper_class() {
	python3 -c 'import sys, zipfile
src = zipfile.ZipFile(sys.argv[1])
out = zipfile.ZipFile(sys.argv[2], "w", zipfile.ZIP_DEFLATED)
for i in src.infolist():
    d = src.read(i.filename)
    if i.filename.endswith(".class"):
        d = d[:-1] + bytes([d[-1] ^ 1])
    out.writestr(i, d)
out.close()' "$1" "$2"
}

# --- keys, policies, artifacts -------------------------------------------
sh "$TOP/tests/java/build.sh" java >/dev/null
sbx-keyring generate --key rel.key --cert rel.crt \
	--subject "CN=sbx deploy,O=sbx tests" --no-passphrase >/dev/null
sbx-keyring init keyring.json >/dev/null
sbx-keyring add keyring.json --cert rel.crt --name release \
	--role jar,provenance >/dev/null
printf '{"keyring": "keyring.json"}\n' >optional.json
printf '{"keyring": "keyring.json", "provenance": {"required": true}}\n' \
	>required.json
printf '{"keyring": "keyring.json", "mode": "audit"}\n' >audit.json
SIGN="sbx-sign -q --key rel.key --cert rel.crt --no-passphrase"

mkdir -p srv/v1 srv/v2 srv/tampered srv/noprov srv/badprov
$SIGN -o srv/v1/agent.jar java/agent.jar
cp java/agent.jar v2-src.jar
printf 'version 2\n' >notes.txt
(zip -q v2-src.jar notes.txt)
$SIGN -o srv/v2/agent.jar v2-src.jar
tamper_class srv/v1/agent.jar srv/tampered/agent.jar
cp srv/v1/agent.jar.intoto.jsonl srv/tampered/
$SIGN --no-provenance -o srv/noprov/agent.jar java/agent.jar
cp srv/v1/agent.jar srv/badprov/agent.jar
cp srv/v2/agent.jar.intoto.jsonl srv/badprov/agent.jar.intoto.jsonl

# --- the HTTPS server and its CA -----------------------------------------
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt \
	-subj "/CN=sbx test CA" -days 2 -addext "basicConstraints=critical,CA:TRUE" \
	-addext "keyUsage=critical,keyCertSign" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout srv.key -out srv.csr \
	-subj "/CN=localhost" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' \
	>srv.ext
openssl x509 -req -in srv.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
	-out srv.crt -days 2 -extfile srv.ext 2>/dev/null
python3 "$TOP/tests/e2e/deploy/https_server.py" srv srv.crt srv.key port \
	requests.log 2>server.err &
SERVER=$!
stop_server() { kill "$SERVER" 2>/dev/null; wait "$SERVER" 2>/dev/null; }
on_exit stop_server
for _ in $(seq 50); do [ -s port ] && break; sleep 0.1; done
[ -s port ] || { cat server.err >&2; echo "server did not start" >&2; exit 1; }
U="https://127.0.0.1:$(cat port)"
FETCH="sbx-verify --ca-file ca.crt"

# DEST must be exactly as it was: same bytes, nothing beside it.
mkdir dest
unchanged() {
	expect 0 "$1: DEST keeps its previous version" cmp dest/agent.jar prev.jar
	expect 0 "$1: its provenance too" cmp dest/agent.jar.intoto.jsonl \
		prev.jar.intoto.jsonl
	contains "$1: no temporary file left" "$(ls -A dest | tr '\n' ' ')" \
		"agent.jar agent.jar.intoto.jsonl "
	expect 0 "$1: exactly those two" test "$(ls -A dest | wc -l)" -eq 2
}

# --- a good artifact installs --------------------------------------------
expect 0 "fetch and install a good JAR" $FETCH --policy required.json \
	--fetch "$U/files/v1/agent.jar" --install dest/agent.jar
contains "verdict names the URL" "$out" \
	"$U/files/v1/agent.jar: accepted: signed by release"
contains "and where it went" "$out" \
	"dest/agent.jar: installed from $U/files/v1/agent.jar"
expect 0 "the installed bytes are the served ones" cmp dest/agent.jar \
	srv/v1/agent.jar
expect 0 "its provenance is installed beside it" cmp \
	dest/agent.jar.intoto.jsonl srv/v1/agent.jar.intoto.jsonl
expect 0 "mode 0644" test "$(stat -c %a dest/agent.jar)" = 644
expect 0 "what was installed verifies in place" sbx-verify --policy \
	required.json dest/agent.jar
expect 0 "the provenance was fetched from URL.intoto.jsonl" grep -q \
	"GET /files/v1/agent.jar.intoto.jsonl 200" requests.log
cp dest/agent.jar prev.jar
cp dest/agent.jar.intoto.jsonl prev.jar.intoto.jsonl
unchanged "after the install"

# --- refusals: exit status, reason, DEST unchanged -----------------------
expect 1 "a JAR with a class changed" $FETCH --policy optional.json \
	--fetch "$U/files/tampered/agent.jar" --install dest/agent.jar
contains "digest mismatch named" "$out" \
	"$U/files/tampered/agent.jar: rejected: provenance_mismatch: $U/files/tampered/agent.jar.intoto.jsonl: digest of file differs from subject"
unchanged "tampered"
rm srv/tampered/agent.jar.intoto.jsonl
expect 1 "a JAR with a class changed, no provenance" $FETCH --policy \
	optional.json --fetch "$U/files/tampered/agent.jar" \
	--install dest/agent.jar
contains "the JAR signature says so" "$out" \
	"$U/files/tampered/agent.jar: rejected: digest_mismatch: "
contains "naming the class" "$out" "org/sbx/testagent/Agent.class"
unchanged "tampered, no provenance"
expect 1 "a provenance that belongs to another file" $FETCH --policy \
	optional.json --fetch "$U/files/badprov/agent.jar" \
	--install dest/agent.jar
contains "provenance mismatch" "$out" "digest of file differs from subject"
unchanged "wrong provenance"
expect 1 "no provenance where the policy requires one" $FETCH --policy \
	required.json --fetch "$U/files/noprov/agent.jar" \
	--install dest/agent.jar
contains "provenance missing" "$out" \
	"$U/files/noprov/agent.jar: rejected: provenance_missing: no provenance (agent.jar.intoto.jsonl), and the policy requires one"
expect 0 "the 404 of URL.intoto.jsonl meant: none" grep -q \
	"GET /files/noprov/agent.jar.intoto.jsonl 404" requests.log
unchanged "no provenance"
expect 3 "a 404" $FETCH --policy optional.json --fetch "$U/404/agent.jar" \
	--install dest/agent.jar
contains "HTTP status on stderr" "$errout" \
	"sbx-verify: $U/404/agent.jar: HTTP 404"
unchanged "404"
expect 1 "a body over --max-size (Content-Length)" $FETCH --policy \
	optional.json --max-size 1M --fetch "$U/huge/v1/agent.jar" \
	--install dest/agent.jar
contains "too large named" "$out" \
	"$U/huge/v1/agent.jar: rejected: malformed_archive: larger than 1048576 bytes (--max-size)"
unchanged "too large"
expect 1 "a body over --max-size (chunked, no length)" $FETCH --policy \
	optional.json --max-size 1M --fetch "$U/chunked/v1/agent.jar" \
	--install dest/agent.jar
contains "too large named" "$out" "larger than 1048576 bytes (--max-size)"
unchanged "too large, chunked"
start=$(date +%s)
expect 3 "a server that stalls" $FETCH --policy optional.json --timeout 2 \
	--retries 0 --fetch "$U/stall/v1/agent.jar" --install dest/agent.jar
contains "timeout named" "$errout" \
	"sbx-verify: $U/stall/v1/agent.jar: timed out (--timeout 2)"
expect 0 "given up on within the timeout" test $(( $(date +%s) - start )) -lt 10
unchanged "stall"
expect 3 "a stalling server, tried twice" $FETCH --policy optional.json \
	--timeout 1 --retries 1 --fetch "$U/stall/v1/agent.jar" \
	--install dest/agent.jar
contains "attempts counted" "$errout" "timed out (--timeout 1) (2 attempts)"
unchanged "stall, retried"
expect 3 "a redirect to http" $FETCH --policy optional.json \
	--fetch "$U/tohttp/v1/agent.jar" --install dest/agent.jar
contains "scheme refused" "$errout" \
	"redirected to a scheme that is not allowed (https only; --allow-http for http)"
unchanged "redirect"
expect 3 "a server whose CA is not trusted" sbx-verify --policy \
	optional.json --fetch "$U/files/v1/agent.jar" --install dest/agent.jar
contains "TLS reason" "$errout" "SSL certificate problem"
unchanged "untrusted CA"
expect 3 "a 503 without retries" $FETCH --policy optional.json --retries 0 \
	--fetch "$U/flaky/v1/agent.jar" --install dest/agent.jar
contains "503 named" "$errout" "$U/flaky/v1/agent.jar: HTTP 503"
unchanged "503"
expect 1 "audit mode installs nothing refused" $FETCH --policy audit.json \
	--fetch "$U/files/badprov/agent.jar" --install dest/agent.jar
contains "rejected, not audited" "$out" "agent.jar: rejected: provenance_mismatch"
unchanged "audit mode"
expect 2 "http without --allow-http" sbx-verify --policy optional.json \
	--fetch "http://127.0.0.1:1/agent.jar" --install dest/agent.jar
contains "says how" "$errout" \
	"--fetch: http URLs are not fetched: use https (or --allow-http for http)"
expect 2 "a URL with a password is never shown" sbx-verify --policy \
	optional.json --fetch "ftp://u:hunter2@h/agent.jar" --install dest/agent.jar
expect 0 "not in the message" sh -c "! printf '%s' '$out$errout' | grep -q hunter2"
printf '{"keyring": "keyring.json", "audit": {"file": "audit.jsonl"}}\n' \
	>audited.json
SECRET_URL="https://ci:hunter2@127.0.0.1:$(cat port)/files/v1/agent.jar?sig=SECRETSIG"
expect 0 "a URL with a password and a signed query installs" $FETCH \
	--policy audited.json --fetch "$SECRET_URL" --install cred.jar
contains "shown without them" "$out" "$U/files/v1/agent.jar: accepted"
expect 0 "neither the password nor the query is printed" sh -c \
	"! printf '%s' '$out$errout' | grep -qE 'hunter2|SECRETSIG'"
expect 0 "the audit event names the URL as shown" jq -e --arg u \
	"$U/files/v1/agent.jar" '.artifact.path == $u' audit.jsonl
expect 0 "and holds no password" sh -c "! grep -q hunter2 audit.jsonl"
expect 3 "nor when the fetch fails" $FETCH --policy optional.json \
	--fetch "${SECRET_URL/files/404}" --install cred.jar
expect 0 "not in the failure" sh -c \
	"! printf '%s' '$out$errout' | grep -qE 'hunter2|SECRETSIG'"
expect 2 "--fetch and a FILE" sbx-verify --policy optional.json \
	--fetch "$U/files/v1/agent.jar" dest/agent.jar
expect 2 "--timeout without --fetch" sbx-verify --policy optional.json \
	--timeout 5 dest/agent.jar
contains "says why" "$errout" "--timeout applies to --fetch"
expect 2 "--max-size that is not a size" $FETCH --policy optional.json \
	--max-size 12Q --fetch "$U/files/v1/agent.jar"
unchanged "usage errors"

# --- a new version replaces the old; retries ride out a 503 -------------
expect 0 "a transient 503 is retried" $FETCH --policy required.json \
	--retries 2 --fetch "$U/flaky/v2/agent.jar" --install dest
contains "installed into the folder under its name" "$out" \
	"dest/agent.jar: installed from $U/flaky/v2/agent.jar"
expect 0 "503 then 200, for the JAR and its provenance" sh -c \
	"grep -c 'GET /flaky/v2/agent.jar 503' requests.log | grep -qx 1 &&
	 grep -c 'GET /flaky/v2/agent.jar 200' requests.log | grep -qx 1 &&
	 grep -q 'GET /flaky/v2/agent.jar.intoto.jsonl 200' requests.log"
expect 0 "DEST is the new version" cmp dest/agent.jar srv/v2/agent.jar
expect 0 "with the new provenance" cmp dest/agent.jar.intoto.jsonl \
	srv/v2/agent.jar.intoto.jsonl
expect 0 "nothing else beside it" test "$(ls -A dest | wc -l)" -eq 2
expect 0 "--json names where it went" $FETCH --policy optional.json --json \
	--fetch "$U/files/noprov/agent.jar" --install dest/agent.jar
expect 0 "installed in the JSON result" sh -c "printf '%s' '$out' | jq -e \
	'.results[0].installed == \"dest/agent.jar\" and
	 .results[0].path == \"$U/files/noprov/agent.jar\" and
	 .results[0].signed_by == \"jar\"'"
expect 0 "the old provenance went with the old version" \
	test ! -e dest/agent.jar.intoto.jsonl
expect 0 "a local FILE installs the same way" sbx-verify --policy \
	required.json --install local.jar srv/v1/agent.jar
expect 0 "bytes and provenance" sh -c "cmp local.jar srv/v1/agent.jar &&
	cmp local.jar.intoto.jsonl srv/v1/agent.jar.intoto.jsonl"
expect 0 "--fetch without --install only verifies" $FETCH --policy \
	required.json --fetch "$U/files/v2/agent.jar"
contains "accepted" "$out" "$U/files/v2/agent.jar: accepted"
expect 0 "and leaves nothing in TMPDIR" sh -c \
	"! ls -d \"\${TMPDIR:-/tmp}\"/sbx-fetch.* 2>/dev/null | grep -q ."

# --- bundles ---------------------------------------------------------------
mkdir -p b1/lib b1/native
cp srv/v1/agent.jar b1/lib/agent.jar
$SIGN --no-provenance -o b1/lib/ext.jar java/agent.jar
printf 'native part\n' >b1/native/libpart.so
chmod 755 b1/native/libpart.so
ln -s libpart.so b1/native/libpart.so.1
printf 'bundle 1\n' >b1/README
tar -C b1 -czf good.tar.gz .
tar -C b1 -cJf good.tar.xz .
(cd b1 && zip -qry ../good.zip .)
for f in good.tar.gz good.tar.xz good.zip; do
	$SIGN "$f"
	expect 0 "$f verifies: its provenance and each JAR inside" \
		sbx-verify --policy required.json "$f"
	contains "$f accepted by its provenance" "$out" \
		"$f: accepted: provenance by release"
done

cp -r b1 b2
tamper_class b1/lib/ext.jar b2/lib/ext.jar
tar -C b2 -czf tampered.tar.gz .
$SIGN tampered.tar.gz
expect 1 "a bundle with one tampered JAR" sbx-verify --policy required.json \
	tampered.tar.gz
contains "the member is named" "$out" \
	"tampered.tar.gz: rejected: digest_mismatch: lib/ext.jar: org/sbx/testagent/Agent.class: SHA-256-Digest does not match the manifest"
tar -C b1 -czf dotdot.tar.gz --transform 's|^\./README$|../x|' .
expect 0 "the bundle really holds ../x" sh -c "tar -tzf dotdot.tar.gz | grep -qx '\\.\\./x'"
$SIGN dotdot.tar.gz
expect 1 "a bundle with a member named ../x" sbx-verify --policy \
	required.json dotdot.tar.gz
contains "the member is named" "$out" \
	"dotdot.tar.gz: rejected: unsafe_path: ../x: member name has a '..' component"
mkdir b3 && cp -r b1/lib b3/ && ln -s /etc b3/lib/etc
tar -C b3 -czf escape.tar.gz .
$SIGN escape.tar.gz
expect 1 "a bundle with a link out of it" sbx-verify --policy required.json \
	escape.tar.gz
contains "the link is named" "$out" "unsafe_path: lib/etc: link target /etc is absolute"
cp good.tar.gz unsigned.tar.gz
expect 1 "a bundle without provenance" sbx-verify --policy optional.json \
	unsigned.tar.gz
contains "unsigned" "$out" "unsigned.tar.gz: rejected: unsigned: no provenance (unsigned.tar.gz.intoto.jsonl): a bundle is signed only by its provenance"

# Install: the whole tree, swapped in; refusals leave it as it was.
expect 0 "install a good bundle" sbx-verify --policy required.json \
	--install agents good.tar.gz
expect 0 "the tree is the bundle's" diff -r b1 agents
expect 0 "links stay links" test "$(readlink agents/native/libpart.so.1)" = libpart.so
expect 0 "nothing left beside it" sh -c "! ls -A | grep -q '\\.sbx-'"
cp -r agents agents.prev
for f in tampered.tar.gz dotdot.tar.gz escape.tar.gz unsigned.tar.gz; do
	expect 1 "install of $f is refused" sbx-verify --policy required.json \
		--install agents "$f"
	expect 0 "$f: the folder is as it was" diff -r agents.prev agents
	expect 0 "$f: nothing unpacked beside it" sh -c \
		"! ls -A | grep -q '\\.sbx-' && test ! -e x"
done
cp -r b1 b4 && printf 'bundle 2\n' >b4/README && rm b4/lib/ext.jar
tar -C b4 -cJf v2.tar.xz .
$SIGN v2.tar.xz
cp v2.tar.xz v2.tar.xz.intoto.jsonl srv/
expect 0 "fetch and install a new bundle over the old" $FETCH --policy \
	required.json --fetch "$U/files/v2.tar.xz" --install agents
expect 0 "the folder is the new bundle, whole" diff -r b4 agents
expect 0 "the old tree is gone, nothing left beside" sh -c \
	"! ls -A | grep -q '\\.sbx-'"
ln -s agents agents-link
expect 2 "a symbolic link as the folder" sbx-verify --policy required.json \
	--install agents-link good.tar.gz
contains "says why" "$out" "agents-link: a symbolic link; install into the folder it names"

# --- sbx-deploy.sh: exit codes a deploy tool can act on ------------------
DEPLOY="$TOP/ci/deploy/sbx-deploy.sh"
mkdir dd
expect 0 "deploy: installed" $DEPLOY --url "$U/files/v1/agent.jar" \
	--dest dd/agent.jar --policy required.json --ca-file ca.crt \
	--then 'printf "%s\n" "$SBX_DEPLOY_DEST" >restarted'
contains "deploy: says so" "$out" "sbx-deploy: installed dd/agent.jar from $U/files/v1/agent.jar"
expect 0 "deploy: the --then command ran after the install" \
	test "$(cat restarted)" = dd/agent.jar
rm restarted
expect 10 "deploy: refused" $DEPLOY --url "$U/files/badprov/agent.jar" \
	--dest dd/agent.jar --policy required.json --ca-file ca.crt \
	--then 'touch restarted'
contains "deploy: the reason" "$errout" "sbx-deploy: refused: $U/files/badprov/agent.jar: rejected: provenance_mismatch"
expect 0 "deploy: nothing restarted" test ! -e restarted
expect 0 "deploy: DEST unchanged" cmp dd/agent.jar srv/v1/agent.jar
expect 20 "deploy: a policy that cannot be read" $DEPLOY \
	--url "$U/files/v1/agent.jar" --dest dd/agent.jar --policy nosuch.json
contains "deploy: config named" "$errout" "sbx-deploy: config: nosuch.json"
expect 20 "deploy: usage" $DEPLOY --url "$U/files/v1/agent.jar"
expect 30 "deploy: fetch failed" $DEPLOY --url "$U/404/agent.jar" \
	--dest dd/agent.jar --policy required.json --ca-file ca.crt --retries 0
contains "deploy: the HTTP status" "$errout" "sbx-deploy: fetch failed: $U/404/agent.jar: HTTP 404"
expect 40 "deploy: installed, the --then command failed" $DEPLOY \
	--url "$U/files/v2/agent.jar" --dest dd/agent.jar \
	--policy required.json --ca-file ca.crt --then 'exit 7'
contains "deploy: says both" "$errout" "installed dd/agent.jar, but --then failed (exit 7)"
expect 0 "deploy: bundles too" $DEPLOY --url "$U/files/v2.tar.xz" \
	--dest dd/agents --policy required.json --ca-file ca.crt -q
expect 0 "deploy: the bundle's tree" diff -r b4 dd/agents
expect 0 "deploy: quiet means quiet" test -z "$out"

finish
