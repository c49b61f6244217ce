#!/usr/bin/env bash
# What a guarded start loads (docs/guard.md, "What it costs"): the front
# ends link neither OpenSSL nor libcurl, a start whose verdicts are all
# cached loads neither, the event is still written and pushed by the
# detached writer, a policy's URLs are checked once per version of the
# file, and a guard that cannot load its full library refuses.
. "$(dirname "$0")/lib/common.sh"
. "$TOP/tests/lib/services.sh"
SVC_DIR=$WORK/svc
svc_init
trap 'svc_stop_all; at_exit' EXIT
cd "$WORK"

MAIN="-cp $WORK/java/app.jar org.sbx.testapp.Main"
PREMAIN="sbx-test-agent premain ran"

# --- artifacts ----------------------------------------------------------
sh "$TOP/tests/java/build.sh" "$WORK/java" >/dev/null
sbx-keyring generate --key k.key --cert k.crt --subject "CN=split" \
	--no-passphrase >/dev/null
sbx-keyring init keyring.json >/dev/null
sbx-keyring add keyring.json --cert k.crt --name k --role jar,provenance \
	>/dev/null
sbx-sign -q --key k.key --cert k.crt --no-passphrase -o agent.jar \
	java/agent.jar
svc_start_pushgateway
mkdir prom
cat >policy.json <<EOF
{
  "keyring": "keyring.json",
  "tenant": "split",
  "audit": { "file": "audit.jsonl" },
  "metrics": { "textfile_dir": "prom", "pushgateway": "$SVC_PGW_URL",
    "job": "split" }
}
EOF

printf '{"keyring": "keyring.json"}\n' >plain.json
printf '{"keyring": "keyring.json", "audit": {"file": "%s"}}\n' \
	"$WORK/rec.jsonl" >rec.json

# --- what each part links -------------------------------------------------
libs() { ldd "$1" | awk '{print $1}'; }
for f in sbx-guard libsbxguard.so; do
	if libs "$SBX_BIN/$f" | grep -qE 'libcrypto|libssl|libcurl|libgit2'
	then fail "$f links $(libs "$SBX_BIN/$f" | tr '\n' ' ')"
	else ok "$f links no OpenSSL, libcurl or libgit2"; fi
done
if libs "$SBX_BIN/sbx-verify" | grep -qE 'libcurl|libgit2|libarchive'; then
	fail "sbx-verify links $(libs "$SBX_BIN/sbx-verify" | tr '\n' ' ')"
else ok "sbx-verify links no libcurl, libgit2 or libarchive"; fi
mkdir verify-alone
cp "$SBX_BIN/sbx-verify" verify-alone/
expect 0 "sbx-verify alone verifies a local JAR" \
	verify-alone/sbx-verify -q --keyring keyring.json agent.jar
expect 3 "sbx-verify alone cannot fetch, and says why" \
	verify-alone/sbx-verify --keyring keyring.json \
	--fetch https://127.0.0.1:1/agent.jar --install "$WORK/got.jar"
case "$errout" in *"cannot load libsbx-net.so"*) ok "it names the library" ;;
*) fail "sbx-verify alone: $errout" ;; esac
tar czf bundle.tar.gz agent.jar
run verify-alone/sbx-verify --json --keyring keyring.json bundle.tar.gz
[ "$st" -eq 3 ] && ok "a bundle without the library: exit 3" ||
	fail "bundle alone: exit $st"
[ "$(printf '%s' "$out" | jq -r '.results[0].reason')" != "" ] &&
    printf '%s' "$out" | jq -r '.results[0].reason' |
    grep -q '^cannot load libsbx-net.so' &&
	ok "and the JSON verdict gives the reason" ||
	fail "bundle alone JSON: $out"
if libs "$SBX_BIN/libsbxguard-full.so" | grep -q libcrypto &&
    ! libs "$SBX_BIN/libsbxguard-full.so" | grep -qE 'libcurl|libgit2'
then ok "the full library links OpenSSL, not libcurl or libgit2"
else fail "libsbxguard-full.so: $(libs "$SBX_BIN/libsbxguard-full.so" |
	tr '\n' ' ')"; fi

