#!/usr/bin/python3
"""DSSE envelopes checked and made by an independent implementation.

Debian's python3-securesystemslib (0.26) does the RSA signatures and key
ids; it has no DSSE envelope class, so the pre-authentication encoding
(PAE) is written out here from the DSSE v1 protocol text. Run it with
/usr/bin/python3, where Debian installs the library.

usage:
  dsse_interop.py keyid PUB.pem SCHEME
  dsse_interop.py verify ENVELOPE PUB.pem SCHEME
      exit 0 when a signature verifies over the PAE of the envelope's
      payload and the payload is an in-toto Statement v1
  dsse_interop.py sign PAYLOAD KEY.pem SCHEME OUT
      write an envelope over the bytes of PAYLOAD, signed with KEY.pem
SCHEME is rsassa-pss-sha256 or rsa-pkcs1v15-sha256.
"""
import base64
import json
import sys

from securesystemslib import keys
from securesystemslib.exceptions import (UnverifiedSignatureError,
                                         VerificationError)
from securesystemslib.signer import Signature, SSlibKey, SSlibSigner

PAYLOAD_TYPE = "application/vnd.in-toto+json"
STATEMENT_TYPE = "https://in-toto.io/Statement/v1"


def pae(payload_type, body):
    """DSSEv1 SP len(type) SP type SP len(body) SP body, lengths in bytes."""
    t = payload_type.encode("utf-8")
    return b"DSSEv1 %d %s %d %s" % (len(t), t, len(body), body)


def b64decode(text):
    """Standard or URL-safe base64, padded or not, as DSSE allows."""
    text = text.replace("-", "+").replace("_", "/")
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


def public_key(path, scheme):
    with open(path) as f:
        pem = f.read()
    return SSlibKey.from_securesystemslib_key(
        keys.import_rsakey_from_public_pem(pem, scheme))


def cmd_keyid(pub, scheme):
    print(public_key(pub, scheme).keyid)
    return 0


def cmd_verify(envelope, pub, scheme):
    with open(envelope) as f:
        env = json.load(f)
    if env.get("payloadType") != PAYLOAD_TYPE:
        print("payloadType is not", PAYLOAD_TYPE)
        return 1
    key = public_key(pub, scheme)
    body = b64decode(env["payload"])
    message = pae(env["payloadType"], body)
    good = 0
    for s in env.get("signatures", []):
        try:
            key.verify_signature(
                Signature(key.keyid, b64decode(s["sig"]).hex()), message)
            good += 1
            print("signature verified (envelope keyid %s)" % s.get("keyid"))
        except (UnverifiedSignatureError, VerificationError) as e:
            print("signature does not verify:", e)
    if good == 0:
        return 1
    statement = json.loads(body)
    if statement.get("_type") != STATEMENT_TYPE:
        print("not an in-toto Statement v1")
        return 1
    for subject in statement["subject"]:
        print("subject", subject["name"], subject["digest"].get("sha256"))
    return 0


def cmd_sign(payload, key_path, scheme, out):
    with open(payload, "rb") as f:
        body = f.read()
    with open(key_path) as f:
        key = keys.import_rsakey_from_private_pem(f.read(), scheme)
    sig = SSlibSigner(key).sign(pae(PAYLOAD_TYPE, body))
    env = {
        "payload": base64.b64encode(body).decode(),
        "payloadType": PAYLOAD_TYPE,
        "signatures": [{
            "keyid": sig.keyid,
            "sig": base64.b64encode(bytes.fromhex(sig.signature)).decode(),
        }],
    }
    with open(out, "w") as f:
        json.dump(env, f)
        f.write("\n")
    return 0


def main(argv):
    commands = {"keyid": (cmd_keyid, 2), "verify": (cmd_verify, 3),
                "sign": (cmd_sign, 4)}
    if len(argv) < 2 or argv[1] not in commands or \
            len(argv) - 2 != commands[argv[1]][1]:
        print(__doc__, file=sys.stderr)
        return 2
    fn = commands[argv[1]][0]
    return fn(*argv[2:])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
