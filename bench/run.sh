#!/usr/bin/env bash
# make bench: sbx side by side with the tools people use today, in one
# run, reported as ratios. Needs hyperfine and GNU time.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
PATH=$top/bin:$PATH
work=$(mktemp -d "${TMPDIR:-/tmp}/sbx-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
runs=${BENCH_RUNS:-5}

echo "== setup: keys, keyring, a 50 MB / 10,000-entry JAR, a 200 MB JAR"
printf 'bench-pass' >pass
sbx-keyring generate --key k.key --cert k.crt --subject CN=bench \
	--passphrase-file pass >/dev/null
sbx-keyring init kr.json >/dev/null
sbx-keyring add kr.json --cert k.crt --name bench >/dev/null
keytool -importcert -noprompt -alias bench -file k.crt -keystore trust.p12 \
	-storetype PKCS12 -storepass changeit >/dev/null 2>&1
openssl pkcs12 -export -inkey k.key -passin file:pass -in k.crt -name bench \
	-out k.p12 -passout pass:changeit
python3 "$top/bench/make-jar.py" big.jar 50 10000
python3 "$top/bench/make-jar.py" huge.jar 200 20000
ls -l big.jar huge.jar

SIGN="sbx-sign --key k.key --cert k.crt --passphrase-file pass --no-provenance -q"
$SIGN -o big-sbx.jar big.jar 2>/dev/null || SIGN="sbx-sign --key k.key --cert k.crt --passphrase-file pass -q"
$SIGN -o big-sbx.jar big.jar
$SIGN -o huge-sbx.jar huge.jar

echo
echo "== sign: sbx-sign vs jarsigner -sign (target: at least 10x faster)"
hyperfine -N --warmup 1 --runs "$runs" --export-json sign.json \
	-n sbx-sign "$SIGN -o out-sbx.jar big.jar" \
	-n jarsigner "jarsigner -keystore k.p12 -storepass changeit -signedjar out-js.jar big.jar bench"

echo
echo "== verify: sbx-verify vs jarsigner -verify -strict (50 MB, 10,000 entries)"
hyperfine -N --warmup 1 --runs "$runs" --export-json verify.json \
	-n sbx-verify "sbx-verify -q --keyring kr.json big-sbx.jar" \
	-n sbx-verify-1-thread "sbx-verify -q --threads 1 --keyring kr.json big-sbx.jar" \
	-n jarsigner "jarsigner -verify -strict -keystore trust.p12 -storepass changeit big-sbx.jar"

echo
echo "== one-thread floor: inflate and SHA-256 every entry once"
echo "(sbx-verify --threads 1 above is that and the signature checks:"
echo " an upper bound of the floor in C; Python's zlib for scale)"
python3 - <<'PY'
import hashlib, time, zipfile
t = time.time()
with zipfile.ZipFile("big-sbx.jar") as z:
    for i in z.infolist():
        hashlib.sha256(z.read(i)).digest()
print("floor (python, one thread): %.3f s" % (time.time() - t))
PY

echo
echo "== peak memory on a 200 MB JAR (target: sbx under 16 MiB)"
for cmd in "sbx-verify -q --keyring kr.json huge-sbx.jar" \
	"jarsigner -verify -strict -keystore trust.p12 -storepass changeit huge-sbx.jar"; do
	/usr/bin/time -f "%M KiB  %e s  $cmd" $cmd >/dev/null 2>time.err || true
	tail -n 1 time.err
done

echo
echo "== ratios"
python3 - <<'PY'
import json
for name in ("sign", "verify"):
    r = {x["command"]: x["mean"] for x in json.load(open(name + ".json"))["results"]}
    a, b = r.get("sbx-" + name), r.get("jarsigner")
    print("%-6s sbx %.3f s, jarsigner %.3f s: sbx is %.1fx faster" % (name, a, b, b / a))
    one = r.get("sbx-verify-1-thread")
    if one:
        print("verify on all cores %.3f s vs one thread %.3f s (%.2fx)" % (a, one, one / a))
PY
bash "$top/bench/guard.sh"
