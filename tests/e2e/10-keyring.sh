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

finish
