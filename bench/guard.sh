#!/usr/bin/env bash
# bench/guard.sh: what a guarded JVM start costs next to a plain one with
# the same agent (Debian's JaCoCo agent, signed by sbx), for sbx-guard and
# for libsbxguard.so, in alternating pairs; the first (uncached) start
# separately. Run by bench/run.sh, or alone after `make`. Needs hyperfine.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
PATH=$top/bin:$PATH
work=$(mktemp -d "${TMPDIR:-/tmp}/sbx-bench-guard.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
pairs=${GUARD_PAIRS:-20}
lib=$top/bin/libsbxguard.so

echo
echo "== guard: setup (JaCoCo's agent from libjacoco-java, signed by sbx)"
sh "$top/tests/java/build.sh" "$work/java" >/dev/null
unzip -q -o /usr/share/java/org.jacoco.agent.jar jacocoagent.jar
printf 'bench-pass' >pass
sbx-keyring generate --key k.key --cert k.crt --subject CN=bench \
	--passphrase-file pass >/dev/null
sbx-keyring init kr.json >/dev/null
sbx-keyring add kr.json --cert k.crt --name bench --role jar,provenance \
	>/dev/null
sbx-sign -q --key k.key --cert k.crt --passphrase-file pass \
	-o agent.jar jacocoagent.jar
mkdir prom
# quiet: the check alone. full: with the audit log and the metrics,
# as a host would run it.
printf '{"keyring": "kr.json"}\n' >quiet.json
printf '%s\n' '{"keyring": "kr.json", "tenant": "bench",' \
	'"audit": {"file": "audit.jsonl"},' \
	'"metrics": {"textfile_dir": "prom"}}' >full.json
JAVA="java -javaagent:$work/agent.jar=output=none -cp $work/java/app.jar \
org.sbx.testapp.Main"
$JAVA >/dev/null

# pairs NAME CMD: PLAIN and CMD, one run each, alternating, pairs times;
# prints the median of the per-pair differences in wall and CPU time.
pairs() {
	local name=$1 cmd=$2 i
	for i in $(seq 1 "$pairs"); do
		hyperfine -N --runs 1 --export-json "p-$name-$i.json" \
		    -n plain "$JAVA" -n guarded "$cmd" >/dev/null 2>&1
	done
	python3 - "$name" "$pairs" <<'EOF'
import json, statistics, sys
name, n = sys.argv[1], int(sys.argv[2])
plain, dwall, dcpu = [], [], []
for i in range(1, n + 1):
    r = {x["command"]: x for x in json.load(open("p-%s-%d.json" % (name, i)))["results"]}
    p, g = r["plain"], r["guarded"]
    plain.append(p["mean"])
    dwall.append(g["mean"] - p["mean"])
    dcpu.append(g["user"] + g["system"] - p["user"] - p["system"])
m, d = statistics.median(plain), statistics.median(dwall)
print("%-34s plain %6.1f ms, guarded %+6.2f ms wall (%+.1f%%), %+6.2f ms CPU"
      " (median of %d alternating pairs)" % (name, m * 1e3, d * 1e3,
      100 * d / m, statistics.median(dcpu) * 1e3, n))
EOF
}

echo
echo "== guard: the wrapper alone, cached (sbx-guard before /bin/true)"
# The guard runs only a JDK's java: a JDK whose java is /bin/true.
mkdir -p fakejdk/bin fakejdk/lib/server
cp /bin/true fakejdk/bin/java
: >fakejdk/lib/server/libjvm.so
# The JVM's own start varies by more than the guard costs; in front of
# /bin/true what sbx-guard adds stands out. The pause before each run
# lets the previous run's detached writer finish, as it would between
# two JVM starts.
sbx-guard --policy full.json -- $work/fakejdk/bin/java \
	-javaagent:$work/agent.jar
hyperfine -N --warmup 10 --runs 200 --prepare "sleep 0.03" \
	--export-json wrap.json -n true /bin/true \
	-n quiet "sbx-guard --policy $work/quiet.json -- $work/fakejdk/bin/java \
-javaagent:$work/agent.jar" \
	-n full "sbx-guard --policy $work/full.json -- $work/fakejdk/bin/java \
-javaagent:$work/agent.jar" >/dev/null 2>&1
python3 - <<'EOF'
import json
r = {x["command"]: x for x in json.load(open("wrap.json"))["results"]}
t = r["true"]
for k, name in (("quiet", "check only"), ("full", "audit log and metrics")):
    g = r[k]
    print("%-34s /bin/true %5.2f ms, through sbx-guard %+5.2f ms wall, "
          "%+5.2f ms CPU (mean of 200)" % ("sbx-guard, " + name,
          t["mean"] * 1e3, (g["mean"] - t["mean"]) * 1e3,
          (g["user"] + g["system"] - t["user"] - t["system"]) * 1e3))
EOF

echo
echo "== guard: cached verdict, agent unchanged (target: under 1% more)"
sbx-guard --policy quiet.json -- $JAVA >/dev/null
sbx-guard --policy full.json -- $JAVA >/dev/null
pairs "sbx-guard, check only" "sbx-guard --policy $work/quiet.json -- $JAVA"
pairs "sbx-guard, audit log and metrics" \
	"sbx-guard --policy $work/full.json -- $JAVA"
pairs "libsbxguard.so, check only" \
	"java -agentpath:$lib=policy=$work/quiet.json ${JAVA#java }"
pairs "libsbxguard.so, audit log and metrics" \
	"java -agentpath:$lib=policy=$work/full.json ${JAVA#java }"

echo
echo "== guard: first start, nothing cached (every JAR entry hashed)"
hyperfine -N --runs 5 --export-json first.json \
	--prepare "rm -rf $work/.sbx-guard-cache" \
	-n plain "$JAVA" \
	-n sbx-guard "sbx-guard --policy $work/quiet.json -- $JAVA" \
	-n libsbxguard.so "java -agentpath:$lib=policy=$work/quiet.json ${JAVA#java }" \
	>/dev/null 2>&1
python3 - <<'EOF'
import json
r = {x["command"]: x["median"] for x in json.load(open("first.json"))["results"]}
for k in ("sbx-guard", "libsbxguard.so"):
    print("%-34s plain %6.1f ms, first start %+6.1f ms (median of 5)"
          % (k, r["plain"] * 1e3, (r[k] - r["plain"]) * 1e3))
EOF
