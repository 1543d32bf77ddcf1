#!/usr/bin/env python3
"""A fake IAM Identity Center for the tests, on 127.0.0.1: the OIDC service and the access
portal, after their published models (botocore's data/sso-oidc/2019-06-10 and
data/sso/2019-06-10, rest-json).

OIDC: RegisterClient (POST /client/register), StartDeviceAuthorization (POST
/device_authorization), CreateToken (POST /token) with the grants
`authorization_code` (PKCE S256, the redirect URI and client of /authorize, the code once),
`refresh_token` and `urn:ietf:params:oauth:grant-type:device_code`; errors as the model has
them: HTTP 400 (401 for AccessDenied...), `x-amzn-errortype`, a JSON body with `error` and
`error_description` (`authorization_pending`, `slow_down`, `expired_token`, `invalid_grant`,
`invalid_client`). And the un-modelled `GET /authorize`, which signs the user in at once and
redirects to the redirect URI with `code` and `state`.

Portal: GetRoleCredentials (GET /federation/credentials?role_name&account_id), ListAccounts
(GET /assignment/accounts, paged by next_token/max_result), ListAccountRoles (GET
/assignment/roles?account_id), each with the bearer token in `x-amz-sso_bearer_token`;
UnauthorizedException (401) for an unknown or expired token.

Control (JSON): POST /admin/config {"token_seconds": N, "refresh_fails": bool, "refresh_delay": S,
"pending_polls": N, "slow_down_polls": N, "accounts": [...], "role_keys": {...}},
POST /admin/expire_tokens (every access token refused), GET /admin/log.

Usage: fake_sso.py PORT_FILE
"""

import base64
import hashlib
import json
import secrets
import threading
import time
import urllib.parse

from fake_common import JsonHandler, serve