# guard_loads LOG: the libraries the guard's own process (the first pid
# in LD_DEBUG's log, the one that becomes java) loaded; the java below
# is /bin/true, which adds only libc.
guard_loads() {
	local pid
	pid=$(awk -F: 'NR == 1 { gsub(/[ \t]/, "", $1); print $1 }' "$1")
	awk -v p="$pid" -F: '{ gsub(/[ \t]/, "", $1) }
	    $1 == p && /file=/ { sub(/.*file=/, ""); sub(/ .*/, "");
	    print }' "$1" | sort -u
}

# A JDK whose java does nothing, so that what is measured is the guard.
mkdir -p fakejdk/bin fakejdk/lib/server
cp /bin/true fakejdk/bin/java
: >fakejdk/lib/server/libjvm.so

# --- the first start: a miss, the policy's URL checked -------------------
expect 0 "first start through sbx-guard" \
	sbx-guard --policy policy.json -- java -javaagent:agent.jar $MAIN
case "$out" in *"$PREMAIN"*) ok "the agent ran" ;;
*) fail "no premain: $out" ;; esac
if ls .sbx-guard-cache/policy-*.json >/dev/null 2>&1; then
	ok "the policy's URLs are on record as checked"
else fail "no policy entry in $(ls .sbx-guard-cache)"; fi

# --- a cached start loads no OpenSSL and no libcurl -----------------------
LD_DEBUG=files sbx-guard --policy policy.json -- "$WORK/fakejdk/bin/java" \
	-javaagent:agent.jar 2>ld.log >/dev/null || fail "cached start failed"
loads=$(guard_loads ld.log | tr '\n' ' ')
case "$loads" in
*libjansson*) ok "the guard's loads were read ($loads)" ;;
*) fail "cannot read the guard's loads from LD_DEBUG: $loads" ;;
esac
case "$loads" in
*libsbxguard-full*|*libcrypto*|*libcurl*|*libsbx-net*)
	fail "a cached start loaded: $loads" ;;
*) ok "a cached start loads neither OpenSSL nor libcurl" ;;
esac

# The detached writer (lowest priority) still writes every event and
# pushes the count: three starts, three events, three checks pushed.
for i in $(seq 1 100); do
	n=$(grep -c '"decision":"accepted"' audit.jsonl 2>/dev/null || true)
	[ "${n:-0}" -ge 2 ] && break
	sleep 0.1
done
[ "${n:-0}" -eq 2 ] && ok "both accepted starts are in the audit log" ||
	fail "accepted events: ${n:-0}, wanted 2"
sbx-guard --policy policy.json -- java -javaagent:agent.jar $MAIN \
	>/dev/null || fail "third start failed"
