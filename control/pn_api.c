/*
 * pn_api.c: routing, authentication flow and the Huawei-compatible handlers (see pn_api.h,
 * docs/API.md).
 *
 * Requests to the store API (for the store engineer), none blocking:
 *   - (nice to have) a count of live bindings per mode kept by the store, so that /metrics
 *     need not walk a snapshot; until then pn_metrics.c counts with a cached snapshot walk.
 *
 * Flow of a Huawei API request: route (404 unknown path, 405 wrong method) -> IP block check
 * (1020176) -> auth header parse (1023xxx) -> app lookup (1010003) -> digest, clock skew and
 * nonce (pn_auth_verify) -> app status (1010004) -> app mode (1010040) -> body size and JSON
 * (1010002) -> field validation (1010002 naming the field) -> store. Nothing reaches the
 * store before every check passed, so a rejected request never changes it.
 *
 * Unknown JSON members are ignored (clients send extra fields such as privateNumType);
 * members of a known name with a wrong type or range are rejected.
 */
#include "pn_api.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pn_api_int.h"
#include "pn_auth.h"
#include "pn_binding.h"
#include "pn_metrics.h"
#include "pn_number.h"

#define RC_OK              0
#define RC_INTERNAL        1010001
#define RC_INVALID         1010002
#define RC_BAD_APPKEY      1010003
#define RC_APP_DISABLED    1010004
#define RC_FLOW            1010010
#define RC_WRONG_MODE      1010040
#define RC_NO_ACCOUNT      1011001
#define RC_NO_RESOURCE     1011002
#define RC_NUM_NOT_APPLIED 1011004
#define RC_ALLOCATED       1011005
#define RC_NO_RECORD       1012007
#define RC_BOUND           1012010
#define RC_ABNORMAL        1012102
#define RC_NO_RECORD_AX    1016001
#define RC_RECORD_EXISTS   1016002
#define RC_NO_IDLE_EXT     1020167

#define QUERY_CAP 100

static const char *const api_names[PN_API_COUNT] = {
    [PN_API_UNKNOWN] = "unknown",
    [PN_API_AXB_BIND] = "axb_bind",
    [PN_API_AXB_MODIFY] = "axb_modify",
    [PN_API_AXB_UNBIND] = "axb_unbind",
    [PN_API_AXB_QUERY] = "axb_query",
    [PN_API_AX_BIND] = "ax_bind",
    [PN_API_AX_MODIFY] = "ax_modify",
    [PN_API_AX_UNBIND] = "ax_unbind",
    [PN_API_AX_QUERY] = "ax_query",
    [PN_API_AX_CALLEE] = "ax_set_callee",
    [PN_API_AXE_BIND] = "axe_bind",
    [PN_API_AXE_MODIFY] = "axe_modify",
    [PN_API_AXE_UNBIND] = "axe_unbind",
    [PN_API_AXE_QUERY] = "axe_query",
    [PN_API_AXE_QUERY2] = "axe_query_v2",
    [PN_API_AXYB_BIND] = "axyb_bind",
    [PN_API_AXYB_UNBIND] = "axyb_unbind",
    [PN_API_AXYB_QUERY] = "axyb_query",
    [PN_API_ADMIN] = "admin",
    [PN_API_HEALTH] = "health",
    [PN_API_METRICS] = "metrics",
};

const char *pn_api_name(int id)
{
	if (id < 0 || id >= PN_API_COUNT || !api_names[id])
		return "unknown";
	return api_names[id];
}

static int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ------------------------------------------------------------------ responses */

void pn_api_resp_clear(struct pn_api_resp *r)
{
	free(r->body);
	r->body = NULL;
	r->body_len = 0;
}

void pn_api_reply(struct pn_api_resp *r, unsigned status, long resultcode, json_t *obj)
{
	size_t len = 0;
	char *s = obj ? pn_json_dump(obj, &len) : NULL;
	json_decref(obj);
	free(r->body);
	if (!s) {
		static const char oom[] = "{\"resultcode\":\"1010001\",\"resultdesc\":\"Internal "
		                          "system error\"}";
		s = strdup(oom);
		len = s ? sizeof(oom) - 1 : 0;
		status = 500;
		resultcode = RC_INTERNAL;
	}
	r->body = s;
	r->body_len = len;
	r->status = status;
	r->resultcode = resultcode;
	r->content_type = "application/json;charset=UTF-8";
}

static json_t *rc_obj(long rc, const char *desc)
{
	char buf[24];
	if (rc == 0)
		memcpy(buf, "0", 2);
	else
		snprintf(buf, sizeof(buf), "%ld", rc);
	json_t *o = json_object();
	json_object_set_new(o, "resultcode", json_string(buf));
	json_object_set_new(o, "resultdesc", json_string(desc));
	return o;
}

json_t *pn_api_ok_obj(void)
{
	return rc_obj(RC_OK, "Success");
}

void pn_api_reply_err(struct pn_api_resp *r, unsigned status, long resultcode, const char *desc)
{
	pn_api_reply(r, status, resultcode, rc_obj(resultcode, desc));
}

void pn_api_reply_bad(struct pn_api_resp *r, const char *field)
{
	char desc[128];
	snprintf(desc, sizeof(desc), "Invalid parameter: %s", field);
	pn_api_reply_err(r, 400, RC_INVALID, desc);
}

struct pn_api_rc pn_api_map_store_rc(int rc, int mode, int api)
{
	switch (rc) {
	case PN_STORE_OK:
		return (struct pn_api_rc){RC_OK, "Success", 200};
	case PN_STORE_EINVAL:
		return (struct pn_api_rc){RC_INVALID, "Invalid parameter", 400};
	case PN_STORE_NO_APP:
		return (struct pn_api_rc){RC_BAD_APPKEY, "Invalid app_key", 401};
	case PN_STORE_APP_DISABLED:
		return (struct pn_api_rc){RC_APP_DISABLED,
		                          "The status of the app_key is unavailable", 403};
	case PN_STORE_WRONG_MODE:
		return (struct pn_api_rc){RC_WRONG_MODE,
		                          "The app_key is not allowed to invoke the API", 403};
	case PN_STORE_X_NOT_OWNED:
		if (api == PN_API_AXB_UNBIND || api == PN_API_AX_UNBIND ||
		    api == PN_API_AXE_UNBIND || api == PN_API_AXYB_UNBIND)
			return (struct pn_api_rc){RC_NUM_NOT_APPLIED,
			                          "Resource of number is not to be applied", 403};
		return (struct pn_api_rc){RC_NO_ACCOUNT, "Account does not exist", 404};
	case PN_STORE_X_NO_FREE:
	case PN_STORE_TOO_MANY_X_FOR_A:
	case PN_STORE_X_FULL:
		return (struct pn_api_rc){RC_NO_RESOURCE, "Insufficient number of resources", 409};
	case PN_STORE_X_BOUND_OTHER_A:
		return (struct pn_api_rc){RC_ALLOCATED, "Resources have been allocated", 409};
	case PN_STORE_PAIR_EXISTS:
	case PN_STORE_USER_ON_X:
		return (struct pn_api_rc){RC_BOUND, "The number has been bound", 409};
	case PN_STORE_EXT_TAKEN:
	case PN_STORE_EXISTS:
		return (struct pn_api_rc){RC_RECORD_EXISTS, "The record already exists", 409};
	case PN_STORE_NO_EXT_FREE:
		return (struct pn_api_rc){RC_NO_IDLE_EXT, "No idle extend Number", 409};
	case PN_STORE_NOT_FOUND:
		if (mode == PN_MODE_AX || mode == PN_MODE_AXE)
			return (struct pn_api_rc){RC_NO_RECORD_AX, "The record does not exist",
			                          404};
		return (struct pn_api_rc){RC_NO_RECORD, "The record does not exist", 404};
	case PN_STORE_X_ABNORMAL:
		return (struct pn_api_rc){RC_ABNORMAL, "The number status is abnormal", 409};
	case PN_STORE_EBUSY:
		return (struct pn_api_rc){RC_INVALID, "The number still carries bindings", 409};
	case PN_STORE_CLOSING:
		return (struct pn_api_rc){RC_INTERNAL, "Internal system error (shutting down)",
		                          503};
	default:
		return (struct pn_api_rc){RC_INTERNAL, "Internal system error", 500};
	}
}

static void reply_store_err(struct pn_api_resp *r, const struct pn_store_result *res, int mode,
                            int api)
{
	if (res->rc == PN_STORE_EINVAL && res->field) {
		pn_api_reply_bad(r, res->field);
		return;
	}
	struct pn_api_rc m = pn_api_map_store_rc(res->rc, mode, api);
	pn_api_reply_err(r, m.http_status, m.resultcode, m.resultdesc);
}

/* ------------------------------------------------------------------ field readers */

