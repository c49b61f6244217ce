#!/usr/bin/env bash
# The real tools record what they did: after a known mix of sbx-verify
# and sbx-sign runs (some concurrent), node_exporter's and the
# Pushgateway's /metrics show the exact counts, Prometheus answers with
# them, and the audit log holds one event per run with an intact chain.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${SBX_BIN:-$ROOT/bin}
# shellcheck source=tests/lib/services.sh
. "$ROOT/tests/lib/services.sh"

fail() { echo "62-metrics-tools: FAIL: $*" >&2; exit 1; }
pass() { echo "62-metrics-tools: ok: $*"; }

svc_init
W=$SVC_DIR/work
mkdir -p "$W/tf"
cd "$W"
svc_start_pushgateway
svc_start_node_exporter "$W/tf"
svc_start_prometheus

sh "$ROOT/tests/java/build.sh" "$W/java" >/dev/null
"$BIN/sbx-keyring" generate --key k.key --cert k.crt --subject CN=metrics \
	--no-passphrase >/dev/null
"$BIN/sbx-keyring" init kr.json >/dev/null
"$BIN/sbx-keyring" add kr.json --cert k.crt --name rel >/dev/null
cat >p.json <<JSON
{"keyring": "kr.json", "tenant": "shop",
 "audit": {"file": "audit.jsonl"},
 "metrics": {"textfile_dir": "$W/tf", "pushgateway": "$SVC_PGW_URL",
             "job": "sbx", "instance": "e2e", "budget_ms": 3000}}
JSON

# 3 signings through the policy.
for i in 1 2 3; do
	"$BIN/sbx-sign" -q --key k.key --cert k.crt --no-passphrase \
		--policy p.json -o "good$i.jar" "$W/java/agent.jar"
done
cp "$W/java/agent.jar" unsigned.jar

# 12 accepted (8 of them at once) and 5 rejected (unsigned) checks.
pids=()
for i in 1 2 3 4 5 6 7 8; do
	"$BIN/sbx-verify" -q --policy p.json good1.jar & pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || fail "a concurrent accepted run failed"; done
"$BIN/sbx-verify" -q --policy p.json good1.jar good2.jar good3.jar good3.jar
for i in 1 2 3 4 5; do
	if "$BIN/sbx-verify" -q --policy p.json unsigned.jar >/dev/null; then
		fail "an unsigned JAR was accepted"
	fi
done

# The cron job that feeds the key-expiry alert.
"$BIN/sbx-keyring" check kr.json --warn-days 30 --policy p.json >/dev/null ||
	fail "sbx-keyring check"
KID=$("$BIN/sbx-keyring" list kr.json --json | jq -r '.keys[0].id')
NOT_AFTER=$(date -d "$("$BIN/sbx-keyring" list kr.json --json |
	jq -r '.keys[0].not_after')" +%s)

EXPECT=(
	'sbx_checks_total|tool="sbx-verify",result="accepted",tenant="shop"|12'
	'sbx_checks_total|tool="sbx-verify",result="rejected",tenant="shop"|5'
	'sbx_checks_total|tool="sbx-verify",result="audited",tenant="shop"|0'
	'sbx_violations_total|type="unsigned",tenant="shop"|5'
	'sbx_violations_total|type="digest_mismatch",tenant="shop"|0'
	'sbx_check_duration_seconds_count|tool="sbx-verify",tenant="shop"|17'
	'sbx_sign_total|result="signed"|3'
	'sbx_audit_events_total|sink="file",outcome="written"|20'
	"sbx_key_expiry_timestamp_seconds|key_id=\"$KID\",name=\"rel\"|$NOT_AFTER"
)

check_source() {	# check_source WHAT URL
	local row name labels want got
	for row in "${EXPECT[@]}"; do
		IFS='|' read -r name labels want <<<"$row"
		got=$(svc_scrape_value "$2" "$name" "$labels") ||
			fail "$1: no single $name{$labels}"
		awk -v a="$got" -v b="$want" 'BEGIN { exit !(a + 0 == b + 0) }' ||
			fail "$1: $name{$labels} is $got, want $want"
	done
	pass "$1: ${#EXPECT[@]} series exact"
}
check_source node_exporter "$SVC_NE_URL/metrics"
check_source pushgateway "$SVC_PGW_URL/metrics"

for row in "${EXPECT[@]}"; do
	IFS='|' read -r name labels want <<<"$row"
	svc_prom_wait "$name{$labels,job=\"sbx\"}" \
		"length == 1 and (.[0].value[1] | tonumber) == $want" 30 \
		>/dev/null ||
		fail "prometheus: $name{$labels} never became $want"
done
pass "prometheus: ${#EXPECT[@]} queries exact"

"$BIN/sbx-audit" verify audit.jsonl >/dev/null || fail "audit chain broken"
n=$(wc -l <audit.jsonl)
[ "$n" -eq 20 ] || fail "audit log has $n events, want 20"
v=$(jq -s '[.[] | select(.event == "sbx.violation" and
	.violation.type == "unsigned" and .decision == "refused" and
	.tenant == "shop")] | length' audit.jsonl)
[ "$v" -eq 5 ] || fail "$v unsigned violations logged, want 5"
s=$(jq -s '[.[] | select(.event == "sbx.sign")] | length' audit.jsonl)
[ "$s" -eq 3 ] || fail "$s sign events, want 3"
pass "audit log: 20 events, chain intact, 5 violations, 3 signings"