pushed=""
for i in $(seq 1 100); do
	pushed=$(curl -fsS "$SVC_PGW_URL/metrics" | awk '/^sbx_checks_total\{/ &&
	    /job="split"/ && /result="accepted"/ && /tool="guard"/ {print $2}')
	[ "$pushed" = 3 ] && break
	sleep 0.1
done
[ "$pushed" = 3 ] && ok "the Pushgateway counts 3 accepted guard checks" ||
	fail "pushed sbx_checks_total: '$pushed', wanted 3"
for i in $(seq 1 100); do
	grep -q 'sbx_checks_total{.*result="accepted".*} 3' prom/*.prom &&
	    break
	sleep 0.1
done
grep -q 'sbx_checks_total{.*result="accepted".*} 3' prom/*.prom &&
	ok "the textfile counts 3" || fail "textfile: $(cat prom/*.prom)"

# --- a write through a shared mapping changes no time ---------------------
# Pages made dirty before the check can be rewritten after it without
# touching mtime or ctime: the guard must neither keep nor use a verdict
# while someone holds the file open for writing.
cp agent.jar mapped.jar
cp java/agent.jar unsigned.jar
python3 - mapped.jar unsigned.jar <<'PY'
import os, sys, zipfile
signed, unsigned = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(unsigned, "a") as z:
	pad = os.path.getsize(signed) - os.path.getsize(unsigned) + \
	    len(z.comment)
	z.comment = b"p" * pad
assert os.path.getsize(unsigned) == os.path.getsize(signed)
PY
python3 - mapped.jar unsigned.jar "$WORK" <<'PY' &
import mmap, os, sys, time
jar, evil, work = sys.argv[1], sys.argv[2], sys.argv[3]
fd = os.open(jar, os.O_RDWR)
m = mmap.mmap(fd, 0, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
m[:] = m[:]			# every page dirty: later writes change no time
open(work + "/mapped.ready", "w").close()
while not os.path.exists(work + "/mapped.go"):
	time.sleep(0.02)
m[:] = open(evil, "rb").read()
m.flush()
m.close()
os.close(fd)
open(work + "/mapped.swapped", "w").close()
PY
mapper=$!
for i in $(seq 1 250); do [ -e mapped.ready ] && break; sleep 0.02; done
before=$(stat -c '%i %s %Y %Z' mapped.jar)
expect 0 "the signed bytes, mapped for writing, are accepted" \
	sbx-guard --policy plain.json -- java -javaagent:mapped.jar $MAIN
touch mapped.go
wait "$mapper"
after=$(stat -c '%i %s %Y %Z' mapped.jar)
[ "$before" = "$after" ] && ok "the swap left inode, size and times alone" ||
	ok "the kernel noted the swap ($before / $after)"
expect 126 "the bytes swapped in through the mapping are checked, refused" \
	sbx-guard --policy plain.json -- java -javaagent:mapped.jar $MAIN
case "$errout" in *"mapped.jar: unsigned"*) ok "as unsigned" ;;
*) fail "refusal: $errout" ;; esac
case "$out" in *"$PREMAIN"*) fail "the unsigned premain ran" ;;
*) ok "the unsigned premain never ran" ;; esac

# --- an edited policy is checked again ------------------------------------
# Same size first: only the times tell the two versions apart.
size=$(stat -c %s policy.json)
sed -i "s|\"pushgateway\": \"http://|\"pushgateway\": \"ftp:///|" policy.json
[ "$(stat -c %s policy.json)" = "$size" ] || fail "the edit changed the size"
expect 126 "a same-size edit to a bad URL is refused" \
	sbx-guard --policy policy.json -- java -javaagent:agent.jar $MAIN
case "$errout" in
*"metrics.pushgateway: must be an http or https URL"*) ok "and says why" ;;
*) fail "refusal: $errout" ;;
esac
sed -i "s|\"pushgateway\": \"ftp:///|\"pushgateway\": \"http://|" policy.json
sed "s|\"pushgateway\": \"$SVC_PGW_URL\"|\"pushgateway\": \"ftp://x\"|" \
	policy.json >bad.json
cat bad.json >policy.json
expect 126 "a policy edited to a bad URL is refused" \
	sbx-guard --policy policy.json -- java -javaagent:agent.jar $MAIN
case "$errout" in
*"policy.json:5:"*"metrics.pushgateway: must be an http or https URL"*)
	ok "the refusal names the file, the line and the field" ;;
*) fail "refusal: $errout" ;;
esac
case "$out" in *"$PREMAIN"*) fail "the agent ran under a bad policy" ;;
*) ok "java did not run" ;; esac
expect 126 "libsbxguard.so refuses the same policy alike" \
	java -agentpath:"$SBX_BIN/libsbxguard.so=policy=$WORK/policy.json" \
	-javaagent:"$WORK/agent.jar" $MAIN
case "$errout" in
"libsbxguard: $WORK/policy.json:5:"*"metrics.pushgateway: must be an http"*)
	ok "in one line naming the file, the line and the field" ;;
*) fail "refusal: $errout" ;;
esac

# --- no full library: a miss refuses --------------------------------------
mkdir alone
cp "$SBX_BIN/sbx-guard" "$SBX_BIN/libsbxguard.so" alone/
expect 126 "sbx-guard without its full library refuses a miss" \
	alone/sbx-guard --policy plain.json --cache "$WORK/fresh" -- \
	java -javaagent:agent.jar $MAIN
case "$errout" in
*"cannot load libsbxguard-full.so"*) ok "and says why" ;;
*) fail "refusal: $errout" ;;
esac
cp agent.jar agent2.jar
touch agent2.jar
expect 126 "libsbxguard.so without its full library refuses a new agent" \
	java -agentpath:"$WORK/alone/libsbxguard.so=policy=$WORK/plain.json" \
	-javaagent:"$WORK/agent2.jar" $MAIN
case "$errout" in
*"cannot load libsbxguard-full.so"*) ok "and says why" ;;
*) fail "refusal: $errout" ;;
esac
case "$out" in *"$PREMAIN"*) fail "the agent ran" ;;
*) ok "its premain did not run" ;; esac

# A policy that records nothing needs nothing more for a cached start.
sbx-guard --policy plain.json -- java -javaagent:agent.jar $MAIN >/dev/null ||
	fail "a plain start failed"
expect 0 "a cached start that records nothing needs no full library" \
	alone/sbx-guard --policy plain.json -- java -javaagent:agent.jar $MAIN

# A start the cache would accept still needs the library that records it.
sbx-guard --policy rec.json -- java -javaagent:agent.jar $MAIN >/dev/null ||
	fail "a plain start failed"
expect 126 "a cached start without the full library is refused" \
	alone/sbx-guard --policy rec.json -- java -javaagent:agent.jar $MAIN
case "$errout" in
"sbx-guard: cannot record this start: cannot load libsbxguard-full.so"*)
	ok "and says it could not be recorded" ;;
*) fail "refusal: $errout" ;;
esac
expect 126 "the agent refuses the same cached start alike" \
	java -agentpath:"$WORK/alone/libsbxguard.so=policy=$WORK/rec.json" \
	-javaagent:"$WORK/agent.jar" $MAIN
case "$errout" in
"libsbxguard: cannot record this start: cannot load libsbxguard-full"*)
	ok "and says it could not be recorded" ;;
*) fail "refusal: $errout" ;;
esac

# An audit file that can never be written refuses the start up front.
printf '{"keyring": "keyring.json", "audit": {"file": "%s"}}\n' \
	"$WORK/no/such/dir/audit.jsonl" >nolog.json
expect 126 "an accepted start whose audit file cannot be written" \
	sbx-guard --policy nolog.json -- java -javaagent:agent.jar $MAIN
case "$errout" in
"sbx-guard: cannot record this start: $WORK/no/such/dir/audit.jsonl:"*)
	ok "is refused, naming the file" ;;
*) fail "refusal: $errout" ;;
esac
expect 126 "the agent refuses it alike" \
	java -agentpath:"$SBX_BIN/libsbxguard.so=policy=$WORK/nolog.json" \
	-javaagent:"$WORK/agent.jar" $MAIN
case "$out" in *"$PREMAIN"*) fail "the premain ran" ;;
*) ok "and its premain never ran" ;; esac

# --- the guard's own parts get the rules its agents get ------------------
mkdir -p unsafe/bin unsafe/lib/sbx
cp "$SBX_BIN/sbx-guard" unsafe/bin/
chmod 0777 unsafe/lib/sbx
printf '%s\n' '#include <stdio.h>' \
	'__attribute__((constructor)) static void run(void) {' \
	'FILE *f = fopen("'"$WORK"'/ran", "w"); if (f) fclose(f); }' >evil.c
cc -shared -fPIC -o unsafe/lib/sbx/libsbxguard-full.so evil.c
expect 126 "a full library in a folder others can write is refused" \
	unsafe/bin/sbx-guard --policy plain.json --cache "$WORK/fresh7" -- \
	java -javaagent:agent.jar $MAIN
case "$errout" in
*"folder $WORK/unsafe/lib/sbx is writable by others"*) ok "and says so" ;;
*) fail "refusal: $errout" ;;
esac
[ ! -e ran ] && ok "its code never ran" || fail "the planted library ran"
chmod 0755 unsafe/lib/sbx
chmod 0666 unsafe/lib/sbx/libsbxguard-full.so
expect 126 "a full library others can write is refused" \
	unsafe/bin/sbx-guard --policy plain.json --cache "$WORK/fresh8" -- \
	java -javaagent:agent.jar $MAIN
case "$errout" in
*"libsbxguard-full.so is writable by others"*) ok "and says so" ;;
*) fail "refusal: $errout" ;;
esac
[ ! -e ran ] && ok "its code never ran" || fail "the planted library ran"

# A link on the way could be repointed by whoever may change its folder.
mkdir -p linked/bin linked/real linked/lib
cp "$SBX_BIN/sbx-guard" linked/bin/
cp "$SBX_BIN/libsbxguard-full.so" "$SBX_BIN/libsbx-net.so" linked/real/
ln -s ../real linked/lib/sbx
expect 126 "a full library reached through a symbolic link is refused" \
	linked/bin/sbx-guard --policy plain.json --cache "$WORK/fresh9" -- \
	java -javaagent:agent.jar $MAIN
case "$errout" in *"reached through a symbolic link"*) ok "and says so" ;;
*) fail "refusal: $errout" ;;
esac

# --- a part from another build is refused, not called -------------------
mkdir other
cp "$SBX_BIN/sbx-guard" other/
printf 'const char *sbx_lazy_build_id(void) { return "0123456789ab"; }\n' \
	>other.c
cc -shared -fPIC -o other/libsbxguard-full.so other.c
expect 126 "sbx-guard refuses a full library from another build" \
	other/sbx-guard --policy plain.json --cache "$WORK/fresh3" -- \
	java -javaagent:agent.jar $MAIN
case "$errout" in
*"libsbxguard-full.so: it is not from this build of sbx"*)
	ok "and says so" ;;
*) fail "refusal: $errout" ;;
esac
cp "$SBX_BIN/libsbxguard.so" other/
sbx-guard --policy rec.json -- java -javaagent:agent.jar $MAIN >/dev/null ||
	fail "a plain start failed"
expect 126 "a cached start beside another build's library is refused" \
	other/sbx-guard --policy rec.json -- java -javaagent:agent.jar $MAIN
case "$errout" in
"sbx-guard: cannot record this start: cannot load libsbxguard-full.so: it"*)
	ok "before java runs, and says why" ;;
*) fail "refusal: $errout" ;;
esac
expect 126 "so is the agent's" \
	java -agentpath:"$WORK/other/libsbxguard.so=policy=$WORK/rec.json" \
	-javaagent:"$WORK/agent.jar" $MAIN
case "$out" in *"$PREMAIN"*) fail "the premain ran" ;;
*) ok "and its premain never ran" ;; esac
printf 'int sbx_nothing;\n' >none.c
cc -shared -fPIC -o other/libsbxguard-full.so none.c
expect 126 "sbx-guard refuses a library that is not a part of sbx" \
	other/sbx-guard --policy plain.json --cache "$WORK/fresh4" -- \
	java -javaagent:agent.jar $MAIN
case "$errout" in
*"libsbxguard-full.so: it is not from this build of sbx"*)
	ok "and says so" ;;
*) fail "refusal: $errout" ;;
esac

# --- installed: sbx-guard finds its libraries in ../lib/sbx ---------------
# -o all: install what SBX_BIN holds, never rebuild it under the tests.
make -s -C "$TOP" -o all install DESTDIR="$WORK/inst" PREFIX=/usr \
	BIN="$SBX_BIN" >/dev/null
[ -f inst/usr/lib/sbx/libsbxguard-full.so ] &&
    [ -f inst/usr/lib/sbx/libsbx-net.so ] &&
	ok "make install puts the guard's libraries in lib/sbx" ||
	fail "installed: $(find inst -type f | tr '\n' ' ')"
expect 0 "an installed sbx-guard checks a new agent" \
	inst/usr/bin/sbx-guard --policy plain.json --cache "$WORK/fresh5" \
	-- java -javaagent:agent2.jar $MAIN
case "$out" in *"$PREMAIN"*) ok "and the agent runs" ;;
*) fail "no premain: $out $errout" ;; esac
expect 0 "an installed libsbxguard.so checks a new agent" \
	java -agentpath:"$WORK/inst/usr/lib/sbx/libsbxguard.so=policy=$WORK/\
plain.json,cache=$WORK/fresh6" -javaagent:"$WORK/agent2.jar" $MAIN
case "$out" in *"$PREMAIN"*) ok "and the agent runs" ;;
*) fail "no premain: $out $errout" ;; esac

echo "52-guard-split.sh: $CHECKS checks, $FAILS failed"
[ "$FAILS" -eq 0 ]
