#!/bin/bash
# tests/e2e/60-metrics.sh: exact counts via node_exporter, gateway, Prometheus.
#
# Starts a real Pushgateway, node_exporter (textfile collector) and
# Prometheus (loading observability/prometheus/sbx-alerts.yml), runs a
# known mix of short-lived processes (some concurrent) that record
# metrics through libsbx, and checks that all three show exactly the
# counts of the mix; then lints the exposition, tests the rules and
# runs every dashboard query.
#
# The runs go through run_check, run_sign and friends below, which call
# tests/tools/metrics_driver.c; the expectations live in EXPECT. To
# drive real tools instead, change those functions and keep EXPECT.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=tests/lib/services.sh
. "$ROOT/tests/lib/services.sh"

fail() { echo "60-metrics: FAIL: $*" >&2; exit 1; }
pass() { echo "60-metrics: ok: $*"; }

for c in prometheus promtool prometheus-pushgateway prometheus-node-exporter \
    jq curl cc; do
	command -v "$c" >/dev/null || fail "$c is not installed (make deps)"
done

svc_init
W=$SVC_DIR/work
TF=$W/textfile
mkdir -p "$TF"
VERSION=$(sed -n 's/^VERSION[[:space:]]*=[[:space:]]*//p' "$ROOT/Makefile")
JOB=sbx
INSTANCE=e2e
# Generous enough that 20 concurrent pushes queue without running out;
# the budget itself is tested in tests/unit/check_metrics.c.
BUDGET=3000

# The driver links against libsbx like a tool does (SBX_LIBSBX names
# another build of the archive).
LIBSBX=${SBX_LIBSBX:-$ROOT/build/libsbx.a}
[ -n "${SBX_LIBSBX:-}" ] ||
	make -C "$ROOT" -s --no-print-directory build/libsbx.a
PKGS=(libcrypto libssl jansson libcurl libgit2 libarchive zlib libdeflate)
# shellcheck disable=SC2046
cc -std=c11 -D_GNU_SOURCE -I"$ROOT/include" \
	$(pkg-config --cflags "${PKGS[@]}") \
	-o "$W/metrics_driver" "$ROOT/tests/tools/metrics_driver.c" \
	"$LIBSBX" $(pkg-config --libs "${PKGS[@]}") -lpthread

# shellcheck disable=SC2119
svc_start_pushgateway
svc_start_node_exporter "$TF"
svc_start_prometheus "$ROOT/observability/prometheus/sbx-alerts.yml"
pass "up: gateway $SVC_PGW_URL node $SVC_NE_URL prometheus $SVC_PROM_URL"

# One short-lived process, as a tool run would be.
drive() {
	"$W/metrics_driver" -d "$TF" -g "$SVC_PGW_URL" -j "$JOB" \
		-i "$INSTANCE" -b "$BUDGET" "$@"
}
# run_check TOOL RESULT TENANT SECONDS [VIOLATION]
run_check() {
	local v=()
	[ -n "${5:-}" ] && v=("violation:$5:$3")
	drive "check:$1:$2:$3:$4" "${v[@]}" "audit:file:written:1"
}
run_sign() { drive "sign:$1:$2"; }

NOW=$(date +%s)
KEY_SOON=$((NOW + 20 * 86400))
KEY_LATER=$((NOW + 200 * 86400))

# Phase one. Concurrent runs are waited for one by one, so that a
# failed run fails the test.
phase_one() {
	local i pids=()
	for i in 1 2 3 4 5 6; do
		run_check verify accepted payments 0.003
	done
	for i in 1 2 3; do
		run_check verify rejected payments 0.02 digest_mismatch
	done
	for i in $(seq 20); do
		run_check guard accepted search 0.0004 & pids+=($!)
	done
	for i in 1 2 3 4; do
		drive check:guard:audited:search:0.0007 \
			violation:forbidden_flag:search audit:loki:spooled:1 &
		pids+=($!)
	done
	for i in "${pids[@]}"; do
		wait "$i" || fail "a concurrent run failed"
	done
	run_sign signed 0.3
	run_sign failed 0.01
	drive "key:aa11:release-2026:$KEY_SOON" "key:bb22:next:$KEY_LATER"
}

