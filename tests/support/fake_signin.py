#!/usr/bin/env python3
"""A fake AWS Sign-In service for the tests, on 127.0.0.1.

It follows the service's published model (botocore's data/signin/2023-01-01/service-2.json):
CreateOAuth2Token is `POST /v1/token`, rest-json, its body the `tokenInput` structure and
its answer the `tokenOutput` structure; errors carry `x-amzn-errortype` and a JSON body
with `error` (OAuth2ErrorCode) and `message`. Around it, what the AWS CLI v2's `aws login`
uses: `GET /v1/authorize` (here it signs the user in at once and redirects to the
redirect_uri with `code` and `state`) and `GET /v1/sessions/confirmation` (the page of
`--remote`, which shows base64 of `code=...&state=...`).

Checked like the real service: the DPoP proof of every token call (an ES256 JWT over
`POST` and this URL, its key in the header, `iat` within a minute, `jti` never seen
before), PKCE (`SHA-256` of the verifier), the code used once, the redirect URI and client
the same as at /v1/authorize, the refresh token bound to the key of its sign-in (`cnf.jkt`,
the JWK's SHA-256 thumbprint).

Control, for the tests (JSON in, JSON out):
  POST /admin/config  {"expires_in": N, "access_key_id": ..., "secret_access_key": ...,
                       "user_arn": ..., "fail": "TOKEN_EXPIRED" | null, "delay": seconds,
                       "big_answer": bool}
  GET  /admin/log     every token call: grant, jkt, client, outcome

Usage: fake_signin.py PORT_FILE   (writes the port it listens on to PORT_FILE)
"""

import base64
import hashlib
import json
import secrets
import threading
import time
import urllib.parse

from fake_common import JsonHandler, serve

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

CLIENTS = ("arn:aws:signin:::devtools/same-device", "arn:aws:signin:::devtools/cross-device")

lock = threading.Lock()
config = {
    "expires_in": 900,
    "access_key_id": "ASIAFAKESIGNIN000001",
    "secret_access_key": "fakeSecretKeyFromTheSignInService000001x",
    "user_arn": "arn:aws:iam::123456789012:user/ann",
    "fail": None,
    "delay": 0,
    "big_answer": False,
}
codes = {}  # code -> {challenge, redirect, client, used}
refresh_tokens = {}  # token -> {jkt, client, user}
seen_jti = set()
log = []


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def thumbprint(jwk):
    canonical = json.dumps(
        {"crv": jwk["crv"], "kty": jwk["kty"], "x": jwk["x"], "y": jwk["y"]}, separators=(",", ":"), sort_keys=True
    )
    return b64url(hashlib.sha256(canonical.encode()).digest())


def check_dpop(proof, url):
    """The JWK thumbprint of a valid proof for POST `url`, or an error string."""
    try:
        head_b64, body_b64, sig_b64 = proof.split(".")
        header = json.loads(b64url_decode(head_b64))
        payload = json.loads(b64url_decode(body_b64))
        signature = b64url_decode(sig_b64)
    except Exception:
        return None, "the DPoP proof is not a JWT"
    if header.get("typ") != "dpop+jwt" or header.get("alg") != "ES256":
        return None, "the DPoP proof is not typ dpop+jwt, alg ES256"
    jwk = header.get("jwk") or {}
    if jwk.get("kty") != "EC" or jwk.get("crv") != "P-256":
        return None, "the DPoP key is not P-256"
    try:
        numbers = ec.EllipticCurvePublicNumbers(
            int.from_bytes(b64url_decode(jwk["x"]), "big"), int.from_bytes(b64url_decode(jwk["y"]), "big"), ec.SECP256R1()
        )
        key = numbers.public_key()
        if len(signature) != 64:
            return None, "the DPoP signature is not 64 bytes (r || s)"
        der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
        key.verify(der, f"{head_b64}.{body_b64}".encode(), ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, KeyError, ValueError):
        return None, "the DPoP signature does not verify"
    if payload.get("htm") != "POST" or payload.get("htu") != url:
        return None, f"the DPoP proof is for {payload.get('htm')} {payload.get('htu')}, not POST {url}"
    if abs(time.time() - int(payload.get("iat", 0))) > 60:
        return None, "the DPoP proof's iat is not within a minute"
    jti = payload.get("jti")
    with lock:
        if not jti or jti in seen_jti:
            return None, "the DPoP proof's jti was used before"
        seen_jti.add(jti)
    return thumbprint(jwk), None


def id_token(user):
    header = b64url(json.dumps({"alg": "none"}).encode())
    claims = b64url(json.dumps({"sub": user, "iat": int(time.time()), "iss": "fake-signin"}).encode())
    return f"{header}.{claims}.sig"


