#!/usr/bin/env python3
"""Proves the fake sign-in service (fake_signin.py) against botocore itself, before swrole
is tested against it: botocore's own `signin` client (built from the service model) and
its DPoP header handler sign in with the authorization code, as the AWS CLI v2 does;
botocore's LoginProvider refreshes the token file; the fake's errors reach botocore as the
model's exceptions (ValidationException; TOKEN_EXPIRED as LoginRefreshRequired).

Usage: signin_botocore.py FAKE_URL WORK_DIR. Prints "ok" and exits 0, or fails."""

import base64
import datetime
import hashlib
import http.client
import json
import os
import secrets
import sys
import textwrap
import urllib.parse
import uuid

import botocore
import botocore.config
import botocore.credentials
import botocore.exceptions
import botocore.session
import botocore.utils
from awscrt.crypto import EC, ECExportFormat, ECType

fake, work = sys.argv[1], sys.argv[2]


def admin(body):
    parts = urllib.parse.urlsplit(fake)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    conn.request("POST", "/admin/config", json.dumps(body), {"Content-Type": "application/json"})
    assert conn.getresponse().status == 200


# 1. The sign-in: /v1/authorize, then CreateOAuth2Token by botocore's client.
verifier = secrets.token_urlsafe(48)
challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode()[:-1]
state = str(uuid.uuid4())
redirect = "http://127.0.0.1:9/oauth/callback"
query = urllib.parse.urlencode(
    {
        "response_type": "code",
        "client_id": "arn:aws:signin:::devtools/same-device",
        "state": state,
        "code_challenge_method": "SHA-256",
        "scope": "openid",
        "redirect_uri": redirect,
    }
)
parts = urllib.parse.urlsplit(fake)
conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
conn.request("GET", f"/v1/authorize?{query}&code_challenge={challenge}")
response = conn.getresponse()
assert response.status == 302, response.status
back = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(response.getheader("Location")).query))
assert back["state"] == state

session = botocore.session.get_session()
client = session.create_client(
    "signin",
    region_name="us-east-1",
    endpoint_url=fake,
    config=botocore.config.Config(signature_version=botocore.UNSIGNED),
)
key = EC.new_generate(ECType.P_256)
client.meta.events.register(
    "before-call.signin.CreateOAuth2Token", botocore.credentials._build_add_dpop_header_handler(key)
)
out = client.create_o_auth2_token(
    tokenInput={
        "clientId": "arn:aws:signin:::devtools/same-device",
        "grantType": "authorization_code",
        "code": back["code"],
        "codeVerifier": verifier,
        "redirectUri": redirect,
    }
)["tokenOutput"]
assert out["tokenType"] == "aws_sigv4" and out["expiresIn"] > 0, out
payload = out["idToken"].split(".")[1]
sub = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["sub"]

# The code works once.
try:
    client.create_o_auth2_token(
        tokenInput={
            "clientId": "arn:aws:signin:::devtools/same-device",
            "grantType": "authorization_code",
            "code": back["code"],
            "codeVerifier": verifier,
            "redirectUri": redirect,
        }
    )
    raise SystemExit("a code was accepted twice")
except client.exceptions.AccessDeniedException as e:
    assert e.response.get("error") == "AUTHCODE_EXPIRED", e.response

# The token file, as the AWS CLI v2 writes it.
cache = os.path.join(work, "login-cache")
pem = base64.b64encode(key.export_key(ECExportFormat.SEC1)).decode()
token = {
    "accessToken": {
        "accessKeyId": out["accessToken"]["accessKeyId"],
        "secretAccessKey": out["accessToken"]["secretAccessKey"],
        "sessionToken": out["accessToken"]["sessionToken"],
        "accountId": sub.split(":")[4],
        "expiresAt": "2020-01-01T00:00:00Z",
    },
    "tokenType": out["tokenType"],
    "clientId": "arn:aws:signin:::devtools/same-device",
    "refreshToken": out["refreshToken"],
    "idToken": out["idToken"],
    "dpopKey": "-----BEGIN EC PRIVATE KEY-----\n" + textwrap.fill(pem, 64) + "\n-----END EC PRIVATE KEY-----\n",
}
cache_file = botocore.utils.JSONFileCache(cache)
cache_file[botocore.utils.generate_login_cache_key(sub)] = token

# 2. botocore's LoginProvider refreshes the expired token through the fake.
config = os.path.join(work, "config")
with open(config, "w") as f:
    f.write(f"[profile me]\nlogin_session = {sub}\nregion = us-east-1\n")
os.environ.update(
    {"AWS_CONFIG_FILE": config, "AWS_LOGIN_CACHE_DIRECTORY": cache, "AWS_ENDPOINT_URL_SIGNIN": fake}
)
for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
    os.environ.pop(var, None)
frozen = botocore.session.Session(profile="me").get_credentials().get_frozen_credentials()
refreshed = cache_file[botocore.utils.generate_login_cache_key(sub)]
assert refreshed["refreshToken"] != token["refreshToken"], "botocore did not refresh"
assert frozen.access_key == out["accessToken"]["accessKeyId"]
expires = datetime.datetime.strptime(refreshed["accessToken"]["expiresAt"], "%Y-%m-%dT%H:%M:%SZ")
assert expires > datetime.datetime.utcnow(), refreshed["accessToken"]["expiresAt"]

# 3. The fake's refusals are the model's errors, as botocore reads them.
bare = session.create_client(
    "signin", region_name="us-east-1", endpoint_url=fake, config=botocore.config.Config(signature_version=botocore.UNSIGNED)
)
try:
    bare.create_o_auth2_token(
        tokenInput={"clientId": "arn:aws:signin:::devtools/same-device", "grantType": "refresh_token", "refreshToken": "x"}
    )
    raise SystemExit("a call without DPoP was accepted")
except bare.exceptions.ValidationException:
    pass
refreshed["accessToken"]["expiresAt"] = "2020-01-01T00:00:00Z"
cache_file[botocore.utils.generate_login_cache_key(sub)] = refreshed
admin({"fail": "TOKEN_EXPIRED"})
try:
    botocore.session.Session(profile="me").get_credentials().get_frozen_credentials()
    raise SystemExit("TOKEN_EXPIRED did not stop botocore")
except botocore.exceptions.LoginRefreshRequired:
    pass
finally:
    admin({"fail": None})
print("ok")
