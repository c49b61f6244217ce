#!/bin/bash
# tests/e2e/70-audit.sh: the audit log end to end, with real sinks.
#
# A known run of events goes through `sbx-audit emit` into the local log
# and to a real systemd-journal-remote (queried with journalctl and a
# real journal-gatewayd), a real rsyslogd on loopback, and a Loki and
# OTLP receiver (python3 http.server) that checks each request field by
# field. journal-remote and the receiver are stopped for part of the
# run and started again: every event must arrive exactly once, in order.
# Then every query of observability/queries.md runs and must return
# exactly the events this script expects of it.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
: "${SBX_BIN:?set SBX_BIN to the folder of the sbx tools}"
export PATH="$SBX_BIN:$PATH"
QUERIES=$ROOT/observability/queries.md

T=$(mktemp -d "${TMPDIR:-/tmp}/sbx-e2e-audit.XXXXXX")
SVC_DIR=$T/svc
# shellcheck source=tests/lib/services.sh
. "$ROOT/tests/lib/services.sh"
svc_init
cleanup() {
	svc_stop_all
	rm -rf "$T"
}
trap cleanup EXIT

PASSED=0
fail() {
	echo "70-audit: FAIL: $*" >&2
	exit 1
}
ok() {
	PASSED=$((PASSED + 1))
}

# --- the services -----------------------------------------------------

# shellcheck disable=SC2119
svc_start_journal || fail "journal-remote and gatewayd did not start"

start_rsyslog() {
	svc_free_port
	RS_TCP=$SVC_FREE
	svc_free_port
	RS_UDP=$SVC_FREE
	cat >"$T/rsyslog.conf" <<EOF
global(workDirectory="$T" maxMessageSize="64k")
module(load="imtcp")
module(load="imudp")
input(type="imtcp" address="127.0.0.1" port="$RS_TCP")
input(type="imudp" address="127.0.0.1" port="$RS_UDP")
template(name="sbx" type="string"
  string="%app-name%|%procid%|%msgid%|%structured-data%|%msg%\n")
action(type="omfile" file="$T/syslog.out" template="sbx")
EOF
	rsyslogd -N1 -f "$T/rsyslog.conf" >"$T/rsyslog-check.log" 2>&1 ||
		fail "rsyslog.conf: $(cat "$T/rsyslog-check.log")"
	svc_spawn rsyslog rsyslogd -n -f "$T/rsyslog.conf" \
		-i "$T/rsyslog.pid"
	wait_listen "$RS_TCP" rsyslog
}

# Poll until a TCP port listens, at most 10 s.
wait_listen() {
	local i
	for ((i = 0; i < 200; i++)); do
		svc_port_busy "$1" && return 0
		svc_gone "${SVC_PID[$2]}" && break
		sleep 0.05
	done
	tail -n 5 "$SVC_DIR/$2.log" >&2 || true
	fail "$2 does not listen on :$1"
}

# The Loki and OTLP receiver: checks each request against the
# published shapes, answers as the servers do, and keeps what came.
cat >"$T/receiver.py" <<'EOF'
import json
import re
import sys
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, HTTPServer

PORT, OUT = int(sys.argv[1]), sys.argv[2]
LABELS = {"job", "tenant", "event", "operation"}
# opentelemetry-proto logs.proto LogRecord fields, JSON names.
RECORD = {"timeUnixNano", "observedTimeUnixNano", "severityNumber",
          "severityText", "body", "attributes", "droppedAttributesCount",
          "flags", "traceId", "spanId", "eventName"}
ANY = {"stringValue", "boolValue", "intValue", "doubleValue",
       "arrayValue", "kvlistValue", "bytesValue"}
SEVERITY = {9: "INFO", 13: "WARN"}


def check(cond, msg):
    if not cond:
        raise ValueError(msg)


def keep(name, text):
    with open(f"{OUT}/{name}", "a") as f:
        f.write(text + "\n")


def event_of(line):
    ev = json.loads(line)
    check(isinstance(ev, dict) and isinstance(ev.get("seq"), int),
          "line is not an audit event")
    return ev


def ns_of(ev):
    t = datetime.strptime(ev["time"], "%Y-%m-%dT%H:%M:%S.%fZ")
    ms = int(t.replace(tzinfo=timezone.utc).timestamp() * 1000 + 0.5)
    return str(ms * 1000000)


