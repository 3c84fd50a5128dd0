#!/usr/bin/env python3
"""test_control_api.py: end-to-end test of privnum-control over real HTTP and HTTPS.

Starts the real binary on loopback (free ports, temp data dir), creates apps and numbers with
the admin API, then drives every Huawei endpoint (AXB, AX incl. set-callee, AXE incl. the v2
cursor query, AXYB) with signed requests (AKSK and WSSE computed here with hmac/hashlib), and
checks exact JSON answers, auth failures (each 1023xxx code, replay, skew, IP blocking),
bad input (nothing changes in the store), HTTPS with the self-signed certificate, /metrics
and /health, and that a restart keeps everything.

Usage: test_control_api.py PATH/TO/privnum-control
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pnclient import (AX, AX_CALLEE, AXB, AXE, AXE2, AXYB, Client, Server, auth_headers,  # noqa
                      created_now, make_app)

FAILS = []
CHECKS = [0]


def check(cond, what):
    CHECKS[0] += 1
    if not cond:
        FAILS.append(what)
        print("FAIL:", what)


def eq(got, want, what):
    check(got == want, "%s: got %r want %r" % (what, got, want))


def rc(resp):
    st, js = resp
    return st, (js or {}).get("resultcode")


def seq(cli):
    st, js = cli.raw("GET", "/health")
    return js["lastSeq"]


def test_axb(s, admin):
    key, sec = make_app(admin, "AXB", ["+8617010000001", "+8617010000002"], key="axbapp",
                        secret="axbsecret")
    c = Client(s.http_port, key, sec)
    # Exact answer of the official example shape.
    st, js = c.call("POST", AXB, {"callerNum": "+8618612345678", "relationNum": "+8617010000001",
                                  "calleeNum": "+8618612345679", "callDirection": 0,
                                  "duration": 0, "maxDuration": 0,
                                  "preVoice": {"callerHintTone": "callerHintTone.wav",
                                               "calleeHintTone": "calleeHintTone.wav"}})
    eq(st, 200, "axb bind status")
    sub = js.get("subscriptionId")
    eq(js, {"resultcode": "0", "resultdesc": "Success", "subscriptionId": sub,
            "relationNum": "+8617010000001", "callDirection": 0, "duration": 0,
            "maxDuration": 0}, "axb bind body")
    # WSSE with the Java demo's header form (spaces, dsl=).
    st, js = c.call("POST", AXB, {"callerNum": "+8618612345600", "relationNum": "+8617010000001",
                                  "calleeNum": "+8618612345601", "recordFlag": "true",
                                  "privateSms": True, "duration": "600"},
                    scheme="WSSE", spaces=True, typekey="dsl")
    eq(rc((st, js)), (200, "0"), "axb bind wsse/dsl")
    sub2 = js["subscriptionId"]
    # Conflict: B already on X with another A -> 1012010.
    eq(rc(c.call("POST", AXB, {"callerNum": "+8618612345690", "relationNum": "+8617010000001",
                               "calleeNum": "+8618612345679"})), (409, "1012010"),
       "axb user on X")
    # X of no app -> 1011001
    eq(rc(c.call("POST", AXB, {"callerNum": "+8618612345690", "relationNum": "+8617099999999",
                               "calleeNum": "+8618612345691"})), (404, "1011001"),
       "axb foreign X")
    # Query by X: two bindings, paging fields.
    st, js = c.call("GET", AXB, query={"relationNum": "+8617010000001", "pageSize": "5"})
    eq(rc((st, js)), (200, "0"), "axb query")
    eq(js.get("totalCount"), 2, "axb query total")
    eq(js.get("pageSize"), 50, "axb pageSize out of range -> 50")
    eq(js.get("app_key"), "axbapp", "axb query app_key")
    lst = js.get("relationNumList", [])
    eq(len(lst), 2, "axb list len")
    first = [x for x in lst if x["subscriptionId"] == sub][0]
    eq(sorted(first.keys()), sorted(["subscriptionId", "relationNum", "callerNum", "calleeNum",
                                     "callDirection", "duration", "recordFlag", "subscribeTime",
                                     "maxDuration"]), "axb list keys")
    # Query by X + callerNum selects one.
    st, js = c.call("GET", AXB, query={"relationNum": "+8617010000001",
                                       "callerNum": "+8618612345600"})
    eq([x["subscriptionId"] for x in js["relationNumList"]], [sub2], "axb query A+X")
    eq(js["relationNumList"][0]["recordFlag"], "true", "axb recordFlag string")
    eq(js["relationNumList"][0]["duration"], 600, "axb duration")
    # Modify: new callee, duration.
    eq(rc(c.call("PUT", AXB, {"subscriptionId": sub, "calleeNum": "+8618612345677",
                              "maxDuration": "10"})), (200, "0"), "axb modify")
    st, js = c.call("GET", AXB, query={"subscriptionId": sub})
    eq(js["relationNumList"][0]["calleeNum"], "+8618612345677", "axb modify applied")
    eq(js["relationNumList"][0]["maxDuration"], 10, "axb modify maxDuration")
    eq(rc(c.call("PUT", AXB, {"subscriptionId": "ffffffffffff0000"})), (404, "1012007"),
       "axb modify unknown")
    # Bad input: nothing changes.
    before = seq(c)
    for body, field in [({"callerNum": "+861861234567", "calleeNum": "+86abc"}, "calleeNum"),
                        ({"callerNum": "+8618612345678", "calleeNum": "+8618612345679",
                          "areaCode": "07x5"}, "areaCode"),
                        ({"callerNum": "+8618612345678", "calleeNum": "+8618612345679",
                          "duration": -1}, "duration"),
                        ("{\"callerNum\":", "body"),
                        ("\"just a string\"", "body")]:
        st, js = c.call("POST", AXB, body)
        eq((st, js.get("resultcode"), js.get("resultdesc")),
           (400, "1010002", "Invalid parameter: " + field), "axb bad %s" % field)
    # Non-ASCII garbage (what the Java demo makes of Chinese text).
    h = auth_headers(key, sec)
    h["Content-Type"] = "application/json;charset=UTF-8"
    conn = c._conn()
    conn.request("POST", AXB, body=b'{"callerNum":"+8618612345678","calleeNum":"+8618612345679"'
                 b',"userData":"\xe4\xb8"}', headers=h)
    r = conn.getresponse()
    js = json.loads(r.read())
    eq((r.status, js["resultcode"]), (400, "1010002"), "non-ascii garbage")
    # Oversized body.
    big = {"callerNum": "+8618612345678", "calleeNum": "+8618612345679", "pad": "x" * 70000}
    st, js = c.call("POST", AXB, big)
    eq((st, js.get("resultcode")), (413, "1010002"), "oversized body")
    eq(seq(c), before, "bad input changed nothing")
    # Unbind by relationNum removes all on X; unknown X -> 1011004.
    eq(rc(c.call("DELETE", AXB, query={"relationNum": "+8617099999999"})), (403, "1011004"),
       "axb unbind foreign X")
    eq(rc(c.call("DELETE", AXB, query={"relationNum": "+8617010000001"})), (200, "0"),
       "axb unbind by X")
    st, js = c.call("GET", AXB, query={"relationNum": "+8617010000001"})
    eq((js["resultcode"], js["totalCount"], js["relationNumList"]), ("0", 0, []),
       "axb empty after unbind")
    eq(rc(c.call("GET", AXB, query={"subscriptionId": sub})), (404, "1012007"),
       "axb query gone")
    # Auto-picked X from the area (strict).
    st, js = c.call("POST", AXB, {"callerNum": "+8618612345678", "calleeNum": "+8618612345679",
                                  "areaCode": "0755"})
    eq(rc((st, js)), (200, "0"), "axb area pick")
    check(js.get("relationNum") in ("+8617010000001", "+8617010000002"), "axb picked X")
    eq(rc(c.call("POST", AXB, {"callerNum": "+8618612345678", "calleeNum": "+8618612345679",
                               "areaCode": "010"})), (409, "1011002"), "axb no X in area")
    return key, sec


def test_auth(s, admin, key, sec):
    c = Client(s.http_port, key, sec)
    body = {"callerNum": "+8618612340000", "calleeNum": "+8618612340001"}
    before = seq(c)
    good = auth_headers(key, sec)
    cases = [
        ({}, "1023006"),
        ({"Authorization": "Basic Zm9vOmJhcg=="}, "1023013"),
        ({"Authorization": 'WSSE profile="UsernameToken",type="Appkey"',
          "X-WSSE": good["X-AKSK"]}, "1023007"),
        ({"Authorization": 'WSSE realm="SDP",type="Appkey"', "X-WSSE": good["X-AKSK"]},
         "1023008"),
        ({"Authorization": 'WSSE realm="XYZ",profile="UsernameToken",type="Appkey"',
          "X-WSSE": good["X-AKSK"]}, "1023009"),
        ({"Authorization": 'WSSE realm="SDP",profile="Other",type="Appkey"',
          "X-WSSE": good["X-AKSK"]}, "1023010"),
        ({"Authorization": 'WSSE realm="SDP",profile="UsernameToken",type="Other"',
          "X-WSSE": good["X-AKSK"]}, "1023011"),
        ({"Authorization": 'WSSE realm="SDP",profile="UsernameToken"',
          "X-WSSE": good["X-AKSK"]}, "1023012"),
        ({"Authorization": good["Authorization"].replace("AKSK", "WSSE")}, "1023026"),
        ({"Authorization": good["Authorization"]}, "1023033"),
        ({"Authorization": good["Authorization"],
          "X-AKSK": 'UsernameToken PasswordDigest="x",Nonce="n",Created="%s"' % created_now()},
         "1023034"),
        ({"Authorization": good["Authorization"],
          "X-AKSK": 'UsernameToken Username="k",PasswordDigest="x",Created="%s"' % created_now()},
         "1023035"),
        ({"Authorization": good["Authorization"],
          "X-AKSK": 'UsernameToken Username="k",PasswordDigest="x",Nonce="n"'}, "1023029"),
        ({"Authorization": good["Authorization"],
          "X-AKSK": 'UsernameToken Username="k",Nonce="n",Created="%s"' % created_now()},
         "1023030"),
        ({"Authorization": good["Authorization"],
          "X-AKSK": 'UsernameToken Username="k",PasswordDigest="x",Nonce="n",'
                    'Created="2026-01-01 00:00:00"'}, "1023031"),
    ]
    for h, want in cases:
        st, js = c.raw("POST", AXB, body, h)
        eq((st, js.get("resultcode")), (401, want), "auth case %s" % want)
    # Wrong secret, unknown key.
    eq(rc(Client(s.http_port, key, "bad").call("POST", AXB, body)), (401, "1010003"),
       "auth wrong secret")
    eq(rc(Client(s.http_port, "nokey", sec).call("POST", AXB, body)), (401, "1010003"),
       "auth unknown key")
    # Local time with a literal Z from UTC+8 and UTC-10 passes; 16 h off fails.
    eq(rc(c.call("POST", AXB, dict(body, callerNum="+8618612340002"),
                 created=created_now(8 * 3600))), (200, "0"), "auth UTC+8 local time")
    eq(rc(c.call("POST", AXB, dict(body, callerNum="+8618612340003"),
                 created=created_now(-10 * 3600))), (200, "0"), "auth UTC-10 local time")
    eq(rc(c.call("POST", AXB, body, created=created_now(16 * 3600))), (401, "1023032"),
       "auth skew")
    # Replay: the very same headers twice.
    h = auth_headers(key, sec)
    eq(rc(c.raw("GET", AXB, None, h, {"relationNum": "+8617010000001"})), (200, "0"),
       "replay first")
    eq(rc(c.raw("GET", AXB, None, h, {"relationNum": "+8617010000001"})), (401, "1023036"),
       "replay second")
    eq(seq(c), before + 2, "auth failures changed nothing")


def test_ax(s, admin):
    key, sec = make_app(admin, "AX", ["+8617020000001", "+8617020000002"], area="010")
    c = Client(s.http_port, key, sec, scheme="WSSE")
    st, js = c.call("POST", AX, {"calleeNumDisplay": "0", "origNum": "+8618612345678",
                                 "privateNum": "+8617020000001"})
    eq(st, 200, "ax bind")
    sub = js.get("subscriptionId")
    eq(js, {"resultcode": "0", "resultdesc": "Success", "origNum": "+8618612345678",
            "privateNum": "+8617020000001", "subscriptionId": sub}, "ax bind body")
    eq(rc(c.call("POST", AX, {"origNum": "+8618612345600", "privateNum": "+8617020000001"})),
       (409, "1011005"), "ax X taken")
    eq(rc(c.call("POST", AX, {"origNum": "+8618612345600", "privateNumType": "fixed"})),
       (400, "1010002"), "ax privateNumType")
    eq(rc(c.call("POST", AX, {"origNum": "+8618612345600", "areaMatchMode": "1"})),
       (400, "1010002"), "ax areaMatchMode needs areaCode")
    eq(rc(c.call("PUT", AX, {"privateSms": True, "subscriptionId": sub})), (200, "0"),
       "ax modify")
    eq(rc(c.call("PUT", AX_CALLEE, {"calleeNum": "+8618612345679", "subscriptionId": sub})),
       (200, "0"), "ax set callee")
    eq(rc(c.call("PUT", AX_CALLEE, {"calleeNum": "+8618612345678", "origNum": "+8618612345678",
                                    "privateNum": "+8617020000001"})), (400, "1010002"),
       "ax callee == A")
    st, js = c.call("GET", AX, query={"origNum": "+8618612345678"})
    eq(rc((st, js)), (200, "0"), "ax query")
    e = js["privateNumList"][0]
    eq((e["origNum"], e["privateNum"], e["privateNumType"], e["calleeNumDisplay"],
        e["calleeNum"]), ("+8618612345678", "+8617020000001", "mobile-virtual", 0,
                          "+8618612345679"), "ax query entry")
    # Mode check: the AX app on the AXB API.
    eq(rc(c.call("GET", AXB, query={"relationNum": "+8617020000001"})), (403, "1010040"),
       "ax app on axb api")
    eq(rc(c.call("DELETE", AX, query={"origNum": "+8618612345678",
                                      "privateNum": "+8617020000001"})), (200, "0"), "ax unbind")
    eq(rc(c.call("GET", AX, query={"subscriptionId": sub})), (404, "1016001"), "ax gone")


def test_axe(s, admin):
    key, sec = make_app(admin, "AXE", ["+8617030000001"])
    c = Client(s.http_port, key, sec)
    st, js = c.call("POST", AXE, {"bindNum": "+8618612345678", "virtualNum": "+8617030000001"})
    eq(rc((st, js)), (200, "0"), "axe bind")
    sub = js["subscriptionId"]
    ext = js["extendNum"]
    eq((js["virtualNum"], len(ext)), ("+8617030000001", 4), "axe bind body")
    st, js = c.call("POST", AXE, {"bindNum": "+8618612345679", "virtualNum": "+8617030000001",
                                  "extendNum": "0042", "callbackTone": "a.wav",
                                  "callbackNum": "+8618612345670"})
    eq((st, js["resultdesc"]), (400, "Invalid parameter: callbackNum"), "axe tone+num")
    st, js = c.call("POST", AXE, {"bindNum": "+8618612345679", "virtualNum": "+8617030000001",
                                  "extendNum": "0042", "timeUnit": 1, "bindExpiredTime": 90})
    eq((st, js.get("extendNum")), (200, "0042"), "axe bind with ext")
    eq(rc(c.call("POST", AXE, {"bindNum": "+8618612345677", "virtualNum": "+8617030000001",
                               "extendNum": "0042"})), (409, "1016002"), "axe ext taken")
    st, js = c.call("GET", AXE, query={"virtualNum": "+8617030000001", "extendNum": "0042"})
    eq((rc((st, js)), js.get("bindNum"), js.get("timeUnit"), js.get("bindExpiredTime")),
       ((200, "0"), "+8618612345679", 1, 90), "axe query v1")
    eq(rc(c.call("PUT", AXE, {"subscriptionId": sub, "callbackNum": "+8618612345670",
                              "bindExpiredTime": 24})), (200, "0"), "axe modify")
    st, js = c.call("GET", AXE, query={"subscriptionId": sub})
    eq((js.get("callbackNum"), js.get("bindExpiredTime"), js.get("timeUnit")),
       ("+8618612345670", 24, 0), "axe modify applied")
    # v2 cursor paging over both bindings with limit 1.
    seen = []
    cursor = "0000000000000_0"
    for _ in range(4):
        st, js = c.call("GET", AXE2, query={"cursor": cursor, "limit": "1"})
        eq(rc((st, js)), (200, "0"), "axe v2")
        seen += [x["subscriptionId"] for x in js.get("extendNumList", [])]
        cursor = js.get("nextCusor", "")
        if not cursor:
            break
    eq(len(set(seen)), 2, "axe v2 pages cover both")
    eq(rc(c.call("GET", AXE2, query={"cursor": "garbage"})), (400, "1010002"), "axe bad cursor")
    eq(rc(c.call("DELETE", AXE, query={"virtualNum": "+8617030000001", "extendNum": "0042"})),
       (200, "0"), "axe unbind")
    eq(rc(c.call("GET", AXE, query={"virtualNum": "+8617030000001", "extendNum": "0042"})),
       (404, "1016001"), "axe gone")


def test_axyb(s, admin):
    key, sec = make_app(admin, "AXYB", ["+8617040000001", "+8617040000002", "+8617040000003"])
    c = Client(s.http_port, key, sec)
    q = {"app_key": key}
    st, js = c.call("POST", AXYB, {"areaCode": "0755", "origNum": "+8618612345678"}, query=q)
    eq(rc((st, js)), (200, "0"), "axyb ax")
    sub = js["subscriptionId"]
    x = js["relationNumber"]
    st, js = c.call("POST", AXYB, {"origNum": "+8618612345679", "subscriptionId": sub},
                    query=q)
    eq((rc((st, js)), js.get("subscriptionId")), ((200, "0"), sub), "axyb yb")
    y = js["relationNumber"]
    check(y != x, "axyb Y differs from X")
    eq(rc(c.call("POST", AXYB, {"origNum": "+8618612345600"}, query={"app_key": "other"})),
       (401, "1010003"), "axyb app_key mismatch")
    eq(rc(c.call("POST", AXYB, {"origNum": "+8618612345600", "duration": "30"}, query=q)),
       (400, "1010002"), "axyb duration < 60")
    st, js = c.call("GET", AXYB, query={"subscriptionId": sub, "app_key": key})
    eq(rc((st, js)), (200, "0"), "axyb query")
    lst = js["xyRelationNumList"]
    eq([(e["bindId"], e["numA"], e["numX"], e["numY"], e["numB"]) for e in lst],
       [(sub, "+8618612345678", x, y, "+8618612345679")], "axyb query list")
    eq(rc(c.call("DELETE", AXYB, query={"subscriptionId": sub, "app_key": key, "yNum": y})),
       (200, "0"), "axyb unbind yb")
    st, js = c.call("GET", AXYB, query={"subscriptionId": sub, "app_key": key})
    eq([e["numY"] for e in js["xyRelationNumList"]], [""], "axyb only AX left")
    eq(rc(c.call("DELETE", AXYB, query={"subscriptionId": sub, "app_key": key})), (200, "0"),
       "axyb unbind all")
    eq(rc(c.call("GET", AXYB, query={"subscriptionId": sub, "app_key": key})),
       (404, "1012007"), "axyb gone")


def test_admin(s, admin):
    eq(admin.admin("GET", "/apps", token="wrong")[0], 401, "admin bad token")
    st, js = admin.admin("POST", "/apps", {"name": "x", "mode": "ABC"})
    eq((st, js["resultdesc"]), (400, "Invalid parameter: mode"), "admin bad mode")
    key, sec = make_app(admin, "AXB", ["+8617050000001"])
    st, js = admin.admin("GET", "/apps")
    check(any(a["appKey"] == key and "appSecret" not in a for a in js["apps"]),
          "admin list hides secrets")
    # Disable: the app's calls get 1010004; enable again.
    c = Client(s.http_port, key, sec)
    eq(admin.admin("PUT", "/apps/" + key, {"status": "disabled"})[0], 200, "admin disable")
    eq(rc(c.call("GET", AXB, query={"relationNum": "+8617050000001"})), (403, "1010004"),
       "disabled app")
    eq(admin.admin("PUT", "/apps/" + key, {"status": "active", "eventUrl": "http://x/y"})[0],
       200, "admin enable")
    eq(rc(c.call("POST", AXB, {"callerNum": "+8618612345678", "calleeNum": "+8618612345679"})),
       (200, "0"), "bind after enable")
    # X status: unavailable -> 1012102 for new binds; removing a busy X is refused.
    eq(admin.admin("PUT", "/numbers", {"number": "+8617050000001", "status": "unavailable",
                                       "cause": 3})[0], 200, "admin number status")
    eq(rc(c.call("POST", AXB, {"callerNum": "+8618612345600", "calleeNum": "+8618612345601",
                               "relationNum": "+8617050000001"})), (409, "1012102"),
       "bind on abnormal X")
    eq(admin.admin("DELETE", "/numbers", query={"number": "+8617050000001"})[0], 409,
       "remove busy X")
    st, js = admin.admin("GET", "/numbers", query={"appKey": key})
    eq([(n["number"], n["status"], n["cause"]) for n in js["numbers"]],
       [("+8617050000001", "unavailable", 3)], "admin number list")


def test_https_metrics(s, key, sec):
    c = Client(s.https_port, key, sec, tls=True, keepalive=False)
    st, js = c.call("GET", AXB, query={"relationNum": "+8617010000001"})
    eq(rc((st, js)), (200, "0"), "https query")
    st, text = Client(s.http_port).raw("GET", "/metrics")
    check(isinstance(text, str) and 'privnum_api_requests_total{api="axb_bind",resultcode="0"}'
          in text, "metrics requests")
    check("privnum_changelog_seq" in text and 'privnum_bindings{mode="AXB"}' in text,
          "metrics bindings/seq")
    check('privnum_api_latency_seconds_bucket{api="axb_bind",le="+Inf"}' in text,
          "metrics histogram")


def test_ip_block(binary):
    s = Server(binary, extra=["-o", "auth.fail_threshold=5", "-o", "auth.block_time=60"]).start()
    try:
        admin = Client(s.http_port, admin_token=s.admin_token)
        key, sec = make_app(admin, "AXB", ["+8617060000001"])
        bad = Client(s.http_port, key, "wrong")
        for i in range(5):
            eq(rc(bad.call("GET", AXB, query={"relationNum": "+8617060000001"})),
               (401, "1010003"), "ipblock fail %d" % i)
        good = Client(s.http_port, key, sec)
        eq(rc(good.call("GET", AXB, query={"relationNum": "+8617060000001"})), (403, "1020176"),
           "ip blocked even with good credentials")
    finally:
        s.stop()


def main():
    binary = sys.argv[1]
    s = Server(binary).start()
    try:
        admin = Client(s.http_port, admin_token=s.admin_token)
        key, sec = test_axb(s, admin)
        test_auth(s, admin, key, sec)
        test_ax(s, admin)
        test_axe(s, admin)
        test_axyb(s, admin)
        test_admin(s, admin)
        test_https_metrics(s, key, sec)
        st, js = Client(s.http_port, key, sec).call("GET", AXB,
                                                    query={"relationNum": "+8617010000001"})
        total = js.get("totalCount")
    finally:
        eq(s.stop(), 0, "clean SIGTERM exit")
    # Restart on the same data dir: the data is still there.
    s2 = Server(binary, data_dir=s.data_dir).start()
    try:
        st, js = Client(s2.http_port, key, sec).call("GET", AXB,
                                                     query={"relationNum": "+8617010000001"})
        eq((js.get("resultcode"), js.get("totalCount")), ("0", total), "data after restart")
    finally:
        s2.stop()
    test_ip_block(binary)
    if FAILS:
        print("%d checks failed" % len(FAILS))
        sys.exit(1)
    print("all %d checks passed" % CHECKS[0])


if __name__ == "__main__":
    main()
