/*
 * pn_common.h: the few types and conventions every privnum module shares.
 *
 * - struct pn_span: a zero-copy view into a caller's buffer (never NUL-terminated).
 * - Parsers return bytes consumed (>= 0), PN_INCOMPLETE (-2) or PN_EPARSE (-1).
 * - Other calls return 0 or a negative enum pn_err; lookups return a pointer or NULL.
 * - PN_ALWAYS(x)/PN_NEVER(x): "cannot happen, but recover instead of crashing" (SQLite's
 *   ALWAYS/NEVER). In test builds (PN_DEBUG) they assert, in release builds they are the plain
 *   condition so the defensive branch still runs.
 *
 * Header only; no state; safe from any thread.
 */
#ifndef PN_COMMON_H
#define PN_COMMON_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Parser results. */
#define PN_EPARSE (-1)
#define PN_INCOMPLETE (-2)

/* Error codes of non-parser calls (always negative). */
enum pn_err {
	PN_OK = 0,
	PN_EINVAL = -22,  /* bad argument or bad input value */
	PN_ENOMEM = -12,  /* allocation failed */
	PN_ENOENT = -2,   /* no such record */
	PN_EEXIST = -17,  /* record already exists */
	PN_EFULL = -28,   /* a table, ring or pool is full */
	PN_ERANGE = -34,  /* value out of range */
	PN_EIO = -5,      /* storage or socket failure */
	PN_EPERM = -1,    /* not allowed (auth, mode, direction) */
	PN_EAGAIN = -11,  /* try again later */
};

/* A view of bytes inside someone else's buffer. len == 0 with p == NULL means "absent". */
struct pn_span {
	const char *p;
	size_t len;
};

#define PN_SPAN_NULL ((struct pn_span){NULL, 0})
#define PN_SPAN_LIT(s) ((struct pn_span){(s), sizeof(s) - 1})

static inline struct pn_span pn_span_make(const char *p, size_t len)
{
	struct pn_span s = {p, len};
	return s;
}

static inline int pn_span_present(struct pn_span s) { return s.p != NULL; }

/* Exact byte comparison with a C string. */
static inline int pn_span_eq(struct pn_span s, const char *lit)
{
	size_t n = strlen(lit);
	return s.len == n && (n == 0 || memcmp(s.p, lit, n) == 0);
}

/* ASCII case-insensitive comparison with a C string. */
static inline int pn_span_ieq(struct pn_span s, const char *lit)
{
	size_t n = strlen(lit);
	if (s.len != n)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char a = (unsigned char)s.p[i], b = (unsigned char)lit[i];
		if (a >= 'A' && a <= 'Z')
			a += 32;
		if (b >= 'A' && b <= 'Z')
			b += 32;
		if (a != b)
			return 0;
	}
	return 1;
}

#ifdef PN_DEBUG
#define PN_ALWAYS(x) (assert(x), 1)
#define PN_NEVER(x) (assert(!(x)), 0)
#else
#define PN_ALWAYS(x) (x)
#define PN_NEVER(x) (x)
#endif

#define PN_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#if defined(__GNUC__)
#define PN_LIKELY(x) __builtin_expect(!!(x), 1)
#define PN_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define PN_LIKELY(x) (x)
#define PN_UNLIKELY(x) (x)
#endif

#endif /* PN_COMMON_H */
