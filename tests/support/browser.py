#!/usr/bin/env python3
"""A scripted browser for `swrole login` tests: BROWSER=browser.py; it is run with the
sign-in URL, follows it (the fake sign-in service redirects at once to swrole's loopback
callback) and records what happened in $FAKE_BROWSER_LOG (one JSON line a request).

FAKE_BROWSER_MODE:
  follow        follow the URL, as a browser does (the default)
  wrong-state   call the callback with the code but another state, then follow
  error-no-state call the callback with ?error=access_denied and no state, then follow
  twice         follow, then call the same callback again
  other-address first call the callback from 127.0.0.2 (another address), then follow
  strangers     first POST the real code and state to the callback path, GET them on
                another path and GET them with another Host header, then follow
  error         call the callback with ?error=access_denied
  empty-code    call the callback with the right state and an empty code
  none          do nothing (the sign-in times out)
"""

import http.client
import json
import os
import socket
import sys
import urllib.parse

log_path = os.environ.get("FAKE_BROWSER_LOG", "/dev/null")
mode = os.environ.get("FAKE_BROWSER_MODE", "follow")


def record(**entry):
    with open(log_path, "a") as f:
        f.write(json.dumps(entry) + "\n")


def get(url, source=None, method="GET", path=None, host=None):
    """One request without following redirects: (status, location, body)."""
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=20, source_address=(source, 0) if source else None)
    path = (path or parts.path) + ("?" + parts.query if parts.query else "")
    headers = {"Host": host} if host else {}
    try:
        conn.request(method, path, headers=headers)
        response = conn.getresponse()
        return response.status, response.getheader("Location"), response.read().decode(errors="replace")
    except (ConnectionError, socket.error) as e:
        return None, None, type(e).__name__
    finally:
        conn.close()


url = sys.argv[-1]
record(step="argv", argv=sys.argv[1:])
if url.startswith("file://"):
    # swrole hands over a private page that redirects (never the URL on argv): read it as a
    # browser would.
    with open(url[len("file://"):]) as f:
        page = f.read()
    url = json.loads(page.split("location.replace(", 1)[1].split(")</script>", 1)[0])
if mode == "none":
    record(step="ignored", url=url)
    sys.exit(0)
status, location, _ = get(url)
record(step="authorize", status=status)
if status != 302 or not location:
    sys.exit(1)
callback = urllib.parse.urlsplit(location)
query = dict(urllib.parse.parse_qsl(callback.query))
base = f"{callback.scheme}://{callback.netloc}{callback.path}"
if mode in ("wrong-state", "error-no-state"):
    # What another local user or a web page can send: answered, and it ends nothing.
    fake = {"code": query["code"], "state": "not-" + query["state"]} if mode == "wrong-state" else {"error": "access_denied"}
    status, _, body = get(base + "?" + urllib.parse.urlencode(fake))
    record(step="stranger-callback", status=status)
elif mode == "empty-code":
    location = base + "?" + urllib.parse.urlencode({"code": "", "state": query["state"]})
elif mode == "error":
    location = base + "?" + urllib.parse.urlencode({"error": "access_denied", "state": query["state"]})
elif mode == "other-address":
    status, _, body = get(location, source="127.0.0.2")
    record(step="callback-from-127.0.0.2", status=status)
elif mode == "strangers":
    for step, how in [
        ("post-callback", {"method": "POST"}),
        ("get-elsewhere", {"path": "/oauth/other"}),
        ("get-root", {"path": "/"}),
        ("other-host", {"host": "localhost:%d" % callback.port}),
    ]:
        status, _, body = get(location, **how)
        record(step=step, status=status)
status, _, body = get(location)
record(step="callback", status=status, body=body)
if mode == "twice":
    status, _, body = get(location)
    record(step="second-callback", status=status, body=body)
