#!/usr/bin/env bash
# Keys in hardware: an RSA-4096 key made inside a throwaway SoftHSM
# token signs a certificate through sbx's pkcs11: route, and openssl
# checks that signature against the token's public key; then it signs
# a JAR that jarsigner -verify -strict and sbx-verify accept, and a
# keyring under a root file whose only key it is.
. "$(dirname "$0")/lib/common.sh"
cd "$WORK"

MOD=/usr/lib/softhsm/libsofthsm2.so
for t in softhsm2-util pkcs11-tool openssl; do
	command -v "$t" >/dev/null ||
	    { echo "15-hsm-key.sh: $t is missing (make deps)" >&2; exit 1; }
done
[ -r "$MOD" ] ||
    { echo "15-hsm-key.sh: $MOD is missing (make deps)" >&2; exit 1; }

# A token of our own: SoftHSM reads its folder from SOFTHSM2_CONF, and
# the folder must exist first. The PINs on these command lines belong
# to this throwaway token only; sbx itself takes the PIN from a file.
mkdir -p hsm/tokens
cat >hsm/softhsm2.conf <<EOF
directories.tokendir = $WORK/hsm/tokens
objectstore.backend = file
log.level = ERROR
slots.removable = false
EOF
export SOFTHSM2_CONF=$WORK/hsm/softhsm2.conf
softhsm2-util --init-token --free --label sbx-e2e --pin 1234 \
	--so-pin 5678 >/dev/null
pkcs11-tool --module "$MOD" --token-label sbx-e2e --login --pin 1234 \
	--keypairgen --key-type rsa:4096 --id 01 --label sbxkey >/dev/null
pkcs11-tool --module "$MOD" --token-label sbx-e2e --read-object \
	--type pubkey --label sbxkey -o pub.der >/dev/null 2>&1
openssl pkey -pubin -inform DER -in pub.der -out pub.pem
TOKEN_ID=$(openssl pkey -pubin -in pub.pem -outform DER | sha256sum |
	cut -d' ' -f1)

URI='pkcs11:token=sbx-e2e;object=sbxkey;type=private'
printf '1234\n' >pin
printf '9999\n' >badpin

# --- a certificate signed inside the token ----------------------------------
expect 0 "selfsign with a token key" timeout 60 sbx-keyring selfsign \
	--key "$URI" --cert hsm.crt --subject "CN=sbx HSM,O=sbx tests" \
	--passphrase-file pin </dev/null
contains "key id is the token key's" "$out" "key $TOKEN_ID: certificate hsm.crt"
expect 0 "certificate holds the token's public key" test \
	"$(openssl x509 -in hsm.crt -noout -pubkey | openssl pkey -pubin \
	-outform DER | sha256sum | cut -d' ' -f1)" = "$TOKEN_ID"
expect 0 "openssl checks the token's signature" openssl verify \
	-check_ss_sig -CAfile hsm.crt hsm.crt
expect 0 "4096-bit key" sh -c "openssl x509 -in hsm.crt -noout -text |
	grep -q 'Public-Key: (4096 bit)'"
run openssl x509 -in hsm.crt -noout -ext keyUsage,extendedKeyUsage
contains "code signing usage" "$out" "Code Signing"

# The check above must be able to fail: flip the last signature byte.
openssl x509 -in hsm.crt -outform DER -out hsm.der
python3 - <<'EOF'
d = bytearray(open("hsm.der", "rb").read())
d[-1] ^= 1
open("bad.der", "wb").write(d)
EOF
openssl x509 -inform DER -in bad.der -out bad.crt
expect 2 "a flipped signature byte is caught" openssl verify \
	-check_ss_sig -CAfile bad.crt bad.crt

# --- the PIN: from a file, a descriptor or a variable, never argv -----------
expect 0 "PIN from a descriptor, module named in the URI" sh -c \
	"printf 1234 | timeout 60 sbx-keyring selfsign -q --key \
	'$URI?module-path=$MOD' --cert fd.crt --subject CN=fd \
	--passphrase-fd 0"
expect 0 "same key through the named module" test \
	"$(openssl x509 -in fd.crt -noout -pubkey | sha256sum)" = \
	"$(openssl x509 -in hsm.crt -noout -pubkey | sha256sum)"
export SBX_E2E_PIN=1234
expect 0 "PIN from a variable" timeout 60 sbx-keyring selfsign -q \
	--key "$URI" --cert env.crt --subject CN=env \
	--passphrase-env SBX_E2E_PIN </dev/null
unset SBX_E2E_PIN

