#!/bin/sh
# ci/github/steps/verify.sh: check the policy, then verify SBX_ARTIFACT
# (JAR signature and provenance) against SBX_POLICY with sbx-verify; the
# verdict also goes to the job summary.
set -eu
: "${SBX_ARTIFACT:?SBX_ARTIFACT names the file to verify}"
: "${SBX_POLICY:?SBX_POLICY names the policy}"

sbx-verify --check-policy "$SBX_POLICY"
[ -s "$SBX_ARTIFACT.intoto.jsonl" ] || {
	echo "verify: $SBX_ARTIFACT.intoto.jsonl is missing" >&2
	exit 1
}
status=0
verdict=$(sbx-verify --policy "$SBX_POLICY" "$SBX_ARTIFACT") || status=$?
echo "$verdict"
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
	fence='```'
	printf '### sbx-verify\n\n%s\n%s\n%s\n' "$fence" "$verdict" "$fence" \
	    >>"$GITHUB_STEP_SUMMARY"
fi
exit "$status"
