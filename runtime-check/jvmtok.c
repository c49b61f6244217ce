/* runtime-check/jvmtok.c: the JDK tokenizers for argfiles and option files. */
/* SPDX-License-Identifier: ISC */
#include <stdlib.h>
#include <string.h>

#include <sbx/buf.h>
#include <sbx/err.h>
#include <sbx/jvmargs.h>

/*
 * The launcher reads an @argfile 4096 bytes at a time and carries its
 * state from one block to the next; a few of its quirks depend on
 * where a block ends, so the same block size is used here.
 */
#define ARGFILE_BLOCK	4096

/* HotSpot's settings file reader stops at a token of this many bytes. */
#define FLAGS_TOKEN_MAX	1023

enum af_state {
	AF_FIND_NEXT,
	AF_IN_COMMENT,
	AF_IN_QUOTE,
	AF_IN_ESCAPE,
	AF_SKIP_LEAD_WS,
	AF_IN_TOKEN
};

/*
 * The argfile reader's state. parts holds the pieces of a token that
 * are already decided (text before a quote or an escape, escaped
 * characters); nparts counts them, since an empty piece still counts
 * when the launcher decides whether a token is left at the end.
 */
struct af {
	enum af_state	 st;
	char		 quote;
	struct sbx_buf	 parts;
	size_t		 nparts;
	struct sbx_jvm_strs *out;
	struct sbx_err	*err;
};

int
sbx_jvm_strs_add(struct sbx_jvm_strs *l, const char *s, size_t n,
    struct sbx_err *err)
{
	char **v, *copy;

	if ((copy = malloc(n + 1)) == NULL)
		return sbx_err_set(err, SBX_ENOMEM, "out of memory");
	memcpy(copy, s, n);
	copy[n] = '\0';
	if ((v = realloc(l->v, (l->n + 1) * sizeof(*v))) == NULL) {
		free(copy);
		return sbx_err_set(err, SBX_ENOMEM, "out of memory");
	}
	v[l->n++] = copy;
	l->v = v;
	return SBX_OK;
}

void
sbx_jvm_strs_free(struct sbx_jvm_strs *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* The C locale's isspace(), whatever the process locale. */
static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' ||
	    c == '\f' || c == '\r';
}

/* The argfile reader's white space has no vertical tab. */
static bool
is_af_space(char c)
{
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f';
}

static int
no_nul(const char *text, size_t len, const char *what, struct sbx_err *err)
{
	if (memchr(text, '\0', len) != NULL)
		return sbx_err_reject(err, SBX_V_FORBIDDEN_FLAG,
		    "%s: holds a NUL byte, which java would cut the option "
		    "at", what);
	return SBX_OK;
}

static int
af_piece(struct af *c, const char *s, size_t n)
{
	c->nparts++;
	return sbx_buf_add(&c->parts, s, n, c->err);
}

/* End a token: the pieces so far and the text from anchor. */
static int
af_emit(struct af *c, const char *s, size_t n)
{
	int rc;

	if ((rc = sbx_buf_add(&c->parts, s, n, c->err)) != SBX_OK)
		return rc;
	rc = sbx_jvm_strs_add(c->out, (const char *)c->parts.p,
	    c->parts.len, c->err);
	c->parts.len = 0;
	c->nparts = 0;
	return rc;
}

static char
af_escaped(char ch)
{
	switch (ch) {
	case 'n':
		return '\n';
	case 'r':
		return '\r';
	case 't':
		return '\t';
	case 'f':
		return '\f';
	default:
		return ch;
	}
}

/*
 * An escape, a comment or leading white space: states that consume
 * characters without looking at the switch below. Returns true when
 * the character at *i was consumed.
 */
static int
af_special(struct af *c, const char *b, size_t len, size_t *i,
    size_t *anchor, bool *consumed)
{
	char ch;

	*consumed = true;
	if (c->st == AF_IN_ESCAPE) {
		if (b[*i] == '\n' || b[*i] == '\r')
			c->st = AF_SKIP_LEAD_WS;
		else {
			ch = af_escaped(b[*i]);
			c->st = AF_IN_QUOTE;
			if (af_piece(c, &ch, 1) != SBX_OK)
				return c->err->code;
		}
		*anchor = ++*i;
		return SBX_OK;
	}
	if (c->st == AF_IN_COMMENT) {
		while (*i < len && b[*i] != '\n' && b[*i] != '\r')
			++*i;
		if (*i < len) {
			*anchor = ++*i;
			c->st = AF_FIND_NEXT;
		}
		return SBX_OK;
	}
	if (c->st == AF_FIND_NEXT || c->st == AF_SKIP_LEAD_WS) {
		while (*i < len && is_af_space(b[*i]))
			++*i;
		if (*i == len)
			return SBX_OK;
		c->st = c->st == AF_FIND_NEXT ? AF_IN_TOKEN : AF_IN_QUOTE;
		*anchor = *i;
	}
	*consumed = false;
	return SBX_OK;
}

