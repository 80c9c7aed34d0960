"""Who may use the workbench: the person who started it, from this machine.

The page can change the inputs of a public decision, so every request must pass:

* **Host check** (against DNS rebinding): the ``Host`` header names the address the server is
  bound to (``127.0.0.1``, ``localhost`` or ``[::1]``, with its port).
* **Access token**: a random token printed in the URL by ``selection serve``. The first visit with
  ``?token=...`` stores it in an HttpOnly, SameSite=Strict cookie and redirects to the same page
  without it; automation may send it as the ``X-Selection-Token`` header instead.
* **CSRF token** on every state-changing request made with the cookie: a form field ``csrf`` or
  the header ``X-CSRF-Token``, derived from the access token; plus an ``Origin`` check.
* Response headers: a strict Content-Security-Policy (no request leaves the machine, no inline
  script), no referrer (the token never leaks), no caching.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl, urlencode

__all__ = ["COOKIE", "TOKEN_HEADER", "CSRF_HEADER", "new_token", "csrf_token", "Guard", "csrf_ok"]

COOKIE = "selection_token"
TOKEN_HEADER = "x-selection-token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


def new_token() -> str:
    """A fresh access token (256 random bits)."""
    return secrets.token_urlsafe(32)


def csrf_token(token: str) -> str:
    """The CSRF token that belongs to an access token (HMAC-SHA-256, not guessable without it)."""
    return hmac.new(token.encode(), b"selection-csrf", hashlib.sha256).hexdigest()


def csrf_ok(token: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(csrf_token(token), str(given))


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}


def _cookies(header: str) -> dict[str, str]:
    out = {}
    for part in header.split(";"):
        if "=" in part:
            k, v = part.split("=", 1)
            out[k.strip()] = v.strip()
    return out


class Guard:
    """ASGI middleware enforcing host, token and origin rules (see the module docstring).

    ``request.state``-like facts are put into ``scope["selection.auth"]``: ``"cookie"`` or
    ``"header"``, so that endpoints know whether a CSRF token is needed.
    """

    def __init__(self, app: Any, *, token: str, hosts: set[str]) -> None:
        self.app = app
        self.token = token
        self.hosts = {h.lower() for h in hosts}

    async def _reply(self, send: Send, status: int, text: str, headers: list[tuple[bytes, bytes]] | None = None
                     ) -> None:
        body = text.encode("utf-8")
        await send({"type": "http.response.start", "status": status, "headers": [
            (b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode()),
            (b"cache-control", b"no-store"), (b"referrer-policy", b"no-referrer"), *(headers or [])]})
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        h = _headers(scope)
        host = h.get("host", "").lower()
        if host not in self.hosts:
            await self._reply(send, 400, "Host not allowed. Open the address printed by 'selection serve'.")
            return
        origin = h.get("origin")
        if origin is not None and origin.lower() not in {f"http://{x}" for x in self.hosts}:
            await self._reply(send, 403, "Cross-origin request refused.")
            return
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True))
        given = query.get("token")
        if given is not None and scope["type"] == "http" and scope["method"] == "GET":
            if not hmac.compare_digest(given, self.token):
                await self._reply(send, 403, "Wrong access token. Open the address printed by 'selection serve'.")
                return
            rest = {k: v for k, v in query.items() if k != "token"}
            location = scope.get("path", "/") + (f"?{urlencode(rest)}" if rest else "")
            cookie = f"{COOKIE}={self.token}; HttpOnly; SameSite=Strict; Path=/"
            await self._reply(send, 303, "Signed in.", [(b"location", location.encode()),
                                                        (b"set-cookie", cookie.encode())])
            return
        auth = None
        if TOKEN_HEADER in h and hmac.compare_digest(h[TOKEN_HEADER], self.token):
            auth = "header"
        elif hmac.compare_digest(_cookies(h.get("cookie", "")).get(COOKIE, ""), self.token):
            auth = "cookie"
        if auth is None:
            await self._reply(send, 403, "Access token missing or wrong. Open the address printed by "
                                         "'selection serve' (it ends with ?token=...).")
            return
        scope["selection.auth"] = auth

        async def send_with_headers(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                extra = [(b"content-security-policy", CSP.encode()), (b"x-content-type-options", b"nosniff"),
                         (b"referrer-policy", b"no-referrer"), (b"x-frame-options", b"DENY"),
                         (b"cache-control", b"no-store")]
                names = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []), *[(k, v) for k, v in extra if k not in names]]
            await send(message)

        await self.app(scope, receive, send_with_headers)