# Phase two, once Prometheus has phase one, so that rates are not 0.
phase_two() {
	local i pids=()
	run_check verify accepted payments 0.004
	run_check verify accepted payments 0.0001
	run_check verify rejected payments 0.03 unsigned
	for i in 1 2 3 4 5; do
		run_check guard accepted search 0.0003 & pids+=($!)
	done
	drive check:guard:audited:search:0.0008 \
		violation:forbidden_flag:search audit:loki:spooled:1 &
	pids+=($!)
	for i in "${pids[@]}"; do
		wait "$i" || fail "a concurrent run failed"
	done
	run_sign signed 0.2
	drive audit:loki:replayed:1
}

# name|labels|value after both phases (labels in any order).
VP='tool="verify",tenant="payments"'
GS='tool="guard",tenant="search"'
C=sbx_checks_total
D=sbx_check_duration_seconds
V=sbx_violations_total
A=sbx_audit_events_total
K=sbx_key_expiry_timestamp_seconds
EXPECT=(
	"$C|$VP,result=\"accepted\"|8"
	"$C|$VP,result=\"rejected\"|4"
	"$C|$VP,result=\"audited\"|0"
	"$C|$GS,result=\"accepted\"|25"
	"$C|$GS,result=\"audited\"|5"
	"$C|$GS,result=\"rejected\"|0"
	"${D}_count|$VP|12"
	"${D}_bucket|$VP,le=\"0.0001\"|1"
	"${D}_bucket|$VP,le=\"0.005\"|8"
	"${D}_bucket|$VP,le=\"0.025\"|11"
	"${D}_bucket|$VP,le=\"0.05\"|12"
	"${D}_count|$GS|30"
	"${D}_bucket|$GS,le=\"0.0005\"|25"
	"${D}_bucket|$GS,le=\"0.001\"|30"
	"$V|type=\"digest_mismatch\",tenant=\"payments\"|3"
	"$V|type=\"unsigned\",tenant=\"payments\"|1"
	"$V|type=\"forbidden_flag\",tenant=\"search\"|5"
	"$V|type=\"rollback\",tenant=\"search\"|0"
	"sbx_sign_total|result=\"signed\"|2"
	"sbx_sign_total|result=\"failed\"|1"
	"sbx_sign_duration_seconds_count||3"
	"sbx_sign_duration_seconds_bucket|le=\"0.25\"|2"
	"$K|key_id=\"aa11\",name=\"release-2026\"|$KEY_SOON"
	"$K|key_id=\"bb22\",name=\"next\"|$KEY_LATER"
	"$A|sink=\"file\",outcome=\"written\"|37"
	"$A|sink=\"loki\",outcome=\"spooled\"|5"
	"$A|sink=\"loki\",outcome=\"replayed\"|1"
	"$A|sink=\"loki\",outcome=\"failed\"|0"
	"sbx_metrics_push_failures_total|target=\"$SVC_PGW_URL\"|0"
	"sbx_metrics_state_resets_total||0"
	"sbx_build_info|version=\"$VERSION\"|1"
)

# Numbers as Prometheus prints them: "1.7e+09" and "1700000000" agree.
same_number() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 == b + 0) }'; }

# check_exporter NAME URL [EXTRA_LABELS]: every EXPECT row on /metrics.
check_exporter() {
	local what=$1 url=$2 extra=${3:-} row name labels want got
	for row in "${EXPECT[@]}"; do
		IFS='|' read -r name labels want <<<"$row"
		[ -n "$extra" ] && labels=${labels:+$labels,}$extra
		got=$(svc_scrape_value "$url" "$name" "$labels") ||
			fail "$what: no single $name{$labels}"
		same_number "$got" "$want" ||
			fail "$what: $name{$labels} is $got, want $want"
	done
	pass "$what: ${#EXPECT[@]} series exact"
}

