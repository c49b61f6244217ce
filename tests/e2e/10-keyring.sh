#!/usr/bin/env bash
# sbx-keyring end to end: keys that stay private, a keyring that says
# what it trusts, and each documented exit status.
. "$(dirname "$0")/lib/common.sh"
cd "$WORK"

PASS='correct horse battery staple'
printf '%s\n' "$PASS" >pass
printf 'not the passphrase\n' >wrong
chmod 600 pass wrong
KEYS=$TOP/tests/data/keys

keyid() {	# keyid KEY PASSFILE: as openssl names it
	openssl pkey -in "$1" -passin "file:$2" -pubout -outform DER |
	    sha256sum | cut -d' ' -f1
}

# --- usage: exit 2 ----------------------------------------------------------
expect 2 "no command" sbx-keyring
contains "usage printed" "$errout" "usage: sbx-keyring generate"
expect 2 "unknown command" sbx-keyring frobnicate
contains "names the command" "$errout" \
	"sbx-keyring: 'frobnicate' is not a command"
expect 2 "generate without a passphrase option" sbx-keyring generate \
	--key n.key --cert n.crt --subject CN=n
contains "says which options" "$errout" "sbx-keyring: generate: \
--passphrase-file is required (or another passphrase option)"
expect 2 "two passphrase options" sbx-keyring generate --key n.key \
	--cert n.crt --subject CN=n --passphrase-file pass --no-passphrase
contains "only one" "$errout" "give only one of --passphrase-file"
expect 2 "1024-bit key refused" sbx-keyring generate --key n.key \
	--cert n.crt --subject CN=n --bits 1024 --passphrase-file pass
contains "names the bound" "$errout" \
	"sbx-keyring: --bits: '1024' is not a whole number from 2048 to 16384"
expect 2 "bad subject" sbx-keyring generate --key n.key --cert n.crt \
	--subject "CN" --bits 2048 --passphrase-file pass
contains "names the subject" "$errout" "subject 'CN': 'CN' is not TYPE=value"
expect 2 "option of another command" sbx-keyring init k.json --bits 2048
contains "does not apply" "$errout" "init: --bits does not apply"
expect 2 "missing operand" sbx-keyring list
expect 2 "unset passphrase variable" sbx-keyring generate --key n.key \
	--cert n.crt --subject CN=n --bits 2048 --passphrase-env SBX_E2E_UNSET
contains "names the variable" "$errout" \
	"environment variable SBX_E2E_UNSET is not set"
expect 0 "nothing written by refused commands" test ! -e n.key
expect 0 "--help is not an error" sbx-keyring --help

# --- generate: RSA-4096 by default, encrypted, 0600 ---------------------------
expect 0 "generate a key" sbx-keyring generate --key a.key --cert a.crt \
	--subject "CN=sbx release A,O=sbx tests" --passphrase-file pass
contains "prints the key id" "$out" "key $(keyid a.key pass): RSA-4096"
expect 0 "key file mode is 0600" test "$(stat -c %a a.key)" = 600
expect 0 "certificate mode is 0644" test "$(stat -c %a a.crt)" = 644
expect 0 "key is encrypted PKCS#8" grep -q \
	'^-----BEGIN ENCRYPTED PRIVATE KEY-----$' a.key
expect 0 "openssl opens it with the passphrase" \
	openssl pkey -in a.key -passin file:pass -noout
expect 1 "openssl refuses a wrong passphrase" \
	openssl pkey -in a.key -passin file:wrong -noout
expect 0 "4096 bits" sh -c "openssl pkey -in a.key -passin file:pass \
	-text -noout | grep -q '(4096 bit'"
run grep -c "$PASS" a.key a.crt
contains "passphrase not in the files" "$out" $'a.key:0\na.crt:0'
run openssl x509 -in a.crt -noout -ext keyUsage,extendedKeyUsage
contains "critical key usage" "$out" "X509v3 Key Usage: critical"
contains "digitalSignature" "$out" "Digital Signature"
contains "codeSigning" "$out" "Code Signing"
nb=$(date -d "$(openssl x509 -in a.crt -noout -startdate | cut -d= -f2)" +%s)
na=$(date -d "$(openssl x509 -in a.crt -noout -enddate | cut -d= -f2)" +%s)
expect 0 "730 days by default" test $((na - nb)) -eq $((730 * 86400))
expect 0 "certificate matches the key" test \
	"$(openssl x509 -in a.crt -noout -pubkey | openssl pkey -pubin \
	-outform DER | sha256sum)" = \
	"$(openssl pkey -in a.key -passin file:pass -pubout -outform DER |
	sha256sum)"

