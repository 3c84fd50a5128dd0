/*
 * privnum.c: the operator's command-line client of privnum-control (libcurl + jansson).
 *
 * Wraps the admin API (bearer token) and the Huawei-compatible API (requests signed with AKSK,
 * or WSSE with --wsse, exactly as Huawei's clients sign them):
 *
 *   privnum app create --name N --mode AXB|AX|AXE|AXYB [--key K] [--secret S]
 *   privnum app list | app show KEY | app disable KEY | app enable KEY
 *   privnum app set KEY [--event-url U] [--cdr-url U] [--recording on|off] [--ext-len N]
 *   privnum number add NUMBER --area CODE --app KEY
 *   privnum number list [--app KEY] | number remove NUMBER
 *   privnum number status NUMBER normal|unavailable [--cause N]
 *   privnum axb bind --caller A --callee B [--x X] [--area CODE] [--duration S]
 *                    [--direction 0|1|2] [--record] [--max-duration MIN] [--user-data D]
 *   privnum axb unbind (--sub ID | --x X)
 *   privnum axb query (--sub ID | --x X [--caller A] [--callee B]) [--page N] [--page-size N]
 *   privnum call METHOD PATH [JSON-BODY] [--query k=v]...   (any Huawei API, signed)
 *
 * Global flags (or environment): --url (PRIVNUM_URL, default http://127.0.0.1:8080),
 * --app-key (PRIVNUM_APP_KEY), --app-secret (PRIVNUM_APP_SECRET), --admin-token
 * (PRIVNUM_ADMIN_TOKEN), --wsse, --insecure (accept a self-signed HTTPS certificate).
 * Prints the JSON answer; exit status 0 when resultcode is "0", 1 on an API error, 2 on a
 * usage error, 3 when the server cannot be reached.
 */
#include <curl/curl.h>
#include <getopt.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct opts {
	const char *url, *key, *secret, *token;
	int wsse, insecure;
	/* command options */
	const char *name, *mode, *akey, *asecret, *event_url, *cdr_url, *recording, *area, *app;
	const char *caller, *callee, *x, *sub, *user_data, *cause;
	long duration, direction, max_duration, ext_len, page, page_size;
	int record;
	char query[2048];
};

struct buf {
	char *p;
	size_t n;
};

static size_t on_data(char *p, size_t sz, size_t n, void *arg)
{
	struct buf *b = arg;
	size_t len = sz * n;
	char *np = realloc(b->p, b->n + len + 1);
	if (!np)
		return 0;
	b->p = np;
	memcpy(b->p + b->n, p, len);
	b->n += len;
	b->p[b->n] = '\0';
	return len;
}

static void usage(void)
{
	fprintf(stderr, "usage: privnum [--url U] [--app-key K --app-secret S] [--admin-token T] "
	                "[--wsse] [--insecure] COMMAND ...\n"
	                "commands: app create|list|show|disable|enable|set, number "
	                "add|list|remove|status,\n"
	                "          axb bind|unbind|query, call METHOD PATH [JSON]\n"
	                "see the comment at the top of tools/privnum.c or docs/API.md\n");
}

/* Authorization headers for the Huawei API. */
static struct curl_slist *sign(const struct opts *o, struct curl_slist *h)
{
	unsigned char rnd[16], md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char nonce[40], created[32], dig[128], line[768], msg[256];
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return h;
	for (int i = 0; i < 16; i++)
		snprintf(nonce + 2 * i, 3, "%02x", rnd[i]);
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (o->wsse) {
		snprintf(msg, sizeof(msg), "%s%s%s", nonce, created, o->secret);
		EVP_Digest(msg, strlen(msg), md, &mdlen, EVP_sha256(), NULL);
	} else {
		snprintf(msg, sizeof(msg), "%s%s", nonce, created);
		HMAC(EVP_sha256(), o->secret, (int)strlen(o->secret), (unsigned char *)msg,
		     strlen(msg), md, &mdlen);
	}
	EVP_EncodeBlock((unsigned char *)dig, md, (int)mdlen);
	const char *scheme = o->wsse ? "WSSE" : "AKSK";
	snprintf(line, sizeof(line),
	         "Authorization: %s realm=\"SDP\",profile=\"UsernameToken\",type=\"Appkey\"",
	         scheme);
	h = curl_slist_append(h, line);
	snprintf(line, sizeof(line),
	         "X-%s: UsernameToken Username=\"%s\",PasswordDigest=\"%s\",Nonce=\"%s\","
	         "Created=\"%s\"",
	         scheme, o->key, dig, nonce, created);
	return curl_slist_append(h, line);
}

