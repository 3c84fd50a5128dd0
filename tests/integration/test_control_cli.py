#!/usr/bin/env python3
"""test_control_cli.py: the privnum CLI against a real privnum-control.

Creates an app and a number with the admin commands, binds/queries/unbinds AXB with AKSK and
WSSE signing (over HTTPS for one of them), uses the generic signed `call`, and checks exit
statuses (0 success, 1 API error, 2 usage error) and the JSON printed.

Usage: test_control_cli.py PATH/TO/privnum-control PATH/TO/privnum
"""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pnclient import Server  # noqa: E402

FAILS = []


def run(cli, env, *args):
    p = subprocess.run([cli] + list(args), env=env, capture_output=True, text=True, timeout=30)
    try:
        js = json.loads(p.stdout) if p.stdout.strip() else None
    except ValueError:
        js = None
    return p.returncode, js, p.stderr


def eq(got, want, what):
    if got != want:
        FAILS.append(what)
        print("FAIL: %s: got %r want %r" % (what, got, want))


def main():
    binary, cli = sys.argv[1], sys.argv[2]
    s = Server(binary).start()
    try:
        env = dict(os.environ, PRIVNUM_URL="http://127.0.0.1:%d" % s.http_port,
                   PRIVNUM_ADMIN_TOKEN=s.admin_token)
        rc, js, _ = run(cli, env, "app", "create", "--name", "cli", "--mode", "AXB")
        eq(rc, 0, "app create")
        key, sec = js["app"]["appKey"], js["app"]["appSecret"]
        rc, js, _ = run(cli, env, "number", "add", "+8617080000001", "--area", "0755",
                        "--app", key)
        eq((rc, js["number"]["status"]), (0, "normal"), "number add")
        env.update(PRIVNUM_APP_KEY=key, PRIVNUM_APP_SECRET=sec)
        rc, js, _ = run(cli, env, "axb", "bind", "--caller", "+8618612345678", "--callee",
                        "+8618612345679", "--x", "+8617080000001", "--duration", "600")
        eq((rc, js["resultcode"], js["relationNum"], js["duration"]),
           (0, "0", "+8617080000001", 600), "axb bind (AKSK)")
        sub = js["subscriptionId"]
        rc, js, _ = run(cli, env, "--wsse", "axb", "query", "--sub", sub)
        eq((rc, js["relationNumList"][0]["callerNum"]), (0, "+8618612345678"),
           "axb query (WSSE)")
        https = dict(env, PRIVNUM_URL="https://127.0.0.1:%d" % s.https_port)
        rc, js, _ = run(cli, https, "--insecure", "axb", "query", "--x", "+8617080000001")
        eq((rc, js["totalCount"]), (0, 1), "axb query over HTTPS")
        rc, js, _ = run(cli, env, "call", "GET", "/rest/caas/relationnumber/partners/v1.0",
                        "--query", "subscriptionId=" + sub)
        eq((rc, js["resultcode"]), (0, "0"), "generic call")
        rc, js, _ = run(cli, env, "axb", "bind", "--caller", "+8618612345678", "--callee",
                        "+8618612345679", "--x", "+8617080000001")
        eq((rc, js["resultcode"]), (1, "1012010"), "API error exit status")
        rc, js, _ = run(cli, env, "axb", "unbind", "--sub", sub)
        eq((rc, js["resultcode"]), (0, "0"), "axb unbind")
        rc, js, _ = run(cli, env, "axb", "bind")
        eq(rc, 2, "usage error")
        rc, js, _ = run(cli, dict(env, PRIVNUM_APP_SECRET="wrong"), "axb", "query", "--sub", sub)
        eq((rc, js["resultcode"]), (1, "1010003"), "wrong secret")
        rc, js, _ = run(cli, env, "app", "disable", key)
        eq((rc, js["app"]["status"]), (0, "disabled"), "app disable")
        rc, js, _ = run(cli, env, "app", "list")
        eq((rc, [a["status"] for a in js["apps"]]), (0, ["disabled"]), "app list")
    finally:
        s.stop()
    if FAILS:
        sys.exit(1)
    print("cli: all checks passed")


if __name__ == "__main__":
    main()