sum=$(sha256sum a.key)
expect 2 "existing key not replaced" sbx-keyring generate --key a.key \
	--cert other.crt --subject CN=x --bits 2048 --passphrase-file pass
contains "says how to replace" "$errout" \
	"sbx-keyring: a.key: exists; --force replaces it"
expect 0 "key file unchanged" test "$sum" = "$(sha256sum a.key)"
expect 2 "existing certificate not replaced" sbx-keyring generate \
	--key other.key --cert a.crt --subject CN=x --bits 2048 \
	--passphrase-file pass
expect 0 "no key left beside a refused certificate" test ! -e other.key

# A wide umask must not widen the key file.
expect 0 "generate under umask 000" sh -c "umask 000; sbx-keyring \
	generate -q --key u.key --cert u.crt --subject CN=u --bits 2048 \
	--passphrase-file pass"
expect 0 "still 0600 under umask 000" test "$(stat -c %a u.key)" = 600
expect 0 "--force replaces" sbx-keyring generate -q --force --key u.key \
	--cert u.crt --subject CN=u2 --bits 2048 --no-passphrase
expect 0 "unencrypted with --no-passphrase" grep -q \
	'^-----BEGIN PRIVATE KEY-----$' u.key
expect 0 "still 0600 after --force" test "$(stat -c %a u.key)" = 600

export SBX_E2E_PASS="env secret phrase"
expect 0 "passphrase from a named variable" sbx-keyring generate -q \
	--key e.key --cert e.crt --subject CN=e --bits 2048 \
	--passphrase-env SBX_E2E_PASS
expect 0 "opens with the variable's value" \
	openssl pkey -in e.key -passin env:SBX_E2E_PASS -noout
unset SBX_E2E_PASS

# The passphrase never reaches argv: while sbx-keyring waits for it on a
# FIFO, its command line is what any user of the host could read.
mkfifo fifo
sbx-keyring generate -q --key f.key --cert f.crt --subject CN=f \
	--bits 2048 --passphrase-file fifo 2>f.err &
pid=$!
for _ in 1 2 3 4 5 6 7 8 9 10; do
	[ -r "/proc/$pid/cmdline" ] && grep -q fifo "/proc/$pid/cmdline" &&
	    break
	sleep 0.1
done
cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" || true)
contains "command line names the source" "$cmdline" "--passphrase-file fifo"
case "$cmdline" in
*"fifo phrase"*) fail "passphrase in /proc/$pid/cmdline" ;;
*) ok "passphrase not in /proc/$pid/cmdline" ;;
esac
timeout 10 sh -c "printf 'fifo phrase\n' >fifo" || true
wait "$pid" && st=0 || st=$?
expect 0 "key from a FIFO passphrase" test "$st" -eq 0
printf 'fifo phrase\n' >fifo.pass
expect 0 "opens with the FIFO's passphrase" \
	openssl pkey -in f.key -passin file:fifo.pass -noout

expect 0 "passphrase from a descriptor" sh -c "printf 'fd phrase' | \
	sbx-keyring generate -q --key d.key --cert d.crt --subject CN=d \
	--bits 2048 --passphrase-fd 0"
printf 'fd phrase' >d.pass
expect 0 "opens with the descriptor's passphrase" \
	openssl pkey -in d.key -passin file:d.pass -noout
expect 3 "unreadable passphrase file" sbx-keyring generate --key n.key \
	--cert n.crt --subject CN=n --bits 2048 --passphrase-file nosuch
contains "names the file" "$errout" "sbx-keyring: nosuch: No such file"
expect 3 "key folder missing" sbx-keyring generate --key nodir/n.key \
	--cert n.crt --subject CN=n --bits 2048 --passphrase-file pass

# --- selfsign: certificates for keys that already exist ---------------------
expect 0 "selfsign a PEM key" sbx-keyring selfsign --key a.key \
	--cert a2.crt --subject CN=again --days 10 --passphrase-file pass
expect 0 "same key as generate's" test \
	"$(openssl x509 -in a2.crt -noout -pubkey | sha256sum)" = \
	"$(openssl x509 -in a.crt -noout -pubkey | sha256sum)"
expect 2 "selfsign with a wrong passphrase" sbx-keyring selfsign \
	--key a.key --cert a3.crt --subject CN=x --passphrase-file wrong
contains "names the key file" "$errout" \
	"sbx-keyring: a.key: cannot decrypt the private key: wrong passphrase?"
case "$errout" in
*"not the passphrase"*) fail "wrong passphrase printed" ;;
*) ok "wrong passphrase not printed" ;;
esac
printf 'keytool-store-pass\n' >store.pass
expect 0 "selfsign a keytool keystore entry" sbx-keyring selfsign \
	--key "pkcs12:$KEYS/keytool.p12" --key-alias sbxsigner --cert k.crt \
	--subject CN=keytool --passphrase-file store.pass
contains "keytool key id" "$out" "key $(cat "$KEYS/keytool.keyid"):"
expect 2 "PIN in a pkcs11 URI refused" sbx-keyring selfsign \
	--key "pkcs11:token=x;object=y;pin-value=1234" --cert p.crt \
	--subject CN=p --no-passphrase
contains "says why" "$errout" "--key: a pin-value in the URI would show"

# --- init, add, list --------------------------------------------------------
expect 0 "init" sbx-keyring init keyring.json
expect 2 "init refuses an existing file" sbx-keyring init keyring.json
contains "names the file" "$errout" \
	"sbx-keyring: keyring.json: exists, not replaced"
expect 3 "init in a missing folder" sbx-keyring init nodir/k.json
expect 0 "empty keyring lists" sbx-keyring list keyring.json --json
expect 0 "empty keyring has no keys" \
	test "$(echo "$out" | jq '.keys | length')" = 0

expect 0 "add" sbx-keyring add keyring.json --cert a.crt --name release-a
ID=$(keyid a.key pass)
contains "prints id, name and roles" "$out" \
	"keyring.json: added key $ID as release-a for jar,provenance"
expect 2 "add the same key again" sbx-keyring add keyring.json \
	--cert a2.crt --name again
contains "names the key" "$errout" \
	"sbx-keyring: keyring.json: key $ID is already in the keyring as"
expect 2 "add with an unknown role" sbx-keyring add keyring.json \
	--cert e.crt --name e --role jar,admin
contains "names the role" "$errout" "--role: role 'admin' is unknown"
expect 2 "add a certificate that cannot sign code" sbx-keyring add \
	keyring.json --cert "$KEYS/nosign.crt" --name nosign --role jar
contains "says why" "$errout" "has a key usage without digitalSignature"
expect 2 "add a key file as certificate" sbx-keyring add keyring.json \
	--cert u.key --name u
contains "names the file" "$errout" "sbx-keyring: u.key: not a certificate"
expect 3 "add a missing certificate" sbx-keyring add keyring.json \
	--cert nosuch.crt --name n
expect 3 "add to a missing keyring" sbx-keyring add nosuch.json \
	--cert e.crt --name e
expect 0 "add a provenance-only key" sbx-keyring add keyring.json \
	--cert e.crt --name prov-e --role provenance

expect 0 "list" sbx-keyring list keyring.json
contains "text lists the key" "$out" "$ID  release-a"
contains "text shows days left" "$out" "active   "
expect 0 "list --json" sbx-keyring list keyring.json --json
J=$out
expect 0 "one JSON document" test "$(echo "$J" | wc -l)" = 1
expect 0 "id from the file is openssl's" \
	test "$(echo "$J" | jq -r '.keys[0].id')" = "$ID"
expect 0 "roles" test "$(echo "$J" | jq -c '.keys[0].roles')" = \
	'["jar","provenance"]'
expect 0 "second key's roles" test "$(echo "$J" |
	jq -c '.keys[] | select(.name == "prov-e") | .roles')" = \
	'["provenance"]'
expect 0 "days left" sh -c "d=\$(echo '$J' | jq '.keys[0].days_left'); \
	[ \"\$d\" -ge 729 ] && [ \"\$d\" -le 730 ]"
expect 0 "version raised by each change" \
	test "$(echo "$J" | jq '.version')" = 3
expect 0 "status active" test "$(echo "$J" | jq -r '.keys[0].status')" = active

# --- retire, revoke ---------------------------------------------------------
expect 0 "retire by name" sbx-keyring retire keyring.json prov-e
expect 2 "retire twice" sbx-keyring retire keyring.json prov-e
contains "already retired" "$errout" "is already retired"
expect 2 "retire an unknown key" sbx-keyring retire keyring.json nobody
contains "names file and key" "$errout" \
	"sbx-keyring: keyring.json: no key with id or name 'nobody'"
expect 2 "revoke needs a reason" sbx-keyring revoke keyring.json "$ID"
contains "says so" "$errout" "revoke: --reason is required"
expect 0 "revoke by id" sbx-keyring revoke keyring.json "$ID" \
	--reason "laptop stolen"
expect 0 "list after retire and revoke" sbx-keyring list keyring.json --json
J=$out
expect 0 "revoked with reason" test "$(echo "$J" | jq -r \
	'.keys[0] | .status + ": " + .reason')" = "revoked: laptop stolen"
expect 0 "retired with a time" test "$(echo "$J" | jq -r \
	'.keys[1] | .status + " " + (.status_time | type)')" = "retired string"

# --- check: exit 1 when an active key is about to expire --------------------
expect 0 "short-lived key" sbx-keyring generate -q --key s.key --cert s.crt \
	--subject CN=short --days 10 --bits 2048 --no-passphrase
expect 0 "add it" sbx-keyring add -q keyring.json --cert s.crt --name short
expect 1 "check warns 30 days ahead" sbx-keyring check keyring.json \
	--warn-days 30
contains "lists the key" "$out" "keyring.json: key short ("
if [[ $out =~ "expires in "(9|10)" days (" ]]; then
	ok "days left"
else
	fail "days left: $out"
fi
contains "one line on stderr" "$errout" \
	"sbx-keyring: keyring.json: 1 active key expires within 30 days"
expect 0 "revoked and retired keys are not checked" sbx-keyring check \
	keyring.json --warn-days 5
expect 2 "bad --warn-days" sbx-keyring check keyring.json --warn-days soon
expect 0 "retire the short key" sbx-keyring retire -q keyring.json short
expect 0 "nothing active expires" sbx-keyring check keyring.json \
	--warn-days 30

# --- broken keyrings --------------------------------------------------------
jq '.keys[0].colour = "red"' keyring.json >bad.json
expect 2 "unknown field" sbx-keyring list bad.json
contains "names file and field" "$errout" \
	"sbx-keyring: bad.json: keys[0]: unknown field 'colour'"
jq --arg id "$(cat "$KEYS/plain.keyid")" '.keys[0].id = $id' keyring.json \
	>bad.json
expect 2 "id that is not the key's" sbx-keyring list bad.json
contains "says whose id it is" "$errout" \
	"keys[0].id: does not match the key, whose id is $ID"
printf '{\n  "type": "sbx-keyring",\n  "version": 1,,\n}\n' >bad.json
expect 2 "not JSON" sbx-keyring check bad.json --warn-days 1
contains "line and column" "$errout" "sbx-keyring: bad.json:3:16: "
expect 3 "missing keyring" sbx-keyring list nosuch.json
contains "names the file" "$errout" "sbx-keyring: nosuch.json: No such file"
cp keyring.json before.json
expect 2 "failed change" sbx-keyring retire keyring.json nobody
expect 0 "leaves the keyring as it was" cmp -s keyring.json before.json

# --- signed keyrings under a root file --------------------------------------
for n in r1 r2 r3 n1 n2 x; do
	sbx-keyring generate -q --key "$n.key" --cert "$n.crt" \
	    --subject "CN=sbx root $n" --bits 2048 --no-passphrase
done
pubid() {	# pubid KEY: the key id of an unencrypted key
	openssl pkey -in "$1" -pubout -outform DER | sha256sum | cut -d' ' -f1
}
rootsign() {	# rootsign FILE KEY [more options]
	f=$1 k=$2
	shift 2
	sbx-keyring root sign -q "$f" --key "$k.key" --no-passphrase "$@"
}
krsign() {	# krsign KEYRING KEY...: sign with each root key
	f=$1
	shift
	for k in "$@"; do
		sbx-keyring sign -q "$f" --key "$k.key" --no-passphrase \
		    --root root.json
	done
}

expect 2 "root init needs a threshold" sbx-keyring root init root.json \
	--key-cert r1.crt
contains "says which option" "$errout" \
	"sbx-keyring: root init: --threshold is required"
expect 2 "threshold above the keys" sbx-keyring root init root.json \
	--threshold 3 --key-cert r1.crt --key-cert r2.crt
contains "names the numbers" "$errout" \
	"root file: threshold 3 is more than the 2 keys listed"
expect 0 "no root file left by a refusal" test ! -e root.json
expect 2 "the same key twice" sbx-keyring root init root.json \
	--threshold 1 --key-cert r1.crt --key-cert r1.crt
contains "names the key" "$errout" "is listed twice"
expect 2 "root subcommand unknown" sbx-keyring root frob root.json
contains "names it" "$errout" "sbx-keyring: 'root frob' is not a command"
expect 0 "root init 2 of 3" sbx-keyring root init root.json --threshold 2 \
	--key-cert r1.crt --key-cert r2.crt --key-cert r3.crt --days 30
contains "says what to do next" "$out" \
	"root.json: new root file, version 1: 2 of 3 keys must sign"
expect 1 "an unsigned root file is not fit to pin" sbx-keyring root show \
	root.json
contains "says why" "$errout" "sbx-keyring: root.json: signed by 0 of the \
2 keys of root.json (root version 1) it needs"
expect 2 "a stranger's key cannot sign the root" sbx-keyring root sign \
	root.json --key x.key --no-passphrase
contains "names the key" "$errout" "key $(pubid x.key) is not a \
key of root.json"
expect 0 "first root signature" sbx-keyring root sign root.json \
	--key r1.key --no-passphrase
contains "counts" "$out" ": 1 of 2 signatures"
expect 0 "second root signature" rootsign root.json r2
expect 0 "now fit to pin" sbx-keyring root show root.json
contains "shows the threshold" "$out" "2 of 3 keys must sign, 2 valid \
signatures"

sbx-keyring init -q signed.json
sbx-keyring add -q signed.json --cert a.crt --name release-a --role jar
expect 2 "a keyring without expiry is not signed" sbx-keyring sign \
	signed.json --key r1.key --no-passphrase --root root.json
contains "says how to set one" "$errout" "sbx-keyring: signed.json: the \
keyring has no expiry, and a signed keyring must have one (sbx-keyring expire)"
expect 0 "expire in 30 days" sbx-keyring expire signed.json --days 30
contains "raises the version" "$out" "signed.json: version 3 expires at "
expect 2 "only root keys sign with --root" sbx-keyring sign signed.json \
	--key x.key --no-passphrase --root root.json
contains "names the root file" "$errout" "is not a root key of root.json"
expect 0 "one root signature" sbx-keyring sign signed.json --key r1.key \
	--no-passphrase --root root.json
contains "says how many are needed" "$out" "signed.json: version 3 signed \
by key $(pubid r1.key) (1 of the 2 signatures root.json needs)"
expect 1 "below the threshold: refused" sbx-keyring verify signed.json \
	--root root.json
contains "names the threshold" "$errout" "sbx-keyring: signed.json: signed \
by 1 of the 2 keys of root.json (root version 1) it needs"
expect 0 "nothing recorded for a refused keyring" test ! -e \
	signed.json.state
krsign signed.json r3
expect 0 "threshold met: accepted" sbx-keyring verify signed.json \
	--root root.json
contains "reports it" "$out" "signed.json: version 3 accepted: signed by 2 \
of 3 root keys (2 needed), expires at "
expect 0 "list counts the signatures" test "$(sbx-keyring list \
	signed.json --json | jq .signatures)" = 2
expect 0 "version recorded in the state file" test \
	"$(jq -r '.type + " " + (.version | tostring)' signed.json.state)" = \
	"sbx-keyring-state 3"
expect 3 "sbx-verify takes the keyring under --root" sbx-verify \
	--keyring signed.json --root root.json --state-dir . nosuch.jar
contains "and goes on to the file" "$errout" "sbx-verify: nosuch.jar: "
cp signed.json v3.json

# One byte: release-a becomes release-b. Still a keyring, not the one signed.
sed 's/"release-a"/"release-b"/' signed.json >tampered.json
expect 0 "the tampered keyring still parses" sbx-keyring list tampered.json
expect 1 "tampered keyring refused" sbx-keyring verify tampered.json \
	--root root.json
contains "no signature verifies" "$errout" "sbx-keyring: tampered.json: \
signed by 0 of the 2 keys of root.json (root version 1) it needs; the \
signature by $(pubid r1.key | cut -c1-16) does not verify"
expect 1 "sbx-verify refuses it whole" sbx-verify --keyring tampered.json \
	--root root.json some.jar
contains "before any file is read" "$errout" "/tampered.json: signed by 0 \
of the 2 keys"

# Rollback: once version 4 is accepted here, version 3 is refused.
sbx-keyring expire -q signed.json --days 30
krsign signed.json r1 r2
expect 0 "version 4 accepted" sbx-keyring verify -q signed.json \
	--root root.json
cp signed.json v4.json
cp v3.json signed.json
expect 1 "version 3 refused after version 4" sbx-keyring verify signed.json \
	--root root.json
contains "names both versions and the state" "$errout" "sbx-keyring: \
signed.json: keyring version 3 is older than version 4, accepted before on \
this host (signed.json.state)"
expect 0 "the state keeps the higher version" test \
	"$(jq .version signed.json.state)" = 4
cp v4.json signed.json
mkdir statedir
cp signed.json.state statedir/v3.json.state
expect 1 "rollback refused by a state in --state-dir" sbx-keyring verify \
	v3.json --root root.json --state-dir statedir
contains "names that state file" "$errout" "keyring version 3 is older \
than version 4, accepted before on this host (statedir/v3.json.state)"
expect 1 "sbx-verify refuses the rollback too" sbx-verify --keyring \
	v3.json --root root.json --state-dir statedir some.jar
contains "rollback named" "$errout" "/v3.json: keyring version 3 is older \
than version 4"

# Expired: a keyring signed with an expiry already past.
jq '.expires = "2020-01-01T00:00:00Z" | .signatures = []' signed.json \
	>expired.json
krsign expired.json r1 r2
expect 1 "expired keyring refused" sbx-keyring verify expired.json \
	--root root.json
contains "says when" "$errout" "sbx-keyring: expired.json: expired at \
2020-01-01T00:00:00Z"
expect 2 "bad expiry days" sbx-keyring expire signed.json --days 0
expect 3 "a missing root file" sbx-keyring verify signed.json \
	--root nosuch.json
contains "names it" "$errout" "sbx-keyring: nosuch.json: No such file"
expect 3 "a state folder that is not there" sbx-keyring verify signed.json \
	--root root.json --state-dir nodir
contains "names the lock file" "$errout" "nodir/signed.json.state.lock"
jq '.threshold = "two"' root.json >badroot.json
expect 2 "a root file that is not one" sbx-keyring verify signed.json \
	--root badroot.json
contains "names the field" "$errout" "sbx-keyring: badroot.json: \
threshold: must be a whole number from 1"
printf '{"type": "sbx-keyring-state", "version": "4"}\n' >bad.state
mkdir badstate
cp bad.state badstate/signed.json.state
expect 2 "a state file that is not one" sbx-keyring verify signed.json \
	--root root.json --state-dir badstate
contains "names the field" "$errout" "badstate/signed.json.state: version: \
must be a whole number from 1"

# --- root rotation ----------------------------------------------------------
expect 0 "successor with new keys" sbx-keyring root rotate root.json \
	root2.json --key-cert n1.crt --key-cert n2.crt --threshold 2
contains "version 2" "$out" "root2.json: successor of the root file, to be \
signed by both key sets, version 2: 2 of 2 keys must sign"
expect 2 "an old key needs --prev to sign" sbx-keyring root sign root2.json \
	--key r1.key --no-passphrase
rootsign root2.json n1
rootsign root2.json n2
cp root.json root.before
expect 1 "new keys alone cannot rotate" sbx-keyring root update root.json \
	root2.json
contains "the old keys must hand over" "$errout" "sbx-keyring: root2.json: \
signed by 0 of the 2 keys of root.json (root version 1) it needs"
expect 0 "pinned root unchanged" cmp root.json root.before
expect 0 "an old key signs with --prev" sbx-keyring root sign root2.json \
	--key r1.key --no-passphrase --prev root.json
contains "counts both sets" "$out" "2 of 2 own signatures, 1 of 2 by \
root.json"
expect 1 "one old key is not enough" sbx-keyring root update root.json \
	root2.json
rootsign root2.json r3 --prev root.json
cp root2.json root2-full.json
expect 0 "cross-signed successor installed" sbx-keyring root update \
	root.json root2.json
contains "new version" "$out" "root.json: now version 2 (was 1), 2 of 2 keys"
expect 0 "byte for byte" cmp root.json root2-full.json
expect 1 "the same version again is a rollback" sbx-keyring root update \
	root.json root2-full.json
contains "one step at a time" "$errout" "version 2 cannot follow version 2"
expect 1 "the old root cannot come back" sbx-keyring root update \
	root.json root.before
expect 1 "keyrings of the old root keys are refused now" sbx-keyring \
	verify signed.json --root root.json
krsign signed.json n1 n2
expect 0 "signed by the new root keys: accepted" sbx-keyring verify \
	signed.json --root root.json
# A successor signed by the old keys only: the new ones never agreed.
sbx-keyring root rotate -q root.json root3.json --key-cert x.crt \
	--threshold 1
rootsign root3.json n1 --prev root.json
rootsign root3.json n2 --prev root.json
expect 1 "not signed by its own keys: refused" sbx-keyring root update \
	root.json root3.json
contains "its own threshold" "$errout" "root3.json: signed by 0 of the 1 \
keys of root3.json (root version 3) it needs"

# --- pull: fetched over HTTPS, installed only when accepted -----------------
mkdir pub
openssl req -x509 -newkey rsa:2048 -nodes -keyout tlsca.key -out tlsca.crt \
	-subj "/CN=sbx e2e TLS CA" -days 2 \
	-addext "basicConstraints=critical,CA:TRUE" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout tls.key -out tls.csr \
	-subj "/CN=127.0.0.1" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >tls.ext
openssl x509 -req -in tls.csr -CA tlsca.crt -CAkey tlsca.key \
	-CAcreateserial -days 2 -extfile tls.ext -out tls.crt 2>/dev/null
python3 "$TOP/tests/e2e/lib/https_server.py" pub tls.crt tls.key port &
HTTPS_PID=$!
stop_https() { kill "$HTTPS_PID" 2>/dev/null; wait "$HTTPS_PID" 2>/dev/null; }
on_exit stop_https
for _ in $(seq 50); do [ -s port ] && break; sleep 0.1; done
URL=https://127.0.0.1:$(cat port)
mkdir host
PULL="sbx-keyring pull --root root.json --out host/keyring.json \
--ca-file tlsca.crt"

cp signed.json pub/keyring.json
expect 0 "pull a signed keyring" $PULL "$URL/keyring.json"
contains "reports the version" "$out" "host/keyring.json: installed version \
4 (was 0) from $URL/keyring.json: signed by 2 root keys (2 needed)"
expect 0 "installed byte for byte" cmp host/keyring.json pub/keyring.json
expect 0 "state beside it" test "$(jq .version host/keyring.json.state)" = 4
cp host/keyring.json installed.json
cp host/keyring.json.state installed.state

unchanged() {	# unchanged WHAT: the installed keyring and state as they were
	expect 0 "$1: keyring unchanged" cmp host/keyring.json installed.json
	expect 0 "$1: state unchanged" cmp host/keyring.json.state \
	    installed.state
}
sed 's/"release-a"/"release-b"/' signed.json >pub/tampered.json
expect 1 "pull a tampered keyring" $PULL "$URL/tampered.json"
contains "refused with the URL" "$errout" "sbx-keyring: \
$URL/tampered.json: signed by 0 of the 2 keys of root.json"
unchanged "tampered"
jq '.signatures = [.signatures[-1]]' signed.json >pub/one.json
expect 1 "pull below the threshold" $PULL "$URL/one.json"
contains "names the count" "$errout" "signed by 1 of the 2 keys"
unchanged "below threshold"
cp v3.json pub/old.json
krsign pub/old.json n1 n2
expect 1 "pull an older version" $PULL "$URL/old.json"
contains "rollback" "$errout" "sbx-keyring: $URL/old.json: keyring version \
3 is older than version 4, accepted before on this host \
(host/keyring.json.state)"
unchanged "older version"
jq '.expires = "2020-01-01T00:00:00Z" | .signatures = []' signed.json \
	>pub/expired.json
krsign pub/expired.json n1 n2
expect 1 "pull an expired keyring" $PULL "$URL/expired.json"
contains "says when" "$errout" "expired at 2020-01-01T00:00:00Z"
unchanged "expired"
expect 3 "pull a missing file" $PULL "$URL/nosuch.json"
contains "HTTP status" "$errout" "sbx-keyring: $URL/nosuch.json: HTTP \
status 404"
unchanged "missing"
printf '{"type": "sbx-keyring", "version": 9,' >pub/broken.json
expect 2 "pull something that is not a keyring" $PULL "$URL/broken.json"
contains "names the URL" "$errout" "sbx-keyring: $URL/broken.json:1:"
unchanged "not a keyring"
expect 3 "a server the CA file does not vouch for" sbx-keyring pull \
	--root root.json --out host/keyring.json --ca-file a.crt \
	"$URL/keyring.json"
unchanged "untrusted server"
expect 2 "plain http refused" $PULL "http://127.0.0.1:1/keyring.json"
contains "says why" "$errout" "a keyring is fetched over https:// only \
(http:// with --allow-http)"
printf 'http://127.0.0.1:%s/keyring.json\n' "$(cat port)" \
	>pub/downgrade.json.to
expect 3 "no redirect to plain http" $PULL "$URL/downgrade.json"
unchanged "redirect to http"
printf '%s/keyring.json\n' "$URL" >pub/moved.json.to
expect 0 "a redirect within https is followed" $PULL "$URL/moved.json"
head -c $((17 << 20)) /dev/zero >pub/huge.json
expect 3 "a body over the size limit" $PULL "$URL/huge.json"
contains "names the limit" "$errout" "larger than 16777216 bytes"
unchanged "too large"
sbx-keyring expire -q signed.json --days 30
krsign signed.json n1 n2
cp signed.json pub/keyring.json
expect 0 "pull the next version" $PULL "$URL/keyring.json"
contains "was 4" "$out" "installed version 5 (was 4)"
expect 3 "and sbx-verify takes it" sbx-verify --keyring host/keyring.json \
	--root root.json nosuch.jar
contains "as far as the file" "$errout" "sbx-verify: nosuch.jar: "
expect 2 "pull needs --out" sbx-keyring pull --root root.json "$URL/x"
expect 2 "pull of something that is not a URL" $PULL "https://[nope"
contains "says so" "$errout" "sbx-keyring: pull: not a URL"
no_secret() {	# no_secret WHAT: the last command printed no query
	case "$out$errout" in
	*s3cret*) fail "$1: the URL's query was printed: $out$errout" ;;
	*) ok "$1: the URL's query is not printed" ;;
	esac
}
expect 0 "a presigned URL works" $PULL "$URL/keyring.json?token=s3cret"
contains "shown without its query" "$out" "from $URL/keyring.json: signed"
no_secret "installed"
expect 3 "and fails" $PULL "$URL/nosuch.json?token=s3cret"
no_secret "not found"

finish
