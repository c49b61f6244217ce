#!/usr/bin/env bash
# The start-up guard, both ways (sbx-guard before java, libsbxguard.so
# inside it), with the real JVM: signed agents run, every other agent is
# refused before its premain, whatever route it takes into the JVM.
. "$(dirname "$0")/lib/common.sh"
cd "$WORK"

LIB=$SBX_BIN/libsbxguard.so
[ -f "$LIB" ] || { echo "no $LIB" >&2; exit 1; }
MAIN="-cp $WORK/java/app.jar org.sbx.testapp.Main"
PREMAIN="sbx-test-agent premain ran"

# --- artifacts ----------------------------------------------------------
sh "$TOP/tests/java/build.sh" "$WORK/java" >/dev/null
sh "$TOP/runtime-check/java/build.sh" "$WORK/api" >/dev/null
printf 'guard test pass\n' >pass
chmod 600 pass
sbx-keyring generate --key rel.key --cert rel.crt --subject "CN=guard rel" \
	--passphrase-file pass >/dev/null
sbx-keyring generate --key old.key --cert old.crt --subject "CN=guard old" \
	--no-passphrase >/dev/null
sbx-keyring generate --key stranger.key --cert stranger.crt \
	--subject "CN=stranger" --no-passphrase >/dev/null
sbx-keyring init keyring.json >/dev/null
sbx-keyring add keyring.json --cert rel.crt --name rel \
	--role jar,provenance >/dev/null
sbx-keyring add keyring.json --cert old.crt --name old \
	--role jar,provenance >/dev/null
SIGN="sbx-sign -q --key rel.key --cert rel.crt --passphrase-file pass"
mkdir agents
$SIGN -o agents/signed.jar java/agent.jar
cp java/agent.jar agents/unsigned.jar
sbx-sign -q --key stranger.key --cert stranger.crt --no-passphrase \
	-o agents/untrusted.jar java/agent.jar
sbx-sign -q --key old.key --cert old.crt --no-passphrase \
	-o agents/revoked.jar java/agent.jar
$SIGN --no-provenance -o signed-bare.jar java/agent.jar
printf 'not a class' >junk
python3 "$TOP/tests/e2e/lib/jarsurgery.py" replace signed-bare.jar \
	agents/tampered.jar org/sbx/testagent/Helper.class junk
$SIGN -o agents/race.jar java/agent.jar

