// tests/e2e/sigstore/verify.js: verify an sbx Sigstore bundle with
// @sigstore/verify, offline: no transparency log, no CT log, no
// timestamp; the signer's public key is the only trusted material,
// found by the bundle's hint. Then check the in-toto Statement itself,
// which Sigstore leaves to the caller.
//
// usage: node verify.js BUNDLE PUB.pem KEYID NAME SHA256
// exit 0 verified, 1 refused (the reason on stderr), 2 usage
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const { bundleFromJSON } = require('@sigstore/bundle');
const {
  Verifier, toSignedEntity, toTrustMaterial,
} = require('@sigstore/verify');

function fail(msg) {
  process.stderr.write(`sigstore verify: ${msg}\n`);
  process.exit(1);
}

function checkStatement(env, name, sha256) {
  if (env.payloadType !== 'application/vnd.in-toto+json') {
    fail(`payloadType ${env.payloadType}`);
  }
  const st = JSON.parse(Buffer.from(env.payload, 'base64').toString());
  if (st._type !== 'https://in-toto.io/Statement/v1') {
    fail(`_type ${st._type}`);
  }
  if (st.predicateType !== 'https://slsa.dev/provenance/v1') {
    fail(`predicateType ${st.predicateType}`);
  }
  const subject = st.subject.find((s) => s.name === name);
  if (!subject) fail(`no subject named ${name}`);
  if (subject.digest.sha256 !== sha256) {
    fail(`subject digest ${subject.digest.sha256} is not ${sha256}`);
  }
  const builder = st.predicate.runDetails.builder.id;
  if (typeof builder !== 'string' || builder === '') fail('no builder id');
  return builder;
}

function main(argv) {
  if (argv.length !== 5) {
    process.stderr.write('usage: node verify.js BUNDLE PUB.pem KEYID ' +
      'NAME SHA256\n');
    process.exit(2);
  }
  const [bundlePath, pubPath, keyid, name, sha256] = argv;
  const json = JSON.parse(fs.readFileSync(bundlePath, 'utf8'));
  const der = crypto.createPublicKey(fs.readFileSync(pubPath, 'utf8'))
    .export({ type: 'spki', format: 'der' });

  const root = {
    certificateAuthorities: [], timestampAuthorities: [],
    tlogs: [], ctlogs: [],
  };
  const keys = { [keyid]: { rawBytes: der } };
  const verifier = new Verifier(toTrustMaterial(root, keys), {
    tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0,
  });

  let bundle;
  try {
    bundle = bundleFromJSON(json);
    verifier.verify(toSignedEntity(bundle));
  } catch (e) {
    fail(`${e.code || e.name}: ${e.message}`);
  }
  const builder = checkStatement(json.dsseEnvelope, name, sha256);
  process.stdout.write(`verified: ${name} built by ${builder}\n`);
}

main(process.argv.slice(2));
