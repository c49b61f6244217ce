#!/bin/sh
# ci/github/steps/sign.sh: sign SBX_ARTIFACT with sbx-sign: a JAR gets
# its JAR signature, every artifact its provenance (NAME.intoto.jsonl)
# from the GitHub context and the workspace's git commit; outputs
# provenance=.
#
# The key (SBX_SIGNING_KEY, PEM), its passphrase (SBX_SIGNING_PASSPHRASE;
# empty for a key that is not encrypted) and the certificate
# (SBX_SIGNING_CERT, optional) come from secrets through the environment.
# They are written with printf, a shell builtin, so never through a
# process's argv, to 0600 files in a 0700 folder under RUNNER_TEMP, and
# removed when the script ends however it ends. sbx-sign is given the
# file names only, and runs without the secrets in its environment.
set -eu
set +x

fail() {
	echo "sign: $*" >&2
	exit 2
}

[ -n "${SBX_ARTIFACT:-}" ] || fail "SBX_ARTIFACT names no file"
[ -f "$SBX_ARTIFACT" ] || fail "$SBX_ARTIFACT: no such file"
[ -n "${SBX_SIGNING_KEY:-}" ] ||
	fail "SBX_SIGNING_KEY is empty: set the repository secret"

umask 077
dir=$(mktemp -d "${RUNNER_TEMP:-${TMPDIR:-/tmp}}/sbx-sign.XXXXXX")
trap 'rm -rf "$dir"' EXIT
trap 'exit 1' HUP INT TERM

printf '%s\n' "$SBX_SIGNING_KEY" >"$dir/key.pem"
set -- --key "$dir/key.pem"
if [ -n "${SBX_SIGNING_PASSPHRASE:-}" ]; then
	printf '%s' "$SBX_SIGNING_PASSPHRASE" >"$dir/passphrase"
	set -- "$@" --passphrase-file "$dir/passphrase"
else
	set -- "$@" --no-passphrase
fi
if [ -n "${SBX_SIGNING_CERT:-}" ]; then
	printf '%s\n' "$SBX_SIGNING_CERT" >"$dir/cert.pem"
	set -- "$@" --cert "$dir/cert.pem"
fi
unset SBX_SIGNING_KEY SBX_SIGNING_PASSPHRASE SBX_SIGNING_CERT

sbx-sign "$@" --source "${GITHUB_WORKSPACE:-.}" "$SBX_ARTIFACT"

prov=$SBX_ARTIFACT.intoto.jsonl
[ -s "$prov" ] || fail "$prov was not written"
if [ -n "${GITHUB_OUTPUT:-}" ]; then
	echo "provenance=$prov" >>"$GITHUB_OUTPUT"
fi
