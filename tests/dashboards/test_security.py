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
    MAX_FAILURES,
    PAUSE_SECONDS,
    TokenGate,
    check_bind,
    check_tls,
    image_size,
    is_loopback,
    safe_image_uri,
    sign_cookie,
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


def test_token_from_query_or_signed_cookie():
    assert token_ok("s3cret", "s3cret", None)
    assert token_ok("s3cret", None, sign_cookie("s3cret"))
    assert not token_ok("s3cret", None, "s3cret")  # the raw token is no valid cookie
    assert not token_ok("s3cret", None, None)
    assert not token_ok("s3cret", "wrong", sign_cookie("s3cret"))  # a wrong query token
    assert not token_ok("s3cret", None, sign_cookie("other"))
    nonce, mac = sign_cookie("s3cret").split(".")
    assert not token_ok("s3cret", None, f"{nonce}.{mac[:-1]}0" if mac[-1] != "0" else
                        f"{nonce}.{mac[:-1]}1")


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
    cookie = response.headers["Set-Cookie"]
    assert f"{COOKIE}=" in cookie and "s3cret" not in cookie  # signed, not the token
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Secure" not in cookie
    assert gated_client.get("/").data == b"hello"  # the cookie now carries it


def test_repeated_wrong_tokens_pause_the_client_then_let_it_try_again():
    now = [0.0]
    app = Flask("gated")
    app.add_url_rule("/", "index", lambda: "hello")
    app.wsgi_app = TokenGate(app.wsgi_app, "s3cret", clock=lambda: now[0])
    client = app.test_client()
    for _ in range(MAX_FAILURES):
        assert client.get("/?token=guess").status_code == 403
    paused = client.get("/?token=s3cret")  # even the right token waits out the pause
    assert paused.status_code == 429 and int(paused.headers["Retry-After"]) > 0
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "10.9.9.9"  # another client is not paused
    assert other.get("/?token=s3cret").status_code == 303
    now[0] += PAUSE_SECONDS + 1
    assert client.get("/?token=s3cret").status_code == 303


def test_a_first_visit_without_token_is_no_failure():
    app = Flask("gated")
    app.add_url_rule("/", "index", lambda: "hello")
    app.wsgi_app = TokenGate(app.wsgi_app, "s3cret")
    client = app.test_client()
    for _ in range(MAX_FAILURES + 3):
        assert client.get("/").status_code == 403
    assert client.get("/?token=s3cret").status_code == 303


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


def _self_signed(tmp_path):
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), False)
            .sign(key, hashes.SHA256()))
    certfile, keyfile = tmp_path / "cert.pem", tmp_path / "key.pem"
    certfile.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    keyfile.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                          serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    return str(certfile), str(keyfile)


def test_tls_files_are_checked_in_one_line(tmp_path):
    certfile, keyfile = _self_signed(tmp_path)
    assert check_tls(None, None) is None
    assert check_tls(certfile, keyfile) == (certfile, keyfile)
    with pytest.raises(InspectorError, match="both --certfile and --keyfile"):
        check_tls(certfile, None)
    with pytest.raises(InspectorError, match="cannot read the TLS key file"):
        check_tls(certfile, str(tmp_path / "missing.pem"))
    with pytest.raises(InspectorError, match="for TLS"):
        check_tls(keyfile, certfile)  # swapped


def test_served_over_https_with_a_secure_signed_cookie(tmp_path):
    import socket
    import ssl
    import subprocess
    import sys
    import time
    import urllib.request

    certfile, keyfile = _self_signed(tmp_path)
    (tmp_path / "logs").mkdir()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "inspector", "serve", "--logdir",
                             str(tmp_path / "logs"), "--port", str(port), "--token", "tok",
                             "--certfile", certfile, "--keyfile", keyfile],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert f"https://127.0.0.1:{port}/?token=tok" in line
        context = ssl.create_default_context(cafile=certfile)
        context.check_hostname = False

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=context),
                                             NoRedirect)
        deadline = time.monotonic() + 30
        while True:
            try:
                opener.open(f"https://127.0.0.1:{port}/?token=tok", timeout=5)
            except urllib.error.HTTPError as err:
                response = err
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        assert response.code == 303
        cookie = response.headers["Set-Cookie"]
        assert "Secure" in cookie and "SameSite=Strict" in cookie and "tok;" not in cookie
        with pytest.raises(OSError):  # plain HTTP is not served on the TLS port
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5).read()
    finally:
        proc.terminate()
        proc.wait(10)
