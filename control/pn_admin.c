/*
 * pn_admin.c: the operator API (our extension, not Huawei's), under /admin/v1/, authorised
 * by "Authorization: Bearer <admin token>" from the configuration (compared in constant
 * time). Every answer carries resultcode/resultdesc like the Huawei API.
 *
 *   POST   /admin/v1/apps                  create an app {name, mode, appKey?, appSecret?,
 *                                          recording?, eventUrl?, cdrUrl?, xstatusUrl?,
 *                                          extLen?, tones?{noPermission, serviceError,
 *                                          noBinding, extPrompt, extError}}
 *   GET    /admin/v1/apps                  list apps (secrets omitted), ?after=<appKey>
 *   GET    /admin/v1/apps/<appKey>         one app (with its secret)
 *   PUT    /admin/v1/apps/<appKey>         update: status "active"|"disabled", name,
 *                                          recording, URLs, tones, extLen, appSecret
 *   POST   /admin/v1/numbers               add an X {number, areaCode, appKey, status?}
 *   GET    /admin/v1/numbers               list, ?appKey=&after=
 *   PUT    /admin/v1/numbers               status {number, status "normal"|"unavailable", cause}
 *   DELETE /admin/v1/numbers?number=%2B...  remove (refused while bindings use it)
 *
 * Admin writes go through pn_store_exec (one blocking commit round; admin traffic is rare).
 * Threading: as pn_api.c.
 */
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pn_api_int.h"
#include "pn_number.h"

static const char *const mode_names[] = {
    [PN_MODE_AXB] = "AXB",   [PN_MODE_AX] = "AX", [PN_MODE_AXE] = "AXE",
    [PN_MODE_AXYB] = "AXYB", [PN_MODE_X] = "X",
};

static int mode_parse(const char *s)
{
	for (int m = PN_MODE_AXB; m <= PN_MODE_X; m++)
		if (m != PN_MODE_YB && mode_names[m] && strcasecmp(s, mode_names[m]) == 0)
			return m;
	return -1;
}

static int token_ok(struct pn_api_hctx *h)
{
	const char *want = h->api->admin_token;
	const char *got = h->req->authorization;
	if (!want[0] || !got || strncasecmp(got, "Bearer ", 7) != 0)
		return 0;
	got += 7;
	while (*got == ' ')
		got++;
	size_t lw = strlen(want), lg = strlen(got);
	return lw == lg && CRYPTO_memcmp(want, got, lw) == 0;
}

static int get_copy(const json_t *o, const char *key, char *dst, size_t cap, const char **bad)
{
	const char *s;
	size_t len;
	int rc = pn_json_get_str(o, key, 0, cap - 1, &s, &len);
	if (rc < 0) {
		*bad = key;
		return -1;
	}
	if (rc == PN_JSON_OK) {
		memcpy(dst, s, len);
		dst[len] = '\0';
		return 1;
	}
	return 0;
}

static json_t *app_json(const struct pn_store_app *a, int with_secret)
{
	json_t *o = json_object();
	json_object_set_new(o, "appKey", json_string(a->app_key));
	if (with_secret)
		json_object_set_new(o, "appSecret", json_string(a->app_secret));
	json_object_set_new(o, "name", json_string(a->name));
	json_object_set_new(o, "mode",
	                    json_string(a->mode < PN_ARRAY_SIZE(mode_names) && mode_names[a->mode]
	                                    ? mode_names[a->mode]
	                                    : "?"));
	json_object_set_new(o, "status",
	                    json_string(a->status == PN_APP_ACTIVE ? "active" : "disabled"));
	json_object_set_new(o, "recording", json_boolean(a->recording));
	json_object_set_new(o, "extLen", json_integer(a->ext_len));
	json_object_set_new(o, "eventUrl", json_string(a->event_url));
	json_object_set_new(o, "cdrUrl", json_string(a->cdr_url));
	json_object_set_new(o, "xstatusUrl", json_string(a->xstatus_url));
	json_t *t = json_object();
	json_object_set_new(t, "noPermission", json_string(a->tone_no_permission));
	json_object_set_new(t, "serviceError", json_string(a->tone_service_error));
	json_object_set_new(t, "noBinding", json_string(a->tone_no_binding));
	json_object_set_new(t, "extPrompt", json_string(a->tone_ext_prompt));
	json_object_set_new(t, "extError", json_string(a->tone_ext_error));
	json_object_set_new(o, "tones", t);
	return o;
}

