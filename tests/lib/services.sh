# tests/lib/services.sh: start and stop monitoring services for tests.
# shellcheck shell=bash disable=SC2034
# (SC2034: the SVC_* results are for the sourcing test.)
#
# Source it from a bash test, then call the functions in the test's own
# shell (never inside $(...) or a pipeline: the daemons must be children of
# the shell that stops them).
#
#   . "$ROOT/tests/lib/services.sh"
#   svc_init                          # state folder SVC_DIR (mktemp -d unless
#                                     # set), EXIT trap running svc_stop_all
#   svc_start_pushgateway [-p PORT]   # -> SVC_PGW_PORT SVC_PGW_URL
#   svc_start_node_exporter DIR [-p PORT]
#                                     # textfile collector only, reading DIR
#                                     # -> SVC_NE_PORT SVC_NE_URL
#   svc_start_prometheus [-p PORT] [RULES.yml...]
#                                     # scrapes the two above (start them
#                                     # first) every 1 s, honor_labels on
#                                     # the gateway, and loads the rules
#                                     # -> SVC_PROM_PORT SVC_PROM_URL
#   svc_start_journal [-p UPLOAD_PORT] [-q QUERY_PORT]
#                                     # systemd-journal-remote + gatewayd
#                                     # -> SVC_JR_URL (POST /upload)
#                                     # SVC_JG_URL (GET /entries)
#                                     # SVC_JOURNAL_DIR
#   svc_stop NAME                     # pushgateway node-exporter prometheus
#                                     # journal-remote journal-gatewayd
#   svc_stop_all
#   svc_wait_http URL [SECONDS]       # bounded polling, default 10 s
#   svc_scrape_value URL NAME [LABELS]
#                                     # the value of the one sample of NAME
#                                     # at URL (/metrics) whose labels
#                                     # include LABELS ('k="v",k2="v2"')
#   svc_prom_query EXPR               # prints .data.result (JSON)
#   svc_prom_wait EXPR JQ_TEST [SECONDS]
#                                     # poll until `jq -e JQ_TEST` holds on
#                                     # the result (default 20 s); prints it
#
# Without -p a free port is picked (and another one if the daemon loses
# the race for it). With -p PORT the port is fixed; if the same kind of
# service already answers there, it is reused as it is (a reused
# node_exporter reads the folder it was started with, a reused
# Prometheus scrapes what it was told) and never stopped.
# Logs, configs and data live in SVC_DIR; svc_stop_all removes SVC_DIR
# if svc_init made it, unless SVC_KEEP=1. A test with its own EXIT trap
# calls svc_stop_all from it.
#
# Needs curl, jq, ss and the Debian packages prometheus,
# prometheus-pushgateway, prometheus-node-exporter and
# systemd-journal-remote.

declare -gA SVC_PID=()
declare -ga SVC_ORDER=()
declare -gA SVC_TAKEN=()
SVC_POLL=0.05

svc_log() { echo "services: $*" >&2; }

svc_init() {
	SVC_MADE_DIR=
	if [ -z "${SVC_DIR:-}" ]; then
		SVC_DIR=$(mktemp -d "${TMPDIR:-/tmp}/sbx-svc.XXXXXX")
		SVC_MADE_DIR=1
	fi
	mkdir -p "$SVC_DIR"
	trap 'svc_stop_all' EXIT
	trap 'exit 130' INT TERM
}

# True once the process is gone (a zombie awaiting its reaper counts).
svc_gone() {
	local st
	st=$(ps -o stat= -p "$1" 2>/dev/null) || return 0
	[[ -z $st || $st == Z* ]]
}

svc_port_busy() { ss -Htln "sport = :$1" | grep -q .; }

# Sets SVC_FREE (not printed: a subshell would forget SVC_TAKEN).
svc_free_port() {
	local p i
	for ((i = 0; i < 200; i++)); do
		p=$((20000 + RANDOM % 40000))
		[ -n "${SVC_TAKEN[$p]:-}" ] && continue
		svc_port_busy "$p" && continue
		SVC_TAKEN[$p]=1
		SVC_FREE=$p
		return 0
	done
	svc_log "no free port found"
	return 1
}

