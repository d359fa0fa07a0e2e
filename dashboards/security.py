"""Who may reach the server, and which logged bytes are safe to hand to the browser.

- Binding anything but a loopback address needs an access token; with a token every request
  must carry it (``?token=`` once, then a cookie the server sets). The cookie holds a value
  signed with a key derived from the token (HMAC-SHA256), never the token itself, and is
  ``HttpOnly; SameSite=Strict`` (and ``Secure`` over TLS). Tokens and signatures are compared
  in constant time. A client (by address) that fails ``MAX_FAILURES`` times in a row is
  answered 429 for ``PAUSE_SECONDS`` before it may try again.
- Image bytes become data URIs only when their header names a PNG, JPEG or GIF of sane size,
  so a hostile or corrupt log cannot make the browser decode a giant bitmap.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import os
import secrets
import threading
import time
from collections import OrderedDict
from http.cookies import SimpleCookie
from urllib.parse import parse_qs, urlencode

from inspector.errors import InspectorError
from inspector.image_display import ImageRefused, display_image, read_header, sniff_size

COOKIE = "inspector_session"
MAX_FAILURES = 10  # wrong tokens in a row from one address before it is paused
PAUSE_SECONDS = 60.0
_TRACKED_CLIENTS = 10_000  # failure counters kept (oldest forgotten first)


def is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(host: str, token: str | None) -> None:
    """Refuse to expose the dashboard beyond this machine without a token."""
    if not is_loopback(host) and not token:
        raise InspectorError(
            f"refusing to serve on {host} without an access token: anyone who can reach it "
            "could read your logs; pass --token T (or use --host 127.0.0.1)")


def check_tls(certfile: str | None, keyfile: str | None) -> tuple[str, str] | None:
    """The (certificate, key) pair for TLS, None for plain HTTP. Raises ``InspectorError``
    when only one is given or a file cannot be read."""
    if not certfile and not keyfile:
        return None
    if not (certfile and keyfile):
        raise InspectorError("TLS needs both --certfile and --keyfile (PEM files)")
    for what, path in (("certificate", certfile), ("key", keyfile)):
        if not os.path.isfile(path) or not os.access(path, os.R_OK):
            raise InspectorError(f"cannot read the TLS {what} file {path!r}")
    import ssl

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        context.load_cert_chain(certfile, keyfile)
    except (ssl.SSLError, OSError) as err:
        raise InspectorError(f"cannot use {certfile} / {keyfile} for TLS: "
                             f"{err.strerror or err}") from None
    return certfile, keyfile


def _same(a: str, b: str) -> bool:
    # Digests first: compare_digest is constant-time only for inputs of equal length.
    return hmac.compare_digest(hashlib.sha256(a.encode()).digest(),
                               hashlib.sha256(b.encode()).digest())


def token_ok(expected: str, query_token: str | None, cookie_token: str | None) -> bool:
    """True when the request carries the token in its query, or a cookie signed for it."""
    if query_token is not None:
        return _same(query_token, expected)
    return cookie_token is not None and cookie_valid(expected, cookie_token)


def _cookie_key(token: str) -> bytes:
    # Derived from the token, so every worker process of one server accepts the same cookie.
    return hmac.new(token.encode(), b"inspector access cookie v1", hashlib.sha256).digest()


def sign_cookie(token: str, nonce: str | None = None) -> str:
    """A cookie value ``<nonce>.<signature>`` proving the token was given once."""
    nonce = nonce or secrets.token_urlsafe(16)
    mac = hmac.new(_cookie_key(token), nonce.encode(), hashlib.sha256).hexdigest()
    return f"{nonce}.{mac}"


def cookie_valid(token: str, value: str) -> bool:
    nonce, _, mac = value.partition(".")
    return bool(nonce and mac) and _same(sign_cookie(token, nonce), value)


class _Failures:
    """Wrong-token counts per client address, bounded in size; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_client: OrderedDict[str, tuple[int, float]] = OrderedDict()

    def paused(self, client: str, now: float) -> float:
        """Seconds the client must still wait (0: it may try)."""
        with self._lock:
            count, since = self._by_client.get(client, (0, 0.0))
            if count < MAX_FAILURES:
                return 0.0
            left = since + PAUSE_SECONDS - now
            if left <= 0:
                self._by_client.pop(client, None)
                return 0.0
            return left

    def failed(self, client: str, now: float) -> None:
        with self._lock:
            count, _ = self._by_client.pop(client, (0, 0.0))
            self._by_client[client] = (count + 1, now)
            while len(self._by_client) > _TRACKED_CLIENTS:
                self._by_client.popitem(last=False)

    def succeeded(self, client: str) -> None:
        with self._lock:
            self._by_client.pop(client, None)


class TokenGate:
    """WSGI middleware: 403 for requests without the token. A request with a correct
    ``?token=`` gets a signed cookie and is redirected to the same URL without the token, so
    the token does not stay in the address bar or in Referer headers. ``secure`` marks the
    cookie ``Secure`` (serve over TLS)."""

    def __init__(self, app, token: str, *, secure: bool = False,
                 clock=time.monotonic) -> None:
        self.app = app
        self.token = token
        self.secure = secure
        self._clock = clock
        self._failures = _Failures()

    def __call__(self, environ, start_response):
        client = environ.get("REMOTE_ADDR", "")
        now = self._clock()
        wait = self._failures.paused(client, now)
        if wait:
            body = b"Too many wrong tokens from this address; wait and try again.\n"
            start_response("429 Too Many Requests", [
                ("Content-Type", "text/plain; charset=utf-8"),
                ("Retry-After", str(int(wait) + 1)), ("Content-Length", str(len(body)))])
            return [body]
        query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        query_token = query.pop("token", [None])[0]
        cookie = SimpleCookie(environ.get("HTTP_COOKIE", ""))
        cookie_token = cookie[COOKIE].value if COOKIE in cookie else None
        if not token_ok(self.token, query_token, cookie_token):
            if query_token is not None or cookie_token is not None:
                self._failures.failed(client, now)  # a guess, not a first visit
            body = b"Forbidden: this Inspector server needs its access token (?token=...).\n"
            start_response("403 Forbidden", [("Content-Type", "text/plain; charset=utf-8"),
                                             ("Content-Length", str(len(body)))])
            return [body]
        self._failures.succeeded(client)
        if query_token is not None:
            rest = urlencode(query, doseq=True)
            location = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "/") + (
                f"?{rest}" if rest else "")
            flags = "; Secure" if self.secure else ""
            start_response("303 See Other", [
                ("Location", location),
                ("Set-Cookie", f"{COOKIE}={sign_cookie(self.token)}; Path=/; HttpOnly; "
                               f"SameSite=Strict{flags}"),
                ("Content-Length", "0"),
            ])
            return [b""]
        return self.app(environ, start_response)


def image_size(data: bytes) -> tuple[str, int, int] | None:
    """(mime type, width, height) read from a PNG, JPEG or GIF header; None if unrecognised."""
    try:
        head = read_header(data)
    except ImageRefused:
        return sniff_size(data)
    return head.mime, head.width, head.height


def safe_image_uri(data: bytes) -> tuple[str | None, str]:
    """(data URI, "") of an image as a card shows it (downscaled by the server when large,
    ``inspector.image_display``), else (None, why not): not an image, or what decoding it
    would allocate is over the limit (a decompression bomb)."""
    try:
        shown = display_image(data)
    except ImageRefused as err:
        return None, str(err)
    return f"data:{shown.mime};base64,{base64.b64encode(shown.data).decode('ascii')}", ""