def loki(body):
    check(set(body) == {"streams"}, f"top level {sorted(body)}")
    check(isinstance(body["streams"], list) and body["streams"],
          "streams is not a non-empty list")
    for s in body["streams"]:
        check(set(s) == {"stream", "values"}, f"stream keys {sorted(s)}")
        lab = s["stream"]
        check(isinstance(lab, dict) and set(lab) <= LABELS,
              f"labels {sorted(lab)}")
        check(lab.get("job") == "sbx", "job label")
        check(all(isinstance(v, str) and v for v in lab.values()),
              "label values must be non-empty strings")
        check(isinstance(s["values"], list) and s["values"], "values")
        for v in s["values"]:
            check(isinstance(v, list) and len(v) == 2 and
                  all(isinstance(x, str) for x in v), "value pair")
            check(re.fullmatch(r"[0-9]{19}", v[0]), f"timestamp {v[0]}")
            ev = event_of(v[1])
            check(v[0] == ns_of(ev), "timestamp is not the event's time")
            for k in ("tenant", "event", "operation"):
                check(lab.get(k) == ev.get(k), f"label {k}")
            keep("loki.lines", v[1])


def attributes(a, where):
    check(isinstance(a, list), f"{where}: attributes is not a list")
    out = {}
    for kv in a:
        check(set(kv) == {"key", "value"}, f"{where}: attribute {kv}")
        v = kv["value"]
        check(isinstance(v, dict) and len(v) == 1 and set(v) <= ANY,
              f"{where}: AnyValue {v}")
        if "intValue" in v:
            check(isinstance(v["intValue"], str) and
                  re.fullmatch(r"-?[0-9]+", v["intValue"]),
                  "int64 must be a decimal string")
        check(kv["key"] not in out, f"{where}: {kv['key']} twice")
        out[kv["key"]] = v
    return out


def record(r):
    check(set(r) <= RECORD, f"log record keys {sorted(set(r) - RECORD)}")
    check(set(r["body"]) == {"stringValue"}, "body")
    line = r["body"]["stringValue"]
    ev = event_of(line)
    check(r["timeUnixNano"] == ns_of(ev), "timeUnixNano")
    check(re.fullmatch(r"[0-9]{19}", r["observedTimeUnixNano"]) and
          int(r["observedTimeUnixNano"]) >= int(r["timeUnixNano"]),
          "observedTimeUnixNano")
    warn = ev.get("decision", "accepted") != "accepted" or \
        ev["event"] == "sbx.violation"
    check(r["severityNumber"] == (13 if warn else 9), "severityNumber")
    check(r["severityText"] == SEVERITY[r["severityNumber"]], "severity")
    a = attributes(r["attributes"], "record")
    check(a["sbx.tenant"] == {"stringValue": ev["tenant"]}, "sbx.tenant")
    check(a["sbx.event"] == {"stringValue": ev["event"]}, "sbx.event")
    check(a["sbx.seq"] == {"intValue": str(ev["seq"])}, "sbx.seq")
    tr = ev.get("trace")
    if tr:
        check(r["traceId"] == tr["trace_id"] and
              re.fullmatch(r"[0-9a-f]{32}", r["traceId"]), "traceId")
        check(r["spanId"] == tr["span_id"] and
              re.fullmatch(r"[0-9a-f]{16}", r["spanId"]), "spanId")
        check(r["flags"] == int(tr["flags"], 16), "flags")
        keep("otlp.trace", f"{ev['seq']} {r['traceId']} {r['spanId']}")
    else:
        check("traceId" not in r and "spanId" not in r, "stray trace")
    keep("otlp.lines", line)


