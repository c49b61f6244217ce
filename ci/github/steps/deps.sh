#!/bin/sh
# ci/github/steps/deps.sh: install the Debian/Ubuntu packages that
# building sbx and the agent JAR needs, when any is missing.
set -eu

PKGS="build-essential pkg-config git libssl-dev zlib1g-dev libdeflate-dev
libjansson-dev libarchive-dev libgit2-dev libcurl4-openssl-dev
openjdk-17-jdk-headless"

missing=""
for p in $PKGS; do
	case $(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true) in
	*"install ok installed"*) ;;
	*) missing="$missing $p" ;;
	esac
done
if [ -z "$missing" ]; then
	echo "deps: all present"
	exit 0
fi
echo "deps: installing:$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing
