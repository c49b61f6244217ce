# Sourced by the end-to-end scripts: a scratch folder, the tools, and
# assertions that name what failed.
set -eu

SBX_BIN=${SBX_BIN:-$(cd "$(dirname "$0")/../.." && pwd)/bin}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
PATH=$SBX_BIN:$PATH
WORK=$(mktemp -d "${TMPDIR:-/tmp}/sbx-e2e.XXXXXX")
FAILS=0
CHECKS=0
cleanup_hooks=""

at_exit() {
	for h in $cleanup_hooks; do "$h" || true; done
	rm -rf "$WORK"
}
trap at_exit EXIT

on_exit() {
	cleanup_hooks="$1 $cleanup_hooks"
}

fail() {
	echo "FAIL: $*" >&2
	FAILS=$((FAILS + 1))
}

ok() {
	CHECKS=$((CHECKS + 1))
	[ -n "${VERBOSE:-}" ] && echo "ok: $*"
	return 0
}

# run CMD...: runs it, keeping status in $st, output in $out and $errout.
run() {
	set +e
	"$@" >"$WORK/.out" 2>"$WORK/.err"
	st=$?
	set -e
	out=$(cat "$WORK/.out")
	errout=$(cat "$WORK/.err")
}

# expect STATUS DESCRIPTION CMD...
expect() {
	want=$1 what=$2
	shift 2
	run "$@"
	if [ "$st" -ne "$want" ]; then
		fail "$what: exit $st, wanted $want"
		printf '  stdout: %s\n  stderr: %s\n' "$out" "$errout" >&2
		return 0
	fi
	ok "$what"
}

# refused DESCRIPTION CMD...: the command must fail (any non-zero status).
refused() {
	what=$1
	shift
	run "$@"
	if [ "$st" -eq 0 ]; then
		fail "$what: exit 0, wanted a failure"
		return 0
	fi
	ok "$what"
}

# contains DESCRIPTION TEXT NEEDLE
contains() {
	case "$2" in
	*"$3"*) ok "$1" ;;
	*) fail "$1: '$3' not in: $2" ;;
	esac
}

finish() {
	if [ "$FAILS" -ne 0 ]; then
		echo "$(basename "$0"): $FAILS of $((CHECKS + FAILS)) checks failed" >&2
		exit 1
	fi
	echo "$(basename "$0"): all $CHECKS checks passed"
}
