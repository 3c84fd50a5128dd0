"""pnclient.py: a small Huawei PrivateNumber API client for privnum's integration tests.

Signs requests exactly as Huawei's clients do (spec section 3 and 10): AKSK
(Base64(HMAC-SHA256(secret, nonce+created))) or legacy WSSE (Base64(SHA-256(nonce+created+
secret)) over the raw digest). Uses only the standard library (http.client, hmac, hashlib), so
the digests are computed independently of privnum's C code.
"""
import base64
import hashlib
import hmac
import http.client
import json
import os
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import urllib.parse
import uuid


def created_now(offset_s=0):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + offset_s))


def aksk_digest(secret, nonce, created):
    return base64.b64encode(hmac.new(secret.encode(), (nonce + created).encode(),
                                     hashlib.sha256).digest()).decode()


def wsse_digest(secret, nonce, created):
    return base64.b64encode(hashlib.sha256((nonce + created + secret).encode()).digest()).decode()


def auth_headers(app_key, secret, scheme="AKSK", nonce=None, created=None, spaces=False,
                 typekey="type"):
    nonce = nonce or uuid.uuid4().hex.upper()
    created = created or created_now()
    sep = ", " if spaces else ","
    auth = sep.join(['%s realm="SDP"' % scheme, 'profile="UsernameToken"',
                     '%s="Appkey"' % typekey])
    dig = aksk_digest(secret, nonce, created) if scheme == "AKSK" else \
        wsse_digest(secret, nonce, created)
    tok = 'UsernameToken Username="%s",PasswordDigest="%s",Nonce="%s",Created="%s"' % (
        app_key, dig, nonce, created)
    h = {"Authorization": auth}
    h["X-AKSK" if scheme == "AKSK" else "X-WSSE"] = tok
    return h


class Server:
    """Starts privnum-control on loopback with free ports and a temp data dir."""

    def __init__(self, binary, data_dir=None, extra=()):
        self.binary = binary
        self.tmp = None
        if data_dir is None:
            self.tmp = tempfile.TemporaryDirectory(prefix="pnctl-")
            data_dir = self.tmp.name
        self.data_dir = data_dir
        self.extra = list(extra)
        self.proc = None
        self.admin_token = "test-admin-token-0123456789"

    def start(self):
        args = [self.binary, "-D", self.data_dir, "-o", "http.port=0", "-o", "https.port=0",
                "-o", "https.address=127.0.0.1", "-o", "admin.token=" + self.admin_token,
                "-o", "stream.socket=" + os.path.join(self.data_dir, "s.sock")] + self.extra
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True)
        line = self.proc.stdout.readline()
        if "listening" not in line:
            err = self.proc.stderr.read() if self.proc.poll() is not None else ""
            raise RuntimeError("privnum-control did not start: %r %s" % (line, err))
        parts = dict(p.split("=") for p in line.split()[2:])
        self.http_port = int(parts["http"])
        self.https_port = int(parts["https"])
        return self

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise RuntimeError("privnum-control did not stop on SIGTERM")
        rc = self.proc.returncode if self.proc else 0
        return rc


class Client:
    def __init__(self, port, app_key=None, secret=None, scheme="AKSK", tls=False,
                 admin_token=None, keepalive=True):
        self.port = port
        self.app_key = app_key
        self.secret = secret
        self.scheme = scheme
        self.tls = tls
        self.admin_token = admin_token
        self.keepalive = keepalive
        self.conn = None

    def _conn(self):
        if self.conn is None or not self.keepalive:
            if self.tls:
                ctx = ssl.create_default_context()
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE
                self.conn = http.client.HTTPSConnection("127.0.0.1", self.port, context=ctx,
                                                        timeout=30)
            else:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        return self.conn

    def raw(self, method, path, body=None, headers=None, query=None):
        if query:
            path = path + "?" + urllib.parse.urlencode(query, quote_via=urllib.parse.quote)
        h = {"Accept": "application/json", "Content-Type": "application/json;charset=UTF-8"}
        h.update(headers or {})
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
        if isinstance(body, str):
            body = body.encode("latin-1", "surrogateescape") if False else body.encode()
        for attempt in (0, 1):
            c = self._conn()
            try:
                c.request(method, path, body=body, headers=h)
                r = c.getresponse()
                data = r.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn = None
                if attempt:
                    raise
        if not self.keepalive:
            c.close()
            self.conn = None
        try:
            js = json.loads(data) if data else None
        except ValueError:
            js = data.decode(errors="replace")
        return r.status, js

    def call(self, method, path, body=None, query=None, scheme=None, **kw):
        h = auth_headers(self.app_key, self.secret, scheme or self.scheme, **kw)
        return self.raw(method, path, body, h, query)

    def admin(self, method, path, body=None, query=None, token=None):
        h = {"Authorization": "Bearer " + (token or self.admin_token)}
        return self.raw(method, "/admin/v1" + path, body, h, query)


AXB = "/rest/caas/relationnumber/partners/v1.0"
AX = "/rest/provision/caas/privatenumber/v1.0"
AX_CALLEE = "/rest/caas/privatenumber/calleenumber/v1.0"
AXE = "/rest/caas/extendnumber/v1.0"
AXE2 = "/rest/caas/extendnumber/v2.0"
AXYB = "/rest/omp/xyrelationnumber/v1.0"


def make_app(admin, mode, numbers, area="0755", key=None, secret=None):
    body = {"name": "t-" + mode, "mode": mode}
    if key:
        body["appKey"] = key
    if secret:
        body["appSecret"] = secret
    st, js = admin.admin("POST", "/apps", body)
    assert st == 201, (st, js)
    app = js["app"]
    for n in numbers:
        st, js = admin.admin("POST", "/numbers", {"number": n, "areaCode": area,
                                                  "appKey": app["appKey"]})
        assert st == 201, (st, js)
    return app["appKey"], app["appSecret"]