/* One character of a token or a quoted string. */
static int
af_char(struct af *c, const char *b, size_t *i, size_t *anchor)
{
	char ch = b[*i];
	int rc = SBX_OK;

	switch (ch) {
	case ' ':
	case '\t':
	case '\f':
		if (c->st == AF_IN_QUOTE)
			break;
		/* FALLTHROUGH */
	case '\n':
	case '\r':
		rc = af_emit(c, b + *anchor, *i - *anchor);
		c->st = AF_FIND_NEXT;
		*anchor = *i + 1;
		break;
	case '#':
		/* The text of the token so far is dropped, as java does. */
		if (c->st == AF_IN_QUOTE)
			break;
		c->st = AF_IN_COMMENT;
		*anchor = *i + 1;
		break;
	case '\\':
		if (c->st != AF_IN_QUOTE)
			break;
		rc = af_piece(c, b + *anchor, *i - *anchor);
		c->st = AF_IN_ESCAPE;
		*anchor = *i + 1;
		break;
	case '\'':
	case '"':
		if (c->st == AF_IN_QUOTE && c->quote != ch)
			break;
		if (*anchor != *i)
			rc = af_piece(c, b + *anchor, *i - *anchor);
		*anchor = *i + 1;
		if (c->st == AF_IN_TOKEN) {
			c->quote = ch;
			c->st = AF_IN_QUOTE;
		} else
			c->st = AF_IN_TOKEN;
		break;
	default:
		break;
	}
	++*i;
	return rc;
}

static int
af_block(struct af *c, const char *b, size_t len)
{
	size_t i = 0, anchor = 0;
	bool consumed;
	int rc;

	while (i < len) {
		if ((rc = af_special(c, b, len, &i, &anchor, &consumed)) !=
		    SBX_OK)
			return rc;
		if (consumed || i == len)
			continue;
		if ((rc = af_char(c, b, &i, &anchor)) != SBX_OK)
			return rc;
	}
	/* A token that goes on in the next block keeps its text. */
	if ((c->st == AF_IN_TOKEN || c->st == AF_IN_QUOTE) && anchor < len)
		return af_piece(c, b + anchor, len - anchor);
	return SBX_OK;
}

int
sbx_jvm_split_argfile(struct sbx_jvm_strs *out, const char *text,
    size_t len, const char *what, struct sbx_err *err)
{
	struct af c = { .st = AF_FIND_NEXT, .quote = '"', .out = out,
	    .err = err };
	size_t off, n;
	int rc;

	if ((rc = no_nul(text, len, what, err)) != SBX_OK)
		return rc;
	for (off = 0; off < len; off += n) {
		n = len - off < ARGFILE_BLOCK ? len - off : ARGFILE_BLOCK;
		if ((rc = af_block(&c, text + off, n)) != SBX_OK)
			goto done;
	}
	/* What is left at the end is a token only if some of it was kept. */
	rc = SBX_OK;
	if ((c.st == AF_IN_TOKEN || c.st == AF_IN_QUOTE) && c.nparts > 0)
		rc = af_emit(&c, "", 0);
done:
	sbx_buf_free(&c.parts);
	return rc;
}

int
sbx_jvm_split_options(struct sbx_jvm_strs *out, const char *text,
    size_t len, const char *what, struct sbx_err *err)
{
	struct sbx_buf tok = { 0 };
	size_t i = 0;
	char q;
	int rc;

	if ((rc = no_nul(text, len, what, err)) != SBX_OK)
		return rc;
	while (i < len) {
		while (i < len && is_space(text[i]))
			i++;
		if (i == len)
			break;
		tok.len = 0;
		while (i < len && !is_space(text[i])) {
			if (text[i] != '\'' && text[i] != '"') {
				rc = sbx_buf_add(&tok, &text[i++], 1, err);
			} else {
				q = text[i++];
				while (i < len && text[i] != q)
					if ((rc = sbx_buf_add(&tok, &text[i++],
					    1, err)) != SBX_OK)
						goto done;
				if (i++ == len) {
					rc = sbx_err_reject(err,
					    SBX_V_FORBIDDEN_FLAG, "%s: "
					    "unmatched quote (%c)", what, q);
					goto done;
				}
				rc = SBX_OK;
			}
			if (rc != SBX_OK)
				goto done;
		}
		rc = sbx_jvm_strs_add(out, tok.len ? (char *)tok.p : "",
		    tok.len, err);
		if (rc != SBX_OK)
			goto done;
	}
	rc = SBX_OK;
done:
	sbx_buf_free(&tok);
	return rc;
}

