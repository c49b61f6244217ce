#!/usr/bin/env bash
# Each policy rule that applies to a JAR signature, accepting and
# rejecting, with the reason asserted; audit mode; --check-policy.
. "$(dirname "$0")/lib/common.sh"
cd "$WORK"

sh "$TOP/tests/java/build.sh" "$WORK/java" >/dev/null
AGENT=$WORK/java/agent.jar		# Implementation-Version: 1.2.0
sbx-keyring generate --key a.key --cert a.crt --subject CN=a --no-passphrase >/dev/null
sbx-keyring generate --key b.key --cert b.crt --subject CN=b --no-passphrase >/dev/null
sbx-keyring generate --key s.key --cert s.crt --subject CN=small --bits 2048 \
	--no-passphrase >/dev/null
sbx-keyring init keyring.json >/dev/null
sbx-keyring add keyring.json --cert a.crt --name team-a >/dev/null
sbx-keyring add keyring.json --cert b.crt --name team-b >/dev/null
sbx-keyring add keyring.json --cert s.crt --name small >/dev/null
cp "$AGENT" acme-agent-1.jar
sbx-sign --key a.key --cert a.crt --no-passphrase --no-provenance -q acme-agent-1.jar
cp "$AGENT" other.jar
sbx-sign --key b.key --cert b.crt --no-passphrase --no-provenance -q other.jar
cp "$AGENT" small.jar
sbx-sign --key s.key --cert s.crt --no-passphrase --no-provenance -q small.jar

policy() {		# policy FILE JSON-FIELDS
	printf '{"keyring": "keyring.json"%s}\n' "${2:+, $2}" >"$1"
}

# --- min_rsa_bits --------------------------------------------------------------
policy p.json ''
expect 1 "default minimum refuses RSA-2048" sbx-verify --policy p.json small.jar
contains "weak algorithm" "$out" "weak_algorithm: META-INF/SIGNER.RSA: RSA key of 2048 bits is below the policy's minimum of 4096"
policy p.json '"min_rsa_bits": 2048'
expect 0 "min_rsa_bits 2048 accepts RSA-2048" sbx-verify --policy p.json small.jar

# --- digests -------------------------------------------------------------------
policy p.json '"digests": ["sha512"]'
expect 1 "SHA-256 refused when only SHA-512 is allowed" sbx-verify --policy p.json acme-agent-1.jar
contains "digest not allowed" "$out" "weak_algorithm"
policy p.json '"digests": ["sha256"]'
expect 0 "SHA-256 allowed" sbx-verify --policy p.json acme-agent-1.jar

# --- signature_algorithms ----------------------------------------------------------
policy p.json '"signature_algorithms": ["rsa-pss"]'
expect 1 "PKCS#1 v1.5 refused when only PSS is allowed" sbx-verify --policy p.json acme-agent-1.jar
contains "scheme named" "$out" "RSA PKCS#1 v1.5 is not allowed"
policy p.json '"signature_algorithms": ["rsa-pkcs1"]'
expect 0 "PKCS#1 v1.5 allowed" sbx-verify --policy p.json acme-agent-1.jar

# --- signers ---------------------------------------------------------------------
policy p.json '"signers": [{"artifacts": "acme-agent-*.jar", "keys": ["team-a"]}]'
expect 0 "team-a may sign acme-agent-*" sbx-verify --policy p.json acme-agent-1.jar
cp other.jar acme-agent-2.jar
expect 1 "team-b may not sign acme-agent-*" sbx-verify --policy p.json acme-agent-2.jar
contains "names key and artifact" "$out" "untrusted_key: the policy does not let key team-b"
expect 1 "an artifact no rule names is refused" sbx-verify --policy p.json other.jar
contains "other.jar refused" "$out" "untrusted_key"

# --- versions (rollback) -------------------------------------------------------------
policy p.json '"versions": [{"artifacts": "acme-agent-*.jar", "min": "1.2.0"}]'
expect 0 "version 1.2.0 meets minimum 1.2.0" sbx-verify --policy p.json acme-agent-1.jar
policy p.json '"versions": [{"artifacts": "acme-agent-*.jar", "min": "1.10"}]'
expect 1 "version 1.2.0 is below 1.10" sbx-verify --policy p.json acme-agent-1.jar
contains "rollback named" "$out" "rollback: version 1.2.0 is below the lowest the policy accepts for acme-agent-1.jar (1.10)"

# --- mode ------------------------------------------------------------------------------
cp acme-agent-1.jar tampered.jar
python3 "$TOP/tests/e2e/lib/jarsurgery.py" flip acme-agent-1.jar tampered.jar \
	org/sbx/testagent/Helper.class
policy p.json '"mode": "audit"'
expect 0 "audit mode: a rejection exits 0" sbx-verify --policy p.json tampered.jar
contains "verdict says audited" "$out" "tampered.jar: audited: digest_mismatch"
expect 0 "audit mode json" sbx-verify --policy p.json --json tampered.jar
contains "json audited" "$out" '"verdict":"audited"'
policy p.json '"mode": "enforce"'
expect 1 "enforce mode: the same JAR is rejected" sbx-verify --policy p.json tampered.jar

# --- the examples and --check-policy ------------------------------------------------------
for ex in "$TOP"/policy/examples/*.json; do
	sed 's#"keyring": *"[^"]*"#"keyring": "'"$WORK"'/keyring.json"#' "$ex" >ex.json
	expect 0 "example $(basename "$ex") is valid" sbx-verify --check-policy ex.json
done
printf '{"keyring": "keyring.json",\n  "mdoe": "audit"}\n' >bad.json
expect 2 "unknown key is a configuration error" sbx-verify --check-policy bad.json
contains "file, line, column, field" "$errout" "bad.json:2:3: mdoe"
expect 2 "a bad policy stops verification" sbx-verify --policy bad.json acme-agent-1.jar
printf '{"keyring": "nosuch.json"}\n' >nokr.json
expect 3 "a missing keyring is unreadable input" sbx-verify --check-policy nokr.json

finish
