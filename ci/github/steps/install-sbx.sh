#!/bin/sh
# ci/github/steps/install-sbx.sh: build sbx from SBX_SOURCE (default the
# workspace) and install it under SBX_PREFIX (default RUNNER_TEMP/sbx);
# later steps find the tools through GITHUB_PATH.
set -eu
src=${SBX_SOURCE:-.}
prefix=${SBX_PREFIX:-${RUNNER_TEMP:?}/sbx}

make -C "$src" -j"$(nproc)" install PREFIX="$prefix" >"$prefix.log" 2>&1 || {
	tail -n 30 "$prefix.log" >&2
	echo "install-sbx: make install failed (log above)" >&2
	exit 1
}
[ -x "$prefix/bin/sbx-sign" ] && [ -x "$prefix/bin/sbx-verify" ]
echo "install-sbx: sbx installed in $prefix"
echo "$prefix/bin" >>"${GITHUB_PATH:?}"
