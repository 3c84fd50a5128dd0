/*
 * pn_number.h: phone-number normalisation and the packed binary form.
 *
 * The API speaks the "global format" `+<country><number>` (e.g. +8613800000001). Carriers put
 * numbers into SIP in many forms: `+86…`, `86…`, `0086…`, national `0755…`/`138…` (with a
 * configured country code), `tel:+86…`, `sip:+86…@host;user=phone`, visual separators
 * (`-`, `.`, `(`, `)`, spaces) in tel URIs. pn_number_normalize() turns any of them into the
 * global format or says precisely why it cannot.
 *
 * Reading order for digits without '+': international prefix ("0086…" → +86…); then the
 * configured country code followed by a national number of a length known for that country
 * (table in pn_number.c; for 86: 10 or 11 digits, so "8613800000001" → +8613800000001, while
 * "13800000001" is not read that way); then the trunk prefix ("0755…" → +86755…); otherwise a
 * national number without trunk prefix ("138…" → +86138…). tel: URIs honour
 * phone-context=+<digits>; sip:/sips: user parts lose ";npdi;rn=…"-style parameters.
 *
 * Packed form (pn_num_t, 64 bits) for the dataplane's tables: bit 63 = 1 if the number is in
 * global format (leading '+'), bits 58..62 = digit count (1..17), bits 0..56 = the digits as
 * a decimal value. Leading zeros survive because the count is kept. 0 means "no number".
 * Numbers longer than 17 digits cannot be packed (E.164 allows 15).
 *
 * No allocation, no state; safe from any thread.
 */
#ifndef PN_NUMBER_H
#define PN_NUMBER_H

#include "pn_common.h"

typedef uint64_t pn_num_t;

#define PN_NUM_NONE ((pn_num_t)0)
#define PN_NUM_MAX_DIGITS 17
/* Longest string form: '+' + 17 digits + NUL. */
#define PN_NUM_STRLEN 19

/* How national numbers are read. */
struct pn_number_ctx {
	char country[5];    /* default country code digits, e.g. "86"; "" = none */
	char trunk_prefix[3]; /* national trunk prefix, e.g. "0" */
	char intl_prefix[5];  /* international dialling prefix, e.g. "00" */
};

/* Result codes of pn_number_normalize beyond PN_OK. */
enum pn_number_err {
	PN_NUMBER_EEMPTY = -100,   /* no digits */
	PN_NUMBER_ECHAR = -101,    /* a character that is not a digit or allowed separator */
	PN_NUMBER_ELONG = -102,    /* more digits than allowed */
	PN_NUMBER_ESHORT = -103,   /* fewer than 4 digits */
	PN_NUMBER_ESCHEME = -104,  /* a URI scheme other than sip:, sips:, tel: */
	PN_NUMBER_ENATIONAL = -105 /* national form but no country configured */
};

/* Defaults: country 86, trunk prefix "0", international prefix "00". */
void pn_number_ctx_default(struct pn_number_ctx *ctx);

/*
 * Normalise `in` (a bare number, a tel: URI or a sip(s): URI whose user part is the number)
 * into "+<digits>" written to out (NUL-terminated, at most outsz bytes).
 * Returns the length written (>0) or a negative pn_number_err / PN_EINVAL (outsz too small).
 * ctx NULL means the defaults of pn_number_ctx_default().
 */
int pn_number_normalize(const struct pn_number_ctx *ctx, const char *in, size_t len, char *out,
			size_t outsz);

/* Is s exactly a valid global-format number ("+" then 4..17 digits)? The API's strict check. */
int pn_number_is_global(const char *s, size_t len);

/* Pack a string of the form [+]digits. Returns PN_NUM_NONE on any error. */
pn_num_t pn_num_pack(const char *s, size_t len);

/* Unpack into out (at least PN_NUM_STRLEN bytes). Returns length, or 0 for PN_NUM_NONE. */
int pn_num_unpack(pn_num_t n, char *out);

/*
 * Is n a well-formed packed number (what pn_num_pack can return, PN_NUM_NONE excluded)?
 * Used by decoders that receive packed numbers from the wire. Returns 1 or 0.
 */
int pn_num_is_valid(pn_num_t n);

/* Human-readable name of a pn_number_err (or "unknown"), for logs and API messages. */
const char *pn_number_strerror(int err);

#endif /* PN_NUMBER_H */
