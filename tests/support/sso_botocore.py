#!/usr/bin/env python3
"""Proves the fake IAM Identity Center (fake_sso.py) against botocore itself, before swrole
is tested against it: botocore's own `sso-oidc` and `sso` clients (built from the service
models) register, sign in with the authorization code and with the device code (pending,
slow_down, expired), and read the portal (paged); botocore's SSOTokenProvider refreshes a
token file and its SSO credential provider gets role credentials from it; the fake's
errors arrive as the models' exceptions.

Usage: sso_botocore.py FAKE_URL HOME. Prints "ok" and exits 0, or fails."""

import base64
import datetime
import hashlib
import http.client
import json
import os
import secrets
import sys
import urllib.parse
import uuid

fake, home = sys.argv[1], sys.argv[2]
os.environ["HOME"] = home
for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
    os.environ.pop(var, None)
os.environ["AWS_ENDPOINT_URL_SSO"] = fake
os.environ["AWS_ENDPOINT_URL_SSO_OIDC"] = fake
os.environ["AWS_CONFIG_FILE"] = os.path.join(home, "config")

import botocore  # noqa: E402
import botocore.config  # noqa: E402
import botocore.exceptions  # noqa: E402
import botocore.session  # noqa: E402
import botocore.utils  # noqa: E402

START = "https://example.awsapps.com/start"
unsigned = botocore.config.Config(signature_version=botocore.UNSIGNED, region_name="us-east-1")


def admin(body):
    p = urllib.parse.urlsplit(fake)
    c = http.client.HTTPConnection(p.hostname, p.port, timeout=10)
    c.request("POST", "/admin/config", json.dumps(body), {"Content-Type": "application/json"})
    assert c.getresponse().status == 200


session = botocore.session.get_session()
oidc = session.create_client("sso-oidc", config=unsigned)
portal = session.create_client("sso", config=unsigned)

# 1. The authorization-code flow with PKCE, as the AWS CLI v2 does it.
reg = oidc.register_client(
    clientName="botocore-client-work", clientType="public", grantTypes=["authorization_code", "refresh_token"],
    redirectUris=["http://127.0.0.1/oauth/callback"], issuerUrl=START, scopes=["sso:account:access"],
)
verifier = secrets.token_urlsafe(48)
challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
state = str(uuid.uuid4())
redirect = "http://127.0.0.1:9/oauth/callback"
query = urllib.parse.urlencode({"response_type": "code", "client_id": reg["clientId"], "redirect_uri": redirect,
                                "state": state, "code_challenge_method": "S256", "scopes": "sso:account:access"})
p = urllib.parse.urlsplit(fake)
c = http.client.HTTPConnection(p.hostname, p.port, timeout=10)
c.request("GET", f"/authorize?{query}&code_challenge={challenge}")
r = c.getresponse()
assert r.status == 302, r.status
back = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(r.getheader("Location")).query))
assert back["state"] == state
tok = oidc.create_token(clientId=reg["clientId"], clientSecret=reg["clientSecret"], grantType="authorization_code",
                        code=back["code"], redirectUri=redirect, codeVerifier=verifier)
assert tok["accessToken"] and tok["refreshToken"] and tok["expiresIn"] > 0
try:
    oidc.create_token(clientId=reg["clientId"], clientSecret=reg["clientSecret"], grantType="authorization_code",
                      code=back["code"], redirectUri=redirect, codeVerifier=verifier)
    raise SystemExit("a code was accepted twice")
except oidc.exceptions.InvalidGrantException:
    pass

# 2. The device-code flow: slow_down, pending, then the token; an unknown device code expired.
admin({"slow_down_polls": 1, "pending_polls": 1})
dev_reg = oidc.register_client(clientName="botocore-client-work", clientType="public")
dev = oidc.start_device_authorization(clientId=dev_reg["clientId"], clientSecret=dev_reg["clientSecret"], startUrl=START)
grant = "urn:ietf:params:oauth:grant-type:device_code"
seen = []
for _ in range(3):
    try:
        oidc.create_token(clientId=dev_reg["clientId"], clientSecret=dev_reg["clientSecret"], grantType=grant,
                          deviceCode=dev["deviceCode"])
        seen.append("token")
    except oidc.exceptions.SlowDownException:
        seen.append("slow_down")
    except oidc.exceptions.AuthorizationPendingException:
        seen.append("pending")
assert seen == ["slow_down", "pending", "token"], seen
try:
    oidc.create_token(clientId=dev_reg["clientId"], clientSecret=dev_reg["clientSecret"], grantType=grant,
                      deviceCode="nope")
    raise SystemExit("an unknown device code was accepted")
except oidc.exceptions.ExpiredTokenException:
    pass
admin({"slow_down_polls": 0, "pending_polls": 1})

# 3. The portal, paged, with the bearer token.
accounts = [a for page in portal.get_paginator("list_accounts").paginate(accessToken=tok["accessToken"])
            for a in page["accountList"]]
assert len(accounts) == 3, accounts
roles = portal.list_account_roles(accessToken=tok["accessToken"], accountId="111111111111")["roleList"]
assert [x["roleName"] for x in roles] == ["AdministratorAccess", "ReadOnly"], roles
try:
    portal.list_accounts(accessToken="nope")
    raise SystemExit("an unknown token was accepted")
except portal.exceptions.UnauthorizedException:
    pass

# 4. botocore's token provider refreshes the token file, and its SSO provider gets the role.
with open(os.environ["AWS_CONFIG_FILE"], "w") as f:
    f.write(f"[profile prod]\nsso_session = work\nsso_account_id = 111111111111\nsso_role_name = ReadOnly\n"
            f"region = us-east-1\n\n[sso-session work]\nsso_start_url = {START}\nsso_region = us-east-1\n")
cache = botocore.utils.JSONFileCache(os.path.join(home, ".aws", "sso", "cache"))
key = hashlib.sha1(b"work").hexdigest()
soon = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
later = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
cache[key] = {"startUrl": START, "region": "us-east-1", "accessToken": tok["accessToken"], "expiresAt": soon,
              "clientId": reg["clientId"], "clientSecret": reg["clientSecret"], "registrationExpiresAt": later,
              "refreshToken": tok["refreshToken"]}
creds = botocore.session.Session(profile="prod").get_credentials().get_frozen_credentials()
assert creds.access_key.startswith("ASIA"), creds.access_key
refreshed = cache[key]
assert refreshed["accessToken"] != tok["accessToken"], "botocore did not refresh"
print("ok")
