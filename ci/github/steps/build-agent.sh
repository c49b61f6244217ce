#!/bin/sh
# ci/github/steps/build-agent.sh: build the test agent JAR (tests/java)
# and put it at dist/AGENT_NAME.jar; outputs jar= and name=.
set -eu
name=${AGENT_NAME:-sbx-test-agent}
out=${RUNNER_TEMP:?}/agent-build

sh tests/java/build.sh "$out" >/dev/null
mkdir -p dist
cp "$out/agent.jar" "dist/$name.jar"
echo "build-agent: dist/$name.jar"
{
	echo "jar=dist/$name.jar"
	echo "name=$name"
} >>"${GITHUB_OUTPUT:?}"
