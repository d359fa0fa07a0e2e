"""Cross-page links: one URL convention, ``/<page-path>?run=<run>&tag=<tag>&step=<n>&layer=<layer>``
(query string, URL-encoded), so any view can open any other at the same place."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode


def page_link(path: str, **params) -> str:
    """``path`` with the given non-empty ``params`` as its query string (None is left out)."""
    query = urlencode({k: v for k, v in params.items() if v is not None and v != ""})
    return f"{path}?{query}" if query else path


def link_params(search: str | None) -> dict:
    """The parameters of a ``dcc.Location.search`` string (``?run=a&step=3``) as a dict of
    strings; the last value wins when a name repeats."""
    return dict(parse_qsl((search or "").lstrip("?")))