def otlp(body):
    check(set(body) == {"resourceLogs"}, f"top level {sorted(body)}")
    for rl in body["resourceLogs"]:
        check(set(rl) <= {"resource", "scopeLogs", "schemaUrl"}, "rl")
        ra = attributes(rl["resource"]["attributes"], "resource")
        check(ra["service.name"] == {"stringValue": "sbx"}, "service")
        for sl in rl["scopeLogs"]:
            check(set(sl) <= {"scope", "logRecords", "schemaUrl"}, "sl")
            check(sl["scope"]["name"] == "sbx.audit", "scope name")
            check(isinstance(sl["scope"]["version"], str), "version")
            check(sl["logRecords"], "no log records")
            for r in sl["logRecords"]:
                record(r)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        data = self.rfile.read(int(self.headers["Content-Length"]))
        code = 400
        try:
            check(self.headers["Content-Type"] == "application/json",
                  f"Content-Type {self.headers['Content-Type']}")
            body = json.loads(data)
            if self.path == "/loki/api/v1/push":
                loki(body)
                code = 204
            elif self.path == "/v1/logs":
                otlp(body)
                code = 200
            else:
                raise ValueError(f"path {self.path}")
        except (ValueError, KeyError, TypeError, IndexError) as e:
            keep("errors", f"{self.path}: {e!r}")
        out = b"{}" if code == 200 else b""
        self.send_response(code)
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def log_message(self, *args):
        pass


HTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
EOF

start_receiver() {
	svc_spawn receiver python3 "$T/receiver.py" "$RP" "$T/recv"
	wait_listen "$RP" receiver
}

start_rsyslog
mkdir -p "$T/recv"
svc_free_port
RP=$SVC_FREE
start_receiver

# --- the known run ----------------------------------------------------

sha() { printf %s "$1" | sha256sum | cut -c1-64; }
SHA_A=$(sha apm-1.0)		# the signed agent
SHA_B=$(sha evil)		# an unsigned one
SHA_C=$(sha apm-tampered)	# the signed agent, changed after signing
SHA_D=$(sha batch)
LOG=$T/log/audit.jsonl
mkdir -p "$T/log" "$T/ev" "$T/out"

cat >"$T/conf.json" <<EOF
{
  "file": "log/audit.jsonl",
  "spool_dir": "spool",
  "budget_ms": 2000,
  "sinks": {
    "journal": { "url": "$SVC_JR_URL/upload" },
    "syslog": { "host": "127.0.0.1", "port": $RS_TCP },
    "loki": { "url": "http://127.0.0.1:$RP/loki/api/v1/push" },
    "otlp": { "url": "http://127.0.0.1:$RP/v1/logs" }
  }
}
EOF

# ev N JSON: the event emitted as seq N.
ev() { printf '%s\n' "$2" >"$T/ev/$1.json"; }
ev 1 '{"event":"sbx.verify","tenant":"payments","operation":"verify",
  "tool":"sbx-verify","decision":"accepted",
  "artifact":{"path":"/srv/agents/apm.jar","sha256":"'"$SHA_A"'","size":4096},
  "signer":{"name":"release-2024","key_id":"'"$SHA_D"'"},
  "policy":{"path":"/etc/sbx/deploy.json","rule":"agents.signed"}}'
ev 2 '{"event":"sbx.violation","tenant":"payments","operation":"guard",
  "tool":"sbx-guard","decision":"refused",
  "artifact":{"path":"/srv/agents/evil.jar","sha256":"'"$SHA_B"'"},
  "violation":{"type":"unsigned","detail":"no META-INF/*.SF"},
  "policy":{"rule":"agents.signed"}}'
ev 3 "$(cat "$T/ev/2.json")"
ev 4 '{"event":"sbx.check","tenant":"search","operation":"guard",
  "tool":"sbx-guard","decision":"accepted",
  "artifact":{"path":"/srv/agents/apm.jar","sha256":"'"$SHA_A"'"},
  "policy":{"rule":"agents.signed"}}'
ev 5 '{"event":"sbx.violation","tenant":"search","operation":"guard",
  "tool":"sbx-guard","decision":"audited",
  "artifact":{"path":"/srv/agents/apm.jar","sha256":"'"$SHA_C"'"},
  "violation":{"type":"digest_mismatch","detail":"com/acme/Agent.class"},
  "policy":{"rule":"agents.signed"}}'
ev 6 '{"event":"sbx.sign","tenant":"ci","operation":"sign",
  "tool":"sbx-sign","decision":"accepted",
  "artifact":{"path":"/srv/agents/apm.jar","sha256":"'"$SHA_A"'"},
  "signer":{"name":"release-2024","subject":"CN=release-2024"}}'
ev 7 '{"event":"sbx.keyring","tenant":"ci","operation":"keyring.revoke",
  "tool":"sbx-keyring","decision":"accepted",
  "signer":{"name":"release-2023"}}'