expect 2 "wrong PIN" timeout 60 sbx-keyring selfsign --key "$URI" \
	--cert x.crt --subject CN=x --passphrase-file badpin </dev/null
contains "names the key, not the PIN" "$errout" \
	"sbx-keyring: $URI: cannot load the private key"
case "$errout" in
*9999*) fail "wrong PIN printed" ;;
*) ok "wrong PIN not printed" ;;
esac
expect 2 "no PIN, and no prompt for one" timeout 60 sbx-keyring selfsign \
	--key "$URI" --cert x.crt --subject CN=x --no-passphrase </dev/null
contains "says the PIN is missing" "$errout" "(no PIN was given)"
expect 2 "PIN in the URI refused" sbx-keyring selfsign \
	--key "$URI;pin-value=1234" --cert x.crt --subject CN=x --no-passphrase
expect 2 "unknown object" timeout 60 sbx-keyring selfsign \
	--key "pkcs11:token=sbx-e2e;object=nosuch;type=private" --cert x.crt \
	--subject CN=x --passphrase-file pin </dev/null
expect 0 "no certificate left by failures" test ! -e x.crt

# --- the token's certificate in a keyring -----------------------------------
expect 0 "init" sbx-keyring init -q keyring.json
expect 0 "add the token's certificate" sbx-keyring add -q keyring.json \
	--cert hsm.crt --name release-hsm --role jar
expect 0 "listed by the token key's id" sbx-keyring list keyring.json --json
expect 0 "id matches" test "$(echo "$out" | jq -r '.keys[0].id')" = \
	"$TOKEN_ID"

# --- a JAR signed inside the token ------------------------------------------
sh "$TOP/tests/java/build.sh" "$WORK/java" >/dev/null
expect 0 "sbx-sign with the token key" timeout 120 sbx-sign --key "$URI" \
	--cert hsm.crt --passphrase-file pin --no-provenance -o hsm.jar \
	"$WORK/java/agent.jar" </dev/null
contains "signed by the token key" "$out" "hsm.jar: signed by /CN=sbx HSM\
/O=sbx tests (key $(echo "$TOKEN_ID" | cut -c1-16))"
keytool -importcert -noprompt -alias hsm -file hsm.crt -keystore trust.p12 \
	-storetype PKCS12 -storepass changeit >/dev/null 2>&1
expect 0 "jarsigner -verify -strict accepts it" jarsigner -verify -strict \
	-verbose:summary -keystore trust.p12 -storepass changeit hsm.jar
contains "jar verified" "$out" "jar verified."
contains "with the 4096-bit token key" "$out" "SHA256withRSA, 4096-bit key"
expect 0 "sbx-verify accepts it" sbx-verify --keyring keyring.json hsm.jar
contains "signed by the token's entry" "$out" "hsm.jar: accepted: signed by \
release-hsm (key $(echo "$TOKEN_ID" | cut -c1-16))"
expect 0 "the block holds the token's certificate" sh -c "unzip -p hsm.jar \
	META-INF/SIGNER.RSA | openssl pkcs7 -inform DER -print_certs |
	openssl x509 -noout -pubkey | openssl pkey -pubin -outform DER |
	sha256sum | grep -q $TOKEN_ID"
expect 2 "a wrong PIN signs nothing" timeout 120 sbx-sign --key "$URI" \
	--cert hsm.crt --passphrase-file badpin --no-provenance -o bad.jar \
	"$WORK/java/agent.jar" </dev/null
expect 0 "no JAR left" test ! -e bad.jar
expect 2 "a certificate of another key is refused" timeout 120 sbx-sign \
	--key "$URI" --cert "$TOP/tests/data/keys/plain.crt" \
	--passphrase-file pin --no-provenance -o bad.jar \
	"$WORK/java/agent.jar" </dev/null
expect 0 "still no JAR" test ! -e bad.jar

# The token also signs keyrings and root files: a root key in hardware.
expect 0 "a root file of the token key" sbx-keyring root init root.json \
	--threshold 1 --key-cert hsm.crt
expect 0 "the token signs the root file" timeout 120 sbx-keyring root sign \
	root.json --key "$URI" --passphrase-file pin </dev/null
sbx-keyring expire -q keyring.json --days 7
expect 0 "the token signs the keyring" timeout 120 sbx-keyring sign \
	keyring.json --key "$URI" --passphrase-file pin --root root.json \
	</dev/null
contains "as a root key" "$out" "(1 of the 1 signatures root.json needs)"
expect 0 "sbx-verify takes the keyring under that root" sbx-verify \
	--keyring keyring.json --root root.json hsm.jar

finish
