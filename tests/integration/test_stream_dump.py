#!/usr/bin/env python3
"""test_stream_dump.py: the change stream end to end, through the real processes.

Starts privnum-control, binds and unbinds over its REST API, and reads the stream with
privnum-stream-dump over the real UNIX socket: the log from seq 1 (PUT records with the numbers
the client sent, in order), a snapshot (live bindings only) and a live follower, which must
print a new binding shortly after its REST answer (the figure is printed, p99 over 100 binds).

Usage: test_stream_dump.py PATH/TO/privnum-control PATH/TO/privnum-stream-dump
"""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pnclient import AXB, Client, Server, make_app  # noqa: E402

X = "+8675500000001"


def dump(tool, sock, *args):
    r = subprocess.run([tool, "-s", sock, "-t", "1500"] + list(args), capture_output=True,
                       text=True, timeout=30)
    return r.returncode, [l for l in r.stdout.splitlines() if l]


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def main():
    control, tool = sys.argv[1], sys.argv[2]
    s = Server(control).start()
    sock = os.path.join(s.data_dir, "s.sock")
    try:
        admin = Client(s.http_port, admin_token=s.admin_token)
        key, sec = make_app(admin, "AXB", [X])
        c = Client(s.http_port, key, sec)
        ids = []
        for i in range(3):
            st, js = c.call("POST", AXB, {"callerNum": "+861380000000%d" % i,
                                          "calleeNum": "+861390000000%d" % i, "relationNum": X})
            if st != 200 or js.get("resultcode") != "0":
                fail("bind %s %s" % (st, js))
            ids.append(js["subscriptionId"])
        st, js = c.call("DELETE", AXB, query={"subscriptionId": ids[1]})
        if st != 200 or js.get("resultcode") != "0":
            fail("unbind %s %s" % (st, js))

        rc, lines = dump(tool, sock, "-f", "1", "-n", "4")
        if rc != 0 or len(lines) != 4:
            fail("log dump rc=%d %r" % (rc, lines))
        for i, l in enumerate(lines):
            if not l.startswith("CHANGE seq=%d " % (i + 1)):
                fail("order: %r" % l)
        if "op=PUT" not in lines[0] or "a=+8613800000000" not in lines[0] or \
                "b=+8613900000000" not in lines[0] or "x=" + X not in lines[0]:
            fail("record content: %r" % lines[0])
        if "op=DEL" not in lines[3] or "id=" + ids[1] not in lines[3]:
            fail("unbind record: %r" % lines[3])

        rc, lines = dump(tool, sock, "-S")
        snaps = [l for l in lines if l.startswith("SNAP ")]
        if rc != 0 or len(snaps) != 2 or lines[-1] != "SNAPSHOT_END seq=4":
            fail("snapshot rc=%d %r" % (rc, lines))
        if any(("id=" + ids[1]) in l for l in snaps):
            fail("snapshot holds the unbound binding")

        # live follower from seq 5: time from each REST answer to the line
        n = 100
        p = subprocess.Popen([tool, "-s", sock, "-f", "5", "-n", str(n)], stdout=subprocess.PIPE,
                             text=True)
        time.sleep(0.3)
        delays = []
        for i in range(n):
            st, js = c.call("POST", AXB, {"callerNum": "+86137%08d" % i,
                                          "calleeNum": "+86136%08d" % i, "relationNum": X})
            t0 = time.monotonic()
            if st != 200 or js.get("resultcode") != "0":
                fail("live bind %s %s" % (st, js))
            line = p.stdout.readline()
            delays.append((time.monotonic() - t0) * 1000)
            if not line.startswith("CHANGE seq=%d op=PUT id=%s" % (5 + i, js["subscriptionId"])):
                fail("live line %r" % line)
        p.wait(timeout=10)
        if p.returncode != 0:
            fail("follower rc=%d" % p.returncode)
        delays.sort()
        print("REST answer -> stream line: p50 %.2f ms, p99 %.2f ms, max %.2f ms (n=%d)" %
              (delays[n // 2], delays[int(n * 0.99) - 1], delays[-1], n))

        rc, lines = dump(tool, sock, "-f", "2")
        if rc != 0 or not lines or not lines[0].startswith("CHANGE seq=2 "):
            fail("from the middle rc=%d %r" % (rc, lines[:2]))
        print("PASS")
    finally:
        s.stop()


if __name__ == "__main__":
    main()
