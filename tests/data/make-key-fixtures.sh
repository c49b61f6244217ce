#!/bin/sh
# Regenerate the key, certificate and keystore fixtures in tests/data/keys.
# Needs openssl and keytool (openjdk-17-jdk-headless). The passphrases
# here are test values, committed on purpose; no real key uses them.
set -eu

D=$(cd "$(dirname "$0")" && pwd)/keys
mkdir -p "$D"
cd "$D"
rm -f -- *.key *.crt *.p12 *.pass *.keyid *.csr *.srl *.cnf

# The key id of a private key (or with -pubin a public key) on stdin:
# SHA-256 of the DER SubjectPublicKeyInfo, as sbx names keys.
keyid() {
	openssl pkey "$@" -pubout -outform DER | sha256sum | cut -d' ' -f1
}

printf 'correct horse battery staple\n' >signer.pass
printf 'keytool-store-pass\n' >keytool.pass

# An encrypted PKCS#8 RSA-2048 key and its code-signing certificate.
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
    -aes-256-cbc -pass file:signer.pass -out signer.key 2>/dev/null
openssl req -new -x509 -key signer.key -passin file:signer.pass \
    -subj "/CN=sbx test signer/O=sbx tests" -days 36500 -sha256 \
    -addext "keyUsage=critical,digitalSignature" \
    -addext "extendedKeyUsage=codeSigning" -out signer.crt
openssl pkey -in signer.key -passin file:signer.pass | keyid >signer.keyid

# A second, unencrypted key with its own certificate.
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
    -out plain.key 2>/dev/null
openssl req -new -x509 -key plain.key -subj "/CN=sbx plain" -days 36500 \
    -addext "keyUsage=critical,digitalSignature" \
    -addext "extendedKeyUsage=codeSigning" -out plain.crt
keyid <plain.key >plain.keyid

# A certificate whose key usage cannot sign code (JAR-SIGNING.md 4).
openssl req -new -x509 -key plain.key -subj "/CN=sbx no-sign" \
    -days 36500 -addext "keyUsage=critical,keyEncipherment" \
    -out nosign.crt
openssl req -new -x509 -key plain.key -subj "/CN=sbx server" \
    -days 36500 -addext "extendedKeyUsage=serverAuth" -out server.crt

# An EC key: sbx signs with RSA only.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
    -out ec.key 2>/dev/null

# keytool's default store type with an RSA-4096 key (DESIGN.md).
keytool -genkeypair -keyalg RSA -keysize 4096 -sigalg SHA256withRSA \
    -storetype PKCS12 -keystore keytool.p12 -storepass:file keytool.pass \
    -alias sbxsigner -dname "CN=sbx keytool signer" -validity 36500 \
    -ext KeyUsage:critical=digitalSignature -ext ExtendedKeyUsage=codeSigning \
    2>/dev/null
openssl pkcs12 -in keytool.p12 -passin file:keytool.pass -nocerts -nodes \
    2>/dev/null | keyid >keytool.keyid

# Two aliases in one store: a key must then be picked by name.
for a in alpha beta; do
	keytool -genkeypair -keyalg RSA -keysize 2048 -storetype PKCS12 \
	    -keystore two.p12 -storepass:file keytool.pass -alias "$a" \
	    -dname "CN=sbx $a" -validity 36500 2>/dev/null
	keytool -exportcert -rfc -keystore two.p12 \
	    -storepass:file keytool.pass -alias "$a" -file "$a.crt" \
	    2>/dev/null
	openssl x509 -in "$a.crt" -pubkey -noout | keyid -pubin >"$a.keyid"
done

# A certificate authority and leaves it issued.
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
    -out ca.key 2>/dev/null
openssl req -new -x509 -key ca.key -subj "/CN=sbx test CA" -days 36500 \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" -out ca.crt
keyid <ca.key >ca.keyid
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
    -out leaf.key 2>/dev/null
keyid <leaf.key >leaf.keyid
openssl req -new -key leaf.key -subj "/CN=sbx leaf" -out leaf.csr
printf '%s\n' "keyUsage=critical,digitalSignature" \
    "extendedKeyUsage=codeSigning" >leaf.cnf
openssl x509 -req -in leaf.csr -CA ca.crt -CAkey ca.key \
    -CAcreateserial -days 36500 -sha256 -extfile leaf.cnf \
    -out leaf.crt 2>/dev/null
printf '%s\n' "extendedKeyUsage=serverAuth" >leaf.cnf
openssl x509 -req -in leaf.csr -CA ca.crt -CAkey ca.key \
    -CAcreateserial -days 36500 -sha256 -extfile leaf.cnf \
    -out leaf-server.crt 2>/dev/null

# An intermediate authority under the CA, and a leaf it issued.
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
    -out inter.key 2>/dev/null
keyid <inter.key >inter.keyid
openssl req -new -key inter.key -subj "/CN=sbx test intermediate" \
    -out inter.csr
printf '%s\n' "basicConstraints=critical,CA:TRUE" \
    "keyUsage=critical,keyCertSign,cRLSign" >inter.cnf
openssl x509 -req -in inter.csr -CA ca.crt -CAkey ca.key \
    -CAcreateserial -days 36500 -sha256 -extfile inter.cnf \
    -out inter.crt 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
    -out leaf2.key 2>/dev/null
keyid <leaf2.key >leaf2.keyid
openssl req -new -key leaf2.key -subj "/CN=sbx leaf 2" -out leaf2.csr
printf '%s\n' "keyUsage=critical,digitalSignature" \
    "extendedKeyUsage=codeSigning" >leaf.cnf
openssl x509 -req -in leaf2.csr -CA inter.crt -CAkey inter.key \
    -CAcreateserial -days 36500 -sha256 -extfile leaf.cnf \
    -out leaf2.crt 2>/dev/null

# The same leaf key, certified by a CA that no keyring knows.
openssl req -new -x509 -key plain.key -subj "/CN=sbx other CA" \
    -days 36500 -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign" -out other-ca.crt
printf '%s\n' "keyUsage=critical,digitalSignature" \
    "extendedKeyUsage=codeSigning" >leaf.cnf
openssl x509 -req -in leaf.csr -CA other-ca.crt -CAkey plain.key \
    -CAcreateserial -days 36500 -sha256 -extfile leaf.cnf \
    -out leaf-other.crt 2>/dev/null

rm -f -- *.csr *.srl *.cnf
chmod 0644 -- *
