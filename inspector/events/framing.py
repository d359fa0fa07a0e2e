"""TFRecord framing: ``uint64 length, uint32 masked_crc(length), data, uint32 masked_crc(data)``.

Writing is done here with google-crc32c; reading goes through the compiled scanner in
``_scan.c`` (see ``scan_buffer``), which checks both CRCs and never trusts a length it has not
checked against the bytes that are really there.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import google_crc32c
import numpy as np

from inspector.events import _scan

HEADER_SIZE = 12
FOOTER_SIZE = 4
OVERHEAD = HEADER_SIZE + FOOTER_SIZE

_MASK_DELTA = 0xA282EAD8


def masked_crc32c(data: bytes) -> int:
    """TFRecord's masked CRC32C of ``data``."""
    crc = google_crc32c.value(data)
    return (((crc >> 15) | (crc << 17)) + _MASK_DELTA) & 0xFFFFFFFF


def encode_record(data: bytes) -> bytes:
    """One framed record holding ``data``."""
    header = struct.pack("<Q", len(data))
    return b"".join(
        (
            header,
            struct.pack("<I", masked_crc32c(header)),
            data,
            struct.pack("<I", masked_crc32c(data)),
        )
    )


# The packed layout of one scalar point produced by the scanner (see scalar_point in _scan.c).
POINT_DTYPE = np.dtype(
    [
        ("step", "<i8"),
        ("wall_time", "<f8"),
        ("value", "<f8"),
        ("tag_hash", "<u8"),
        ("tag_offset", "<i8"),
        ("tag_length", "<i8"),
        ("record_offset", "<i8"),
        ("record_length", "<i4"),
        ("flags", "<i4"),  # 1: a tensor without metadata, a scalar only if its tag's first is
    ]
)
assert POINT_DTYPE.itemsize == _scan.POINT_SIZE, "scanner and reader disagree on layout"

# One indexed single-tensor event (see tensor_entry in _scan.c): offsets into the buffer.
TENSOR_DTYPE = np.dtype(
    [
        ("step", "<i8"),
        ("wall_time", "<f8"),
        ("tag_hash", "<u8"),
        ("tag_offset", "<i8"),
        ("record_offset", "<i8"),
        ("tensor_offset", "<i8"),
        ("plugin_offset", "<i8"),  # -1: the value carries no metadata
        ("content_offset", "<i8"),  # -1: no plugin content
        ("elements", "<i8"),
        ("dim0", "<i8"),
        ("dim1", "<i8"),
        ("tag_length", "<i4"),
        ("record_length", "<i4"),
        ("tensor_length", "<i4"),
        ("plugin_length", "<i4"),
        ("content_length", "<i4"),
        ("rank", "<i4"),
        ("dtype", "<i4"),
        ("pad", "<i4"),
    ]
)
assert TENSOR_DTYPE.itemsize == _scan.TENSOR_ENTRY_SIZE, "scanner and reader disagree on layout"


@dataclass
class ScanResult:
    """What one pass of the scanner over ``buffer[start:end]`` found."""

    stop: int  # offset where scanning stopped
    incomplete: bool  # True: a record starting at ``stop`` needs ``need`` bytes in all
    need: int
    points: np.ndarray  # POINT_DTYPE records of plain scalar events
    others: np.ndarray  # (n, 2) int64: payload offset and length of events Python decodes
    damage: list[tuple[int, int, str]]  # (start, end, reason) byte ranges skipped
    tensors: np.ndarray  # TENSOR_DTYPE entries of single-tensor events, not decoded


def scan_buffer(buffer: bytes | bytearray | memoryview, start: int = 0, end: int | None = None):
    """Scan framed records in ``buffer[start:end]`` (offsets in results are into ``buffer``)."""
    if end is None:
        end = len(buffer)
    stop, reason, need, points, others, damage, tensors = _scan.scan(buffer, start, end)
    return ScanResult(
        stop=stop,
        incomplete=bool(reason),
        need=need,
        points=np.frombuffer(points, dtype=POINT_DTYPE),
        others=np.frombuffer(others, dtype="<i8").reshape(-1, 2),
        damage=damage,
        tensors=np.frombuffer(tensors, dtype=TENSOR_DTYPE),
    )


def find_record(buffer, start: int, end: int) -> int:
    """Offset of the first whole, CRC-valid record in ``buffer[start:end]``, or -1."""
    return _scan.find_record(buffer, start, end)
