#!/bin/sh
# Install every Debian package that sbx's build, tests and demo need.
# Does nothing when all are present; needs root (or sudo) otherwise.
set -eu

PKGS="build-essential clang pkg-config libssl-dev openssl zlib1g-dev
libdeflate-dev libjansson-dev libarchive-dev libgit2-dev
libcurl4-openssl-dev check valgrind openjdk-17-jdk-headless
libjacoco-java libaspectj-java libbyte-buddy-java unzip zip jq
python3 python3-securesystemslib softhsm2 opensc
libengine-pkcs11-openssl prometheus prometheus-pushgateway
prometheus-node-exporter systemd-journal-remote rsyslog nodejs
hyperfine git curl mandoc iproute2 time xz-utils util-linux
systemd libclang-rt-14-dev"

missing=""
for p in $PKGS; do
	s=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$s" in
	*"install ok installed"*) ;;
	*) missing="$missing $p" ;;
	esac
done
[ -z "$missing" ] && exit 0

echo "install-deps: installing:$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
# Try without a fresh index first: it is quick when the cache is warm.
# shellcheck disable=SC2086
if ! $SUDO apt-get install -y -q --no-install-recommends $missing \
    >/tmp/sbx-apt.log 2>&1; then
	$SUDO apt-get update -q >>/tmp/sbx-apt.log 2>&1
	# shellcheck disable=SC2086
	$SUDO apt-get install -y -q --no-install-recommends $missing \
	    >>/tmp/sbx-apt.log 2>&1 || {
		tail -n 20 /tmp/sbx-apt.log >&2
		echo "install-deps: apt-get failed (log: /tmp/sbx-apt.log)" >&2
		exit 1
	}
fi