ev 8 '{"event":"sbx.violation","tenant":"payments","operation":"guard",
  "tool":"sbx-guard","decision":"refused",
  "violation":{"type":"forbidden_flag","detail":"-Xverify:none"},
  "policy":{"rule":"jvm.flags"}}'
for n in 9 10 11 12; do
	ev "$n" '{"event":"sbx.check","tenant":"batch","operation":"deploy",
	  "tool":"deploy.sh","decision":"accepted",
	  "artifact":{"path":"/srv/agents/batch.jar","sha256":"'"$SHA_D"'"}}'
done

TRACE=00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01
emit() {
	local n=$1
	if ! (cd "$T" && if [ "$n" = 2 ]; then export TRACEPARENT=$TRACE; fi &&
		sbx-audit emit --json --conf-json conf.json \
			--event-json "ev/$n.json") >"$T/out/$n.json" \
		2>"$T/out/$n.err"; then
		fail "emit $n: $(cat "$T/out/$n.err")"
	fi
	[ "$(jq -r .seq "$T/out/$n.json")" = "$n" ] ||
		fail "emit $n: wrote seq $(jq -r .seq "$T/out/$n.json")"
}

# count N SINK OUTCOME: what emit N reported for a sink.
count() {
	jq -r --arg s "$2" --arg o "$3" '.counts[$s][$o] // 0' \
		"$T/out/$1.json"
}
expect_count() {
	[ "$(count "$1" "$2" "$3")" = "$4" ] ||
		fail "emit $1: $2 $3 is $(count "$1" "$2" "$3"), not $4: \
$(cat "$T/out/$1.json")"
}

for n in 1 2 3 4 5 6 7 8; do
	emit "$n"
	for s in file journal-remote syslog loki otlp; do
		expect_count "$n" "$s" written 1
	done
done
ok

# journal-remote and the Loki/OTLP receiver go away for three events.
svc_stop journal-remote
svc_stop receiver
for n in 9 10 11; do
	emit "$n"
	expect_count "$n" file written 1
	expect_count "$n" syslog written 1
	for s in journal-remote loki otlp; do
		expect_count "$n" "$s" spooled 1
		expect_count "$n" "$s" written 0
	done
	grep -q "^sbx-audit: warning: journal-remote: " "$T/out/$n.err" ||
		fail "emit $n: no warning about journal-remote"
done
[ "$(wc -l <"$T/spool/journal-remote.spool")" = 4 ] ||
	fail "journal-remote spool does not hold header and three events"
ok

# Back again: the next emit sends the spool first, then its own event.
svc_launch_journal_remote "$SVC_JR_PORT"
svc_wait_answer "$SVC_JR_URL/" 15 "${SVC_PID[journal-remote]}" ||
	fail "journal-remote did not come back"
start_receiver
emit 12
for s in journal-remote loki otlp; do
	expect_count 12 "$s" replayed 3
	expect_count 12 "$s" written 1
	expect_count 12 "$s" spooled 0
done
(cd "$T" && sbx-audit flush --json --conf-json conf.json) >"$T/flush.json" ||
	fail "flush failed"
[ "$(jq -c .counts "$T/flush.json")" = '{}' ] ||
	fail "flush found more to send: $(cat "$T/flush.json")"
ok

# --- every event arrived exactly once, in order -----------------------

SEQS="1 2 3 4 5 6 7 8 9 10 11 12"
seqs_of() { jq -r '.seq' | tr '\n' ' ' | sed 's/ $//'; }
got=$(journalctl -D "$SVC_JOURNAL_DIR" -o cat | seqs_of)
[ "$got" = "$SEQS" ] || fail "journal holds seqs '$got'"
got=$(curl -sf -H 'Accept: application/json' "$SVC_JG_URL/entries" |
	jq -r '.MESSAGE' | seqs_of)
[ "$got" = "$SEQS" ] || fail "gatewayd returns seqs '$got'"
ok
# What the journal holds is what the log holds, byte for byte.
journalctl -D "$SVC_JOURNAL_DIR" -o cat >"$T/journal.lines"
cmp -s "$T/journal.lines" "$LOG" || fail "journal MESSAGEs differ from the log"
ok