# Poll until URL answers 2xx, at most SECONDS; fail early if PID dies.
svc_wait_http() {
	local url=$1 secs=${2:-10} pid=${3:-} end
	end=$((SECONDS + secs + 1))
	while ((SECONDS < end)); do
		curl -sf -o /dev/null --max-time 1 "$url" && return 0
		if [ -n "$pid" ] && svc_gone "$pid"; then
			return 1
		fi
		sleep "$SVC_POLL"
	done
	svc_log "$url: not ready after ${secs}s"
	return 1
}

# Any HTTP answer at all (journal-remote has no page that says 200).
svc_http_answers() {
	local code
	code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$1")
	[ "$code" != 000 ]
}

svc_wait_answer() {
	local url=$1 secs=${2:-10} pid=${3:-} end
	end=$((SECONDS + secs + 1))
	while ((SECONDS < end)); do
		svc_http_answers "$url" && return 0
		if [ -n "$pid" ] && svc_gone "$pid"; then
			return 1
		fi
		sleep "$SVC_POLL"
	done
	svc_log "$url: no answer after ${secs}s"
	return 1
}

# svc_spawn NAME CMD...: run in the background with a log, record PID.
svc_spawn() {
	local name=$1
	shift
	"$@" >"$SVC_DIR/$name.log" 2>&1 &
	SVC_PID[$name]=$!
	SVC_ORDER+=("$name")
}

svc_fail() {
	svc_log "$1 did not start; last lines of $SVC_DIR/$1.log:"
	tail -n 5 "$SVC_DIR/$1.log" >&2 2>/dev/null
	svc_stop "$1"
	return 1
}

# Is what answers on a base URL this kind of service? (For reuse.)
svc_is_pushgateway() {
	curl -sf --max-time 2 "$1/metrics" | grep -q '^pushgateway_build_info'
}
svc_is_node_exporter() {
	curl -sf --max-time 2 "$1/metrics" | grep -q '^node_exporter_build_info'
}
svc_is_prometheus() {
	curl -sf --max-time 2 "$1/api/v1/status/buildinfo" |
		jq -e '.data.version' >/dev/null
}
svc_is_journal_remote() { svc_http_answers "$1/"; }
svc_is_journal_gatewayd() {
	curl -sf --max-time 2 "$1/machine" | jq -e '.machine_id' >/dev/null
}

# svc_start NAME FIXED_PORT READY_URL_TEMPLATE WAITER LAUNCHER IDENT
# READY_URL_TEMPLATE has @PORT@; LAUNCHER is called with the port;
# IDENT with the base URL tells whether a busy fixed port is reusable.
svc_start() {
	local name=$1 fixed=$2 tmpl=$3 waiter=$4 launcher=$5 ident=$6
	local port url try
	if [ -n "$fixed" ]; then
		url=${tmpl//@PORT@/$fixed}
		if svc_port_busy "$fixed"; then
			if "$waiter" "$url" 2 "" &&
				"$ident" "http://127.0.0.1:$fixed"; then
				svc_log "$name: reusing what answers on :$fixed"
				SVC_PORT=$fixed
				return 0
			fi
			svc_log "$name: port $fixed is taken by something else"
			return 1
		fi
		"$launcher" "$fixed"
		"$waiter" "$url" 15 "${SVC_PID[$name]}" || svc_fail "$name" ||
			return 1
		SVC_PORT=$fixed
		return 0
	fi
	for ((try = 0; try < 3; try++)); do
		svc_free_port || return 1
		port=$SVC_FREE
		url=${tmpl//@PORT@/$port}
		"$launcher" "$port"
		if "$waiter" "$url" 15 "${SVC_PID[$name]}"; then
			SVC_PORT=$port
			return 0
		fi
		svc_gone "${SVC_PID[$name]}" || { svc_fail "$name"; return 1; }
		wait "${SVC_PID[$name]}" 2>/dev/null
		svc_log "$name: exited on :$port, trying another port"
	done
	svc_fail "$name"
}

# Options: -p PORT (and -q PORT where a second one is taken).
svc_opts() {
	OPT_P="" OPT_Q=""
	OPTIND=1
	while getopts p:q: o; do
		case $o in
		p) OPT_P=$OPTARG ;;
		q) OPT_Q=$OPTARG ;;
		*) return 2 ;;
		esac
	done
	OPT_SHIFT=$((OPTIND - 1))
}

