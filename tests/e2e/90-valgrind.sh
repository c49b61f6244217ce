#!/usr/bin/env bash
# The tools under valgrind: no invalid reads or writes, no use of
# uninitialised memory, no leaks, on the main paths (accept and refuse).
. "$(dirname "$0")/lib/common.sh"
cd "$WORK"

VG="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect"
sh "$TOP/tests/java/build.sh" "$WORK/java" >/dev/null
sbx-keyring generate --key k.key --cert k.crt --subject CN=vg --bits 2048 \
	--no-passphrase >/dev/null
sbx-keyring init kr.json >/dev/null
sbx-keyring add kr.json --cert k.crt --name vg >/dev/null
printf '{"keyring": "kr.json", "min_rsa_bits": 2048, "audit": {"file": "a.jsonl"}}\n' >p.json

expect 0 "sbx-sign under valgrind" $VG sbx-sign --key k.key --cert k.crt \
	--no-passphrase --policy p.json -o s.jar "$WORK/java/agent.jar"
expect 0 "sbx-verify accepting, under valgrind" $VG sbx-verify --policy p.json s.jar
python3 "$TOP/tests/e2e/lib/jarsurgery.py" flip s.jar t.jar \
	org/sbx/testagent/Helper.class
expect 1 "sbx-verify refusing, under valgrind" $VG sbx-verify --policy p.json \
	--json t.jar
contains "refused for the right reason" "$out" "digest_mismatch"
expect 1 "sbx-verify on an unsigned JAR, under valgrind" $VG sbx-verify \
	--keyring kr.json "$WORK/java/agent.jar"
expect 0 "sbx-keyring list under valgrind" $VG sbx-keyring list kr.json --json
expect 0 "sbx-audit verify under valgrind" $VG sbx-audit verify a.jsonl
expect 0 "sbx-audit report under valgrind" $VG sbx-audit report a.jsonl --json

finish