[ ! -s "$T/recv/errors" ] || fail "receiver: $(cat "$T/recv/errors")"
for s in loki otlp; do
	got=$(seqs_of <"$T/recv/$s.lines")
	[ "$got" = "$SEQS" ] || fail "$s received seqs '$got'"
	cmp -s "$T/recv/$s.lines" "$LOG" || fail "$s lines differ from the log"
done
[ "$(cat "$T/recv/otlp.trace")" = \
	"2 4bf92f3577b34da6a3ce929d0e0e4736 00f067aa0ba902b7" ] ||
	fail "OTLP trace context: $(cat "$T/recv/otlp.trace")"
ok

# rsyslog parsed each message as RFC 5424: APP-NAME, PROCID, MSGID,
# structured data, and the event as MSG.
for ((i = 0; i < 100; i++)); do
	[ "$(wc -l <"$T/syslog.out" 2>/dev/null || echo 0)" -ge 12 ] && break
	sleep 0.05
done
n=0
while IFS='|' read -r app pid msgid sd msg; do
	n=$((n + 1))
	[ "$(jq -r .seq <<<"$msg")" = "$n" ] || fail "syslog line $n: $msg"
	[ "$app" = "$(jq -r .tool <<<"$msg")" ] || fail "syslog APP-NAME $app"
	[ "$pid" = "$(jq -r .process.pid <<<"$msg")" ] ||
		fail "syslog PROCID $pid"
	[ "$msgid" = "$(jq -r .event <<<"$msg")" ] || fail "syslog MSGID $msgid"
	case $sd in
	"[sbx@32473 event=\"$msgid\" tenant=\"$(jq -r .tenant <<<"$msg")\""*"seq=\"$n\""*"]") ;;
	*) fail "syslog structured data: $sd" ;;
	esac
done <"$T/syslog.out"
[ "$n" = 12 ] || fail "rsyslog wrote $n messages, not 12"
ok

# --- the queries of observability/queries.md --------------------------

mkdir -p "$T/q"
awk -v dir="$T/q" '
	/^<!-- test: [a-z0-9-]+ -->$/ { name = $3; next }
	name != "" && /^```(sh|logql)$/ {
		file = dir "/" name "." substr($0, 4); inblock = 1; next
	}
	inblock && /^```$/ { inblock = 0; name = ""; close(file); next }
	inblock { print > file }
' "$QUERIES"

declare -A EXPECT=(
	[show-tenant]="seqs 1 2 3 8"
	[show-tenant-violations]="seqs 2 3 8"
	[show-rule]="seqs 1 2 3 4 5"
	[show-rule-refused]="seqs 2 3"
	[show-operation]="seqs 2 3 4 5 8"
	[show-artifact]="seqs 1 4 5 6"
	[show-digest]="seqs 5"
	[repeated-artifacts]="text 2 /srv/agents/evil.jar $SHA_B"
	[repeated-types]="text 2 unsigned"
	[journal-tenant]="seqs 1 2 3 8"
	[journal-rule-violations]="seqs 2 3 5"
	[journal-operation]="seqs 2 3 4 5 8"
	[journal-refused-last-hour]="seqs 2 3 8"
	[journal-artifact]="seqs 5"
	[journal-repeated]="text 2 $SHA_B"
	[gateway-tenant]="seqs 1 2 3 8"
	[gateway-rule-violations]="seqs 2 3 5"
	[gateway-artifact]="seqs 1 4 5 6"
	[logql-tenant]=logql
	[logql-rule-violations]=logql
	[logql-operation]=logql
	[logql-artifact]=logql
	[logql-repeated]=logql
	[logql-violations-per-tenant]=logql
)

# The event (seq) each output line stands for: "#N ..." from show,
# an event, or a journal entry whose MESSAGE is one.
line_seqs() {
	local line
	while IFS= read -r line; do
		case $line in
		'#'*) line=${line%% *}; echo "${line#\#}" ;;
		'{'*) jq -r 'if has("MESSAGE") then (.MESSAGE | fromjson | .seq)
			else .seq end' <<<"$line" ;;
		'') ;;
		*) echo "unexpected: $line" ;;
		esac
	done | tr '\n' ' ' | sed 's/ $//'
}