class Handler(JsonHandler):

    def error(self, status, kind, code, message):
        self.send(status, json.dumps({"error": code, "message": message}), {"x-amzn-errortype": kind})

    def base(self):
        return f"http://127.0.0.1:{self.server.server_port}"

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        if url.path == "/admin/log":
            with lock:
                return self.send(200, json.dumps(log))
        if url.path == "/v1/authorize":
            want = ("response_type", "client_id", "state", "code_challenge_method", "code_challenge", "redirect_uri")
            missing = [k for k in want if not query.get(k)]
            if missing or query["response_type"] != "code" or query["code_challenge_method"] != "SHA-256":
                return self.send(400, f"bad authorize request: {missing or query}", content_type="text/plain")
            if query["client_id"] not in CLIENTS or query.get("scope") != "openid":
                return self.send(400, "bad client or scope", content_type="text/plain")
            code = secrets.token_urlsafe(24)
            with lock:
                codes[code] = {
                    "challenge": query["code_challenge"],
                    "redirect": query["redirect_uri"],
                    "client": query["client_id"],
                    "used": False,
                }
            target = query["redirect_uri"] + "?" + urllib.parse.urlencode({"code": code, "state": query["state"]})
            return self.send(302, "", {"Location": target}, content_type="text/plain")
        if url.path == "/v1/sessions/confirmation":
            shown = base64.b64encode(
                urllib.parse.urlencode({"code": query.get("code", ""), "state": query.get("state", "")}).encode()
            ).decode()
            return self.send(200, shown, content_type="text/plain")
        self.send(404, "not found", content_type="text/plain")

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path = urllib.parse.urlsplit(self.path).path
        if path == "/admin/config":
            with lock:
                config.update(json.loads(body or b"{}"))
            return self.send(200, "{}")
        if path != "/v1/token":
            return self.send(404, "{}")
        try:
            request = json.loads(body)
        except ValueError:
            return self.error(400, "ValidationException", "INVALID_REQUEST", "the body is not JSON")
        with lock:
            cfg = dict(config)
        if cfg["delay"]:
            time.sleep(cfg["delay"])
        entry = {"grant": request.get("grantType"), "client": request.get("clientId")}
        jkt, problem = check_dpop(self.headers.get("DPoP", ""), self.base() + "/v1/token")
        entry["jkt"] = jkt
        if problem:
            entry["outcome"] = problem
            with lock:
                log.append(entry)
            return self.error(400, "ValidationException", "INVALID_REQUEST", problem)
        outcome, answer = self.token(request, jkt, cfg)
        entry["outcome"] = outcome
        with lock:
            log.append(entry)
        if outcome != "ok":
            status, kind, code = answer
            return self.error(status, kind, code, outcome)
        if cfg["big_answer"]:
            answer["padding"] = "x" * (200 * 1024)
        self.send(200, json.dumps(answer))

    def token(self, request, jkt, cfg):
        client = request.get("clientId")
        if client not in CLIENTS:
            return "unknown client", (400, "ValidationException", "INVALID_REQUEST")
        grant = request.get("grantType")
        with lock:
            if grant == "authorization_code":
                issued = codes.get(request.get("code"))
                if issued is None or issued["used"]:
                    return "unknown or used code", (401, "AccessDeniedException", "AUTHCODE_EXPIRED")
                issued["used"] = True
                verifier = request.get("codeVerifier") or ""
                challenge = b64url(hashlib.sha256(verifier.encode()).digest())
                if challenge != issued["challenge"]:
                    return "PKCE verifier does not match", (400, "ValidationException", "INVALID_REQUEST")
                if request.get("redirectUri") != issued["redirect"] or client != issued["client"]:
                    return "redirect or client differs", (400, "ValidationException", "INVALID_REQUEST")
                user = cfg["user_arn"]
            elif grant == "refresh_token":
                if cfg["fail"]:
                    return cfg["fail"], (401, "AccessDeniedException", cfg["fail"])
                held = refresh_tokens.get(request.get("refreshToken"))
                if held is None:
                    return "unknown refresh token", (401, "AccessDeniedException", "TOKEN_EXPIRED")
                if held["jkt"] != jkt:
                    return "the DPoP key is not the one the refresh token is bound to", (
                        400,
                        "ValidationException",
                        "INVALID_REQUEST",
                    )
                user = held["user"]
            else:
                return "bad grant", (400, "ValidationException", "INVALID_REQUEST")
            new_refresh = secrets.token_urlsafe(48)
            refresh_tokens[new_refresh] = {"jkt": jkt, "client": client, "user": user}
        answer = {
            "accessToken": {
                "accessKeyId": cfg["access_key_id"],
                "secretAccessKey": cfg["secret_access_key"],
                "sessionToken": "FakeSignInSessionToken" + secrets.token_urlsafe(32),
            },
            "tokenType": "aws_sigv4",
            "expiresIn": cfg["expires_in"],
            "refreshToken": new_refresh,
        }
        if grant == "authorization_code":
            answer["idToken"] = id_token(user)
        return "ok", answer


if __name__ == "__main__":
    serve(Handler)
