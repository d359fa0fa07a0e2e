"""Who may reach the server, and which logged bytes are safe to hand to the browser.

- Binding anything but a loopback address needs an access token; with a token every request
  must carry it (``?token=`` once, then a cookie the server sets).
- Image bytes become data URIs only when their header names a PNG, JPEG or GIF of sane size,
  so a hostile or corrupt log cannot make the browser decode a giant bitmap.
"""

from __future__ import annotations

import base64
import hmac
import ipaddress
import struct
from http.cookies import SimpleCookie
from urllib.parse import parse_qs, urlencode

from inspector.errors import InspectorError

COOKIE = "inspector_token"
MAX_PIXELS = 50_000_000


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


def token_ok(expected: str, query_token: str | None, cookie_token: str | None) -> bool:
    """True when the request carries the token in its query or its cookie."""
    given = query_token if query_token is not None else cookie_token
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


class TokenGate:
    """WSGI middleware: 403 for requests without the token. A request with a correct
    ``?token=`` gets a cookie and is redirected to the same URL without the token, so the
    token does not stay in the address bar or in Referer headers."""

    def __init__(self, app, token: str) -> None:
        self.app = app
        self.token = token

    def __call__(self, environ, start_response):
        query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        query_token = query.pop("token", [None])[0]
        cookie = SimpleCookie(environ.get("HTTP_COOKIE", ""))
        cookie_token = cookie[COOKIE].value if COOKIE in cookie else None
        if not token_ok(self.token, query_token, cookie_token):
            body = b"Forbidden: this Inspector server needs its access token (?token=...).\n"
            start_response("403 Forbidden", [("Content-Type", "text/plain; charset=utf-8"),
                                             ("Content-Length", str(len(body)))])
            return [body]
        if query_token is not None:
            rest = urlencode(query, doseq=True)
            location = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "/") + (
                f"?{rest}" if rest else "")
            start_response("303 See Other", [
                ("Location", location),
                ("Set-Cookie", f"{COOKIE}={self.token}; Path=/; HttpOnly; SameSite=Strict"),
                ("Content-Length", "0"),
            ])
            return [b""]
        return self.app(environ, start_response)


def image_size(data: bytes) -> tuple[str, int, int] | None:
    """(mime type, width, height) read from a PNG, JPEG or GIF header; None if unrecognised."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24 and data[12:16] == b"IHDR":
        width, height = struct.unpack(">II", data[16:24])
        return "image/png", width, height
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return "image/gif", width, height
    if data[:2] == b"\xff\xd8":
        return _jpeg_size(data)
    return None


def _jpeg_size(data: bytes) -> tuple[str, int, int] | None:
    i = 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # no length field
            i += 2
            continue
        (length,) = struct.unpack(">H", data[i + 2:i + 4])
        # SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC) carry the frame size.
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            if i + 9 > len(data):
                return None
            height, width = struct.unpack(">HH", data[i + 5:i + 9])
            return "image/jpeg", width, height
        i += 2 + length
    return None


def safe_image_uri(data: bytes) -> tuple[str | None, str]:
    """(data URI, "") for an image safe to show, else (None, why not)."""
    found = image_size(data)
    if found is None:
        return None, "not a PNG, JPEG or GIF"
    mime, width, height = found
    if width <= 0 or height <= 0 or width * height > MAX_PIXELS:
        return None, f"refused: header says {width}x{height} pixels"
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}", ""