export LOG TENANT=payments RULE=agents.signed
export ARTIFACT=/srv/agents/apm.jar SHA256=$SHA_C
export JOURNAL=$SVC_JOURNAL_DIR GATEWAY=$SVC_JG_URL

run_query() {
	local name=$1 want=${EXPECT[$1]} got
	bash -euo pipefail "$T/q/$name.sh" >"$T/q/$name.out" \
		2>"$T/q/$name.err" || fail "query $name failed: \
$(cat "$T/q/$name.err")"
	case $want in
	seqs*) got="seqs $(line_seqs <"$T/q/$name.out")" ;;
	text*) got="text $(cat "$T/q/$name.out")" ;;
	esac
	[ "$got" = "$want" ] || fail "query $name: got '$got', want '$want'"
}

# Flattened fields of the events (what `| json` makes of them), and
# the values each had in this run: LogQL may use only these.
jq -c '[paths(scalars) as $p | select(all($p[]; type == "string"))
	| {key: ($p | join("_")), value: (getpath($p) | tostring)}]
	| .[]' "$LOG" | sort -u >"$T/fields"
check_logql() {
	python3 - "$T/q/$1.logql" "$T/fields" <<'EOF'
import json, re, sys
q = open(sys.argv[1]).read()
seen = {}
for line in open(sys.argv[2]):
    kv = json.loads(line)
    seen.setdefault(kv["key"], set()).add(kv["value"])
labels = {"job", "tenant", "event", "operation"}
selectors = re.findall(r"\{([^}]*)\}", q)
assert selectors, "no stream selector"
for sel in selectors:
    pairs = re.findall(r'(\w+)\s*(=~|!=|!~|=)\s*"([^"]*)"', sel)
    names = [p[0] for p in pairs]
    assert "job" in names, f"selector without job: {sel}"
    for name, op, value in pairs:
        assert name in labels, f"label {name} is not one sbx sends"
        if name == "job":
            assert value == "sbx", f"job is {value}"
        elif op == "=":
            assert value in seen[name], f"no event has {name}={value}"
rest = re.sub(r"\{[^}]*\}", "", q)
if "| json" in q:
    for name, value in re.findall(r'(\w+)\s*=\s*"([^"]*)"', rest):
        assert name in seen, f"field {name} is in no event"
        assert value in seen[name], f"no event has {name}={value}"
for group in re.findall(r"by \(([^)]*)\)", q):
    for name in (g.strip() for g in group.split(",")):
        assert name in labels or name in seen, f"no field {name}"
EOF
}