svc_launch_pushgateway() {
	svc_spawn pushgateway prometheus-pushgateway \
		--web.listen-address="127.0.0.1:$1" --persistence.file=
}

svc_start_pushgateway() {
	svc_opts "$@" || return 2
	svc_start pushgateway "$OPT_P" "http://127.0.0.1:@PORT@/-/ready" \
		svc_wait_http svc_launch_pushgateway svc_is_pushgateway ||
		return 1
	SVC_PGW_PORT=$SVC_PORT
	SVC_PGW_URL=http://127.0.0.1:$SVC_PORT
}

svc_launch_node_exporter() {
	svc_spawn node-exporter prometheus-node-exporter \
		--web.listen-address="127.0.0.1:$1" \
		--collector.disable-defaults --collector.textfile \
		--collector.textfile.directory="$SVC_NE_TEXTFILE"
}

svc_start_node_exporter() {
	local dir=${1:?usage: svc_start_node_exporter DIR [-p PORT]}
	shift
	svc_opts "$@" || return 2
	SVC_NE_TEXTFILE=$(cd "$dir" && pwd) || return 1
	svc_start node-exporter "$OPT_P" "http://127.0.0.1:@PORT@/metrics" \
		svc_wait_http svc_launch_node_exporter svc_is_node_exporter ||
		return 1
	SVC_NE_PORT=$SVC_PORT
	SVC_NE_URL=http://127.0.0.1:$SVC_PORT
}

# Scrape every 1 s whatever of the two exporters has been started.
svc_prometheus_config() {
	local f
	echo "global:"
	echo "  scrape_interval: 1s"
	echo "  evaluation_interval: 1s"
	echo "rule_files:"
	for f in "${SVC_PROM_RULES[@]}"; do
		echo "  - '$f'"
	done
	[ ${#SVC_PROM_RULES[@]} -eq 0 ] && echo "  []"
	echo "scrape_configs:"
	if [ -n "${SVC_PGW_PORT:-}" ]; then
		echo "  - job_name: pushgateway"
		echo "    honor_labels: true"
		echo "    static_configs:"
		echo "      - targets: ['127.0.0.1:$SVC_PGW_PORT']"
	fi
	if [ -n "${SVC_NE_PORT:-}" ]; then
		echo "  - job_name: node"
		echo "    static_configs:"
		echo "      - targets: ['127.0.0.1:$SVC_NE_PORT']"
	fi
}

svc_launch_prometheus() {
	mkdir -p "$SVC_DIR/prom-data"
	svc_spawn prometheus prometheus \
		--config.file="$SVC_DIR/prometheus.yml" \
		--storage.tsdb.path="$SVC_DIR/prom-data" \
		--web.listen-address="127.0.0.1:$1" --web.enable-lifecycle
}

svc_start_prometheus() {
	local f
	svc_opts "$@" || return 2
	shift "$OPT_SHIFT"
	SVC_PROM_RULES=()
	for f in "$@"; do
		f=$(cd "$(dirname "$f")" && pwd)/$(basename "$f")
		SVC_PROM_RULES+=("$f")
	done
	svc_prometheus_config >"$SVC_DIR/prometheus.yml"
	svc_start prometheus "$OPT_P" "http://127.0.0.1:@PORT@/-/ready" \
		svc_wait_http svc_launch_prometheus svc_is_prometheus ||
		return 1
	SVC_PROM_PORT=$SVC_PORT
	SVC_PROM_URL=http://127.0.0.1:$SVC_PORT
}

svc_launch_journal_remote() {
	svc_spawn journal-remote /lib/systemd/systemd-journal-remote \
		--listen-http="127.0.0.1:$1" \
		--output="$SVC_JOURNAL_DIR/sbx.journal" --split-mode=none
}

# Socket activation keeps gatewayd on loopback (alone it binds to all).
svc_launch_journal_gatewayd() {
	svc_spawn journal-gatewayd systemd-socket-activate \
		-l "127.0.0.1:$1" /lib/systemd/systemd-journal-gatewayd \
		--directory="$SVC_JOURNAL_DIR"
}

svc_start_journal() {
	svc_opts "$@" || return 2
	local q=$OPT_Q
	SVC_JOURNAL_DIR=$SVC_DIR/journal
	mkdir -p "$SVC_JOURNAL_DIR"
	svc_start journal-remote "$OPT_P" "http://127.0.0.1:@PORT@/" \
		svc_wait_answer svc_launch_journal_remote \
		svc_is_journal_remote || return 1
	SVC_JR_PORT=$SVC_PORT
	SVC_JR_URL=http://127.0.0.1:$SVC_PORT
	svc_start journal-gatewayd "$q" "http://127.0.0.1:@PORT@/machine" \
		svc_wait_http svc_launch_journal_gatewayd \
		svc_is_journal_gatewayd || return 1
	SVC_JG_PORT=$SVC_PORT
	SVC_JG_URL=http://127.0.0.1:$SVC_PORT
}

# SIGTERM, up to 10 s of polling, then SIGKILL; only our own PIDs.
# Safe under set -e: it runs from EXIT traps, where a failing command
# would end the shell before the other services were stopped.
svc_stop() {
	local name=$1 pid i
	pid=${SVC_PID[$name]:-}
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < 200; i++)); do
		if svc_gone "$pid"; then
			break
		fi
		sleep "$SVC_POLL"
	done
	if ! svc_gone "$pid"; then
		svc_log "$name ignored SIGTERM, killing"
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || true
	unset "SVC_PID[$name]"
}

