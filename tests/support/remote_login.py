#!/usr/bin/env python3
"""`swrole login --remote` on a pseudo-terminal, as a person on SSH does it: read the URL
swrole prints, open it elsewhere (here: fetch it from the fake sign-in service and its
confirmation page), paste the code the page shows. Usage: remote_login.py [--tamper] SWROLE ARGS...
Prints swrole's terminal output, exits with swrole's status."""

import os
import pty
import re
import select
import sys
import time
import urllib.request

tamper = sys.argv[1] == "--tamper"
argv = sys.argv[2:] if tamper else sys.argv[1:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(argv[0], argv)

seen = b""


def read_until(pattern, limit=30):
    global seen
    deadline = time.time() + limit
    while time.time() < deadline:
        match = re.search(pattern, seen)
        if match:
            return match
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                seen += os.read(fd, 4096)
            except OSError:
                break
    raise SystemExit(f"never saw {pattern!r} in {seen!r}")


url = read_until(rb"(https?://\S+/v1/authorize\?\S+)").group(1).decode()
read_until(rb"paste the code")
page = urllib.request.urlopen(url, timeout=20).read().decode().strip()
if tamper:
    import base64
    import urllib.parse

    fields = dict(urllib.parse.parse_qsl(base64.b64decode(page).decode()))
    fields["state"] = "someone-else"
    page = base64.b64encode(urllib.parse.urlencode(fields).encode()).decode()
os.write(fd, page.encode() + b"\r")
while True:
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    seen += chunk
_, status = os.waitpid(pid, 0)
sys.stdout.write(seen.decode(errors="replace"))
sys.exit(os.waitstatus_to_exitcode(status))