int pn_api_get_num(const json_t *o, const char *key, pn_num_t *out)
{
	const char *s;
	size_t len;
	int rc = pn_json_get_str(o, key, 4, 31, &s, &len);
	if (rc != PN_JSON_OK)
		return rc;
	if (!pn_number_is_global(s, len))
		return PN_EINVAL;
	pn_num_t n = pn_num_pack(s, len);
	if (n == PN_NUM_NONE)
		return PN_EINVAL;
	*out = n;
	return PN_JSON_OK;
}

static int tone_ok(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      c == '-' || c == '_' || c == '.' || c == '@'))
			return 0;
	}
	return 1;
}

int pn_api_get_tone(const json_t *o, const char *key, char *out)
{
	const char *s;
	size_t len;
	int rc = pn_json_get_str(o, key, 0, PN_TONE_LEN - 1, &s, &len);
	if (rc != PN_JSON_OK)
		return rc;
	if (!tone_ok(s, len))
		return PN_EINVAL;
	memcpy(out, s, len);
	out[len] = '\0';
	return PN_JSON_OK;
}

static int get_user_data(const json_t *o, char *out)
{
	const char *s;
	size_t len;
	int rc = pn_json_get_str(o, "userData", 1, PN_USERDATA_LEN - 1, &s, &len);
	if (rc != PN_JSON_OK)
		return rc;
	if (memchr(s, '{', len) || memchr(s, '}', len))
		return PN_EINVAL;
	memcpy(out, s, len);
	out[len] = '\0';
	return PN_JSON_OK;
}

