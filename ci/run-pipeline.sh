#!/bin/sh
# ci/run-pipeline.sh: run the sign-agent workflow (or the composite
# action) on this machine with the environment GitHub Actions gives a
# job: GITHUB_* and RUNNER_* variables, the secrets as environment
# variables, GITHUB_OUTPUT/ENV/PATH files. The steps are read from the
# workflow file itself by ci/github/local-runner.py, so what runs here is
# what runs there, step for step.
#
# usage: ci/run-pipeline.sh [--workflow FILE [--job NAME] | --action FILE]
#            [--workspace DIR] [--keyring FILE] [--work DIR]
#
#   --workflow FILE  default ci/github/sign-agent.yml; its checkout step
#                    clones this repository at GITHUB_SHA into WORK
#   --action FILE    run a composite action (ci/action.yml) instead; its
#                    inputs come from INPUT_<NAME> variables, as GitHub
#                    passes them, and it works in --workspace
#   --workspace DIR  use DIR as GITHUB_WORKSPACE instead of a clone
#   --keyring FILE   copy FILE to ci/github/keyring.json in the workspace,
#                    the keyring the workflow's policy names (a real
#                    repository commits its own)
#   --work DIR       keep the run here (workspace/, temp/, artifacts/,
#                    raw.log); default a new folder, printed at the end
#
# Secrets, from the environment: SBX_SIGNING_KEY (PEM private key),
# SBX_SIGNING_PASSPHRASE, SBX_SIGNING_CERT (PEM certificate). GITHUB_*
# values already set are kept; the others get local defaults.
# Exit status: the first failing step's, 2 for a usage error.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
workflow=""
action=""
job=""
workspace=""
keyring=""
work=""

usage() {
	sed -n '9,21p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case $1 in
	--workflow) workflow=${2:?}; shift 2 ;;
	--action) action=${2:?}; shift 2 ;;
	--job) job=${2:?}; shift 2 ;;
	--workspace) workspace=${2:?}; shift 2 ;;
	--keyring) keyring=${2:?}; shift 2 ;;
	--work) work=${2:?}; shift 2 ;;
	*) usage ;;
	esac
done
[ -n "$workflow" ] && [ -n "$action" ] && usage
[ -z "$workflow" ] && [ -z "$action" ] && workflow=$top/ci/github/sign-agent.yml
[ -n "$action" ] && [ -z "$workspace" ] && {
	echo "run-pipeline: --action needs --workspace" >&2
	exit 2
}

abs() { (cd "$(dirname "$1")" && printf '%s/%s\n' "$(pwd)" "$(basename "$1")"); }

if [ -z "$work" ]; then
	work=$(mktemp -d "${TMPDIR:-/tmp}/sbx-pipeline.XXXXXX")
else
	mkdir -p "$work"
fi
work=$(cd "$work" && pwd)
mkdir -p "$work/temp" "$work/artifacts"

source_repo=""
if [ -z "$workspace" ]; then
	workspace=$work/workspace
	source_repo=$top
	[ -e "$workspace" ] && {
		echo "run-pipeline: $workspace exists; use a new --work" >&2
		exit 2
	}
else
	workspace=$(cd "$workspace" && pwd)
fi
commit_of=${source_repo:-$workspace}

# What GitHub sets for a push to main; anything already set is kept.
: "${GITHUB_SERVER_URL:=https://github.com}"
: "${GITHUB_REPOSITORY:=sbx-project/sbx}"
: "${GITHUB_REF:=refs/heads/main}"
: "${GITHUB_SHA:=$(git -C "$commit_of" rev-parse HEAD)}"
: "${GITHUB_RUN_ID:=$(date +%s)}"
: "${GITHUB_RUN_ATTEMPT:=1}"
: "${GITHUB_EVENT_NAME:=push}"
: "${GITHUB_WORKFLOW_REF:=$GITHUB_REPOSITORY/.github/workflows/$(basename "${workflow:-sign-agent.yml}")@$GITHUB_REF}"
export GITHUB_ACTIONS=true CI=true GITHUB_SERVER_URL GITHUB_REPOSITORY \
	GITHUB_REF GITHUB_SHA GITHUB_RUN_ID GITHUB_RUN_ATTEMPT \
	GITHUB_EVENT_NAME GITHUB_WORKFLOW_REF
export GITHUB_REPOSITORY_OWNER="${GITHUB_REPOSITORY%%/*}"
export GITHUB_REF_NAME="${GITHUB_REF##*/}"
export GITHUB_WORKFLOW="${GITHUB_WORKFLOW:-sign-agent}"
export GITHUB_RUN_NUMBER="${GITHUB_RUN_NUMBER:-1}"
export GITHUB_ACTOR="${GITHUB_ACTOR:-$(id -un)}"
export GITHUB_JOB="${job:-sign}"
export GITHUB_WORKSPACE="$workspace"
export RUNNER_TEMP="$work/temp" RUNNER_OS=Linux RUNNER_ARCH=X64
export RUNNER_ENVIRONMENT="${RUNNER_ENVIRONMENT:-self-hosted}"
if [ -n "$action" ]; then
	action=$(abs "$action")
	GITHUB_ACTION_PATH=$(dirname "$action")
	export GITHUB_ACTION_PATH
fi

set -- --workspace "$workspace" --work "$work" \
	--secret SBX_SIGNING_KEY --secret SBX_SIGNING_PASSPHRASE \
	--secret SBX_SIGNING_CERT
if [ -n "$action" ]; then
	set -- "$@" --action "$action"
else
	set -- "$@" --workflow "$(abs "$workflow")"
	[ -n "$job" ] && set -- "$@" --job "$job"
	[ -n "$source_repo" ] && set -- "$@" --source "$source_repo"
fi

# The keyring is one more file of the repository: put in after checkout.
if [ -n "$keyring" ]; then
	set -- "$@" --add "$(abs "$keyring")=ci/github/keyring.json"
fi

status=0
python3 "$top/ci/github/local-runner.py" "$@" || status=$?
echo "run-pipeline: $work (exit $status)"
exit "$status"