static int url_ok(const char *u)
{
	return u[0] == '\0' || strncmp(u, "http://", 7) == 0 || strncmp(u, "https://", 8) == 0;
}

/* Read the optional app fields into a; sets *mask bits. Returns 0 or -1 with *bad. */
static int app_fields(const json_t *b, struct pn_store_app *a, uint32_t *mask, const char **bad)
{
	int r, bv;
	int64_t v;
	if ((r = get_copy(b, "name", a->name, sizeof(a->name), bad)) < 0)
		return -1;
	if (r)
		*mask |= PN_APP_SET_NAME;
	r = pn_json_get_bool(b, "recording", &bv);
	if (r < 0) {
		*bad = "recording";
		return -1;
	}
	if (r == PN_JSON_OK) {
		a->recording = (uint8_t)bv;
		*mask |= PN_APP_SET_RECORDING;
	}
	int u = 0;
	if ((r = get_copy(b, "eventUrl", a->event_url, sizeof(a->event_url), bad)) < 0 ||
	    !url_ok(a->event_url)) {
		*bad = "eventUrl";
		return -1;
	}
	u |= r;
	if ((r = get_copy(b, "cdrUrl", a->cdr_url, sizeof(a->cdr_url), bad)) < 0 ||
	    !url_ok(a->cdr_url)) {
		*bad = "cdrUrl";
		return -1;
	}
	u |= r;
	if ((r = get_copy(b, "xstatusUrl", a->xstatus_url, sizeof(a->xstatus_url), bad)) < 0 ||
	    !url_ok(a->xstatus_url)) {
		*bad = "xstatusUrl";
		return -1;
	}
	u |= r;
	if (u)
		*mask |= PN_APP_SET_URLS;
	r = pn_json_get_int(b, "extLen", 1, 4, &v);
	if (r < 0) {
		*bad = "extLen";
		return -1;
	}
	if (r == PN_JSON_OK) {
		a->ext_len = (uint8_t)v;
		*mask |= PN_APP_SET_EXT;
	}
	json_t *t = json_object_get(b, "tones");
	if (t && !json_is_null(t)) {
		if (!json_is_object(t)) {
			*bad = "tones";
			return -1;
		}
		static const struct {
			const char *k;
			size_t off;
		} tk[] = {
		    {"noPermission", offsetof(struct pn_store_app, tone_no_permission)},
		    {"serviceError", offsetof(struct pn_store_app, tone_service_error)},
		    {"noBinding", offsetof(struct pn_store_app, tone_no_binding)},
		    {"extPrompt", offsetof(struct pn_store_app, tone_ext_prompt)},
		    {"extError", offsetof(struct pn_store_app, tone_ext_error)},
		};
		for (size_t i = 0; i < PN_ARRAY_SIZE(tk); i++) {
			if (pn_api_get_tone(t, tk[i].k, (char *)a + tk[i].off) < 0) {
				*bad = tk[i].k;
				return -1;
			}
		}
		*mask |= PN_APP_SET_TONES;
	}
	return 0;
}

static void reply_res(struct pn_api_hctx *h, int rc, const struct pn_store_result *res)
{
	if (rc == PN_STORE_EINVAL && res->field) {
		pn_api_reply_bad(h->resp, res->field);
		return;
	}
	struct pn_api_rc m = pn_api_map_store_rc(rc, PN_MODE_NONE, PN_API_ADMIN);
	if (rc == PN_STORE_NOT_FOUND)
		m.resultdesc = "Not found";
	pn_api_reply_err(h->resp, m.http_status, m.resultcode, m.resultdesc);
}

