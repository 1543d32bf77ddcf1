#!/usr/bin/env python3
"""What swrole does, and how long it takes, when STS is refused, hangs, answers 500 or is slow.

    cargo build --release && python3 bench/faults.py [path/to/swrole]

A fake STS on 127.0.0.1 (Python's standard library only) answers GetSessionToken and
AssumeRole with credentials of a few seconds, or fails as told. For each fault it measures
  - a switch with an MFA code (`swrole sw-staging -t CODE`, default timeouts);
  - `swrole credential-process plain` (no MFA: the call is retried), default timeouts;
  - `exec --server`: the endpoint's answer time for a request while its credentials are
    valid (a renewal failing in the background) and for one once they have expired.
and prints one Markdown table (docs/troubleshooting.md keeps the last run). Nothing here is a
pass/fail test: the numbers are for reading.
"""

import datetime
import http.server
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time

SWROLE = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "target", "release", "swrole")
MODE = {"fault": "ok"}
LIFE = 8  # seconds of each role credential


def credentials_xml(action):
    expires = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=LIFE)).strftime("%Y-%m-%dT%H:%M:%SZ")
    user = "" if action == "GetSessionToken" else (
        "<AssumedRoleUser><AssumedRoleId>AROA:x</AssumedRoleId>"
        "<Arn>arn:aws:sts::210987654321:assumed-role/r/x</Arn></AssumedRoleUser>")
    return (f"<{action}Response xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><{action}Result><Credentials>"
            "<AccessKeyId>ASIABENCHFAULTS00001</AccessKeyId><SecretAccessKey>secret</SecretAccessKey>"
            f"<SessionToken>token</SessionToken><Expiration>{expires}</Expiration></Credentials>{user}"
            f"</{action}Result><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></{action}Response>")


class Sts(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", 0))).decode()
        action = "GetSessionToken" if "Action=GetSessionToken" in body else "AssumeRole"
        fault = MODE["fault"]
        if fault == "hang":
            time.sleep(120)
            return
        if fault == "slow":
            time.sleep(3)
        if fault == "500":
            status, text = 500, ("<ErrorResponse><Error><Type>Receiver</Type><Code>InternalError</Code>"
                                 "<Message>boom</Message></Error></ErrorResponse>")
        else:
            status, text = 200, credentials_xml(action)
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


CONFIG = """[profile base]
aws_access_key_id = AKIABENCHBASE0000001
aws_secret_access_key = secret
[profile sw-staging]
source_profile = base
role_arn = arn:aws:iam::210987654321:role/r
mfa_serial = arn:aws:iam::123456789012:mfa/me
region = eu-west-1
[profile plain]
source_profile = base
role_arn = arn:aws:iam::210987654321:role/r
region = eu-west-1
"""

ASK = r"""
import json, os, sys, time, urllib.request, urllib.error
def ask():
    r = urllib.request.Request(os.environ['AWS_CONTAINER_CREDENTIALS_FULL_URI'],
                               headers={'Authorization': os.environ['AWS_CONTAINER_AUTHORIZATION_TOKEN']})
    start = time.monotonic()
    try:
        with urllib.request.urlopen(r, timeout=60) as a:
            status = a.status
    except urllib.error.HTTPError as e:
        status = e.code
    return status, round((time.monotonic() - start) * 1000)
open(sys.argv[1], 'w').write('ready')
while not os.path.exists(sys.argv[2]): time.sleep(0.05)
time.sleep(5)      # the renewal (due at 3 s) has met the fault; the credentials are valid
valid = ask()
time.sleep(5)      # past the 8 s they lived
expired = ask()
print(json.dumps({'valid': valid, 'expired': expired}))
"""


def environment(home, url):
    env = {"PATH": os.environ["PATH"], "HOME": home, "USER": "bench", "SWROLE_CACHE_STORE": "file",
           "AWS_ENDPOINT_URL_STS": url}
    return env


def timed(cmd, env):
    start = time.monotonic()
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    took = time.monotonic() - start
    last = [l for l in out.stderr.splitlines() if l.strip()]
    return out.returncode, took, (last[-1] if last else "")


def home_with_config():
    home = tempfile.mkdtemp(prefix="swrole-bench-")
    os.makedirs(os.path.join(home, ".aws"))
    with open(os.path.join(home, ".aws", "config"), "w") as f:
        f.write(CONFIG)
    return home


def start(port):
    http.server.ThreadingHTTPServer.allow_reuse_address = True
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Sts)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main():
    port = free_port()
    server = start(port)
    good = f"http://127.0.0.1:{port}"
    refused = f"http://127.0.0.1:{free_port()}"
    rows = []
    for fault in ["refused", "hang", "500", "slow"]:
        url = refused if fault == "refused" else good
        MODE["fault"] = "ok" if fault == "refused" else fault
        home = home_with_config()
        env = environment(home, url)
        s_code, s_took, s_said = timed([SWROLE, "sw-staging", "-t", "123456", "--shell", "bash"], env)
        home = home_with_config()
        env = environment(home, url)
        c_code, c_took, c_said = timed([SWROLE, "credential-process", "plain"], env)
        # exec --server: first credentials while STS works, then the fault.
        MODE["fault"] = "ok"
        home = home_with_config()
        env = environment(home, good)
        ready, go = os.path.join(home, "ready"), os.path.join(home, "go")
        job = subprocess.Popen([SWROLE, "exec", "--server", "plain", "--refresh-margin", "5", "--", sys.executable,
                                "-c", ASK, ready, go], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        while not os.path.exists(ready):
            time.sleep(0.05)
        if fault == "refused":
            # The port closed: every connection refused, until it opens again.
            server.shutdown()
            server.server_close()
        else:
            MODE["fault"] = fault
        open(go, "w").write("go")
        stdout, stderr = job.communicate(timeout=300)
        if fault == "refused":
            server = start(port)
        answers = json.loads(stdout)
        said = [l for l in stderr.splitlines() if l.startswith("swrole:")]
        rows.append((fault, s_code, s_took, s_said, c_code, c_took, c_said, answers, said))
        MODE["fault"] = "ok"
    print("| STS | switch with an MFA code (default timeouts) | `credential-process` (no MFA, retried) | "
          "`exec --server` answer: credentials valid | `exec --server` answer: expired |")
    print("| --- | --- | --- | --- | --- |")
    for fault, s_code, s_took, s_said, c_code, c_took, c_said, answers, said in rows:
        (v_status, v_ms), (e_status, e_ms) = answers["valid"], answers["expired"]
        name = {"refused": "refused", "hang": "hanging", "500": "500", "slow": "slow (3 s)"}[fault]
        print(f"| {name} | exit {s_code} after {s_took:.1f} s | exit {c_code} after {c_took:.1f} s | "
              f"{v_status} in {v_ms} ms | {e_status} in {e_ms} ms |")
    print()
    for fault, _, _, s_said, _, _, c_said, _, said in rows:
        print(f"- {fault}: the switch ends with `{s_said}`; credential-process with `{c_said}`; "
              f"the job's terminal got {len(said)} line(s) from swrole:")
        for line in said:
            print(f"  - `{line}`")


if __name__ == "__main__":
    main()
