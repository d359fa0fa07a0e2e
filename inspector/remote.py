"""Logdirs in object storage (``s3://``, ``gs://``, any fsspec URL) behind the reader's one
file interface (``inspector.logdir.FileSystem``: walk, size, read a byte range).

fsspec does the storage work: credentials come from the standard places of each backend (for
S3 the ``AWS_*`` environment variables, ``~/.aws/credentials`` and ``~/.aws/config``, including
``AWS_ENDPOINT_URL`` for S3-compatible servers) and are never read or logged here. A poll lists
the prefix once (one paginated listing, not one request per directory) and reads only the
bytes a file gained since the last poll, as byte-range GETs. Never imports TensorFlow.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Iterator

from inspector.errors import InspectorError


def is_remote(logdir: str) -> bool:
    """True for a URL with a scheme other than ``file://`` (``s3://bucket/prefix``)."""
    scheme, sep, _ = logdir.partition("://")
    return bool(sep) and scheme.isidentifier() and scheme != "file"


def local_path(logdir: str) -> str:
    """``file:///x`` -> ``/x``; other paths unchanged."""
    return logdir[len("file://"):] if logdir.startswith("file://") else logdir


class RemoteFileSystem:
    """An fsspec filesystem seen through ``inspector.logdir.FileSystem``. Paths are the
    backend's own (``bucket/prefix/run/events...`` for S3), never with the scheme."""

    def __init__(self, url: str) -> None:
        try:
            import fsspec
        except ImportError:
            raise InspectorError(
                f"reading {url!r} needs fsspec and the backend's package; "
                "pip install 'inspector[remote]' (s3fs, gcsfs)") from None
        try:
            self.fs, self.root = fsspec.core.url_to_fs(url)
        except (ImportError, ValueError) as err:
            raise InspectorError(f"cannot open {url!r}: {_one_line(err)}; pip install "
                                 "'inspector[remote]' for s3:// (or gcsfs for gs://)") from None
        self.url = url
        self._sizes: dict[str, int] = {}

    def walk(self, root: str) -> Iterator[tuple[str, list[str]]]:
        # One listing of everything below root; sizes are kept so that a poll needs no HEAD
        # request per file. Listings are never cached across polls (files grow).
        self.fs.invalidate_cache()
        try:
            found = self.fs.find(root, detail=True)
        except Exception as err:  # noqa: BLE001 - every backend has its own errors
            raise _storage_error(self.url, err) from None
        self._sizes = {path: int(info.get("size") or 0) for path, info in found.items()}
        by_dir: dict[str, list[str]] = {}
        for path in sorted(found):
            if found[path].get("type", "file") == "file":
                by_dir.setdefault(posixpath.dirname(path), []).append(posixpath.basename(path))
        yield from sorted(by_dir.items())

    def size(self, path: str) -> int:
        size = self._sizes.get(path)
        if size is None:
            size = self._sizes[path] = int(self.fs.size(path))
        return size

    def read(self, path: str, offset: int, length: int) -> bytes:
        size = self.size(path)
        end = min(offset + length, size)
        if end <= offset:
            return b""
        try:
            return self.fs.cat_file(path, start=offset, end=end)
        except FileNotFoundError:
            raise OSError(f"{path} vanished") from None

    def isdir(self, root: str) -> bool:
        """True when ``root`` holds objects. Raises ``InspectorError`` for a missing bucket,
        denied access or missing credentials, with what to do."""
        try:
            if self.fs.isdir(root):
                return True
            bucket = root.split("/", 1)[0]
            self.fs.info(bucket)  # raises for a missing bucket or denied access
        except InspectorError:
            raise
        except Exception as err:  # noqa: BLE001
            raise _storage_error(self.url, err) from None
        return False


def _one_line(err: BaseException) -> str:
    return " ".join(str(err).split()) or type(err).__name__


def _storage_error(url: str, err: BaseException) -> InspectorError:
    text = _one_line(err)
    name = type(err).__name__
    if isinstance(err, PermissionError) or "AccessDenied" in text or "Forbidden" in text:
        return InspectorError(f"access to {url} denied: check the credentials in the "
                              "environment or ~/.aws (they are not shown here)")
    if "NoCredentials" in name or "credentials" in text.lower():
        return InspectorError(f"no credentials for {url}: set AWS_ACCESS_KEY_ID and "
                              "AWS_SECRET_ACCESS_KEY or a profile in ~/.aws")
    if isinstance(err, FileNotFoundError) or "NoSuchBucket" in text:
        return InspectorError(f"{url}: the bucket does not exist or is not visible with "
                              "these credentials; check the name")
    return InspectorError(f"cannot read {url}: {text}")


def open_logdir(logdir: str | os.PathLike):
    """(file system, root) for ``logdir``: a ``RemoteFileSystem`` for URLs, else the local
    one. Raises ``InspectorError`` (one line) when the logdir cannot be listed."""
    from inspector.logdir import LocalFileSystem

    text = os.fspath(logdir)
    if is_remote(text):
        fs = RemoteFileSystem(text)
        return fs, fs.root
    return LocalFileSystem(), local_path(text)