static int apps_create(struct pn_api_hctx *h)
{
	struct pn_store_op op = {0};
	struct pn_store_result res;
	const char *bad = NULL;
	const char *ms;
	size_t ml;
	uint32_t mask = 0;

	op.type = PN_STORE_OP_APP_CREATE;
	op.app.ext_len = 4;
	if (pn_json_get_str(h->body, "mode", 1, 8, &ms, &ml) != PN_JSON_OK || mode_parse(ms) < 0) {
		bad = "mode";
		goto bad;
	}
	op.app.mode = (uint8_t)mode_parse(ms);
	if (get_copy(h->body, "appKey", op.app.app_key, sizeof(op.app.app_key), &bad) < 0 ||
	    get_copy(h->body, "appSecret", op.app.app_secret, sizeof(op.app.app_secret), &bad) < 0)
		goto bad;
	for (const char *p = op.app.app_key; *p; p++)
		if (*p == '"' || *p == ',' || *p == ' ' || *p == '/' || *p == '\\') {
			bad = "appKey";
			goto bad;
		}
	if (app_fields(h->body, &op.app, &mask, &bad) < 0)
		goto bad;
	int rc = pn_store_exec(h->api->cfg.store, &op, &res);
	pn_api_app_invalidate(h->api);
	if (rc != PN_STORE_OK) {
		reply_res(h, rc, &res);
		return PN_API_DONE;
	}
	json_t *o = pn_api_ok_obj();
	json_object_set_new(o, "app", app_json(&res.app, 1));
	pn_api_reply(h->resp, 201, 0, o);
	return PN_API_DONE;
bad:
	pn_api_reply_bad(h->resp, bad);
	return PN_API_DONE;
}

static int apps_list(struct pn_api_hctx *h)
{
	enum { CAP = 100 };
	struct pn_store_app *apps = calloc(CAP, sizeof(*apps));
	if (!apps) {
		pn_api_reply_err(h->resp, 500, 1010001, "Internal system error");
		return PN_API_DONE;
	}
	const char *after = pn_query_get(&h->q, "after", NULL);
	int n = pn_store_app_list(h->api->cfg.store, after ? after : "", apps, CAP);
	if (n < 0) {
		free(apps);
		pn_api_reply_err(h->resp, 500, 1010001, "Internal system error");
		return PN_API_DONE;
	}
	json_t *o = pn_api_ok_obj();
	json_t *arr = json_array();
	for (int i = 0; i < n; i++)
		json_array_append_new(arr, app_json(&apps[i], 0));
	json_object_set_new(o, "apps", arr);
	free(apps);
	pn_api_reply(h->resp, 200, 0, o);
	return PN_API_DONE;
}

static int app_one(struct pn_api_hctx *h, const char *key, unsigned method)
{
	struct pn_store_app a;
	int rc = pn_store_app_get(h->api->cfg.store, key, &a);
	if (rc != PN_STORE_OK) {
		struct pn_store_result res = {.rc = rc};
		reply_res(h, rc, &res);
		return PN_API_DONE;
	}
	if (method == 1) {
		json_t *o = pn_api_ok_obj();
		json_object_set_new(o, "app", app_json(&a, 1));
		pn_api_reply(h->resp, 200, 0, o);
		return PN_API_DONE;
	}
	if (!h->body) {
		pn_api_reply_bad(h->resp, "body");
		return PN_API_DONE;
	}
	struct pn_store_op op = {0};
	struct pn_store_result res;
	const char *bad = NULL;
	const char *s;
	size_t l;
	op.type = PN_STORE_OP_APP_UPDATE;
	op.app = a;
	int r = pn_json_get_str(h->body, "status", 1, 16, &s, &l);
	if (r < 0 || (r == PN_JSON_OK && strcmp(s, "active") && strcmp(s, "disabled"))) {
		bad = "status";
		goto bad;
	}
	if (r == PN_JSON_OK) {
		op.app.status = strcmp(s, "active") == 0 ? PN_APP_ACTIVE : PN_APP_DISABLED;
		op.set_mask |= PN_APP_SET_STATUS;
	}
	r = get_copy(h->body, "appSecret", op.app.app_secret, sizeof(op.app.app_secret), &bad);
	if (r < 0)
		goto bad;
	if (r)
		op.set_mask |= PN_APP_SET_SECRET;
	if (app_fields(h->body, &op.app, &op.set_mask, &bad) < 0)
		goto bad;
	if (op.set_mask & PN_APP_SET_EXT)
		op.app.repeat_collect = a.repeat_collect;
	rc = pn_store_exec(h->api->cfg.store, &op, &res);
	pn_api_app_invalidate(h->api);
	if (rc != PN_STORE_OK) {
		reply_res(h, rc, &res);
		return PN_API_DONE;
	}
	json_t *o = pn_api_ok_obj();
	json_object_set_new(o, "app", app_json(&res.app, 0));
	pn_api_reply(h->resp, 200, 0, o);
	return PN_API_DONE;
bad:
	pn_api_reply_bad(h->resp, bad);
	return PN_API_DONE;
}

