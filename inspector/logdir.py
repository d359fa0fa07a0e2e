"""Finding runs in a logdir and tailing their event files incrementally.

Works on bytes: it reads only the bytes a file gained since the last poll, hands them to the
compiled scanner, and keeps track of damaged ranges and of a record still being written at
the end of a file. It never decodes summaries (``inspector.store`` does) and never imports
TensorFlow. Files are reached through the small ``FileSystem`` interface so that remote
logdirs can plug in later.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from inspector.errors import InspectorError
from inspector.events.framing import ScanResult, find_record, scan_buffer

# Bytes read per scanner call: bounds the memory one poll needs, whatever the file size.
CHUNK_SIZE = 8 << 20


class FileSystem(Protocol):
    """The only way the reader touches storage."""

    def walk(self, root: str) -> Iterator[tuple[str, list[str]]]: ...

    def size(self, path: str) -> int: ...

    def read(self, path: str, offset: int, length: int) -> bytes: ...

    def isdir(self, root: str) -> bool: ...


class LocalFileSystem:
    def walk(self, root: str) -> Iterator[tuple[str, list[str]]]:
        for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            yield dirpath, filenames

    def size(self, path: str) -> int:
        return os.stat(path).st_size

    def stat(self, path: str) -> tuple[int, int]:
        """(size in bytes, modification time in ns): optional for a FileSystem; with it a
        file rewritten to the very same size is noticed too."""
        st = os.stat(path)
        return st.st_size, st.st_mtime_ns

    def read(self, path: str, offset: int, length: int) -> bytes:
        with open(path, "rb") as f:
            f.seek(offset)
            return f.read(length)

    def isdir(self, root: str) -> bool:
        return os.path.isdir(root)


def is_event_file(name: str) -> bool:
    # TensorBoard's rule: any file whose name contains "tfevents".
    return "tfevents" in name


def discover_runs(root: str, fs: FileSystem | None = None) -> dict[str, list[str]]:
    """Every directory under ``root`` holding event files, named by its relative path
    ("." for the root itself), mapped to its event files in name order."""
    fs = fs or LocalFileSystem()
    if not fs.isdir(root):
        raise InspectorError(
            f"logdir {root!r} does not exist or is not a directory; "
            "pass an existing directory (trainers write to logs/ by default)"
        )
    runs: dict[str, list[str]] = {}
    for dirpath, filenames in fs.walk(root):
        events = sorted(n for n in filenames if is_event_file(n))
        if events:
            rel = os.path.relpath(dirpath, root)
            runs[Path(rel).as_posix()] = [os.path.join(dirpath, n) for n in events]
    return runs


@dataclass
class Damage:
    """A byte range of one file that held no readable record."""

    file: str
    start: int
    end: int
    reason: str  # data_crc | length_crc | undecodable | unreadable | pending

    def describe(self) -> str:
        what = {
            "data_crc": "record failed its data checksum",
            "length_crc": "bytes with no valid record header",
            "undecodable": "record is not an Event",
            "unreadable": "file could not be read",
            "pending": "incomplete record at end of file (waiting for the writer)",
            "shrank": "file became shorter than already read; re-read from the start",
        }.get(self.reason, self.reason)
        return f"{os.path.basename(self.file)} bytes {self.start}-{self.end}: {what}"


@dataclass
class Batch:
    """Bytes read from one file and what the scanner found in them."""

    file: str
    base: int  # file offset of buffer[0]
    buffer: bytes
    scan: ScanResult


@dataclass
class FileTail:
    """Reading position and state of one event file."""

    path: str
    offset: int = 0
    size_seen: int = 0
    pending: Damage | None = None
    damage: list[Damage] = field(default_factory=list)
    generation: int = 0  # grows each time the file is found rewritten and read again
    _probed_size: int = -1
    _seen_tail: bytes = b""  # the last bytes read, to notice a file rewritten in place
    _mtime: int | None = None

    def poll(self, fs: FileSystem, chunk_size: int = CHUNK_SIZE) -> Iterator[Batch]:
        """Yield batches for every whole record the file gained since the last poll. A file
        that became shorter, or whose last bytes read changed (deleted and written again
        under the same name), is read again from the start, and ``generation`` grows: what
        was read from it before no longer holds."""
        try:
            stat = getattr(fs, "stat", None)
            size, mtime = stat(self.path) if stat is not None else (fs.size(self.path), None)
            # An append changes the size; a file that kept its size but not its mtime was
            # rewritten. Only a file whose size changed has its last bytes read compared
            # (16 bytes, one request).
            touched = size == self.size_seen and mtime != self._mtime and \
                None not in (mtime, self._mtime)
            rewritten = size < self.offset or bool(self.offset and touched) or (
                size != self.size_seen and self.offset and self._seen_tail and fs.read(
                    self.path, self.offset - len(self._seen_tail), len(self._seen_tail))
                != self._seen_tail)
            self._mtime = mtime
        except OSError as err:
            self._note(Damage(self.path, self.offset, self.offset, "unreadable"), err)
            return
        if rewritten:
            self.offset, self.pending, self._probed_size = 0, None, -1
            self.damage, self._seen_tail = [], b""
            self.generation += 1
        self.size_seen = size
        want = chunk_size
        while self.offset < size:
            length = min(want, size - self.offset)
            try:
                buffer = fs.read(self.path, self.offset, length)
            except OSError as err:
                self._note(Damage(self.path, self.offset, size, "unreadable"), err)
                return
            if not buffer:
                return
            result = scan_buffer(buffer)
            for start, end, reason in result.damage:
                self._add_damage(Damage(self.path, self.offset + start, self.offset + end, reason))
            batch = Batch(self.path, self.offset, buffer, result)
            if result.stop:
                self._seen_tail = buffer[max(0, result.stop - 16) : result.stop]
            self.offset += result.stop
            self.pending = None
            yield batch
            if not result.incomplete:
                want = chunk_size
                continue
            if self.offset + result.need <= size:
                # The record is all there, only past this chunk: read it whole.
                want = max(chunk_size, int(result.need))
                if result.stop == 0 and length >= result.need:
                    return  # cannot happen; guards against a loop on a scanner bug
                continue
            if self._resync_past_bad_tail(fs, size):
                want = chunk_size
                continue
            self.pending = Damage(self.path, self.offset, size, "pending")
            return

    def _resync_past_bad_tail(self, fs: FileSystem, size: int) -> bool:
        """A record header claims more bytes than the file holds. If a valid record follows
        it, the header was damage; otherwise it is a record still being written."""
        if self._probed_size == size:
            return False
        self._probed_size = size
        start = self.offset + 1
        while start < size:
            length = min(CHUNK_SIZE * 4, size - start)
            try:
                buffer = fs.read(self.path, start, length)
            except OSError:
                return False
            found = find_record(buffer, 0, len(buffer))
            if found >= 0:
                self._add_damage(Damage(self.path, self.offset, start + found, "length_crc"))
                self.offset = start + found
                self._seen_tail = b""
                return True
            if start + length >= size:
                return False
            start += length - 16  # overlap so a record across the seam is seen
        return False

    def _add_damage(self, d: Damage) -> None:
        last = self.damage[-1] if self.damage else None
        if last and last.reason == d.reason and last.end == d.start:
            last.end = d.end  # one range, not one entry per chunk
        else:
            self.damage.append(d)

    def _note(self, d: Damage, err: OSError) -> None:
        d.reason = "unreadable"
        if not any(x.reason == "unreadable" for x in self.damage[-1:]):
            self.damage.append(d)
