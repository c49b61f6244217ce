/* keyring/sigs.c: signatures over keyrings and root files, made and counted. */
/* SPDX-License-Identifier: ISC */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <sbx/dsse.h>
#include <sbx/encode.h>
#include <sbx/key.h>

#include "keyring_int.h"

static const char *const sig_fields[] = { "keyid", "sig", NULL };

/* One entry of a "signatures" list: its shape, and no key twice. */
static int
check_sig(json_t *s, json_t *seen, const struct sbx_kr_where *w,
    struct sbx_err *err)
{
	struct sbx_buf raw = { 0 };
	const char *keyid, *sig;
	int rc;

	if (!json_is_object(s))
		return sbx_kr_bad(err, w, "", "must be an object");
	if ((rc = sbx_kr_check_fields(s, sig_fields, w, err)) != SBX_OK ||
	    (rc = sbx_kr_get_str(&keyid, s, "keyid", true, w, err)) !=
	    SBX_OK ||
	    (rc = sbx_kr_get_str(&sig, s, "sig", true, w, err)) != SBX_OK)
		return rc;
	if (!sbx_kr_is_hex_id(keyid))
		return sbx_kr_bad(err, w, "keyid", "must be 64 lower-case hex "
		    "digits");
	/* Two signatures by one key must not count as two signers. */
	if (json_object_get(seen, keyid) != NULL)
		return sbx_kr_bad(err, w, "keyid", "key %s signs twice", keyid);
	if (json_object_set_new(seen, keyid, json_true()) != 0)
		return sbx_err_set(err, SBX_ENOMEM, "out of memory");
	rc = sbx_b64_decode(&raw, sig, strlen(sig), NULL);
	sbx_buf_free(&raw);
	if (rc != SBX_OK)
		return sbx_kr_bad(err, w, "sig", "is not base64");
	return SBX_OK;
}

int
sbx_kr_sigs_parse(json_t **out, json_t *doc, struct sbx_kr_where *w,
    struct sbx_err *err)
{
	json_t *sigs = json_object_get(doc, "signatures"), *s, *seen;
	size_t i;
	int rc = SBX_OK;

	*out = NULL;
	if (sigs == NULL || (json_is_array(sigs) &&
	    json_array_size(sigs) == 0))
		return SBX_OK;
	if (!json_is_array(sigs))
		return sbx_kr_bad(err, w, "signatures", "must be a list");
	if ((seen = json_object()) == NULL)
		return sbx_err_set(err, SBX_ENOMEM, "out of memory");
	json_array_foreach(sigs, i, s) {
		snprintf(w->at, sizeof(w->at), "signatures[%zu]", i);
		if ((rc = check_sig(s, seen, w, err)) != SBX_OK)
			break;
	}
	json_decref(seen);
	if (rc != SBX_OK)
		return rc;
	w->at[0] = '\0';
	*out = json_incref(sigs);
	return SBX_OK;
}

/*
 * One spelling per document: no white space, members sorted by name
 * (byte order), every character outside ASCII escaped as \uXXXX.
 */
int
sbx_kr_signed_bytes(struct sbx_buf *out, json_t *body, const char *type,
    struct sbx_err *err)
{
	char *text;
	int rc;

	text = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS |
	    JSON_ENSURE_ASCII);
	if (text == NULL)
		return sbx_err_set(err, SBX_ENOMEM, "cannot encode the signed "
		    "body");
	rc = sbx_dsse_pae(out, type, text, strlen(text), err);
	free(text);
	return rc;
}

static int
sig_json(json_t **out, struct sbx_key *key, const struct sbx_buf *bytes,
    struct sbx_err *err)
{
	struct sbx_buf sig = { 0 }, b64 = { 0 };
	int rc;

	*out = NULL;
	if ((rc = sbx_key_sign(&sig, key, SBX_PAD_PSS, bytes->p, bytes->len,
	    err)) != SBX_OK ||
	    (rc = sbx_b64_encode(&b64, sig.p, sig.len, err)) != SBX_OK)
		goto done;
	*out = json_pack("{s:s, s:s%}", "keyid", sbx_key_id(key), "sig",
	    (const char *)b64.p, b64.len);
	if (*out == NULL)
		rc = sbx_err_set(err, SBX_ENOMEM, "out of memory");
done:
	sbx_buf_free(&sig);
	sbx_buf_free(&b64);
	return rc;
}

int
sbx_kr_sigs_add(json_t **sigs, struct sbx_key *key,
    const struct sbx_buf *bytes, struct sbx_err *err)
{
	json_t *o, *s;
	size_t i;
	int rc;

	if (EVP_PKEY_get_base_id(sbx_key_pkey(key)) != EVP_PKEY_RSA)
		return sbx_err_set(err, SBX_ECONFIG, "key %s: only RSA keys "
		    "sign keyrings and root files", sbx_key_id(key));
	if ((rc = sig_json(&o, key, bytes, err)) != SBX_OK)
		return rc;
	if (*sigs == NULL && (*sigs = json_array()) == NULL) {
		json_decref(o);
		return sbx_err_set(err, SBX_ENOMEM, "out of memory");
	}
	json_array_foreach(*sigs, i, s)
		if (strcmp(json_string_value(json_object_get(s, "keyid")),
		    sbx_key_id(key)) == 0)
			return json_array_set_new(*sigs, i, o) == 0 ? SBX_OK :
			    sbx_err_set(err, SBX_ENOMEM, "out of memory");
	if (json_array_append_new(*sigs, o) != 0)
		return sbx_err_set(err, SBX_ENOMEM, "out of memory");
	return SBX_OK;
}

/* Does key k's signature in sigs verify? 1 yes, 0 no, -1 none there. */
static int
sig_state(json_t *sigs, const struct sbx_keyring_key *k,
    const struct sbx_buf *bytes, struct sbx_err *err)
{
	struct sbx_buf raw = { 0 };
	const char *b64;
	json_t *s;
	size_t i;
	int state = -1;

	json_array_foreach(sigs, i, s) {
		if (strcmp(json_string_value(json_object_get(s, "keyid")),
		    k->id) != 0)
			continue;
		b64 = json_string_value(json_object_get(s, "sig"));
		state = sbx_b64_decode(&raw, b64, strlen(b64), err) ==
		    SBX_OK && sbx_sig_verify(k->pub, SBX_PAD_PSS, bytes->p,
		    bytes->len, raw.p, raw.len, err) == SBX_OK;
		break;
	}
	sbx_buf_free(&raw);
	return state;
}

int
sbx_kr_sigs_tally(size_t *valid, char bad[SBX_KEYID_LEN + 1], json_t *sigs,
    struct sbx_keyring_key *const *keys, size_t n,
    const struct sbx_buf *bytes, struct sbx_err *err)
{
	struct sbx_err e = { 0 };
	size_t i;
	int state;

	*valid = 0;
	bad[0] = '\0';
	for (i = 0; sigs != NULL && i < n; i++) {
		state = sig_state(sigs, keys[i], bytes, &e);
		if (state == 1)
			(*valid)++;
		else if (state == 0 && bad[0] == '\0')
			snprintf(bad, SBX_KEYID_LEN + 1, "%s", keys[i]->id);
		if (state == 0 && e.code != SBX_EREJECT && e.code != SBX_OK)
			return sbx_err_set(err, e.code, "%s", e.msg);
	}
	return SBX_OK;
}