# An agent that must never run, and a program whose JAR starts an agent.
mkdir -p src/evil src/lag
cat >src/evil/Agent.java <<'EOF'
package org.sbx.evil;
public final class Agent {
	public static void premain(String a) {
		System.out.println("EVIL PREMAIN RAN");
	}
}
EOF
cat >src/lag/Agent.java <<'EOF'
package org.sbx.lag;
public final class Agent {
	public static void agentmain(String a,
	    java.lang.instrument.Instrumentation i) {
		System.out.println("launcher agent ran");
	}
}
EOF
cat >src/lag/Main.java <<'EOF'
package org.sbx.lag;
public final class Main {
	public static void main(String[] a) {
		System.out.println("lag main ran");
	}
}
EOF
cat >src/Report.java <<'EOF'
public final class Report {
	public static void main(String[] a) {
		org.sbx.guard.Sbx.reportViolation("forbidden_flag",
		    "sandbox test");
		try {
			org.sbx.guard.Sbx.reportViolation("no_such_type", "x");
		} catch (IllegalArgumentException e) {
			System.out.println("refused type: " + e.getMessage());
		}
		System.out.println("reported");
	}
}
EOF
javac -d cls/evil src/evil/Agent.java
printf 'Premain-Class: org.sbx.evil.Agent\n' >evil.mf
jar --create --file agents/evil.jar --manifest evil.mf -C cls/evil .
javac -d cls/lag src/lag/*.java
printf '%s\n' 'Main-Class: org.sbx.lag.Main' \
	'Launcher-Agent-Class: org.sbx.lag.Agent' >lag.mf
jar --create --file agents/lag-unsigned.jar --manifest lag.mf -C cls/lag .
$SIGN -o agents/lag.jar agents/lag-unsigned.jar
javac -cp api/sbx-guard-api.jar -d cls/report src/Report.java

# A signed agent whose Boot-Class-Path names an unsigned JAR.
printf '%s\n' 'Premain-Class: org.sbx.testagent.Agent' \
	'Boot-Class-Path: boot-helper.jar' >bcp.mf
jar --create --file bcp-in.jar --manifest bcp.mf -C java/agent-classes .
$SIGN -o agents/bcp.jar bcp-in.jar
cp agents/unsigned.jar agents/boot-helper.jar

# --- policies -------------------------------------------------------------
# runtime-enforce.json as shipped, pointed at this test's files.
mkdir prom
EX=$TOP/policy/examples/runtime-enforce.json
jq --arg kr "$WORK/keyring.json" --arg aud "$WORK/audit.jsonl" \
	--arg prom "$WORK/prom" --argjson uid "$(id -u)" \
	'del(.["$schema"]) | .keyring = $kr
	 | .signers = [{"artifacts": "*", "keys": ["rel", "old"]}]
	 | .jvm.native_agents = [] | .paths.owners = [$uid]
	 | .audit = {"file": $aud} | .metrics = {"textfile_dir": $prom}' \
	"$EX" >enforce.json
jq '.mode = "audit" | .tenant = "search"' enforce.json >audit.json
# The same without the provenance requirement: JAR signatures alone.
jq '.provenance.required = false' enforce.json >sig.json
NEED=-XX:+DisableAttachMechanism
POLICY=$WORK/sig.json

# Counted as they happen, checked against the metrics at the end.
declare -A checks=()
count() { checks[$1]=$(( ${checks[$1]:-0} + 1 )); }

# guard [ARGS...]: sbx-guard with $POLICY; agent: libsbxguard.so.
guard() {
	run sbx-guard --policy "$POLICY" -- java $NEED "$@" $MAIN
}
agent() {
	run java -agentpath:"$LIB"=policy="$POLICY" $NEED "$@" $MAIN
}

# one_line WHAT: stderr is exactly one line.
one_line() {
	[ "$(printf '%s\n' "$errout" | wc -l)" -eq 1 ] && ok "$1: one line" ||
	    fail "$1: stderr is not one line: $errout"
}

# refused_by_both WHAT VIOLATION SUBJECT ARGS...: sbx-guard says 126 and
# one line; the agent fails VM creation; no premain either way.
refused_by_both() {
	what=$1 v=$2 subject=$3
	shift 3
	guard "$@"
	[ "$st" -eq 126 ] && ok "$what: sbx-guard exits 126" ||
	    fail "$what: sbx-guard exited $st: $errout"
	one_line "$what"
	contains "$what: sbx-guard names it" "$errout" \
	    "sbx-guard: $subject: $v: "
	case "$out" in *"PREMAIN RAN"* | *"premain ran"*)
		fail "$what: a premain ran under sbx-guard" ;; esac
	count guard/rejected
	agent "$@"
	[ "$st" -eq 126 ] && ok "$what: the JVM does not start (126)" ||
	    fail "$what: java exited $st with the agent: $errout"
	# One line of ours; java's own "Picked up ..." notes may precede it.
	[ "$(printf '%s\n' "$errout" | grep -c '^libsbxguard: ')" -eq 1 ] &&
	    ! printf '%s' "$errout" | grep -q 'Error occurred' &&
	    ok "$what: the agent says one line" ||
	    fail "$what: agent stderr: $errout"
	contains "$what: libsbxguard names it" "$errout" \
	    "libsbxguard: $subject: $v: "
	case "$out" in *"PREMAIN RAN"* | *"premain ran"*)
		fail "$what: a premain ran with the agent" ;; esac
	count agent/rejected
}

# --- usage ----------------------------------------------------------------
expect 2 "no command" sbx-guard --policy enforce.json
expect 2 "no --" sbx-guard --policy enforce.json java -version
expect 2 "policy and keyring" sbx-guard --policy enforce.json \
	--keyring keyring.json -- java -version
expect 2 "neither policy nor keyring" sbx-guard -- java -version
contains "usage line" "$errout" "usage: sbx-guard (--policy POLICY"

# --- signed agents run ------------------------------------------------------
POLICY=$WORK/enforce.json
guard -javaagent:agents/signed.jar=g
[ "$st" -eq 0 ] && ok "signed agent starts" || fail "signed: $st $errout"
contains "premain ran under sbx-guard" "$out" "$PREMAIN with g"
contains "main ran under sbx-guard" "$out" "sbx-test-app main ran"
count guard/accepted
agent -javaagent:agents/signed.jar=a
[ "$st" -eq 0 ] && ok "signed agent starts with the agent" ||
	fail "signed with agent: $st $errout"
contains "premain ran with the agent" "$out" "$PREMAIN with a"
count agent/accepted
expect 0 "the cache has an entry" sh -c \
	'ls .sbx-guard-cache | grep -q "^jar-.*\.json$"'
guard -javaagent:agents/signed.jar=again
contains "second start (cached verdict) runs it" "$out" "$PREMAIN with again"
count guard/accepted

# Both at once: inside the JVM the agent finds /proc/self/fd/N paths.
guard -agentpath:"$LIB"=policy="$POLICY" -javaagent:agents/signed.jar=both
[ "$st" -eq 0 ] && ok "sbx-guard then libsbxguard.so" ||
	fail "both guards: $st $errout"
contains "both guards: premain ran" "$out" "$PREMAIN with both"
count guard/accepted
count agent/accepted

# sbx-guard becomes java: its status is java's.
run sbx-guard --policy enforce.json -- java $NEED -cp java/app.jar NoSuch
[ "$st" -eq 1 ] && ok "java's own status comes back" || fail "status $st"
count guard/accepted

# The shipped policy wants a provenance beside each agent.
refused_by_both "no provenance" provenance_missing \
	"$WORK/signed-bare.jar" -javaagent:signed-bare.jar
POLICY=$WORK/sig.json

# --- refusals ---------------------------------------------------------------
refused_by_both "unsigned" unsigned "$WORK/agents/unsigned.jar" \
	-javaagent:agents/unsigned.jar
refused_by_both "tampered" digest_mismatch "$WORK/agents/tampered.jar" \
	-javaagent:agents/tampered.jar
refused_by_both "untrusted" untrusted_key "$WORK/agents/untrusted.jar" \
	-javaagent:agents/untrusted.jar
sbx-keyring revoke keyring.json old --reason "key lost" >/dev/null
refused_by_both "revoked" revoked_key "$WORK/agents/revoked.jar" \
	-javaagent:agents/revoked.jar
refused_by_both "unsigned Boot-Class-Path JAR" unsigned \
	"$WORK/agents/boot-helper.jar" -javaagent:agents/bcp.jar
refused_by_both "unsigned -Xbootclasspath/a JAR" unsigned \
	"$WORK/agents/unsigned.jar" -Xbootclasspath/a:agents/unsigned.jar
# --patch-module puts code inside java.base, as the boot class path does.
refused_by_both "unsigned --patch-module JAR" unsigned \
	"$WORK/agents/unsigned.jar" --patch-module java.base=agents/unsigned.jar
refused_by_both "unsigned --patch-module= JAR" unsigned \
	"$WORK/agents/unsigned.jar" \
	--patch-module=java.base=agents/signed.jar:agents/unsigned.jar
JDK_JAVA_OPTIONS=--patch-module=java.base=agents/unsigned.jar \
	refused_by_both "--patch-module in JDK_JAVA_OPTIONS" unsigned \
	"$WORK/agents/unsigned.jar"
refused_by_both "--upgrade-module-path" forbidden_flag \
	"--upgrade-module-path=agents" --upgrade-module-path agents
# A custom system class loader is asked for the agents' classes.
refused_by_both "-Djava.system.class.loader with an agent" forbidden_flag \
	"-Djava.system.class.loader=evil.Loader" \
	-Djava.system.class.loader=evil.Loader -javaagent:agents/signed.jar
# The dynamic loader's variables put native code in the JVM.
for v in LD_PRELOAD LD_AUDIT LD_LIBRARY_PATH; do
	env "$v=/lib/x86_64-linux-gnu/libz.so.1" bash -c '
	    sbx-guard --policy "$1" -- java -version' _ "$POLICY" \
	    >/dev/null 2>"$WORK/ld.err" && st=0 || st=$?
	[ "$st" -eq 126 ] && grep -q "^sbx-guard: java: forbidden_flag: $v=" \
	    "$WORK/ld.err" && ok "$v is refused" ||
	    fail "$v: exit $st: $(cat "$WORK/ld.err")"
	count guard/rejected
done
# Only the java launcher of a JDK reads the command as the guard does.
run sbx-guard --policy "$POLICY" -- jar -J-javaagent:agents/evil.jar \
	--version
[ "$st" -eq 126 ] && ok "the jar launcher is refused" || fail "jar: $st"
contains "and named" "$errout" "sbx-guard: jar: unsafe_path: runs "
case "$out" in *"PREMAIN RAN"*) fail "jar ran the evil premain" ;; esac
count guard/rejected
run jar -J-agentpath:"$LIB"=policy="$POLICY" -J-javaagent:agents/evil.jar \
	--version
[ "$st" -eq 126 ] && ok "the agent refuses the jar launcher" ||
	fail "agent in jar: $st: $errout"
case "$out" in *"PREMAIN RAN"*) fail "jar ran the evil premain" ;; esac
count agent/rejected
mkdir -p fakebin
printf '#!/bin/sh\necho FAKE JAVA RAN\n' >fakebin/java
chmod 755 fakebin/java
PATH=$WORK/fakebin:$PATH run sbx-guard --policy "$POLICY" -- java \
	-javaagent:agents/signed.jar -version
[ "$st" -eq 126 ] && ok "a script named java is refused" ||
	fail "fake java: $st: $out"
case "$out" in *"FAKE JAVA RAN"*) fail "the fake java ran" ;; esac
count guard/rejected

# --- every way in -------------------------------------------------------------
E=$WORK/agents/evil.jar
JDK_JAVA_OPTIONS=-javaagent:agents/evil.jar \
	refused_by_both "JDK_JAVA_OPTIONS" unsigned "$E"
JAVA_TOOL_OPTIONS=-javaagent:agents/evil.jar \
	refused_by_both "JAVA_TOOL_OPTIONS" unsigned "$E"
_JAVA_OPTIONS=-javaagent:agents/evil.jar \
	refused_by_both "_JAVA_OPTIONS" unsigned "$E"
printf -- '# an argfile\n"-javaagent:agents/evil.jar"\n' >evil.args
refused_by_both "@argfile" unsigned "$E" @evil.args
printf -- '-Dx=1 -javaagent:agents/evil.jar\n' >evil.opts
refused_by_both "-XX:VMOptionsFile" unsigned "$E" \
	-XX:VMOptionsFile=evil.opts
JAVA_TOOL_OPTIONS=-XX:VMOptionsFile=evil.opts \
	refused_by_both "VMOptionsFile in JAVA_TOOL_OPTIONS" unsigned "$E"
refused_by_both "-agentlib:instrument=" unsigned "$E" \
	-agentlib:instrument=agents/evil.jar
# HotSpot makes a -Xrun library with Agent_OnLoad an agent.
refused_by_both "-Xruninstrument:" unsigned "$E" \
	-Xruninstrument:agents/evil.jar
JAVA_TOOL_OPTIONS=-Xruninstrument:agents/evil.jar=x \
	refused_by_both "-Xruninstrument: in JAVA_TOOL_OPTIONS" unsigned "$E"

# The -jar program's Launcher-Agent-Class is an agent too.
run sbx-guard --policy sig.json -- java $NEED -jar agents/lag-unsigned.jar
[ "$st" -eq 126 ] && ok "unsigned Launcher-Agent-Class refused" ||
	fail "lag unsigned: $st $out $errout"
contains "names the -jar file" "$errout" \
	"sbx-guard: $WORK/agents/lag-unsigned.jar: unsigned: "
count guard/rejected
run java -agentpath:"$LIB"=policy="$WORK/sig.json" $NEED \
	-jar agents/lag-unsigned.jar
[ "$st" -eq 126 ] && ok "unsigned Launcher-Agent-Class refused in the JVM" ||
	fail "lag unsigned, agent: $st $out"
count agent/rejected
run sbx-guard --policy enforce.json -- java $NEED -jar agents/lag.jar
contains "signed Launcher-Agent-Class runs" "$out" "launcher agent ran"
contains "and then main" "$out" "lag main ran"
count guard/accepted

# --- forbidden and required options (the shipped example's lists) ----------
POLICY=$WORK/enforce.json
jdwp=transport=dt_socket,server=y,suspend=n,address=127.0.0.1:0
jq -r '.jvm.forbidden_flags[]' "$EX" >forbidden.txt
while read -r pat; do
	flag=${pat%\*}
	case $pat in
	-agentlib:jdwp\*) flag="$flag=$jdwp" ;;
	-Xrunjdwp\*) flag="$flag:$jdwp" ;;
	esac
	guard $flag
	[ "$st" -eq 126 ] && ok "$pat refused" || fail "$pat: exit $st"
	contains "$pat: named with its pattern" "$errout" \
	    "forbidden_flag: forbidden by the policy (pattern $pat)"
	count guard/rejected
done <forbidden.txt
[ "$(wc -l <forbidden.txt)" -ge 9 ] && ok "every example pattern tried" ||
	fail "forbidden list too short"
agent -Xverify:none
[ "$st" -eq 126 ] && ok "-Xverify:none refused in the JVM" ||
	fail "agent $st"
count agent/rejected
run sbx-guard --policy enforce.json -- java -javaagent:agents/signed.jar $MAIN
[ "$st" -eq 126 ] && ok "missing required option refused" || fail "req $st"
contains "names the required pattern" "$errout" \
	"sbx-guard: java: forbidden_flag: no option matches $NEED"
count guard/rejected
# A later option overrides: the one in effect is what counts.
guard -XX:-DisableAttachMechanism -XX:+DisableAttachMechanism \
	-javaagent:agents/signed.jar
[ "$st" -eq 0 ] && ok "an overridden forbidden option is not in effect" ||
	fail "override: $st $errout"
count guard/accepted
_JAVA_OPTIONS=-XX:-DisableAttachMechanism guard
[ "$st" -eq 126 ] && ok "_JAVA_OPTIONS overrides the command line" ||
	fail "_JAVA_OPTIONS override: $st"
count guard/rejected
POLICY=$WORK/sig.json

# --- paths ------------------------------------------------------------------
mkdir -m 0777 open
chmod 0777 open
cp agents/signed.jar agents/signed.jar.intoto.jsonl open/
guard -javaagent:open/signed.jar
[ "$st" -eq 126 ] && ok "agent in a world-writable folder refused" ||
	fail "open folder: $st"
contains "unsafe_path named" "$errout" \
	"unsafe_path: $WORK/open is writable by anyone"
count guard/rejected

# --- native agents ----------------------------------------------------------
JH=$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")
cat >native.c <<'EOF'
#include <stdio.h>
#include <jni.h>
JNIEXPORT jint JNICALL Agent_OnLoad(JavaVM *vm, char *o, void *r)
{
	printf("native agent loaded\n");
	return 0;
}
EOF
cc -shared -fPIC -I"$JH/include" -I"$JH/include/linux" -o libnative.so native.c
guard -agentpath:"$WORK/libnative.so"
[ "$st" -eq 126 ] && ok "unlisted native agent refused" || fail "native $st"
contains "native agent named" "$errout" \
	"sbx-guard: $WORK/libnative.so: unsigned: native agent"
count guard/rejected
sum=$(sha256sum libnative.so | cut -d' ' -f1)
jq --arg p "$WORK/libnative.so" --arg s "$sum" \
	'.jvm.native_agents = [{"path": $p, "sha256": $s}]' enforce.json \
	>native.json
run sbx-guard --policy native.json -- java $NEED \
	-agentpath:"$WORK/libnative.so" $MAIN
contains "listed native agent runs" "$out" "native agent loaded"
count guard/accepted

# --- the cache ----------------------------------------------------------------
cp signed-bare.jar agents/changing.jar
mkdir -m 0755 goodcache
mkdir -m 0777 badcache
chmod 0777 badcache
run sbx-guard --policy sig.json --cache "$WORK/goodcache" -- java $NEED \
	-javaagent:agents/changing.jar $MAIN
[ "$st" -eq 0 ] && ok "a bare signed JAR passes without provenance" ||
	fail "changing: $st $errout"
count guard/accepted
# Plant, for the unsigned JAR, the entry the guard just wrote.
cat >plant.py <<'EOF'
import glob, json, os, sys
st = os.stat(sys.argv[1])
src = glob.glob(sys.argv[2] + "/jar-*.json")
assert len(src) == 1, src
e = json.load(open(src[0]))
e["file"] = [st.st_dev, st.st_ino, st.st_size, int(st.st_mtime),
             st.st_mtime_ns % 10**9, int(st.st_ctime), st.st_ctime_ns % 10**9]
e["provenance"] = None
tail = os.path.basename(src[0]).split("-", 3)[3]
for d in sys.argv[2:]:
    n = "%s/jar-%x-%x-%s" % (d, st.st_dev, st.st_ino, tail)
    json.dump(e, open(n, "w"))
EOF
python3 plant.py agents/unsigned.jar goodcache badcache
chmod 0644 goodcache/*.json badcache/*.json
# Whoever can write the cache can vouch like the keyring (the control);
# a cache folder anyone may write is therefore never read.
run sbx-guard --policy sig.json --cache "$WORK/goodcache" -- java $NEED \
	-javaagent:agents/unsigned.jar=planted $MAIN
contains "a planted entry in a safe cache is read (control)" "$out" \
	"$PREMAIN with planted"
count guard/accepted
run sbx-guard --policy sig.json --cache "$WORK/badcache" -- java $NEED \
	-javaagent:agents/unsigned.jar $MAIN
[ "$st" -eq 126 ] && ok "a cache others can write is not trusted" ||
	fail "forged cache accepted: $st"
count guard/rejected
# A cached agent changed in place is checked again.
printf 'x' >>agents/changing.jar
run sbx-guard --policy sig.json --cache "$WORK/goodcache" -- java $NEED \
	-javaagent:agents/changing.jar $MAIN
[ "$st" -eq 126 ] && ok "a cached agent changed in place is refused" ||
	fail "changed agent: $st"
contains "and named" "$errout" "$WORK/agents/changing.jar: malformed_archive"
count guard/rejected

# --- replace after check ------------------------------------------------------
# The guard hands java the descriptor it checked; renaming another JAR
# over the path meanwhile must never get that JAR run.
cp agents/race.jar good.jar
cp agents/evil.jar evil-copy.jar
( while [ ! -e race.stop ]; do
	cp evil-copy.jar agents/.r1 && mv -f agents/.r1 agents/race.jar
	cp good.jar agents/.r2 && mv -f agents/.r2 agents/race.jar
done ) &
racer=$!
stop_racer() { touch "$WORK/race.stop"; wait "$racer" 2>/dev/null || true; }
on_exit stop_racer
evil=0 good=0 refused=0
for i in $(seq 1 25); do
	run sbx-guard --policy enforce.json -- java $NEED \
	    -javaagent:agents/race.jar=race $MAIN
	case "$out" in *"EVIL PREMAIN RAN"*) evil=$((evil + 1)) ;; esac
	case "$out" in *"$PREMAIN with race"*) good=$((good + 1)) ;; esac
	if [ "$st" -eq 126 ]; then
		refused=$((refused + 1))
		count guard/rejected
	else
		count guard/accepted
	fi
done
stop_racer
[ "$evil" -eq 0 ] &&
	ok "the replaced JAR never ran (good $good, refused $refused)" ||
	fail "the evil premain ran $evil times in 25 races"
[ $((good + refused)) -eq 25 ] &&
	ok "each race ended in the good agent or a refusal" ||
	fail "races: good $good refused $refused"

# --- audit mode ---------------------------------------------------------------
run sbx-guard --policy audit.json -- java $NEED \
	-javaagent:agents/unsigned.jar=au $MAIN
[ "$st" -eq 0 ] && ok "audit mode: the JVM starts" || fail "audit: $st"
contains "audit mode: the agent ran" "$out" "$PREMAIN with au"
contains "audit mode: said on stderr" "$errout" \
	"sbx-guard: audited: $WORK/agents/unsigned.jar: provenance_missing: "
run java -agentpath:"$LIB"=policy="$WORK/audit.json" $NEED \
	-javaagent:agents/unsigned.jar=aa $MAIN
[ "$st" -eq 0 ] && ok "audit mode: the JVM starts with the agent" ||
	fail "audit agent: $st"
contains "audit mode with the agent: it ran" "$out" "$PREMAIN with aa"

# --- the Java API -----------------------------------------------------------
run java -agentpath:"$LIB"=policy="$WORK/enforce.json" $NEED \
	-cp "api/sbx-guard-api.jar:cls/report" Report
[ "$st" -eq 0 ] && ok "a sandbox reports through org.sbx.guard.Sbx" ||
	fail "report: $st $out $errout"
contains "unknown type refused" "$out" "refused type: not an sbx violation type"
contains "report returned" "$out" "reported"
count agent/accepted

# --- audit log and metrics -------------------------------------------------
# sbx-guard writes an acceptance down from a detached process, after
# java has started: give the last ones a moment.
settle() {
	for _ in $(seq 1 50); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}
expect 0 "the audit chain verifies" sbx-audit verify audit.jsonl
# events OP N WHAT FILTER: how many events pass the jq select FILTER.
nevents() {
	n=$(jq -s "[.[] | select($3)] | length" audit.jsonl)
	[ "$n" "$1" "$2" ]
}
events() {
	settle nevents "$1" "$2" "$4" && ok "audit: $3" ||
	    fail "audit: $3: $n events"
}
events -eq 2 "two audited events, tenant search" \
	'.decision == "audited" and .tenant == "search"'
events -eq 1 "the sandbox report is an event" \
	'.operation == "sandbox" and .violation.detail == "sandbox test"
	 and .violation.type == "forbidden_flag"'
events -eq 2 "revocations refused by both guards" \
	'.event == "sbx.violation" and .decision == "refused"
	 and .violation.type == "revoked_key"'
events -ge 3 "acceptances name the signer" \
	'.decision == "accepted" and .signer.name == "rel"
	 and .tool == "sbx-guard"'
# metric NAME{LABELS} VALUE: the textfile holds exactly that sample.
metric() {
	settle grep -qxF "$1 $2" prom/sbx.prom && ok "metrics: $1 $2" ||
	    fail "metrics: want $1 $2, have: $(grep -F "$1" prom/sbx.prom)"
}
for k in "${!checks[@]}"; do
	labels="tool=\"${k%/*}\",result=\"${k#*/}\",tenant=\"payments\""
	metric "sbx_checks_total{$labels}" "${checks[$k]}"
done
metric 'sbx_checks_total{tool="guard",result="audited",tenant="search"}' 1
metric 'sbx_violations_total{type="revoked_key",tenant="payments"}' 2
grep -q '^sbx_agent_premain_seconds_count{tenant="payments"} [1-9]' \
	prom/sbx.prom && ok "metrics: premain time measured" ||
	fail "premain metric"

finish