# check_prometheus JOB: every EXPECT row as a query on that job's series.
check_prometheus() {
	local job=$1 row name labels want got q
	for row in "${EXPECT[@]}"; do
		IFS='|' read -r name labels want <<<"$row"
		q="$name{${labels:+$labels,}job=\"$job\"}"
		got=$(svc_prom_query "$q" | jq -r 'if length == 1
		    then .[0].value[1] else "count \(length)" end')
		same_number "$got" "$want" ||
			fail "prometheus: $q is $got, want $want"
	done
	pass "prometheus job=$job: ${#EXPECT[@]} queries exact"
}

# Phase one, and Prometheus has scraped its end from both sources.
phase_one
for job in node "$JOB"; do
	svc_prom_wait "$C{job=\"$job\",$GS,result=\"audited\"}" \
		'length == 1 and .[0].value[1] == "4"' 30 >/dev/null ||
		fail "prometheus never saw phase one from job $job"
	svc_prom_wait "sbx_key_expiry_timestamp_seconds{job=\"$job\"}" \
		'length == 2' 10 >/dev/null ||
		fail "prometheus never saw the keys from job $job"
done
pass "phase one scraped"

phase_two
check_exporter "textfile" "file://$TF/sbx.prom"
check_exporter "node_exporter" "$SVC_NE_URL/metrics"
check_exporter "pushgateway" "$SVC_PGW_URL/metrics" \
	"instance=\"$INSTANCE\",job=\"$JOB\""
for job in node "$JOB"; do
	svc_prom_wait "$C{job=\"$job\",$GS,result=\"audited\"}" \
		'length == 1 and .[0].value[1] == "5"' 20 >/dev/null ||
		fail "prometheus never saw phase two from job $job"
	svc_prom_wait "$A{job=\"$job\",sink=\"loki\",outcome=\"replayed\"}" \
		'length == 1 and .[0].value[1] == "1"' 20 >/dev/null ||
		fail "prometheus never saw the last run from job $job"
	check_prometheus "$job"
done

# node_exporter exports the file as it is: nothing it could not parse.
err=$(svc_scrape_value "$SVC_NE_URL/metrics" node_textfile_scrape_error)
[ "$err" = 0 ] ||
	fail "node_exporter could not parse sbx.prom"

# Lint: the file, and what each exporter serves of it.
promtool check metrics <"$TF/sbx.prom" || fail "promtool: sbx.prom"
curl -sf "$SVC_NE_URL/metrics" | promtool check metrics ||
	fail "promtool: node_exporter /metrics"
curl -sf "$SVC_PGW_URL/metrics" | promtool check metrics ||
	fail "promtool: pushgateway /metrics"
pass "promtool check metrics: no findings"

# Rules: lint, unit tests, and the live Prometheus loaded them healthy.
OBS=$ROOT/observability/prometheus
promtool check rules "$OBS/sbx-alerts.yml" >/dev/null ||
	fail "promtool check rules"
(cd "$OBS" && promtool test rules sbx-alerts-test.yml >/dev/null) ||
	fail "promtool test rules"
promtool check config "$OBS/prometheus.yml" >/dev/null ||
	fail "promtool check config"
rules=$(curl -sf "$SVC_PROM_URL/api/v1/rules" |
	jq '[.data.groups[].rules[] | select(.health == "ok")] | length')
[ "$rules" = 9 ] || fail "prometheus has $rules healthy rules, want 9"
pass "rules: checked, unit tests pass, 9 healthy in prometheus"

# The refusal of phase two is an alert in the live Prometheus.
end=$((SECONDS + 20))
until curl -sf "$SVC_PROM_URL/api/v1/alerts" | jq -e '.data.alerts[] |
    select(.labels.alertname == "SbxRefusalInEnforceMode" and
    .labels.tenant == "payments" and .labels.tool == "verify" and
    .state == "firing")' >/dev/null; do
	((SECONDS < end)) || fail "SbxRefusalInEnforceMode never fired"
	sleep 0.2
done
pass "SbxRefusalInEnforceMode fires for payments/verify"

# Every panel query of the dashboard answers with a number, Grafana's
# variables standing for "all" and a 5 m rate window.
DASH=$ROOT/observability/grafana/sbx-dashboard.json
n=0
while IFS= read -r expr; do
	q=${expr//\$__rate_interval/5m}
	q=${q//\$__range/1h}
	q=${q//\$job/.+}
	q=${q//\$tenant/.*}
	svc_prom_wait "$q" '[.[].value[1] | select(. != "NaN")] | length > 0' \
		10 >/dev/null || fail "dashboard query has no data: $expr"
	n=$((n + 1))
done < <(jq -r '.panels[].targets[].expr' "$DASH")
[ "$n" -ge 9 ] || fail "only $n dashboard queries found"
pass "dashboard: all $n panel queries return data"

echo "60-metrics: all passed"