static json_t *num_json(const struct pn_store_num *n)
{
	char buf[PN_NUM_STRLEN + 1];
	if (pn_num_unpack(n->x, buf) <= 0)
		buf[0] = '\0';
	json_t *o = json_object();
	json_object_set_new(o, "number", json_string(buf));
	json_object_set_new(o, "areaCode", json_string(n->area_code));
	json_object_set_new(o, "appKey", json_string(n->app_key));
	json_object_set_new(o, "status",
	                    json_string(n->status == PN_NUM_NORMAL ? "normal" : "unavailable"));
	json_object_set_new(o, "cause", json_integer(n->cause));
	json_object_set_new(o, "relations", json_integer(n->relations));
	json_object_set_new(o, "owned", json_boolean(n->owned));
	return o;
}

static int num_status_parse(const json_t *b, struct pn_store_num *n, const char **bad)
{
	const char *s;
	size_t l;
	int64_t v;
	int r = pn_json_get_str(b, "status", 1, 16, &s, &l);
	if (r < 0 || (r == PN_JSON_OK && strcmp(s, "normal") && strcmp(s, "unavailable"))) {
		*bad = "status";
		return -1;
	}
	if (r == PN_JSON_OK)
		n->status = strcmp(s, "normal") == 0 ? PN_NUM_NORMAL : PN_NUM_UNAVAILABLE;
	r = pn_json_get_int(b, "cause", 0, 9, &v);
	if (r < 0) {
		*bad = "cause";
		return -1;
	}
	if (r == PN_JSON_OK)
		n->cause = (uint8_t)v;
	return r == PN_JSON_OK || n->status != PN_NUM_NORMAL ? 1 : 0;
}