found=0
for f in "$T"/q/*.sh "$T"/q/*.logql; do
	name=$(basename "${f%.*}")
	[ -n "${EXPECT[$name]:-}" ] ||
		fail "queries.md: query '$name' has no expectation here"
	found=$((found + 1))
	case $f in
	*.sh) run_query "$name" ;;
	*.logql) check_logql "$name" || fail "LogQL $name" ;;
	esac
done
[ "$found" = "${#EXPECT[@]}" ] ||
	fail "queries.md has $found tested queries, this script expects \
${#EXPECT[@]}"
ok

# --- sbx-audit: exit statuses and messages ----------------------------

status() {	# status WANT CMD...: run, keep stdout/stderr, check status
	local want=$1 rc=0
	shift
	"$@" >"$T/stdout" 2>"$T/stderr" || rc=$?
	[ "$rc" = "$want" ] || fail "$* exited $rc, not $want: $(cat "$T/stderr")"
}

status 0 sbx-audit verify "$LOG"
grep -qx "12 events, chain intact; last seq 12, hash $(jq -r 'select(.seq == 12)
	| .hash' "$LOG")" "$T/stdout" || fail "verify: $(cat "$T/stdout")"
sed 5d "$LOG" >"$T/removed.jsonl"
status 1 sbx-audit verify "$T/removed.jsonl"
grep -qx "sbx-audit: $T/removed.jsonl:5: removed: events seq 5 to 5 are \
missing before this line" "$T/stderr" || fail "verify: $(cat "$T/stderr")"
sed '3s/"tenant":"payments"/"tenant":"PAYMENTS"/' "$LOG" >"$T/edited.jsonl"
status 1 sbx-audit verify -q "$T/edited.jsonl"
grep -q "^sbx-audit: $T/edited.jsonl:3: edited: content does not match its \
hash (seq 3)$" "$T/stderr" || fail "verify: $(cat "$T/stderr")"
status 2 sbx-audit verify
grep -q '^usage: sbx-audit verify' "$T/stderr" || fail "no usage"
status 3 sbx-audit verify "$T/missing.jsonl"
grep -qx "sbx-audit: $T/missing.jsonl: cannot open: No such file or \
directory" "$T/stderr" || fail "verify: $(cat "$T/stderr")"
status 3 sbx-audit show "$T/missing.jsonl"
status 2 sbx-audit show --since yesterday "$LOG"
status 2 sbx-audit frobnicate
echo '{"file": "x.jsonl", "colour": "red"}' >"$T/bad.json"
status 2 sbx-audit emit --conf-json "$T/bad.json" --event-json "$T/ev/1.json"
grep -qx "sbx-audit: $T/bad.json: audit.colour: unknown key or bad value" \
	"$T/stderr" || fail "emit: $(cat "$T/stderr")"
echo '{"event": "sbx.check", "seq": 4}' >"$T/bad-ev.json"
status 2 sbx-audit emit --conf-json "$T/conf.json" --event-json "$T/bad-ev.json"
grep -qx "sbx-audit: $T/bad-ev.json: event: member \"seq\": unknown, bad \
value, or set by the writer" "$T/stderr" || fail "emit: $(cat "$T/stderr")"
status 3 sbx-audit emit --conf-json "$T/nope.json" --event-json "$T/ev/1.json"
ok

# report: text for people, JSON for tickets.
status 0 sbx-audit report "$LOG"
want='sbx audit report: 12 events, 4 with a violation, 0 sampled out'
[ "$(head -n 1 "$T/stdout")" = "$want" ] ||
	fail "report: $(head -n 1 "$T/stdout")"
grep -q '^payments  *4  *1  *3  *0  ' "$T/stdout" ||
	fail "report: no payments row: $(cat "$T/stdout")"
status 0 sbx-audit report --json "$LOG"
[ "$(jq -c '[.by_tenant[] | [.tenant, .events, .refused]]' "$T/stdout")" = \
	'[["payments",4,3],["batch",4,0],["search",2,0],["ci",2,0]]' ] ||
	fail "report --json: $(jq -c .by_tenant "$T/stdout")"
ok

# A killed writer's half line: verify reports it, the next one goes on.
printf '%s' "$(tail -n 1 "$LOG" | cut -c1-150)" >>"$LOG"
status 1 sbx-audit verify "$LOG"
grep -qx "sbx-audit: $LOG:13: partial: unfinished last line (a writer \
stopped mid-write)" "$T/stderr" || fail "verify: $(cat "$T/stderr")"
status 0 sbx-audit verify --allow-partial "$LOG"
ev 13 "$(cat "$T/ev/9.json")"
emit 13
status 1 sbx-audit verify "$LOG"
grep -qx "sbx-audit: $LOG:13: partial: unfinished line, ended by a later \
writer" "$T/stderr" || fail "verify: $(cat "$T/stderr")"
status 0 sbx-audit verify --allow-partial "$LOG"
grep -q '^13 events, chain intact; last seq 13' "$T/stdout" ||
	fail "verify: $(cat "$T/stdout")"
ok

# Rotation keeps the chain across files.
status 0 sbx-audit rotate "$LOG"
last=$(jq -rR 'fromjson? | select(.seq == 13) | .hash' "$LOG.1")
grep -qx "$LOG: rotated to $LOG.1 (last seq 13, hash $last); the chain \
goes on in $LOG" "$T/stdout" || fail "rotate: $(cat "$T/stdout")"
ev 15 "$(cat "$T/ev/9.json")"
emit 15
status 0 sbx-audit verify --allow-partial "$LOG.1" "$LOG"
grep -q '^15 events, chain intact; last seq 15' "$T/stdout" ||
	fail "verify across files: $(cat "$T/stdout")"
status 1 sbx-audit verify "$LOG"
grep -q "^sbx-audit: $LOG:1: removed: the chain does not start here" \
	"$T/stderr" || fail "verify: $(cat "$T/stderr")"
status 0 sbx-audit verify --anchor "$last" "$LOG"
ok

echo "70-audit: $PASSED groups passed"