/* areaCode String(0-32) of digits; must fit the store's area field. */
static int get_area(const json_t *o, char *out)
{
	const char *s;
	size_t len;
	int rc = pn_json_get_str(o, "areaCode", 0, 32, &s, &len);
	if (rc != PN_JSON_OK)
		return rc;
	if (len >= PN_STORE_AREA_LEN)
		return PN_EINVAL;
	for (size_t i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return PN_EINVAL;
	memcpy(out, s, len);
	out[len] = '\0';
	return PN_JSON_OK;
}

/* Query-string number (decoded value). */
static int q_num(const struct pn_query *q, const char *key, pn_num_t *out)
{
	size_t len;
	const char *s = pn_query_get(q, key, &len);
	if (!s)
		return PN_JSON_ABSENT;
	if (pn_str_check(s, len, 4, 31) != 0 || !pn_number_is_global(s, len))
		return PN_EINVAL;
	*out = pn_num_pack(s, len);
	return *out ? PN_JSON_OK : PN_EINVAL;
}

static int subid_parse(const char *s, size_t len, uint64_t *id)
{
	if (pn_str_check(s, len, 1, 64) != 0)
		return PN_EINVAL;
	return pn_binding_subid_parse(s, len, id) == 0 && *id != 0 ? PN_JSON_OK : PN_EINVAL;
}

static int q_subid(const struct pn_query *q, uint64_t *id)
{
	size_t len;
	const char *s = pn_query_get(q, "subscriptionId", &len);
	if (!s)
		return PN_JSON_ABSENT;
	return subid_parse(s, len, id);
}

static int j_subid(const json_t *o, uint64_t *id)
{
	const char *s;
	size_t len;
	int rc = pn_json_get_str(o, "subscriptionId", 1, 64, &s, &len);
	if (rc != PN_JSON_OK)
		return rc;
	return subid_parse(s, len, id);
}

/* ------------------------------------------------------------------ JSON output helpers */

static void set_str(json_t *o, const char *k, const char *v)
{
	json_object_set_new(o, k, json_string(v));
}
static void set_int(json_t *o, const char *k, int64_t v)
{
	json_object_set_new(o, k, json_integer(v));
}

static void set_num(json_t *o, const char *k, pn_num_t n)
{
	char buf[PN_NUM_STRLEN + 1];
	int len = pn_num_unpack(n, buf);
	if (len <= 0)
		buf[0] = '\0';
	set_str(o, k, buf);
}

static void set_subid(json_t *o, const char *k, uint64_t id)
{
	char buf[PN_SUBID_LEN];
	pn_binding_subid_format(id, buf);
	set_str(o, k, buf);
}

/* "yyyy-MM-dd HH:mm:ss" (UTC) without gmtime_r/strftime: glibc's gmtime_r takes the time
 * zone lock on every call. Civil-from-days after Howard Hinnant's algorithm. */
static void set_time(json_t *o, const char *k, int64_t ms)
{
	char buf[32];
	int64_t secs = ms / 1000;
	if (secs < 0)
		secs = 0;
	int64_t days = secs / 86400, sod = secs % 86400;
	int64_t z = days + 719468;
	int64_t era = z / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t y = (int64_t)yoe + era * 400;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	unsigned d = doy - (153 * mp + 2) / 5 + 1;
	unsigned m = mp < 10 ? mp + 3 : mp - 9;
	if (m <= 2)
		y++;
	snprintf(buf, sizeof(buf), "%04lld-%02u-%02u %02u:%02u:%02u", (long long)y, m, d,
	         (unsigned)(sod / 3600), (unsigned)(sod / 60 % 60), (unsigned)(sod % 60));
	set_str(o, k, buf);
}

static void set_bool_str(json_t *o, const char *k, int v)
{
	set_str(o, k, v ? "true" : "false");
}

static void fmt_ext(const struct pn_binding *b, char out[8])
{
	unsigned n = b->ext_len ? b->ext_len : 4;
	if (n > 4)
		n = 4;
	snprintf(out, 8, "%0*u", (int)n, (unsigned)b->ext % 10000u);
}

/* ------------------------------------------------------------------ async completion */

struct pend {
	struct pn_api *api;
	pn_api_done_fn done;
	void *arg;
	int api_id;
	int mode;
	int64_t start_ns;
};

static void build_success(json_t *o, int api_id, const struct pn_store_result *res)
{
	const struct pn_binding *b = &res->b;
	char ext[8];
	switch (api_id) {
	case PN_API_AXB_BIND:
		set_subid(o, "subscriptionId", b->id);
		set_num(o, "relationNum", b->x);
		set_int(o, "callDirection", b->direction);
		set_int(o, "duration", b->duration_s);
		set_int(o, "maxDuration", b->max_duration_min);
		break;
	case PN_API_AX_BIND:
		set_num(o, "origNum", b->a);
		set_num(o, "privateNum", b->x);
		set_subid(o, "subscriptionId", b->id);
		break;
	case PN_API_AXE_BIND:
		set_subid(o, "subscriptionId", b->id);
		set_num(o, "virtualNum", b->x);
		fmt_ext(b, ext);
		set_str(o, "extendNum", ext);
		break;
	case PN_API_AXYB_BIND:
		set_subid(o, "subscriptionId", b->mode == PN_MODE_YB ? b->parent_id : b->id);
		set_num(o, "relationNumber", b->x);
		break;
	default:
		break;
	}
}

static void on_store_done(void *arg, const struct pn_store_op *op,
                          const struct pn_store_result *res)
{
	(void)op;
	struct pend *p = arg;
	struct pn_api_resp *r = calloc(1, sizeof(*r));
	if (!r) {
		/* Nothing sensible can be sent; the HTTP layer answers 500 on a NULL response. */
		p->done(p->arg, NULL);
		free(p);
		return;
	}
	r->api = p->api_id;
	r->start_ns = p->start_ns;
	if (res->rc == PN_STORE_OK) {
		json_t *o = pn_api_ok_obj();
		build_success(o, p->api_id, res);
		pn_api_reply(r, 200, RC_OK, o);
	} else {
		reply_store_err(r, res, p->mode, p->api_id);
	}
	if (p->api->cfg.metrics)
		pn_metrics_observe(p->api->cfg.metrics, r->api, r->resultcode,
		                   mono_ns() - r->start_ns);
	p->done(p->arg, r);
	free(p);
}

static int submit(struct pn_api_hctx *h, struct pn_store_op *op, int mode)
{
	struct pend *p = malloc(sizeof(*p));
	if (!p) {
		pn_api_reply_err(h->resp, 500, RC_INTERNAL, "Internal system error");
		return PN_API_DONE;
	}
	*p = (struct pend){h->api, h->done, h->arg, h->resp->api, mode, h->resp->start_ns};
	snprintf(op->app_key, sizeof(op->app_key), "%s", h->app.app_key);
	int rc = pn_store_submit(h->api->cfg.store, op, on_store_done, p);
	if (rc == 0)
		return PN_API_PENDING;
	free(p);
	if (rc == PN_EAGAIN)
		pn_api_reply_err(h->resp, 429, RC_FLOW,
		                 "The flow control upper limit is reached on the platform");
	else
		pn_api_reply_err(h->resp, 503, RC_INTERNAL, "Internal system error");
	return PN_API_DONE;
}

/* ------------------------------------------------------------------ common binding fields */

/* Reads a field; on a bad value jumps to the handler's `bad:` label with the name. */
#define READ(expr, name)                                                                           \
	do {                                                                                       \
		int rc__ = (expr);                                                                 \
		if (rc__ < 0) {                                                                    \
			bad = (name);                                                              \
			goto bad;                                                                  \
		}                                                                                  \
		present = rc__ == PN_JSON_OK;                                                      \
	} while (0)

/* preVoice object {callerHintTone, calleeHintTone}. Returns OK/ABSENT/EINVAL; *bad names. */
static int get_prevoice(const json_t *o, struct pn_binding *b, const char **bad)
{
	json_t *pv = json_object_get(o, "preVoice");
	if (!pv || json_is_null(pv))
		return PN_JSON_ABSENT;
	*bad = "preVoice";
	if (!json_is_object(pv))
		return PN_EINVAL;
	if (pn_api_get_tone(pv, "callerHintTone", b->caller_hint_tone) < 0) {
		*bad = "callerHintTone";
		return PN_EINVAL;
	}
	if (pn_api_get_tone(pv, "calleeHintTone", b->callee_hint_tone) < 0) {
		*bad = "calleeHintTone";
		return PN_EINVAL;
	}
	return PN_JSON_OK;
}

static int require_body(struct pn_api_hctx *h)
{
	if (!h->body) {
		pn_api_reply_bad(h->resp, "body");
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ AXB */

static int h_axb_bind(struct pn_api_hctx *h)
{
	struct pn_store_op op = {0};
	struct pn_binding *b = &op.b;
	const char *bad = NULL;
	int present;
	int64_t v;
	int bv;

	if (require_body(h))
		return PN_API_DONE;
	op.type = PN_STORE_OP_AXB_BIND;
	b->mode = PN_MODE_AXB;
	b->private_sms = 1;
	READ(pn_api_get_num(h->body, "callerNum", &b->a), "callerNum");
	if (!present) {
		bad = "callerNum";
		goto bad;
	}
	READ(pn_api_get_num(h->body, "calleeNum", &b->b), "calleeNum");
	if (!present) {
		bad = "calleeNum";
		goto bad;
	}
	if (b->a == b->b) {
		bad = "calleeNum";
		goto bad;
	}
	READ(pn_api_get_num(h->body, "relationNum", &b->x), "relationNum");
	READ(get_area(h->body, op.area_code), "areaCode");
	READ(pn_json_get_int(h->body, "areaMatchMode", 0, 1, &v), "areaMatchMode");
	if (present)
		op.area_mode = (uint8_t)v;
	READ(pn_json_get_int(h->body, "callDirection", 0, 2, &v), "callDirection");
	if (present)
		b->direction = (uint8_t)v;
	READ(pn_json_get_int(h->body, "duration", 0, PN_STORE_AXB_MAX_DURATION, &v), "duration");
	if (present)
		b->duration_s = (uint32_t)v;
	READ(pn_json_get_bool(h->body, "recordFlag", &bv), "recordFlag");
	if (present)
		b->record = (uint8_t)bv;
	READ(pn_api_get_tone(h->body, "recordHintTone", b->record_hint_tone), "recordHintTone");
	READ(pn_json_get_int(h->body, "maxDuration", 0, PN_STORE_MAX_CALL_MIN, &v), "maxDuration");
	if (present)
		b->max_duration_min = (uint16_t)v;
	READ(pn_api_get_tone(h->body, "lastMinVoice", b->last_min_voice), "lastMinVoice");
	READ(pn_json_get_bool(h->body, "privateSms", &bv), "privateSms");
	if (present)
		b->private_sms = (uint8_t)bv;
	if (get_prevoice(h->body, b, &bad) < 0)
		goto bad;
	READ(get_user_data(h->body, b->user_data), "userData");
	return submit(h, &op, PN_MODE_AXB);
bad:
	pn_api_reply_bad(h->resp, bad);
	return PN_API_DONE;
}

static int h_axb_modify(struct pn_api_hctx *h)
{
	struct pn_store_op op = {0};
	struct pn_binding *b = &op.b;
	const char *bad = NULL;
	int present;
	int64_t v;
	int bv;

	if (require_body(h))
		return PN_API_DONE;
	op.type = PN_STORE_OP_AXB_MODIFY;
	b->mode = PN_MODE_AXB;
	READ(j_subid(h->body, &op.id), "subscriptionId");
	if (!present) {
		bad = "subscriptionId";
		goto bad;
	}
	READ(pn_api_get_num(h->body, "callerNum", &b->a), "callerNum");
	if (present)
		op.set_mask |= PN_SET_A;
	READ(pn_api_get_num(h->body, "calleeNum", &b->b), "calleeNum");
	if (present)
		op.set_mask |= PN_SET_B;
	READ(pn_json_get_int(h->body, "callDirection", 0, 2, &v), "callDirection");
	if (present) {
		b->direction = (uint8_t)v;
		op.set_mask |= PN_SET_DIRECTION;
	}
	READ(pn_json_get_int(h->body, "duration", 0, PN_STORE_AXB_MAX_DURATION, &v), "duration");
	if (present) {
		b->duration_s = (uint32_t)v;
		op.set_mask |= PN_SET_DURATION;
	}
	READ(pn_json_get_int(h->body, "maxDuration", 0, PN_STORE_MAX_CALL_MIN, &v), "maxDuration");
	if (present) {
		b->max_duration_min = (uint16_t)v;
		op.set_mask |= PN_SET_MAX_DURATION;
	}
	READ(pn_api_get_tone(h->body, "lastMinVoice", b->last_min_voice), "lastMinVoice");
	if (present)
		op.set_mask |= PN_SET_LAST_MIN_VOICE;
	READ(pn_json_get_bool(h->body, "privateSms", &bv), "privateSms");
	if (present) {
		b->private_sms = (uint8_t)bv;
		op.set_mask |= PN_SET_PRIVATE_SMS;
	}
	READ(pn_json_get_bool(h->body, "recordFlag", &bv), "recordFlag");
	if (present) {
		b->record = (uint8_t)bv;
		op.set_mask |= PN_SET_RECORD;
	}
	READ(pn_api_get_tone(h->body, "recordHintTone", b->record_hint_tone), "recordHintTone");
	if (present)
		op.set_mask |= PN_SET_RECORD_HINT;
	int pv = get_prevoice(h->body, b, &bad);
	if (pv < 0)
		goto bad;
	if (pv == PN_JSON_OK)
		op.set_mask |= PN_SET_PRE_VOICE;
	READ(get_user_data(h->body, b->user_data), "userData");
	if (present)
		op.set_mask |= PN_SET_USER_DATA;
	return submit(h, &op, PN_MODE_AXB);
bad:
	pn_api_reply_bad(h->resp, bad);
	return PN_API_DONE;
}

static int h_axb_unbind(struct pn_api_hctx *h)
{
	struct pn_store_op op = {0};
	const char *bad = NULL;
	int present;

	op.type = PN_STORE_OP_AXB_UNBIND;
	READ(q_subid(&h->q, &op.id), "subscriptionId");
	if (!present) {
		READ(q_num(&h->q, "relationNum", &op.sel_x), "relationNum");
		if (!present) {
			bad = "subscriptionId";
			goto bad;
		}
	}
	return submit(h, &op, PN_MODE_AXB);
bad:
	pn_api_reply_bad(h->resp, bad);
	return PN_API_DONE;
}

/* pageIndex from 1 (absent = 1; not a positive integer = 1010002); pageSize 10..100, any
 * other value (or garbage) = 50 as the spec says "out of range -> 50". */
static int paging(struct pn_api_hctx *h, uint32_t *index, uint32_t *size, const char **bad)
{
	size_t len;
	int64_t v;
	const char *s = pn_query_get(&h->q, "pageIndex", &len);
	*index = 1;
	if (s) {
		if (pn_str_to_int(s, len, 1, 1000000000, &v) != 0) {
			*bad = "pageIndex";
			return -1;
		}
		*index = (uint32_t)v;
	}
	*size = 50;
	s = pn_query_get(&h->q, "pageSize", &len);
	if (s && pn_str_to_int(s, len, 10, 100, &v) == 0)
		*size = (uint32_t)v;
	return 0;
}

/* Room for the answer: one binding for a by-id query, a page for listings (AX by A: at most
 * 5 X; AXYB: the AX part and its YB parts, capped at QUERY_CAP). Not zeroed: the store fills
 * what it reports in page->n. */
static int run_query(struct pn_api_hctx *h, struct pn_store_query *q, struct pn_binding **out,
                     struct pn_store_page *page)
{
	size_t cap = QUERY_CAP;
	if (q->id && q->mode != PN_MODE_AXYB)
		cap = 1;
	else if (q->mode == PN_MODE_AXB || (q->mode == PN_MODE_AXE && !q->ext_set))
		cap = q->page_size >= 1 && q->page_size <= QUERY_CAP ? q->page_size : 50;
	else if (q->mode == PN_MODE_AX || q->mode == PN_MODE_AXE)
		cap = 8;
	*out = malloc(cap * sizeof(**out));
	if (!*out)
		return PN_STORE_EIO;
	q->app_key = h->app.app_key;
	memset(page, 0, sizeof(*page));
	int rc = pn_store_query(h->api->cfg.store, q, *out, cap, page);
	if (page->n > cap)
		page->n = (uint32_t)cap;
	return rc;
}

static int query_err(struct pn_api_hctx *h, int rc, int mode, int api, struct pn_binding *list)
{
	struct pn_store_result res = {0};
	res.rc = rc;
	res.field = NULL;
	reply_store_err(h->resp, &res, mode, api);
	free(list);
	return PN_API_DONE;
}

static int h_axb_query(struct pn_api_hctx *h)
{
	struct pn_store_query q = {0};
	const char *bad = NULL;
	int present;

	q.mode = PN_MODE_AXB;
	if (paging(h, &q.page_index, &q.page_size, &bad) < 0)
		goto bad;
	READ(q_subid(&h->q, &q.id), "subscriptionId");
	if (!present) {
		READ(q_num(&h->q, "relationNum", &q.x), "relationNum");
		if (!present) {
			bad = "relationNum";
			goto bad;
		}
		READ(q_num(&h->q, "callerNum", &q.a), "callerNum");
		READ(q_num(&h->q, "calleeNum", &q.b), "calleeNum");
	}
	struct pn_binding *list;
	struct pn_store_page page;
	int rc = run_query(h, &q, &list, &page);
	if (rc == PN_STORE_NOT_FOUND && !q.id) {
		rc = PN_STORE_OK; /* an X, pair or number with nothing bound: an empty page */
		page.total = page.n = 0;
	}
	if (rc != PN_STORE_OK)
		return query_err(h, rc, PN_MODE_AXB, PN_API_AXB_QUERY, list);
	json_t *o = pn_api_ok_obj();
	set_str(o, "app_key", h->app.app_key);
	set_int(o, "totalCount", page.total);
	set_int(o, "pageIndex", q.id ? 1 : q.page_index);
	set_int(o, "pageSize", q.page_size ? q.page_size : 50);
	json_t *arr = json_array();
	for (uint32_t i = 0; i < page.n && i < QUERY_CAP; i++) {
		const struct pn_binding *b = &list[i];
		json_t *e = json_object();
		set_subid(e, "subscriptionId", b->id);
		set_num(e, "relationNum", b->x);
		set_num(e, "callerNum", b->a);
		set_num(e, "calleeNum", b->b);
		set_int(e, "callDirection", b->direction);
		set_int(e, "duration", b->duration_s);
		set_bool_str(e, "recordFlag", b->record);
		set_time(e, "subscribeTime", b->created_ms);
		set_int(e, "maxDuration", b->max_duration_min);
		if (b->user_data[0])
			set_str(e, "userData", b->user_data);
		json_array_append_new(arr, e);
	}
	json_object_set_new(o, "relationNumList", arr);
	free(list);
	pn_api_reply(h->resp, 200, RC_OK, o);
	return PN_API_DONE;
bad:
	pn_api_reply_bad(h->resp, bad);
	return PN_API_DONE;
}

/* ------------------------------------------------------------------ AX */

/* Common AX fields for bind and modify. With mask != NULL (modify) record what is present. */
static int ax_fields(const json_t *body, struct pn_binding *b, uint32_t *mask, const char **badp)
{
	const char *bad = NULL;
	int present;
	int64_t v;
	int bv;
	uint32_t m = 0;

	READ(pn_json_get_int(body, "calleeNumDisplay", 0, 1, &v), "calleeNumDisplay");
	if (present) {
		b->display_mode = (uint8_t)v;
		m |= PN_SET_DISPLAY;
	}
	READ(pn_json_get_bool(body, "recordFlag", &bv), "recordFlag");
	if (present) {
		b->record = (uint8_t)bv;
		m |= PN_SET_RECORD;
	}
	READ(pn_api_get_tone(body, "recordHintTone", b->record_hint_tone), "recordHintTone");
	if (present)
		m |= PN_SET_RECORD_HINT;
	READ(pn_json_get_bool(body, "privateSms", &bv), "privateSms");
	if (present) {
		b->private_sms = (uint8_t)bv;
		m |= PN_SET_PRIVATE_SMS;
	}
	int pv = get_prevoice(body, b, &bad);
	if (pv < 0)
		goto bad;
	if (pv == PN_JSON_OK)
		m |= PN_SET_PRE_VOICE;
	READ(pn_json_get_int(body, "maxDuration", 0, PN_STORE_MAX_CALL_MIN, &v), "maxDuration");
	if (present) {
		b->max_duration_min = (uint16_t)v;
		m |= PN_SET_MAX_DURATION;
	}
	READ(pn_api_get_tone(body, "lastMinVoice", b->last_min_voice), "lastMinVoice");
	if (present)
		m |= PN_SET_LAST_MIN_VOICE;
	{
		/* turnFlag "on"/"off"; booleans tolerated. */
		json_t *t = json_object_get(body, "turnFlag");
		if (t && !json_is_null(t)) {
			if (json_is_string(t) && strcasecmp(json_string_value(t), "on") == 0)
				b->turn_on = 1;
			else if (json_is_string(t) && strcasecmp(json_string_value(t), "off") == 0)
				b->turn_on = 0;
			else if (pn_json_get_bool(body, "turnFlag", &bv) == PN_JSON_OK)
				b->turn_on = (uint8_t)bv;
			else {
				bad = "turnFlag";
				goto bad;
			}
			m |= PN_SET_TURN;
		}
	}
	READ(pn_json_get_int(body, "callDirection", 0, 2, &v), "callDirection");
	if (present) {
		b->direction = (uint8_t)v;
		m |= PN_SET_DIRECTION;
	}
	READ(get_user_data(body, b->user_data), "userData");
	if (present)
		m |= PN_SET_USER_DATA;
	if (mask)
		*mask |= m;
	return 0;
bad:
	*badp = bad;
	return -1;
}

static int h_ax_bind(struct pn_api_hctx *h)
{
	struct pn_store_op op = {0};
	struct pn_binding *b = &op.b;
	const char *bad = NULL;
	int present;
	int64_t v;

	if (require_body(h))
		return PN_API_DONE;
	op.type = PN_STORE_OP_AX_BIND;
	b->mode = PN_MODE_AX;
	b->private_sms = 1;
	b->turn_on = 1;
	READ(pn_api_get_num(h->body, "origNum", &b->a), "origNum");
	if (!present) {
		bad = "origNum";
		goto bad;
	}
	READ(pn_api_get_num(h->body, "privateNum", &b->x), "privateNum");
	{
		const char *t;
		size_t tl;
		READ(pn_json_get_str(h->body, "privateNumType", 0, 32, &t, &tl), "privateNumType");
		if (present && tl && strcmp(t, "mobile-virtual") != 0) {
			bad = "privateNumType";
			goto bad;
		}
	}
	READ(get_area(h->body, op.area_code), "areaCode");
	int has_area = present && op.area_code[0];
	READ(pn_json_get_int(h->body, "areaMatchMode", 0, 1, &v), "areaMatchMode");
	if (present) {
		if (!has_area) {
			bad = "areaMatchMode";
			goto bad;
		}
		op.area_mode = (uint8_t)v;
	}
	if (ax_fields(h->body, b, NULL, &bad) < 0)
		goto bad;
	return submit(h, &op, PN_MODE_AX);
bad:
	pn_api_reply_bad(h->resp, bad);
	return PN_API_DONE;
}

/* AX selector from a JSON body: subscriptionId or origNum + privateNum. */
static int ax_select_body(const json_t *body, struct pn_store_op *op, const char **bad)
{
	int rc = j_subid(body, &op->id);
	if (rc < 0) {
		*bad = "subscriptionId";
		return -1;
	}
	if (rc == PN_JSON_OK)
		return 0;
	if (pn_api_get_num(body, "origNum", &op->sel_a) != PN_JSON_OK) {
		*bad = "origNum";
		return -1;
	}
	if (pn_api_get_num(body, "privateNum", &op->sel_x) != PN_JSON_OK) {
		*bad = "privateNum";
		return -1;
	}
	return 0;
}

static int h_ax_modify(struct pn_api_hctx *h)
{
	struct pn_store_op op = {0};
	struct pn_binding *b = &op.b;
	const char *bad = NULL;
	int present;

	if (require_body(h))
		return PN_API_DONE;
	op.type = PN_STORE_OP_AX_MODIFY;
	b->mode = PN_MODE_AX;
	if (ax_select_body(h->body, &op, &bad) < 0)
		goto bad;
	if (op.id) {
		/* Selected by id: origNum, if given, is the new A. */
		READ(pn_api_get_num(h->body, "origNum", &b->a), "origNum");
		if (present)
			op.set_mask |= PN_SET_A;
	}
	if (ax_fields(h->body, b, &op.set_mask, &bad) < 0)
		goto bad;
	return submit(h, &op, PN_MODE_AX);
bad:
	pn_api_reply_bad(h->resp, bad);
	return PN_API_DONE;
}

static int h_ax_callee(struct pn_api_hctx *h)
{
	struct pn_store_op op = {0};
	struct pn_binding *b = &op.b;
	const char *bad = NULL;
	int present;
	int64_t v;

	if (require_body(h))
		return PN_API_DONE;
	op.type = PN_STORE_OP_AX_SET_CALLEE;
	b->mode = PN_MODE_AX;
	if (ax_select_body(h->body, &op, &bad) < 0)
		goto bad;
	READ(pn_api_get_num(h->body, "calleeNum", &b->b), "calleeNum");
	if (!present || (op.sel_a && op.sel_a == b->b)) {
		bad = "calleeNum";
		goto bad;
	}
	op.callee_duration_s = PN_STORE_CALLEE_DEFAULT_S;
	READ(pn_json_get_int(h->body, "duration", 1, PN_STORE_CALLEE_MAX_S, &v), "duration");
	if (present)
		op.callee_duration_s = (uint32_t)v;
	READ(get_user_data(h->body, b->user_data), "userData");
	return submit(h, &op, PN_MODE_AX);
bad:
	pn_api_reply_bad(h->resp, bad);
	return PN_API_DONE;
}

static int h_ax_unbind(struct pn_api_hctx *h)
{
	struct pn_store_op op = {0};
	const char *bad = NULL;
	int present;

	op.type = PN_STORE_OP_AX_UNBIND;
	READ(q_subid(&h->q, &op.id), "subscriptionId");
	if (!present) {
		READ(q_num(&h->q, "origNum", &op.sel_a), "origNum");
		if (!present) {
			bad = "subscriptionId";
			goto bad;
		}
		READ(q_num(&h->q, "privateNum", &op.sel_x), "privateNum");
		if (!present) {
			bad = "privateNum";
			goto bad;
		}
	}
	return submit(h, &op, PN_MODE_AX);
bad:
	pn_api_reply_bad(h->resp, bad);
	return PN_API_DONE;
}

static int h_ax_query(struct pn_api_hctx *h)
{
	struct pn_store_query q = {0};
	const char *bad = NULL;
	int present;

	q.mode = PN_MODE_AX;
	READ(q_subid(&h->q, &q.id), "subscriptionId");
	if (!present) {
		READ(q_num(&h->q, "origNum", &q.a), "origNum");
		if (!present) {
			READ(q_num(&h->q, "privateNum", &q.x), "privateNum");
			if (!present) {
				bad = "origNum";
				goto bad;
			}
		}
	}
	struct pn_binding *list;
	struct pn_store_page page;
	int rc = run_query(h, &q, &list, &page);
	if (rc != PN_STORE_OK)
		return query_err(h, rc, PN_MODE_AX, PN_API_AX_QUERY, list);
	json_t *o = pn_api_ok_obj();
	json_t *arr = json_array();
	for (uint32_t i = 0; i < page.n && i < QUERY_CAP; i++) {
		const struct pn_binding *b = &list[i];
		json_t *e = json_object();
		set_subid(e, "subscriptionId", b->id);
		set_num(e, "origNum", b->a);
		set_num(e, "privateNum", b->x);
		set_str(e, "privateNumType", "mobile-virtual");
		set_time(e, "subscribeTime", b->created_ms);
		set_int(e, "calleeNumDisplay", b->display_mode);
		set_bool_str(e, "recordFlag", b->record);
		set_str(e, "recordHintTone", b->record_hint_tone);
		set_bool_str(e, "privateSms", b->private_sms);
		set_str(e, "turnFlag", b->turn_on ? "on" : "off");
		set_int(e, "callDirection", b->direction);
		set_int(e, "maxDuration", b->max_duration_min);
		set_str(e, "lastMinVoice", b->last_min_voice);
		if (b->b) {
			set_num(e, "calleeNum", b->b);
			set_time(e, "calleeNumExpireTime", b->b_expires_ms);
		}
		if (b->user_data[0])
			set_str(e, "userData", b->user_data);
		json_array_append_new(arr, e);
	}
	json_object_set_new(o, "privateNumList", arr);
	free(list);
	pn_api_reply(h->resp, 200, RC_OK, o);
	return PN_API_DONE;
bad:
	pn_api_reply_bad(h->resp, bad);
	return PN_API_DONE;
}

/* ------------------------------------------------------------------ AXE */

static int get_ext(const json_t *o, const char *key, uint8_t *len_out, uint16_t *val_out)
{
	const char *s;
	size_t len;
	int rc = pn_json_get_str(o, key, 0, 4, &s, &len);
	if (rc != PN_JSON_OK)
		return rc;
	if (len == 0)
		return PN_JSON_ABSENT; /* "" = auto-assign */
	int64_t v;
	if (pn_str_to_int(s, len, 0, 9999, &v) != 0 || s[0] == '-')
		return PN_EINVAL;
	*len_out = (uint8_t)len;
	*val_out = (uint16_t)v;
	return PN_JSON_OK;
}

static int q_ext(const struct pn_query *q, uint16_t *val)
{
	size_t len;
	int64_t v;
	const char *s = pn_query_get(q, "extendNum", &len);
	if (!s)
		return PN_JSON_ABSENT;
	if (len < 1 || len > 4 || s[0] == '-' || pn_str_to_int(s, len, 0, 9999, &v) != 0)
		return PN_EINVAL;
	*val = (uint16_t)v;
	return PN_JSON_OK;
}

/* AXE time fields; limits: 90 days in the chosen unit. Defaults: hours, bind 168, callback 0. */
static int axe_times(const json_t *body, struct pn_binding *b, int *any, const char **badp)
{
	const char *bad = NULL;
	int present;
	int64_t v;
	*any = 0;
	READ(pn_json_get_int(body, "timeUnit", 0, 1, &v), "timeUnit");
	if (present) {
		b->time_unit = (uint8_t)v;
		*any = 1;
	}
	int64_t max = b->time_unit ? 129600 : 2160;
	READ(pn_json_get_int(body, "bindExpiredTime", 0, max, &v), "bindExpiredTime");
	if (present) {
		b->bind_expired_time = (uint32_t)v;
		*any = 1;
	}
	READ(pn_json_get_int(body, "callbackExpiredTime", 0, max, &v), "callbackExpiredTime");
	if (present) {
		b->callback_expired_time = (uint32_t)v;
		*any = 1;
	}
	return 0;
bad:
	*badp = bad;
	return -1;
}

static int h_axe_bind(struct pn_api_hctx *h)
{
	struct pn_store_op op = {0};
	struct pn_binding *b = &op.b;
	const char *bad = NULL;
	int present, any;
	int64_t v;
	int bv;

	if (require_body(h))
		return PN_API_DONE;
	op.type = PN_STORE_OP_AXE_BIND;
	b->mode = PN_MODE_AXE;
	b->private_sms = 1;
	READ(pn_api_get_num(h->body, "bindNum", &b->a), "bindNum");
	if (!present) {
		bad = "bindNum";
		goto bad;
	}
	READ(pn_api_get_num(h->body, "virtualNum", &b->x), "virtualNum");
	READ(get_ext(h->body, "extendNum", &b->ext_len, &b->ext), "extendNum");
	READ(get_area(h->body, op.area_code), "areaCode");
	READ(pn_json_get_int(h->body, "areaMatchMode", 0, 1, &v), "areaMatchMode");
	if (present)
		op.area_mode = (uint8_t)v;
	READ(pn_json_get_int(h->body, "displayNumMode", 0, 1, &v), "displayNumMode");
	if (present)
		b->display_mode = (uint8_t)v;
	READ(pn_json_get_bool(h->body, "recordFlag", &bv), "recordFlag");
	if (present)
		b->record = (uint8_t)bv;
	READ(pn_api_get_tone(h->body, "recordHintTone", b->record_hint_tone), "recordHintTone");
	READ(pn_api_get_tone(h->body, "callbackTone", b->callback_tone), "callbackTone");
	int has_tone = present && b->callback_tone[0];
	READ(pn_api_get_num(h->body, "callbackNum", &b->callback_num), "callbackNum");
	if (present && has_tone) {
		bad = "callbackNum"; /* mutually exclusive with callbackTone (FAQ: 1010002) */
		goto bad;
	}
	b->bind_expired_time = 168;
	if (axe_times(h->body, b, &any, &bad) < 0)
		goto bad;
	if (b->time_unit == 1 && json_object_get(h->body, "bindExpiredTime") == NULL)
		b->bind_expired_time = 168 * 60;
	READ(get_user_data(h->body, b->user_data), "userData");
	return submit(h, &op, PN_MODE_AXE);
bad:
	pn_api_reply_bad(h->resp, bad);
	return PN_API_DONE;
}

static int axe_select_body(const json_t *body, struct pn_store_op *op, const char **bad)
{
	int rc = j_subid(body, &op->id);
	if (rc < 0) {
		*bad = "subscriptionId";
		return -1;
	}
	if (rc == PN_JSON_OK)
		return 0;
	if (pn_api_get_num(body, "virtualNum", &op->sel_x) != PN_JSON_OK) {
		*bad = "virtualNum";
		return -1;
	}
	uint8_t l;
	if (get_ext(body, "extendNum", &l, &op->sel_ext) != PN_JSON_OK) {
		*bad = "extendNum";
		return -1;
	}
	op->sel_ext_set = 1;
	return 0;
}

static int h_axe_modify(struct pn_api_hctx *h)
{
	struct pn_store_op op = {0};
	struct pn_binding *b = &op.b;
	const char *bad = NULL;
	int present, any;
	int64_t v;
	int bv;

	if (require_body(h))
		return PN_API_DONE;
	op.type = PN_STORE_OP_AXE_MODIFY;
	b->mode = PN_MODE_AXE;
	if (axe_select_body(h->body, &op, &bad) < 0)
		goto bad;
	READ(pn_json_get_int(h->body, "displayNumMode", 0, 1, &v), "displayNumMode");
	if (present) {
		b->display_mode = (uint8_t)v;
		op.set_mask |= PN_SET_DISPLAY;
	}
	READ(pn_json_get_bool(h->body, "recordFlag", &bv), "recordFlag");
	if (present) {
		b->record = (uint8_t)bv;
		op.set_mask |= PN_SET_RECORD;
	}
	READ(pn_api_get_tone(h->body, "recordHintTone", b->record_hint_tone), "recordHintTone");
	if (present)
		op.set_mask |= PN_SET_RECORD_HINT;
	READ(pn_api_get_tone(h->body, "callbackTone", b->callback_tone), "callbackTone");
	int tone = present;
	{
		/* callbackNum: a number, or "" to clear; it wins over callbackTone. */
		const char *s;
		size_t l;
		int rc = pn_json_get_str(h->body, "callbackNum", 0, 31, &s, &l);
		if (rc < 0) {
			bad = "callbackNum";
			goto bad;
		}
		if (rc == PN_JSON_OK && l > 0) {
			READ(pn_api_get_num(h->body, "callbackNum", &b->callback_num),
			     "callbackNum");
			b->callback_tone[0] = '\0';
		}
		if (rc == PN_JSON_OK || tone)
			op.set_mask |= PN_SET_CALLBACK;
	}
	/* Time fields: the store sets all three together, so start from the current values. */
	struct pn_binding cur;
	int have_cur = 0;
	if (op.id && pn_store_get(h->api->cfg.store, h->app.app_key, op.id, &cur) == 0)
		have_cur = 1;
	if (!have_cur && !op.id) {
		struct pn_store_query q = {.app_key = h->app.app_key,
		                           .mode = PN_MODE_AXE,
		                           .x = op.sel_x,
		                           .ext = op.sel_ext,
		                           .ext_set = 1};
		struct pn_store_page page = {0};
		if (pn_store_query(h->api->cfg.store, &q, &cur, 1, &page) == 0 && page.n == 1)
			have_cur = 1;
	}
	if (have_cur) {
		b->time_unit = cur.time_unit;
		b->bind_expired_time = cur.bind_expired_time;
		b->callback_expired_time = cur.callback_expired_time;
	}
	if (axe_times(h->body, b, &any, &bad) < 0)
		goto bad;
	if (any)
		op.set_mask |= PN_SET_AXE_TIMES;
	READ(get_user_data(h->body, b->user_data), "userData");
	if (present)
		op.set_mask |= PN_SET_USER_DATA;
	return submit(h, &op, PN_MODE_AXE);
bad:
	pn_api_reply_bad(h->resp, bad);
	return PN_API_DONE;
}

static int h_axe_unbind(struct pn_api_hctx *h)
{
	struct pn_store_op op = {0};
	const char *bad = NULL;
	int present;

	op.type = PN_STORE_OP_AXE_UNBIND;
	READ(q_subid(&h->q, &op.id), "subscriptionId");
	if (!present) {
		READ(q_num(&h->q, "virtualNum", &op.sel_x), "virtualNum");
		if (!present) {
			bad = "subscriptionId";
			goto bad;
		}
		READ(q_ext(&h->q, &op.sel_ext), "extendNum");
		if (!present) {
			bad = "extendNum";
			goto bad;
		}
		op.sel_ext_set = 1;
	}
	return submit(h, &op, PN_MODE_AXE);
bad:
	pn_api_reply_bad(h->resp, bad);
	return PN_API_DONE;
}

static json_t *axe_entry(const struct pn_binding *b)
{
	char ext[8];
	json_t *e = json_object();
	set_subid(e, "subscriptionId", b->id);
	set_num(e, "virtualNum", b->x);
	fmt_ext(b, ext);
	set_str(e, "extendNum", ext);
	set_num(e, "bindNum", b->a);
	set_int(e, "displayNumMode", b->display_mode);
	set_bool_str(e, "recordFlag", b->record);
	set_str(e, "recordHintTone", b->record_hint_tone);
	set_str(e, "callbackTone", b->callback_tone);
	if (b->callback_num)
		set_num(e, "callbackNum", b->callback_num);
	else
		set_str(e, "callbackNum", "");
	set_int(e, "timeUnit", b->time_unit);
	set_int(e, "bindExpiredTime", b->bind_expired_time);
	set_int(e, "callbackExpiredTime", b->callback_expired_time);
	set_str(e, "userData", b->user_data);
	set_time(e, "subscribeTime", b->created_ms);
	return e;
}

static int h_axe_query(struct pn_api_hctx *h)
{
	struct pn_store_query q = {0};
	const char *bad = NULL;
	int present;

	q.mode = PN_MODE_AXE;
	READ(q_subid(&h->q, &q.id), "subscriptionId");
	if (!present) {
		READ(q_num(&h->q, "virtualNum", &q.x), "virtualNum");
		if (!present) {
			bad = "subscriptionId";
			goto bad;
		}
		READ(q_ext(&h->q, &q.ext), "extendNum");
		if (!present) {
			bad = "extendNum";
			goto bad;
		}
		q.ext_set = 1;
	}
	struct pn_binding *list;
	struct pn_store_page page;
	int rc = run_query(h, &q, &list, &page);
	if (rc == PN_STORE_OK && page.n == 0)
		rc = PN_STORE_NOT_FOUND;
	if (rc != PN_STORE_OK)
		return query_err(h, rc, PN_MODE_AXE, PN_API_AXE_QUERY, list);
	/* v1 answers one binding with its fields at the top level (docs/API.md). */
	json_t *o = pn_api_ok_obj();
	json_t *e = axe_entry(&list[0]);
	json_object_update(o, e);
	json_decref(e);
	free(list);
	pn_api_reply(h->resp, 200, RC_OK, o);
	return PN_API_DONE;
bad:
	pn_api_reply_bad(h->resp, bad);
	return PN_API_DONE;
}

static int h_axe_query2(struct pn_api_hctx *h)
{
	struct pn_store_query q = {0};
	const char *bad = NULL;
	size_t len;
	int64_t v;

	q.mode = PN_MODE_AXE;
	const char *cur = pn_query_get(&h->q, "cursor", &len);
	if (cur) {
		if (pn_str_check(cur, len, 1, 40) != 0) {
			bad = "cursor";
			goto bad;
		}
		q.cursor = cur;
	}
	q.page_size = 50;
	const char *lim = pn_query_get(&h->q, "limit", &len);
	if (lim && pn_str_to_int(lim, len, 1, 100, &v) == 0)
		q.page_size = (uint32_t)v;
	struct pn_binding *list;
	struct pn_store_page page;
	int rc = run_query(h, &q, &list, &page);
	if (rc == PN_STORE_EINVAL) {
		free(list);
		bad = "cursor";
		goto bad;
	}
	if (rc != PN_STORE_OK)
		return query_err(h, rc, PN_MODE_AXE, PN_API_AXE_QUERY2, list);
	json_t *o = pn_api_ok_obj();
	set_int(o, "totalCount", page.total);
	set_str(o, "nextCusor", page.next_cursor);
	json_t *arr = json_array();
	for (uint32_t i = 0; i < page.n && i < QUERY_CAP; i++)
		json_array_append_new(arr, axe_entry(&list[i]));
	json_object_set_new(o, "extendNumList", arr);
	free(list);
	pn_api_reply(h->resp, 200, RC_OK, o);
	return PN_API_DONE;
bad:
	pn_api_reply_bad(h->resp, bad);
	return PN_API_DONE;
}

/* ------------------------------------------------------------------ AXYB */

/* duration / ybDuration: String(1-32) or integer, 0 or 60..7776000. */
static int axyb_duration(const json_t *o, const char *key, uint32_t *out)
{
	int64_t v;
	int rc = pn_json_get_int(o, key, 0, PN_STORE_AXB_MAX_DURATION, &v);
	if (rc != PN_JSON_OK)
		return rc;
	if (v != 0 && v < 60)
		return PN_EINVAL;
	*out = (uint32_t)v;
	return PN_JSON_OK;
}

static int h_axyb_bind(struct pn_api_hctx *h)
{
	struct pn_store_op op = {0};
	struct pn_binding *b = &op.b;
	const char *bad = NULL;
	int present;
	int64_t v;
	int bv;

	if (require_body(h))
		return PN_API_DONE;
	READ(j_subid(h->body, &op.id), "subscriptionId");
	int yb = present;
	op.type = yb ? PN_STORE_OP_AXYB_BIND_YB : PN_STORE_OP_AXYB_BIND_AX;
	b->mode = yb ? PN_MODE_YB : PN_MODE_AXYB;
	b->private_sms = 1;
	READ(pn_api_get_num(h->body, "origNum", &b->a), "origNum");
	if (!present) {
		bad = "origNum";
		goto bad;
	}
	READ(get_area(h->body, op.area_code), "areaCode");
	READ(pn_json_get_int(h->body, "areaMatchMode", 0, 1, &v), "areaMatchMode");
	if (present)
		op.area_mode = (uint8_t)v;
	READ(axyb_duration(h->body, "ybDuration", &b->yb_duration_s), "ybDuration");
	if (yb) {
		READ(pn_api_get_num(h->body, "relationNum", &b->x), "relationNum");
		READ(pn_api_get_tone(h->body, "preVoiceY", b->callee_hint_tone), "preVoiceY");
	} else {
		READ(pn_api_get_num(h->body, "relationNum", &b->x), "relationNum");
		READ(pn_json_get_int(h->body, "callDirection", 0, 2, &v), "callDirection");
		if (present)
			b->direction = (uint8_t)v;
		READ(axyb_duration(h->body, "duration", &b->duration_s), "duration");
		READ(pn_json_get_bool(h->body, "recordFlag", &bv), "recordFlag");
		if (present)
			b->record = (uint8_t)bv;
		READ(pn_api_get_tone(h->body, "recordHintTone", b->record_hint_tone),
		     "recordHintTone");
		READ(pn_api_get_tone(h->body, "preVoiceX", b->caller_hint_tone), "preVoiceX");
		READ(pn_api_get_tone(h->body, "preVoiceY", b->callee_hint_tone), "preVoiceY");
		READ(get_user_data(h->body, b->user_data), "userData");
	}
	return submit(h, &op, PN_MODE_AXYB);
bad:
	pn_api_reply_bad(h->resp, bad);
	return PN_API_DONE;
}

static int h_axyb_unbind(struct pn_api_hctx *h)
{
	struct pn_store_op op = {0};
	const char *bad = NULL;
	int present;

	op.type = PN_STORE_OP_AXYB_UNBIND;
	READ(q_subid(&h->q, &op.id), "subscriptionId");
	if (!present) {
		bad = "subscriptionId";
		goto bad;
	}
	READ(q_num(&h->q, "yNum", &op.sel_y), "yNum");
	if (!present)
		READ(q_num(&h->q, "bNum", &op.sel_b), "bNum");
	return submit(h, &op, PN_MODE_AXYB);
bad:
	pn_api_reply_bad(h->resp, bad);
	return PN_API_DONE;
}

static json_t *axyb_entry(const struct pn_binding *ax, const struct pn_binding *yb)
{
	json_t *e = json_object();
	set_subid(e, "bindId", ax->id);
	set_num(e, "numA", ax->a);
	set_num(e, "numX", ax->x);
	if (yb) {
		set_num(e, "numY", yb->x);
		set_num(e, "numB", yb->a);
	} else {
		set_str(e, "numY", "");
		set_str(e, "numB", "");
	}
	set_bool_str(e, "recordFlag", ax->record);
	set_str(e, "recordHintTone", ax->record_hint_tone);
	set_time(e, "subscribeTime", (yb ? yb : ax)->created_ms);
	set_int(e, "callDirection", ax->direction);
	char buf[16];
	snprintf(buf, sizeof(buf), "%u", ax->duration_s);
	set_str(e, "duration", buf);
	snprintf(buf, sizeof(buf), "%u", yb ? yb->yb_duration_s : ax->yb_duration_s);
	set_str(e, "ybDuration", buf);
	set_str(e, "preVoiceX", ax->caller_hint_tone);
	set_str(e, "preVoiceY",
	        yb && yb->callee_hint_tone[0] ? yb->callee_hint_tone : ax->callee_hint_tone);
	set_str(e, "userData", ax->user_data);
	return e;
}

static int h_axyb_query(struct pn_api_hctx *h)
{
	struct pn_store_query q = {0};
	const char *bad = NULL;
	int present;

	q.mode = PN_MODE_AXYB;
	READ(q_subid(&h->q, &q.id), "subscriptionId");
	if (!present) {
		READ(q_num(&h->q, "relationNum", &q.x), "relationNum");
		if (!present) {
			bad = "subscriptionId";
			goto bad;
		}
	}
	struct pn_binding *list;
	struct pn_store_page page;
	int rc = run_query(h, &q, &list, &page);
	if (rc == PN_STORE_OK && page.n == 0)
		rc = PN_STORE_NOT_FOUND;
	if (rc != PN_STORE_OK)
		return query_err(h, rc, PN_MODE_AXYB, PN_API_AXYB_QUERY, list);
	json_t *o = pn_api_ok_obj();
	json_t *arr = json_array();
	const struct pn_binding *ax = NULL;
	int ybs = 0;
	for (uint32_t i = 0; i < page.n && i < QUERY_CAP; i++) {
		const struct pn_binding *b = &list[i];
		if (b->mode == PN_MODE_AXYB) {
			if (ax && !ybs)
				json_array_append_new(arr, axyb_entry(ax, NULL));
			ax = b;
			ybs = 0;
		} else if (b->mode == PN_MODE_YB && ax && b->parent_id == ax->id) {
			json_array_append_new(arr, axyb_entry(ax, b));
			ybs++;
		}
	}
	if (ax && !ybs)
		json_array_append_new(arr, axyb_entry(ax, NULL));
	json_object_set_new(o, "xyRelationNumList", arr);
	free(list);
	pn_api_reply(h->resp, 200, RC_OK, o);
	return PN_API_DONE;
bad:
	pn_api_reply_bad(h->resp, bad);
	return PN_API_DONE;
}

/* ------------------------------------------------------------------ routing */

enum { M_GET = 1, M_POST = 2, M_PUT = 4, M_DELETE = 8 };

struct route {
	const char *path;
	unsigned method;
	int api;
	int mode;
	int (*fn)(struct pn_api_hctx *h);
};

static const struct route routes[] = {
    {"/rest/caas/relationnumber/partners/v1.0", M_POST, PN_API_AXB_BIND, PN_MODE_AXB, h_axb_bind},
    {"/rest/caas/relationnumber/partners/v1.0", M_PUT, PN_API_AXB_MODIFY, PN_MODE_AXB,
     h_axb_modify},
    {"/rest/caas/relationnumber/partners/v1.0", M_DELETE, PN_API_AXB_UNBIND, PN_MODE_AXB,
     h_axb_unbind},
    {"/rest/caas/relationnumber/partners/v1.0", M_GET, PN_API_AXB_QUERY, PN_MODE_AXB, h_axb_query},
    {"/rest/provision/caas/privatenumber/v1.0", M_POST, PN_API_AX_BIND, PN_MODE_AX, h_ax_bind},
    {"/rest/provision/caas/privatenumber/v1.0", M_PUT, PN_API_AX_MODIFY, PN_MODE_AX, h_ax_modify},
    {"/rest/provision/caas/privatenumber/v1.0", M_DELETE, PN_API_AX_UNBIND, PN_MODE_AX,
     h_ax_unbind},
    {"/rest/provision/caas/privatenumber/v1.0", M_GET, PN_API_AX_QUERY, PN_MODE_AX, h_ax_query},
    {"/rest/caas/privatenumber/calleenumber/v1.0", M_PUT, PN_API_AX_CALLEE, PN_MODE_AX,
     h_ax_callee},
    {"/rest/caas/extendnumber/v1.0", M_POST, PN_API_AXE_BIND, PN_MODE_AXE, h_axe_bind},
    {"/rest/caas/extendnumber/v1.0", M_PUT, PN_API_AXE_MODIFY, PN_MODE_AXE, h_axe_modify},
    {"/rest/caas/extendnumber/v1.0", M_DELETE, PN_API_AXE_UNBIND, PN_MODE_AXE, h_axe_unbind},
    {"/rest/caas/extendnumber/v1.0", M_GET, PN_API_AXE_QUERY, PN_MODE_AXE, h_axe_query},
    {"/rest/caas/extendnumber/v2.0", M_GET, PN_API_AXE_QUERY2, PN_MODE_AXE, h_axe_query2},
    {"/rest/omp/xyrelationnumber/v1.0", M_POST, PN_API_AXYB_BIND, PN_MODE_AXYB, h_axyb_bind},
    {"/rest/omp/xyrelationnumber/v1.0", M_DELETE, PN_API_AXYB_UNBIND, PN_MODE_AXYB, h_axyb_unbind},
    {"/rest/omp/xyrelationnumber/v1.0", M_GET, PN_API_AXYB_QUERY, PN_MODE_AXYB, h_axyb_query},
};

static unsigned method_bit(const char *m)
{
	if (!m)
		return 0;
	if (strcmp(m, "GET") == 0)
		return M_GET;
	if (strcmp(m, "POST") == 0)
		return M_POST;
	if (strcmp(m, "PUT") == 0)
		return M_PUT;
	if (strcmp(m, "DELETE") == 0)
		return M_DELETE;
	return 0;
}

static int64_t wall_s(void)
{
	return (int64_t)time(NULL);
}

/* Authenticate; on failure fill resp and return -1. */
static int authenticate(struct pn_api_hctx *h, int mode)
{
	struct pn_api *api = h->api;
	const struct pn_api_req *req = h->req;
	const char *ip = req->peer_ip ? req->peer_ip : "";
	int64_t now = wall_s();
	struct pn_auth_creds c;

	if (pn_auth_ip_blocked(api->cfg.auth, ip, now)) {
		pn_api_reply_err(h->resp, 403, PN_RC_AUTH_BLOCKED,
		                 "Authentication failed, try again later");
		return -1;
	}
	int rc = pn_auth_parse(req->authorization, req->x_wsse, req->x_aksk, &c);
	const char *desc = "Authentication failed";
	if (rc == 0) {
		int src = pn_api_app_get(api, c.username, &h->app);
		if (src == PN_STORE_NOT_FOUND) {
			rc = PN_RC_AUTH_INVALID;
			desc = "Invalid app_key";
		} else if (src != PN_STORE_OK) {
			pn_api_reply_err(h->resp, 500, RC_INTERNAL, "Internal system error");
			return -1;
		} else {
			rc = pn_auth_verify(api->cfg.auth, &c, h->app.app_secret, now);
			if (rc == PN_RC_AUTH_INVALID)
				desc = "Invalid app_key or PasswordDigest";
			else if (rc == PN_RC_AUTH_SKEW)
				desc = "Created is out of the allowed time window";
			else if (rc == PN_RC_AUTH_REPLAY)
				desc = "Nonce has already been used";
		}
	} else if (rc == PN_RC_AUTH_BAD_CREATED) {
		desc = "Created format is wrong";
	} else {
		desc = "Authentication header is invalid";
	}
	if (rc != 0) {
		pn_auth_ip_fail(api->cfg.auth, ip, now);
		pn_api_reply_err(h->resp, 401, rc, desc);
		return -1;
	}
	if (h->app.status != PN_APP_ACTIVE) {
		pn_api_reply_err(h->resp, 403, RC_APP_DISABLED,
		                 "The status of the app_key is unavailable");
		return -1;
	}
	if (h->app.mode != mode) {
		pn_api_reply_err(h->resp, 403, RC_WRONG_MODE,
		                 "The app_key is not allowed to invoke the API");
		return -1;
	}
	return 0;
}

static int parse_body(struct pn_api_hctx *h)
{
	const struct pn_api_req *req = h->req;
	if (req->body_too_large) {
		pn_api_reply_err(h->resp, 413, RC_INVALID, "Invalid parameter: body too large");
		return -1;
	}
	if (!req->body || req->body_len == 0)
		return 0;
	json_error_t err;
	json_t *j = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &err);
	if (!j || !json_is_object(j)) {
		json_decref(j);
		pn_api_reply_bad(h->resp, "body");
		return -1;
	}
	h->body = j;
	return 0;
}

static void health(struct pn_api_hctx *h)
{
	json_t *o = pn_api_ok_obj();
	set_str(o, "status", "ok");
	set_int(o, "lastSeq", (int64_t)pn_store_last_seq(h->api->cfg.store));
	pn_api_reply(h->resp, 200, -1, o);
}

int pn_api_handle(struct pn_api *api, const struct pn_api_req *req, struct pn_api_resp *resp,
                  pn_api_done_fn done, void *arg)
{
	struct pn_api_hctx h;
	memset(resp, 0, sizeof(*resp));
	h.api = api;
	h.req = req;
	h.resp = resp;
	h.body = NULL;
	h.done = done;
	h.arg = arg;
	memset(&h.app, 0, sizeof(h.app));
	resp->start_ns = mono_ns();
	resp->api = PN_API_UNKNOWN;
	int ret = PN_API_DONE;
	const char *path = req->path ? req->path : "";
	unsigned m = method_bit(req->method);

	if (pn_query_parse(&h.q, req->query, req->query ? req->query_len : 0) != 0) {
		h.q.n = 0;
		pn_api_reply_bad(resp, "query");
		goto out;
	}
	if (strcmp(path, "/health") == 0) {
		resp->api = PN_API_HEALTH;
		health(&h);
		goto out;
	}
	if (strcmp(path, "/metrics") == 0) {
		resp->api = PN_API_METRICS;
		size_t len = 0;
		char *s = api->cfg.metrics ? pn_metrics_render(api->cfg.metrics, &len) : NULL;
		if (!s) {
			pn_api_reply_err(resp, 500, RC_INTERNAL, "metrics unavailable");
			goto out;
		}
		resp->body = s;
		resp->body_len = len;
		resp->status = 200;
		resp->resultcode = -1;
		resp->content_type = "text/plain; version=0.0.4";
		goto out;
	}
	if (strncmp(path, "/admin/", 7) == 0) {
		resp->api = PN_API_ADMIN;
		if (req->body_too_large) {
			pn_api_reply_err(resp, 413, RC_INVALID,
			                 "Invalid parameter: body too large");
			goto out;
		}
		ret = pn_admin_handle(&h, path + 6);
		goto out;
	}
	const struct route *found = NULL;
	int path_known = 0;
	for (size_t i = 0; i < PN_ARRAY_SIZE(routes); i++) {
		if (strcmp(routes[i].path, path) != 0)
			continue;
		path_known = 1;
		if (routes[i].method == m) {
			found = &routes[i];
			break;
		}
	}
	if (!found) {
		if (path_known)
			pn_api_reply_err(resp, 405, RC_INVALID, "Method not allowed");
		else
			pn_api_reply_err(resp, 404, RC_INVALID, "Unknown URI");
		goto out;
	}
	resp->api = found->api;
	if (authenticate(&h, found->mode) < 0)
		goto out;
	if (found->mode == PN_MODE_AXYB) {
		size_t l;
		const char *k = pn_query_get(&h.q, "app_key", &l);
		if (k && strcmp(k, h.app.app_key) != 0) {
			pn_api_reply_err(resp, 401, RC_BAD_APPKEY, "Invalid app_key");
			goto out;
		}
	}
	if (parse_body(&h) < 0)
		goto out;
	ret = found->fn(&h);
out:
	json_decref(h.body);
	if (ret == PN_API_DONE && api->cfg.metrics)
		pn_metrics_observe(api->cfg.metrics, resp->api, resp->resultcode,
		                   mono_ns() - resp->start_ns);
	return ret;
}

static unsigned app_slot(const char *key)
{
	uint32_t h = 2166136261u;
	for (const char *p = key; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	return h % PN_APP_CACHE;
}

int pn_api_app_get(struct pn_api *api, const char *key, struct pn_store_app *out)
{
	struct pn_app_slot *s = &api->apps[app_slot(key)];
	uint64_t gen = __atomic_load_n(&api->app_gen, __ATOMIC_ACQUIRE);
	int64_t now = mono_ns();
	pthread_mutex_lock(&s->mu);
	if (s->valid && s->gen == gen && now - s->loaded_ns < PN_APP_CACHE_TTL_NS &&
	    strcmp(s->app.app_key, key) == 0) {
		*out = s->app;
		pthread_mutex_unlock(&s->mu);
		return PN_STORE_OK;
	}
	pthread_mutex_unlock(&s->mu);
	int rc = pn_store_app_get(api->cfg.store, key, out);
	if (rc == PN_STORE_OK) {
		pthread_mutex_lock(&s->mu);
		s->app = *out;
		s->gen = gen;
		s->loaded_ns = now;
		s->valid = 1;
		pthread_mutex_unlock(&s->mu);
	}
	return rc;
}

void pn_api_app_invalidate(struct pn_api *api)
{
	__atomic_add_fetch(&api->app_gen, 1, __ATOMIC_ACQ_REL);
}

struct pn_api *pn_api_new(const struct pn_api_config *cfg)
{
	struct pn_api *api = calloc(1, sizeof(*api));
	if (!api)
		return NULL;
	for (int i = 0; i < PN_APP_CACHE; i++)
		pthread_mutex_init(&api->apps[i].mu, NULL);
	api->cfg = *cfg;
	if (cfg->admin_token)
		snprintf(api->admin_token, sizeof(api->admin_token), "%s", cfg->admin_token);
	api->cfg.admin_token = api->admin_token;
	return api;
}

void pn_api_free(struct pn_api *api)
{
	if (!api)
		return;
	for (int i = 0; i < PN_APP_CACHE; i++)
		pthread_mutex_destroy(&api->apps[i].mu);
	free(api);
}
