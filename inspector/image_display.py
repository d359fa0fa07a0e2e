"""Logged images made safe and light to show: a limit on what decoding would allocate (not a
pixel count), and a server-side downscale of large images for the card.

A 512 x 100,000 strip of 340 KB that TensorBoard shows is shown (downscaled, the full image a
click away); a decompression bomb (a small file whose header claims billions of pixels) is
refused with a one-line reason before anything is decoded. Pillow decodes; never imports
TensorFlow.
"""

from __future__ import annotations

import io
import struct
import warnings
from dataclasses import dataclass
from functools import lru_cache

# What decoding one image may allocate: width x height x 4 bytes (RGBA). 512 MiB holds a
# 16k x 8k RGBA image; a bomb claiming 100k x 100k pixels (40 GB) is refused.
MAX_DECODED_BYTES = 512 << 20
# Larger images go to the card downscaled to about this many pixels (the full one on request).
DISPLAY_PIXELS = 2_000_000


class ImageRefused(ValueError):
    """Bytes that are not an image this module shows, or a decompression bomb; the message is
    one line saying why."""


@dataclass(frozen=True)
class ImageHeader:
    """What an image's header says: its MIME type and size in pixels."""

    mime: str
    width: int
    height: int

    @property
    def decoded_bytes(self) -> int:
        """What decoding it would allocate at most (RGBA, 4 bytes a pixel)."""
        return self.width * self.height * 4


def read_header(data: bytes) -> ImageHeader:
    """The header of a PNG, JPEG or GIF, checked against ``MAX_DECODED_BYTES``. Raises
    ``ImageRefused`` for anything else, a zero size, or a bomb."""
    found = sniff_size(data)
    if found is None:
        raise ImageRefused("not a PNG, JPEG or GIF")
    head = ImageHeader(*found)
    if head.width <= 0 or head.height <= 0:
        raise ImageRefused(f"header says {head.width}x{head.height} pixels")
    if head.decoded_bytes > MAX_DECODED_BYTES:
        raise ImageRefused(
            f"refused: header says {head.width}x{head.height} pixels")
    return head


@dataclass(frozen=True)
class DisplayImage:
    """An image ready for a card: ``data`` (encoded, ``mime``) at ``width`` x ``height``;
    ``original`` is the logged image's header; ``downscaled`` says the two differ."""

    data: bytes
    mime: str
    width: int
    height: int
    original: ImageHeader

    @property
    def downscaled(self) -> bool:
        return (self.width, self.height) != (self.original.width, self.original.height)


@lru_cache(maxsize=32)
def display_image(data: bytes, max_pixels: int = DISPLAY_PIXELS) -> DisplayImage:
    """``data`` as it goes to a card: unchanged when it has at most ``max_pixels`` pixels,
    else decoded and downscaled (aspect kept, PNG) to about ``max_pixels``. Cached, since a
    step slider asks again. Raises ``ImageRefused`` (see ``read_header``) or when the bytes
    do not decode."""
    head = read_header(data)
    if head.width * head.height <= max_pixels:
        return DisplayImage(data, head.mime, head.width, head.height, head)
    from PIL import Image

    scale = (max_pixels / (head.width * head.height)) ** 0.5
    size = (max(1, round(head.width * scale)), max(1, round(head.height * scale)))
    # The size was checked against MAX_DECODED_BYTES above; Pillow's own pixel-count guard
    # (89 M pixels by default) would refuse images that limit allows, so it is raised to it.
    Image.MAX_IMAGE_PIXELS = max(Image.MAX_IMAGE_PIXELS or 0, MAX_DECODED_BYTES // 4)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                img.draft(None, size)  # JPEG: decode at a reduced scale directly
                if img.mode not in ("L", "LA", "RGB", "RGBA"):
                    img = img.convert("RGBA" if "A" in img.getbands() else "RGB")
                img.thumbnail(size, Image.Resampling.BOX)
    except (OSError, ValueError, Image.DecompressionBombError) as err:
        raise ImageRefused(f"does not decode: {err}") from None
    out = io.BytesIO()
    img.save(out, "PNG", optimize=False)
    return DisplayImage(out.getvalue(), "image/png", img.width, img.height, head)


def sniff_size(data: bytes) -> tuple[str, int, int] | None:
    """(MIME type, width, height) from a PNG, JPEG or GIF header, unchecked; None if none."""
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
        (length,) = struct.unpack(">H", data[i + 2 : i + 4])
        # SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC) carry the frame size.
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            if i + 9 > len(data):
                return None
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            return "image/jpeg", width, height
        i += 2 + length
    return None