static int numbers(struct pn_api_hctx *h, unsigned method)
{
	struct pn_store_op op = {0};
	struct pn_store_result res;
	const char *bad = NULL;

	if (method == 1) { /* GET */
		enum { CAP = 1000 };
		struct pn_store_num *nums = calloc(CAP, sizeof(*nums));
		if (!nums) {
			pn_api_reply_err(h->resp, 500, 1010001, "Internal system error");
			return PN_API_DONE;
		}
		const char *app = pn_query_get(&h->q, "appKey", NULL);
		size_t al = 0;
		const char *after = pn_query_get(&h->q, "after", &al);
		pn_num_t aft = after && al ? pn_num_pack(after, al) : 0;
		int n =
		    pn_store_num_list(h->api->cfg.store, app && *app ? app : NULL, aft, nums, CAP);
		if (n < 0) {
			free(nums);
			pn_api_reply_err(h->resp, 500, 1010001, "Internal system error");
			return PN_API_DONE;
		}
		json_t *o = pn_api_ok_obj();
		json_t *arr = json_array();
		for (int i = 0; i < n; i++)
			json_array_append_new(arr, num_json(&nums[i]));
		json_object_set_new(o, "numbers", arr);
		free(nums);
		pn_api_reply(h->resp, 200, 0, o);
		return PN_API_DONE;
	}
	if (method == 8) { /* DELETE ?number= */
		size_t l;
		const char *s = pn_query_get(&h->q, "number", &l);
		if (!s || !pn_number_is_global(s, l)) {
			bad = "number";
			goto bad;
		}
		op.type = PN_STORE_OP_NUM_REMOVE;
		op.num.x = pn_num_pack(s, l);
	} else {
		if (!h->body) {
			bad = "body";
			goto bad;
		}
		if (pn_api_get_num(h->body, "number", &op.num.x) != PN_JSON_OK) {
			bad = "number";
			goto bad;
		}
		if (method == 2) { /* POST */
			op.type = PN_STORE_OP_NUM_ADD;
			const char *s;
			size_t l;
			if (pn_json_get_str(h->body, "areaCode", 1, PN_STORE_AREA_LEN - 1, &s,
			                    &l) != PN_JSON_OK) {
				bad = "areaCode";
				goto bad;
			}
			for (size_t i = 0; i < l; i++)
				if (s[i] < '0' || s[i] > '9') {
					bad = "areaCode";
					goto bad;
				}
			memcpy(op.num.area_code, s, l + 1);
			if (pn_json_get_str(h->body, "appKey", 1, PN_APPKEY_LEN - 1, &s, &l) !=
			    PN_JSON_OK) {
				bad = "appKey";
				goto bad;
			}
			memcpy(op.num.app_key, s, l + 1);
			if (num_status_parse(h->body, &op.num, &bad) < 0)
				goto bad;
		} else { /* PUT: status */
			op.type = PN_STORE_OP_NUM_STATUS;
			int r = num_status_parse(h->body, &op.num, &bad);
			if (r < 0)
				goto bad;
			if (json_object_get(h->body, "status") == NULL) {
				bad = "status";
				goto bad;
			}
		}
	}
	int rc = pn_store_exec(h->api->cfg.store, &op, &res);
	pn_api_app_invalidate(h->api);
	if (rc != PN_STORE_OK) {
		reply_res(h, rc, &res);
		return PN_API_DONE;
	}
	json_t *o = pn_api_ok_obj();
	struct pn_store_num cur;
	if (op.type != PN_STORE_OP_NUM_REMOVE &&
	    pn_store_num_get(h->api->cfg.store, op.num.x, &cur) == PN_STORE_OK)
		json_object_set_new(o, "number", num_json(&cur));
	pn_api_reply(h->resp, op.type == PN_STORE_OP_NUM_ADD ? 201 : 200, 0, o);
	return PN_API_DONE;
bad:
	pn_api_reply_bad(h->resp, bad);
	return PN_API_DONE;
}

int pn_admin_handle(struct pn_api_hctx *h, const char *sub)
{
	const char *m = h->req->method ? h->req->method : "";
	unsigned method = strcmp(m, "GET") == 0      ? 1
	                  : strcmp(m, "POST") == 0   ? 2
	                  : strcmp(m, "PUT") == 0    ? 4
	                  : strcmp(m, "DELETE") == 0 ? 8
	                                             : 0;
	if (!token_ok(h)) {
		pn_api_reply_err(h->resp, 401, 1010003, "Invalid admin token");
		return PN_API_DONE;
	}
	if (h->req->body && h->req->body_len) {
		json_error_t err;
		h->body = json_loadb(h->req->body, h->req->body_len, JSON_REJECT_DUPLICATES, &err);
		if (!h->body || !json_is_object(h->body)) {
			pn_api_reply_bad(h->resp, "body");
			return PN_API_DONE;
		}
	}
	if (strcmp(sub, "/v1/apps") == 0) {
		if (method == 2) {
			if (!h->body) {
				pn_api_reply_bad(h->resp, "body");
				return PN_API_DONE;
			}
			return apps_create(h);
		}
		if (method == 1)
			return apps_list(h);
	} else if (strncmp(sub, "/v1/apps/", 9) == 0) {
		const char *key = sub + 9;
		if (!*key || strlen(key) >= PN_APPKEY_LEN || strchr(key, '/')) {
			pn_api_reply_err(h->resp, 404, 1010002, "Unknown URI");
			return PN_API_DONE;
		}
		if (method == 1 || method == 4)
			return app_one(h, key, method);
	} else if (strcmp(sub, "/v1/numbers") == 0) {
		if (method)
			return numbers(h, method);
	} else {
		pn_api_reply_err(h->resp, 404, 1010002, "Unknown URI");
		return PN_API_DONE;
	}
	pn_api_reply_err(h->resp, 405, 1010002, "Method not allowed");
	return PN_API_DONE;
}
