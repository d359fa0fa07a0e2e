"""The one URL convention pages link each other by: ``/<page>?run=..&tag=..&step=..&layer=..``
(query string, URL-encoded). A page reads these from ``dcc.Location`` (id ``url``) or from
the query arguments Dash passes to its ``layout``."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode

PARAMS = ("run", "tag", "step", "layer")


def page_link(path: str, **params) -> str:
    """``path`` with the given parameters (None values left out) as its query string."""
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return f"{path}?{query}" if query else path


def link_params(search: str | None) -> dict:
    """The parameters of a query string (``?run=a&layer=b`` -> {"run": "a", "layer": "b"});
    ``step`` as an int when it is one."""
    out = {k: v[0] for k, v in parse_qs((search or "").lstrip("?")).items() if v}
    if "step" in out:
        try:
            out["step"] = int(out["step"])
        except ValueError:
            del out["step"]
    return out
