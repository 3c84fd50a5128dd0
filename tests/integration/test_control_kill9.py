#!/usr/bin/env python3
"""test_control_kill9.py: durability of acknowledged binds across SIGKILL.

Runs a bind load (8 concurrent keep-alive clients, signed AXB binds) against the real
privnum-control, SIGKILLs it in the middle of the load, restarts it on the same data
directory and checks that every binding answered resultcode "0" before the kill is present
(listing every X with paging), with the numbers the client sent.

Usage: test_control_kill9.py PATH/TO/privnum-control
"""
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pnclient import AXB, Client, Server, make_app  # noqa: E402

CLIENTS = 8
XS = ["+86170700%05d" % i for i in range(4)]


def worker(port, key, sec, idx, acked, stop):
    c = Client(port, key, sec)
    n = 0
    while not stop.is_set():
        a = "+8613%d%07d" % (idx, n)
        b = "+8615%d%07d" % (idx, n)
        x = XS[n % len(XS)]
        n += 1
        try:
            st, js = c.call("POST", AXB, {"callerNum": a, "calleeNum": b, "relationNum": x})
        except Exception:
            return  # the server died: stop
        if st == 200 and js.get("resultcode") == "0":
            acked.append((js["subscriptionId"], x, a, b))


def main():
    binary = sys.argv[1]
    s = Server(binary).start()
    admin = Client(s.http_port, admin_token=s.admin_token)
    key, sec = make_app(admin, "AXB", XS)
    acked = []
    stop = threading.Event()
    threads = [threading.Thread(target=worker, args=(s.http_port, key, sec, i, acked, stop))
               for i in range(CLIENTS)]
    for t in threads:
        t.start()
    deadline = time.time() + 10
    while len(acked) < 1500 and time.time() < deadline:
        time.sleep(0.05)
    s.kill9()  # in the middle of the load
    n_acked = len(acked)
    stop.set()
    for t in threads:
        t.join()
    acked = list(acked)
    print("acknowledged before SIGKILL: %d (total answers %d)" % (n_acked, len(acked)))
    if n_acked < 100:
        print("FAIL: load too small to mean anything")
        sys.exit(1)

    s2 = Server(binary, data_dir=s.data_dir).start()
    try:
        c = Client(s2.http_port, key, sec)
        found = {}
        for x in XS:
            page = 1
            while True:
                st, js = c.call("GET", AXB, query={"relationNum": x, "pageIndex": str(page),
                                                   "pageSize": "100"})
                if st != 200 or js.get("resultcode") != "0":
                    print("FAIL: query %s page %d: %s %s" % (x, page, st, js))
                    sys.exit(1)
                for e in js["relationNumList"]:
                    found[e["subscriptionId"]] = (e["relationNum"], e["callerNum"],
                                                  e["calleeNum"])
                if page * 100 >= js["totalCount"]:
                    break
                page += 1
        missing = [a for a in acked if found.get(a[0]) != a[1:]]
        print("present after restart: %d bindings; acknowledged missing or different: %d"
              % (len(found), len(missing)))
        if missing:
            print("FAIL: e.g.", missing[:5])
            sys.exit(1)
    finally:
        s2.stop()
    print("kill -9 durability: ok")


if __name__ == "__main__":
    main()
