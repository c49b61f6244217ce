#!/bin/sh
# ci/deploy/sbx-deploy.sh: deploy a Java agent (a JAR or a bundle) from
# an HTTPS URL: sbx-verify downloads it beside DEST, verifies it (and its
# URL.intoto.jsonl) against the policy, and only then puts it in place;
# then an optional command runs (a service restart, say).
#
# usage: sbx-deploy.sh --url URL --dest DEST --policy POLICY
#            [--ca-file FILE] [--timeout S] [--retries N] [--max-size N]
#            [--then COMMAND] [-q]
#
# Exit status, for the deploy tool that calls it:
#   0   installed (and the --then command succeeded)
#   10  refused: the artifact failed verification or the policy denied
#       it. DEST is unchanged. Do not retry; someone must look.
#   20  configuration: bad options, or a policy or keyring that cannot be
#       used. DEST is unchanged. Fix the configuration.
#   30  could not fetch or write (network, HTTP error, timeout, disk).
#       DEST is unchanged. Retrying later may help.
#   40  installed, but the --then command failed.
# One line on stderr says why ("sbx-deploy: refused: ..."). The command
# of --then runs with sh -c, with SBX_DEPLOY_DEST and SBX_DEPLOY_URL set.
# SBX_VERIFY names the sbx-verify to use (default: the one on PATH).
set -u

prog=sbx-deploy
url=""
dest=""
policy=""
then_cmd=""
quiet=""

usage() {
	sed -n '7,9p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 20
}

say() {
	[ -n "$quiet" ] || printf '%s: %s\n' "$prog" "$*"
}

die() {
	code=$1
	shift
	printf '%s: %s\n' "$prog" "$*" >&2
	exit "$code"
}

# Download options are handed to sbx-verify as they are.
set -- "$@" --
while [ "$1" != -- ]; do
	case $1 in
	--url) url=${2-}; shift 2 || usage ;;
	--dest) dest=${2-}; shift 2 || usage ;;
	--policy) policy=${2-}; shift 2 || usage ;;
	--then) then_cmd=${2-}; shift 2 || usage ;;
	--ca-file|--timeout|--retries|--max-size)
		[ $# -ge 3 ] || usage
		set -- "$@" "$1" "$2"
		shift 2 ;;
	-q) quiet=1; shift ;;
	*) usage ;;
	esac
done
shift
if [ -z "$url" ] || [ -z "$dest" ] || [ -z "$policy" ]; then
	usage
fi

verify=${SBX_VERIFY:-sbx-verify}
command -v "$verify" >/dev/null 2>&1 ||
	die 20 "config: $verify: not found (set SBX_VERIFY)"
first() { head -n 1 | sed 's/^sbx-verify: //'; }
reason=$("$verify" -q --check-policy "$policy" 2>&1) ||
	die 20 "config: $(printf '%s\n' "$reason" | first)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sbx-deploy.XXXXXX") ||
	die 30 "cannot make a temporary folder"
trap 'rm -rf "$tmp"' EXIT
out=$tmp/out
err=$tmp/err
trap 'exit 30' HUP INT TERM

"$verify" -q --policy "$policy" --fetch "$url" --install "$dest" "$@" \
	>"$out" 2>"$err"
st=$?
# stderr says why an artifact could not be fetched or checked; the
# verdict line on stdout why one was refused.
case $st in
0) ;;
1) die 10 "refused: $(first <"$out")" ;;
2) die 20 "config: $(cat "$err" "$out" | first)" ;;
*) die 30 "fetch failed: $(cat "$err" "$out" | first)" ;;
esac
say "installed $dest from $url"

[ -n "$then_cmd" ] || exit 0
SBX_DEPLOY_DEST=$dest SBX_DEPLOY_URL=$url sh -c "$then_cmd" ||
	die 40 "installed $dest, but --then failed (exit $?)"
exit 0