/* Perform one request; prints the answer; returns the exit status. */
static int request(const struct opts *o, const char *method, const char *path, const char *query,
                   json_t *body, int admin)
{
	if (admin && !o->token) {
		fprintf(stderr, "privnum: --admin-token or PRIVNUM_ADMIN_TOKEN needed\n");
		json_decref(body);
		return 2;
	}
	if (!admin && (!o->key || !o->secret)) {
		fprintf(stderr,
		        "privnum: --app-key/--app-secret (PRIVNUM_APP_KEY/SECRET) needed\n");
		json_decref(body);
		return 2;
	}
	CURL *e = curl_easy_init();
	char *url = malloc(strlen(o->url) + strlen(path) + (query ? strlen(query) : 0) + 16);
	sprintf(url, "%s%s%s%s", o->url, path, query && *query ? "?" : "", query ? query : "");
	struct curl_slist *h =
	    curl_slist_append(NULL, "Content-Type: application/json;charset=UTF-8");
	h = curl_slist_append(h, "Accept: application/json");
	if (admin) {
		char line[300];
		snprintf(line, sizeof(line), "Authorization: Bearer %s", o->token);
		h = curl_slist_append(h, line);
	} else {
		h = sign(o, h);
	}
	char *js = body ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
	struct buf b = {NULL, 0};
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
	if (js)
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, js);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(e, CURLOPT_TIMEOUT, 30L);
	if (o->insecure) {
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	CURLcode cc = curl_easy_perform(e);
	long code = 0;
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
	int rc = 3;
	if (cc != CURLE_OK) {
		fprintf(stderr, "privnum: %s: %s\n", url, curl_easy_strerror(cc));
	} else {
		json_error_t err;
		json_t *ans = b.p ? json_loads(b.p, 0, &err) : NULL;
		if (ans) {
			char *pretty = json_dumps(ans, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
			printf("%s\n", pretty ? pretty : b.p);
			free(pretty);
			const char *r = json_string_value(json_object_get(ans, "resultcode"));
			rc = r && strcmp(r, "0") == 0 ? 0 : 1;
			json_decref(ans);
		} else {
			printf("HTTP %ld %s\n", code, b.p ? b.p : "");
			rc = code >= 200 && code < 300 ? 0 : 1;
		}
	}
	free(b.p);
	free(js);
	free(url);
	curl_slist_free_all(h);
	curl_easy_cleanup(e);
	return rc;
}

/* Append k=v (URL-encoded) to o->query. */
static void qadd(struct opts *o, const char *k, const char *v)
{
	if (!v)
		return;
	char *ev = curl_easy_escape(NULL, v, 0);
	size_t n = strlen(o->query);
	snprintf(o->query + n, sizeof(o->query) - n, "%s%s=%s", n ? "&" : "", k, ev ? ev : "");
	curl_free(ev);
}

static int cmd_app(struct opts *o, int argc, char **argv)
{
	if (argc < 1)
		return usage(), 2;
	const char *sub = argv[0];
	if (strcmp(sub, "create") == 0) {
		if (!o->name || !o->mode)
			return fprintf(stderr, "privnum: app create needs --name and --mode\n"), 2;
		json_t *b = json_pack("{s:s,s:s}", "name", o->name, "mode", o->mode);
		if (o->akey)
			json_object_set_new(b, "appKey", json_string(o->akey));
		if (o->asecret)
			json_object_set_new(b, "appSecret", json_string(o->asecret));
		if (o->event_url)
			json_object_set_new(b, "eventUrl", json_string(o->event_url));
		if (o->cdr_url)
			json_object_set_new(b, "cdrUrl", json_string(o->cdr_url));
		if (o->ext_len)
			json_object_set_new(b, "extLen", json_integer(o->ext_len));
		return request(o, "POST", "/admin/v1/apps", NULL, b, 1);
	}
	if (strcmp(sub, "list") == 0)
		return request(o, "GET", "/admin/v1/apps", NULL, NULL, 1);
	if (argc < 2)
		return usage(), 2;
	char path[256];
	snprintf(path, sizeof(path), "/admin/v1/apps/%s", argv[1]);
	if (strcmp(sub, "show") == 0)
		return request(o, "GET", path, NULL, NULL, 1);
	if (strcmp(sub, "disable") == 0 || strcmp(sub, "enable") == 0)
		return request(o, "PUT", path, NULL,
		               json_pack("{s:s}", "status", sub[0] == 'd' ? "disabled" : "active"),
		               1);
	if (strcmp(sub, "set") == 0) {
		json_t *b = json_object();
		if (o->event_url)
			json_object_set_new(b, "eventUrl", json_string(o->event_url));
		if (o->cdr_url)
			json_object_set_new(b, "cdrUrl", json_string(o->cdr_url));
		if (o->recording)
			json_object_set_new(b, "recording",
			                    json_boolean(strcmp(o->recording, "on") == 0));
		if (o->ext_len)
			json_object_set_new(b, "extLen", json_integer(o->ext_len));
		if (o->name)
			json_object_set_new(b, "name", json_string(o->name));
		if (o->asecret)
			json_object_set_new(b, "appSecret", json_string(o->asecret));
		return request(o, "PUT", path, NULL, b, 1);
	}
	return usage(), 2;
}

static int cmd_number(struct opts *o, int argc, char **argv)
{
	if (argc < 1)
		return usage(), 2;
	const char *sub = argv[0];
	if (strcmp(sub, "list") == 0) {
		qadd(o, "appKey", o->app);
		return request(o, "GET", "/admin/v1/numbers", o->query, NULL, 1);
	}
	if (argc < 2)
		return usage(), 2;
	if (strcmp(sub, "add") == 0) {
		if (!o->area || !o->app)
			return fprintf(stderr, "privnum: number add needs --area and --app\n"), 2;
		return request(o, "POST", "/admin/v1/numbers", NULL,
		               json_pack("{s:s,s:s,s:s}", "number", argv[1], "areaCode", o->area,
		                         "appKey", o->app),
		               1);
	}
	if (strcmp(sub, "remove") == 0) {
		qadd(o, "number", argv[1]);
		return request(o, "DELETE", "/admin/v1/numbers", o->query, NULL, 1);
	}
	if (strcmp(sub, "status") == 0 && argc >= 3) {
		json_t *b = json_pack("{s:s,s:s}", "number", argv[1], "status", argv[2]);
		if (o->cause)
			json_object_set_new(b, "cause", json_integer(atol(o->cause)));
		return request(o, "PUT", "/admin/v1/numbers", NULL, b, 1);
	}
	return usage(), 2;
}

#define AXB_PATH "/rest/caas/relationnumber/partners/v1.0"

static int cmd_axb(struct opts *o, int argc, char **argv)
{
	if (argc < 1)
		return usage(), 2;
	const char *sub = argv[0];
	if (strcmp(sub, "bind") == 0) {
		if (!o->caller || !o->callee)
			return fprintf(stderr, "privnum: axb bind needs --caller and --callee\n"),
			       2;
		json_t *b = json_pack("{s:s,s:s}", "callerNum", o->caller, "calleeNum", o->callee);
		if (o->x)
			json_object_set_new(b, "relationNum", json_string(o->x));
		if (o->area)
			json_object_set_new(b, "areaCode", json_string(o->area));
		if (o->duration >= 0)
			json_object_set_new(b, "duration", json_integer(o->duration));
		if (o->direction >= 0)
			json_object_set_new(b, "callDirection", json_integer(o->direction));
		if (o->max_duration >= 0)
			json_object_set_new(b, "maxDuration", json_integer(o->max_duration));
		if (o->record)
			json_object_set_new(b, "recordFlag", json_string("true"));
		if (o->user_data)
			json_object_set_new(b, "userData", json_string(o->user_data));
		return request(o, "POST", AXB_PATH, NULL, b, 0);
	}
	if (strcmp(sub, "unbind") == 0) {
		if (!o->sub && !o->x)
			return fprintf(stderr, "privnum: axb unbind needs --sub or --x\n"), 2;
		qadd(o, "subscriptionId", o->sub);
		if (!o->sub)
			qadd(o, "relationNum", o->x);
		return request(o, "DELETE", AXB_PATH, o->query, NULL, 0);
	}
	if (strcmp(sub, "query") == 0) {
		if (!o->sub && !o->x)
			return fprintf(stderr, "privnum: axb query needs --sub or --x\n"), 2;
		qadd(o, "subscriptionId", o->sub);
		qadd(o, "relationNum", o->x);
		qadd(o, "callerNum", o->caller);
		qadd(o, "calleeNum", o->callee);
		char n[24];
		if (o->page > 0) {
			snprintf(n, sizeof(n), "%ld", o->page);
			qadd(o, "pageIndex", n);
		}
		if (o->page_size > 0) {
			snprintf(n, sizeof(n), "%ld", o->page_size);
			qadd(o, "pageSize", n);
		}
		return request(o, "GET", AXB_PATH, o->query, NULL, 0);
	}
	return usage(), 2;
}

static int cmd_call(struct opts *o, int argc, char **argv)
{
	if (argc < 2)
		return usage(), 2;
	json_t *b = NULL;
	if (argc >= 3) {
		json_error_t err;
		b = json_loads(argv[2], 0, &err);
		if (!b)
			return fprintf(stderr, "privnum: body is not JSON: %s\n", err.text), 2;
	}
	return request(o, argv[0], argv[1], o->query, b, 0);
}

enum {
	O_URL = 256,
	O_KEY,
	O_SECRET,
	O_TOKEN,
	O_WSSE,
	O_INSECURE,
	O_NAME,
	O_MODE,
	O_AKEY,
	O_ASECRET,
	O_EVENT,
	O_CDR,
	O_REC,
	O_AREA,
	O_APP,
	O_CALLER,
	O_CALLEE,
	O_X,
	O_SUB,
	O_UD,
	O_CAUSE,
	O_DUR,
	O_DIR,
	O_MAXD,
	O_EXT,
	O_PAGE,
	O_PSIZE,
	O_RECORD,
	O_QUERY
};

/* Apply one option. Returns 0, or 2 on a usage error. */
static int set_opt(struct opts *o, int c, char *arg)
{
	switch (c) {
	case O_URL:
		o->url = arg;
		break;
	case O_KEY:
		o->key = arg;
		break;
	case O_SECRET:
		o->secret = arg;
		break;
	case O_TOKEN:
		o->token = arg;
		break;
	case O_WSSE:
		o->wsse = 1;
		break;
	case 'k':
	case O_INSECURE:
		o->insecure = 1;
		break;
	case O_NAME:
		o->name = arg;
		break;
	case O_MODE:
		o->mode = arg;
		break;
	case O_AKEY:
		o->akey = arg;
		break;
	case O_ASECRET:
		o->asecret = arg;
		break;
	case O_EVENT:
		o->event_url = arg;
		break;
	case O_CDR:
		o->cdr_url = arg;
		break;
	case O_REC:
		o->recording = arg;
		break;
	case O_AREA:
		o->area = arg;
		break;
	case O_APP:
		o->app = arg;
		break;
	case O_CALLER:
		o->caller = arg;
		break;
	case O_CALLEE:
		o->callee = arg;
		break;
	case O_X:
		o->x = arg;
		break;
	case O_SUB:
		o->sub = arg;
		break;
	case O_UD:
		o->user_data = arg;
		break;
	case O_CAUSE:
		o->cause = arg;
		break;
	case O_DUR:
		o->duration = atol(arg);
		break;
	case O_DIR:
		o->direction = atol(arg);
		break;
	case O_MAXD:
		o->max_duration = atol(arg);
		break;
	case O_EXT:
		o->ext_len = atol(arg);
		break;
	case O_PAGE:
		o->page = atol(arg);
		break;
	case O_PSIZE:
		o->page_size = atol(arg);
		break;
	case O_RECORD:
		o->record = 1;
		break;
	case O_QUERY: {
		char *eq = strchr(arg, '=');
		if (!eq) {
			fprintf(stderr, "privnum: --query wants k=v\n");
			return 2;
		}
		*eq = '\0';
		qadd(o, arg, eq + 1);
		break;
	}
	default:
		return 2;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = {0};
	o.url = getenv("PRIVNUM_URL") ? getenv("PRIVNUM_URL") : "http://127.0.0.1:8080";
	o.key = getenv("PRIVNUM_APP_KEY");
	o.secret = getenv("PRIVNUM_APP_SECRET");
	o.token = getenv("PRIVNUM_ADMIN_TOKEN");
	o.duration = o.direction = o.max_duration = -1;
	static const struct option lo[] = {{"url", 1, 0, O_URL},
	                                   {"app-key", 1, 0, O_KEY},
	                                   {"app-secret", 1, 0, O_SECRET},
	                                   {"admin-token", 1, 0, O_TOKEN},
	                                   {"wsse", 0, 0, O_WSSE},
	                                   {"insecure", 0, 0, O_INSECURE},
	                                   {"name", 1, 0, O_NAME},
	                                   {"mode", 1, 0, O_MODE},
	                                   {"key", 1, 0, O_AKEY},
	                                   {"secret", 1, 0, O_ASECRET},
	                                   {"event-url", 1, 0, O_EVENT},
	                                   {"cdr-url", 1, 0, O_CDR},
	                                   {"recording", 1, 0, O_REC},
	                                   {"area", 1, 0, O_AREA},
	                                   {"app", 1, 0, O_APP},
	                                   {"caller", 1, 0, O_CALLER},
	                                   {"callee", 1, 0, O_CALLEE},
	                                   {"x", 1, 0, O_X},
	                                   {"sub", 1, 0, O_SUB},
	                                   {"user-data", 1, 0, O_UD},
	                                   {"cause", 1, 0, O_CAUSE},
	                                   {"duration", 1, 0, O_DUR},
	                                   {"direction", 1, 0, O_DIR},
	                                   {"max-duration", 1, 0, O_MAXD},
	                                   {"ext-len", 1, 0, O_EXT},
	                                   {"page", 1, 0, O_PAGE},
	                                   {"page-size", 1, 0, O_PSIZE},
	                                   {"record", 0, 0, O_RECORD},
	                                   {"query", 1, 0, O_QUERY},
	                                   {"help", 0, 0, 'h'},
	                                   {0, 0, 0, 0}};
	int c;
	/* GNU getopt permutes argv: options may come before or after the command words. */
	while ((c = getopt_long(argc, argv, "hk", lo, NULL)) != -1) {
		if (c == 'h') {
			usage();
			return 0;
		}
		if (set_opt(&o, c, optarg) != 0) {
			usage();
			return 2;
		}
	}
	int nw = argc - optind;
	char **words = argv + optind;
	if (nw < 1)
		return usage(), 2;
	curl_global_init(CURL_GLOBAL_ALL);
	int rc;
	if (strcmp(words[0], "app") == 0)
		rc = cmd_app(&o, nw - 1, words + 1);
	else if (strcmp(words[0], "number") == 0)
		rc = cmd_number(&o, nw - 1, words + 1);
	else if (strcmp(words[0], "axb") == 0)
		rc = cmd_axb(&o, nw - 1, words + 1);
	else if (strcmp(words[0], "call") == 0)
		rc = cmd_call(&o, nw - 1, words + 1);
	else {
		usage();
		rc = 2;
	}
	curl_global_cleanup();
	return rc;
}