/* The state of HotSpot's settings file reader. */
struct fl {
	char	 tok[FLAGS_TOKEN_MAX + 1];
	size_t	 pos;
	bool	 in_ws, in_comment, in_quote;
	char	 quote;
};

static int
fl_emit(struct fl *f, struct sbx_jvm_strs *out, struct sbx_err *err)
{
	int rc = sbx_jvm_strs_add(out, f->tok, f->pos, err);

	f->pos = 0;
	f->in_ws = true;
	f->in_quote = false;
	return rc;
}

static int
fl_char(struct fl *f, char c, struct sbx_jvm_strs *out, struct sbx_err *err)
{
	if (f->in_ws) {
		if (f->in_comment)
			f->in_comment = c != '\n';
		else if (c == '#')
			f->in_comment = true;
		else if (!is_space(c)) {
			/* A quote that starts a token is kept, as java does. */
			f->in_ws = false;
			f->tok[f->pos++] = c;
		}
		return SBX_OK;
	}
	if (c == '\n' || (!f->in_quote && is_space(c)))
		return fl_emit(f, out, err);
	if (!f->in_quote && (c == '\'' || c == '"')) {
		f->in_quote = true;
		f->quote = c;
	} else if (f->in_quote && c == f->quote)
		f->in_quote = false;
	else
		f->tok[f->pos++] = c;
	return SBX_OK;
}

int
sbx_jvm_split_flags(struct sbx_jvm_strs *out, const char *text, size_t len,
    const char *what, struct sbx_err *err)
{
	struct fl f = { .in_ws = true };
	size_t i;
	int rc;

	if ((rc = no_nul(text, len, what, err)) != SBX_OK)
		return rc;
	for (i = 0; i < len; i++) {
		/* java silently drops the rest of the file here. */
		if (f.pos == FLAGS_TOKEN_MAX)
			return sbx_err_reject(err, SBX_V_FORBIDDEN_FLAG,
			    "%s: a setting of %d bytes or more, where java "
			    "would ignore the rest of the file", what,
			    FLAGS_TOKEN_MAX);
		if ((rc = fl_char(&f, text[i], out, err)) != SBX_OK)
			return rc;
	}
	if (f.pos > 0)
		return fl_emit(&f, out, err);
	return SBX_OK;
}

static bool
needs_quotes(const char *s)
{
	if (*s == '\0')
		return true;
	for (; *s != '\0'; s++)
		if (is_space(*s) || *s == '"' || *s == '\'')
			return true;
	return false;
}

/*
 * Quote one token: runs without a double quote go in double quotes,
 * each double quote in single quotes; adjacent quoted runs join.
 */
static int
quote_token(struct sbx_buf *out, const char *s, struct sbx_err *err)
{
	size_t n;
	int rc;

	if (!needs_quotes(s))
		return sbx_buf_puts(out, s, err);
	if (*s == '\0')
		return sbx_buf_puts(out, "\"\"", err);
	while (*s != '\0') {
		if (*s == '"') {
			rc = sbx_buf_puts(out, "'\"'", err);
			s++;
		} else {
			n = strcspn(s, "\"");
			rc = sbx_buf_printf(out, err, "\"%.*s\"", (int)n, s);
			s += n;
		}
		if (rc != SBX_OK)
			return rc;
	}
	return SBX_OK;
}

int
sbx_jvm_join_options(struct sbx_buf *out, const struct sbx_jvm_strs *tokens,
    struct sbx_err *err)
{
	size_t i;
	int rc;

	for (i = 0; i < tokens->n; i++) {
		if (i > 0 && (rc = sbx_buf_puts(out, " ", err)) != SBX_OK)
			return rc;
		if ((rc = quote_token(out, tokens->v[i], err)) != SBX_OK)
			return rc;
	}
	return SBX_OK;
}
