"""Binding beyond loopback needs a token; the token gate; image headers checked before use."""

import base64
import io
import struct

import numpy as np
import pytest
from flask import Flask
from PIL import Image

from dashboards.security import (
    COOKIE,
    TokenGate,
    check_bind,
    image_size,
    is_loopback,
    safe_image_uri,
    token_ok,
)
from inspector.errors import InspectorError


def test_loopback_addresses():
    assert all(map(is_loopback, ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost"]))
    assert not any(map(is_loopback, ["0.0.0.0", "192.168.1.4", "::", "example.org"]))


def test_non_loopback_without_token_is_refused_in_one_line():
    with pytest.raises(InspectorError) as err:
        check_bind("0.0.0.0", None)
    assert "\n" not in str(err.value) and "--token" in str(err.value)
    check_bind("0.0.0.0", "secret")
    check_bind("127.0.0.1", None)


def test_token_from_query_or_cookie():
    assert token_ok("s3cret", "s3cret", None)
    assert token_ok("s3cret", None, "s3cret")
    assert not token_ok("s3cret", None, None)
    assert not token_ok("s3cret", "wrong", "s3cret")  # a wrong query token is not rescued
    assert not token_ok("s3cret", None, "s3cre")


@pytest.fixture
def gated_client():
    app = Flask("gated")
    app.add_url_rule("/", "index", lambda: "hello")
    app.wsgi_app = TokenGate(app.wsgi_app, "s3cret")
    return app.test_client()


def test_gate_refuses_requests_without_the_token(gated_client):
    response = gated_client.get("/")
    assert response.status_code == 403 and b"token" in response.data


def test_gate_sets_a_cookie_and_strips_the_token_from_the_url(gated_client):
    response = gated_client.get("/?token=s3cret&x=1")
    assert response.status_code == 303 and response.headers["Location"] == "/?x=1"
    assert f"{COOKIE}=s3cret" in response.headers["Set-Cookie"]
    assert "HttpOnly" in response.headers["Set-Cookie"]
    assert gated_client.get("/").data == b"hello"  # the cookie now carries it


def png(width, height):
    out = io.BytesIO()
    Image.fromarray(np.zeros((height, width, 3), np.uint8)).save(out, "PNG")
    return out.getvalue()


def test_image_sizes_are_read_from_png_jpeg_and_gif_headers():
    assert image_size(png(7, 5)) == ("image/png", 7, 5)
    jpeg = io.BytesIO()
    Image.fromarray(np.zeros((9, 13, 3), np.uint8)).save(jpeg, "JPEG")
    assert image_size(jpeg.getvalue()) == ("image/jpeg", 13, 9)
    gif = io.BytesIO()
    Image.fromarray(np.zeros((4, 6), np.uint8)).save(gif, "GIF")
    assert image_size(gif.getvalue()) == ("image/gif", 6, 4)
    assert image_size(b"<svg onload=alert(1)>") is None


def test_huge_or_unknown_images_are_refused():
    uri, why = safe_image_uri(png(3, 2))
    assert uri.startswith("data:image/png;base64,") and not why
    assert base64.b64decode(uri.split(",", 1)[1]) == png(3, 2)
    bomb = b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + struct.pack(">II", 100000,
                                                                                100000)
    assert safe_image_uri(bomb) == (None, "refused: header says 100000x100000 pixels")
    assert safe_image_uri(b"GIF")[0] is None