svc_stop_all() {
	local i
	for ((i = ${#SVC_ORDER[@]} - 1; i >= 0; i--)); do
		svc_stop "${SVC_ORDER[$i]}"
	done
	SVC_ORDER=()
	if [ -n "${SVC_MADE_DIR:-}" ] && [ "${SVC_KEEP:-0}" != 1 ]; then
		rm -rf "$SVC_DIR"
		unset SVC_DIR SVC_MADE_DIR
	fi
	return 0
}

svc_scrape_value() {
	curl -sf --max-time 5 "$1" | awk -v name="$2" -v want="${3:-}" '
	BEGIN { n = want == "" ? 0 : split(want, w, /,/) }
	index($0, name "{") == 1 || index($0, name " ") == 1 {
		rest = substr($0, length(name) + 1)
		lb = ""
		if (substr(rest, 1, 1) == "{") {
			e = index(rest, "} ")
			lb = substr(rest, 2, e - 2)
			rest = substr(rest, e + 1)
		}
		for (i = 1; i <= n; i++)
			if (index("," lb ",", "," w[i] ",") == 0)
				next
		hits++
		split(rest, f, " ")
		v = f[1]
	}
	END {
		if (hits == 1) { print v; exit 0 }
		printf "services: %d samples of %s{%s}\n", hits, name, want \
		    > "/dev/stderr"
		exit 1
	}'
}

svc_prom_query() {
	curl -sf --max-time 5 "$SVC_PROM_URL/api/v1/query" \
		--data-urlencode "query=$1" | jq -c '.data.result'
}

svc_prom_wait() {
	local expr=$1 test=$2 secs=${3:-20} end out
	end=$((SECONDS + secs + 1))
	while ((SECONDS < end)); do
		out=$(svc_prom_query "$expr" 2>/dev/null)
		if [ -n "$out" ] && jq -e "$test" >/dev/null 2>&1 <<<"$out"
		then
			echo "$out"
			return 0
		fi
		sleep 0.2
	done
	svc_log "prometheus: '$expr' never met '$test' (last: ${out:-none})"
	return 1
}