lock = threading.RLock()
config = {
    "token_seconds": 3600,
    "refresh_fails": False,
    # seconds a refresh_token grant waits before it answers (a writer in the middle)
    "refresh_delay": 0,
    "pending_polls": 1,
    "slow_down_polls": 0,
    "page_size": 2,
    # the device grant answers this error instead of a token (expired_token, access_denied)
    "device_fail": None,
    # the verificationUriComplete StartDeviceAuthorization gives, instead of the fake's own
    "uri_complete": None,
    # every portal answer padded past 256 KiB (swrole's bound)
    "big_answer": False,
    # the nextToken of a list's last page (None: none, as the model has it; "" as some portals do)
    "last_next_token": None,
    "accounts": [
        {"accountId": "111111111111", "accountName": "Production", "emailAddress": "prod@example.com",
         "roles": ["AdministratorAccess", "ReadOnly"]},
        {"accountId": "210987654321", "accountName": "Staging", "emailAddress": "stg@example.com",
         "roles": ["AdministratorAccess"]},
        {"accountId": "333333333333", "accountName": "Sandbox (Team A)", "emailAddress": "sbx@example.com",
         "roles": ["PowerUser"]},
    ],
    # account id -> [access key id, secret] handed out by GetRoleCredentials
    "role_keys": {},
}
clients = {}  # client id -> {secret, grants, redirects, scopes}
codes = {}  # auth code -> {client, challenge, redirect, used}
devices = {}  # device code -> {client, polls, start_url, approved}
access_tokens = {}  # token -> {expires, client}
refresh_tokens = {}  # token -> client
log = []


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Handler(JsonHandler):

    def oidc_error(self, status, kind, code, description):
        with lock:
            log.append({"error": code})
        self.send(status, json.dumps({"error": code, "error_description": description}), {"x-amzn-errortype": kind})

    def portal_error(self, status, kind, message):
        self.send(status, json.dumps({"message": message}), {"x-amzn-errortype": kind})

    def bearer(self):
        token = self.headers.get("x-amz-sso_bearer_token", "")
        with lock:
            held = access_tokens.get(token)
        return held if held and held["expires"] > time.time() else None

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(url.query))
        if url.path == "/admin/log":
            with lock:
                return self.send(200, json.dumps(log))
        if url.path == "/authorize":
            need = ("response_type", "client_id", "redirect_uri", "state", "code_challenge_method", "code_challenge", "scopes")
            missing = [k for k in need if not q.get(k)]
            with lock:
                client = clients.get(q.get("client_id"))
            if missing or q["response_type"] != "code" or q["code_challenge_method"] != "S256" or not client:
                return self.send(400, f"bad authorize request: {missing or q}", content_type="text/plain")
            redirect = urllib.parse.urlsplit(q["redirect_uri"])
            registered = [urllib.parse.urlsplit(r) for r in client["redirects"]]
            # Loopback redirect URIs match on everything but the port (RFC 8252 7.3).
            if not any(r.scheme == redirect.scheme and r.hostname == redirect.hostname and r.path == redirect.path
                       for r in registered):
                return self.send(400, "redirect_uri not registered", content_type="text/plain")
            code = secrets.token_urlsafe(24)
            with lock:
                codes[code] = {"client": q["client_id"], "challenge": q["code_challenge"], "redirect": q["redirect_uri"],
                               "used": False}
                log.append({"op": "authorize", "scopes": q["scopes"]})
            target = q["redirect_uri"] + "?" + urllib.parse.urlencode({"code": code, "state": q["state"]})
            return self.send(302, "", {"Location": target}, content_type="text/plain")
        if url.path in ("/federation/credentials", "/assignment/accounts", "/assignment/roles"):
            held = self.bearer()
            with lock:
                log.append({"op": url.path, "authorized": held is not None, "query": q})
                cfg = json.loads(json.dumps(config))
            if held is None:
                return self.portal_error(401, "UnauthorizedException", "Session token not found or invalid")
            if cfg["big_answer"]:
                return self.send(200, json.dumps({"padding": "x" * (300 * 1024)}))
            accounts = cfg["accounts"]
            if url.path == "/federation/credentials":
                account = next((a for a in accounts if a["accountId"] == q.get("account_id")), None)
                if account is None or q.get("role_name") not in account["roles"]:
                    return self.portal_error(403, "ForbiddenException", "No access")
                key = cfg["role_keys"].get(q["account_id"]) or ["ASIAFAKESSO" + q["account_id"][-9:], "fakeSsoSecret" + "x" * 27]
                return self.send(200, json.dumps({"roleCredentials": {
                    "accessKeyId": key[0], "secretAccessKey": key[1],
                    "sessionToken": "FakeSsoSessionToken" + secrets.token_urlsafe(24),
                    "expiration": int((time.time() + 3600) * 1000)}}))
            size = int(q.get("max_result") or cfg["page_size"])
            start = int(q.get("next_token") or 0)
            if url.path == "/assignment/accounts":
                items = [{k: a[k] for k in ("accountId", "accountName", "emailAddress")} for a in accounts]
                key = "accountList"
            else:
                account = next((a for a in accounts if a["accountId"] == q.get("account_id")), None)
                if account is None:
                    return self.portal_error(404, "ResourceNotFoundException", "no such account")
                items = [{"roleName": r, "accountId": account["accountId"]} for r in account["roles"]]
                key = "roleList"
            page = {key: items[start:start + size]}
            if start + size < len(items):
                page["nextToken"] = str(start + size)
            elif cfg["last_next_token"] is not None:
                page["nextToken"] = cfg["last_next_token"]
            return self.send(200, json.dumps(page))
        self.send(404, "{}")

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        path = urllib.parse.urlsplit(self.path).path
        if path == "/admin/config":
            with lock:
                config.update(json.loads(raw or b"{}"))
            return self.send(200, "{}")
        if path == "/admin/expire_tokens":
            with lock:
                for t in access_tokens.values():
                    t["expires"] = 0
            return self.send(200, "{}")
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            return self.oidc_error(400, "InvalidRequestException", "invalid_request", "not JSON")
        with lock:
            cfg = dict(config)
        if path == "/client/register":
            if not body.get("clientName") or body.get("clientType") != "public":
                return self.oidc_error(400, "InvalidRequestException", "invalid_request", "clientName, clientType")
            grants = body.get("grantTypes") or []
            if "authorization_code" in grants and (not body.get("redirectUris") or not body.get("issuerUrl")):
                return self.oidc_error(400, "InvalidRequestException", "invalid_request", "redirectUris, issuerUrl")
            client_id, secret = "client-" + secrets.token_urlsafe(8), "secret-" + secrets.token_urlsafe(32)
            with lock:
                clients[client_id] = {"secret": secret, "grants": grants, "redirects": body.get("redirectUris") or [],
                                      "scopes": body.get("scopes") or []}
                log.append({"op": "register", "grants": grants, "scopes": body.get("scopes")})
            now = int(time.time())
            return self.send(200, json.dumps({"clientId": client_id, "clientSecret": secret, "clientIdIssuedAt": now,
                                              "clientSecretExpiresAt": now + 90 * 86400}))
        with lock:
            client = clients.get(body.get("clientId"))
        if client is None or client["secret"] != body.get("clientSecret"):
            return self.oidc_error(400, "InvalidClientException", "invalid_client", "unknown client or secret")
        if path == "/device_authorization":
            if not body.get("startUrl"):
                return self.oidc_error(400, "InvalidRequestException", "invalid_request", "startUrl")
            device, user = secrets.token_urlsafe(24), "ABCD-EFGH"
            with lock:
                devices[device] = {"client": body["clientId"], "polls": 0}
                log.append({"op": "device_authorization"})
            base = f"http://127.0.0.1:{self.server.server_port}"
            return self.send(200, json.dumps({"deviceCode": device, "userCode": user,
                                              "verificationUri": base + "/device",
                                              "verificationUriComplete": cfg["uri_complete"] or base + "/device?user_code=" + user,
                                              "expiresIn": 600, "interval": 1}))
        if path != "/token":
            return self.send(404, "{}")
        grant = body.get("grantType")
        # A slow refresh, for a writer in the middle: said in the log, then waited out of the lock.
        if grant == "refresh_token" and config.get("refresh_delay"):
            with lock:
                log.append({"op": "refresh_started"})
            time.sleep(config["refresh_delay"])
        entry = {"op": "token", "grant": grant, "at": time.time()}
        with lock:
            log.append(entry)
            if grant == "authorization_code":
                issued = codes.get(body.get("code"))
                if issued is None or issued["used"] or issued["client"] != body["clientId"]:
                    entry["outcome"] = "invalid_grant"
                    return self.oidc_error(400, "InvalidGrantException", "invalid_grant", "unknown or used code")
                issued["used"] = True
                if b64url(hashlib.sha256((body.get("codeVerifier") or "").encode()).digest()) != issued["challenge"]:
                    entry["outcome"] = "invalid_grant"
                    return self.oidc_error(400, "InvalidGrantException", "invalid_grant", "PKCE verifier")
                if body.get("redirectUri") != issued["redirect"]:
                    entry["outcome"] = "invalid_grant"
                    return self.oidc_error(400, "InvalidGrantException", "invalid_grant", "redirect_uri differs")
            elif grant == "refresh_token":
                if cfg["refresh_fails"] or refresh_tokens.get(body.get("refreshToken")) != body["clientId"]:
                    entry["outcome"] = "invalid_grant"
                    return self.oidc_error(400, "InvalidGrantException", "invalid_grant", "refresh token")
            elif grant == "urn:ietf:params:oauth:grant-type:device_code":
                held = devices.get(body.get("deviceCode"))
                if held is None or held["client"] != body["clientId"]:
                    entry["outcome"] = "expired_token"
                    return self.oidc_error(400, "ExpiredTokenException", "expired_token", "device code")
                held["polls"] += 1
                if cfg["device_fail"] == "expired_token":
                    entry["outcome"] = "expired_token"
                    return self.oidc_error(400, "ExpiredTokenException", "expired_token", "the code expired")
                if cfg["device_fail"] == "access_denied":
                    entry["outcome"] = "access_denied"
                    return self.oidc_error(400, "AccessDeniedException", "access_denied", "denied")
                if held["polls"] <= cfg["slow_down_polls"]:
                    entry["outcome"] = "slow_down"
                    return self.oidc_error(400, "SlowDownException", "slow_down", "slow down")
                if held["polls"] <= cfg["slow_down_polls"] + cfg["pending_polls"]:
                    entry["outcome"] = "authorization_pending"
                    return self.oidc_error(400, "AuthorizationPendingException", "authorization_pending", "pending")
                del devices[body["deviceCode"]]
            else:
                entry["outcome"] = "unsupported_grant_type"
                return self.oidc_error(400, "UnsupportedGrantTypeException", "unsupported_grant_type", str(grant))
            access, refresh = "sso-access-" + secrets.token_urlsafe(32), "sso-refresh-" + secrets.token_urlsafe(32)
            access_tokens[access] = {"expires": time.time() + cfg["token_seconds"], "client": body["clientId"]}
            refresh_tokens[refresh] = body["clientId"]
            entry["outcome"] = "ok"
        self.send(200, json.dumps({"accessToken": access, "tokenType": "Bearer", "expiresIn": cfg["token_seconds"],
                                   "refreshToken": refresh}))


if __name__ == "__main__":
    serve(Handler)
