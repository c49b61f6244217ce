/* policy/locate.h: find where a key path sits in JSON text, for messages. */
#ifndef SBX_POLICY_LOCATE_H
#define SBX_POLICY_LOCATE_H

#include <stddef.h>

/*
 * jansson reports positions only for syntax errors, not for the nodes
 * of a parsed document. These helpers scan the raw text again (strings,
 * escapes and nesting) to say where a node is written. They never parse
 * values and only serve messages: on malformed text they still return,
 * with the best position they found.
 */

/* One step of a path: a member name, or (key NULL) an array index. */
struct sbx_jstep {
	const char	*key;
	size_t		 index;
};

#define SBX_JNONE	((size_t)-1)

/*
 * The byte offset at which the node at path is named: for a member the
 * opening quote of its key, for an array element its first byte, for
 * the empty path the root value. *found (if not NULL) gets the number
 * of steps that were found; when a step is missing, the offset is that
 * of the deepest node found, so a missing member points at its object.
 */
size_t	sbx_jtext_locate(const char *text, size_t len,
	    const struct sbx_jstep *path, size_t depth, size_t *found);

/*
 * The member key that covers byte offset off (jansson's position of a
 * duplicate key): its dotted path, as written in the text, goes to out
 * ("audit.sinks[2].url", truncated to outsz) and its quote's offset is
 * returned; SBX_JNONE when off is not inside a key.
 */
size_t	sbx_jtext_key_at(char *out, size_t outsz, const char *text,
	    size_t len, size_t off);

/* 1-based line and column of off; columns count UTF-8 characters. */
void	sbx_jtext_linecol(const char *text, size_t len, size_t off,
	    int *line, int *col);

#endif
