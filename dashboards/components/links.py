"""Links between pages, one URL convention:
``/<page-path>?run=<run>&tag=<tag>&step=<n>&layer=<layer>`` (query string, URL-encoded).
A page reads its preselection from ``dcc.Location`` (id ``url``, ``search``) with
``link_params`` and builds links to others with ``page_link``.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode

KNOWN = ("run", "tag", "step", "layer")


def page_link(path: str, **params) -> str:
    """``path`` with the non-empty ``params`` as a URL-encoded query string."""
    query = urlencode({k: v for k, v in params.items() if v is not None and v != ""})
    return f"{path}?{query}" if query else path


def link_params(search: str | None) -> dict:
    """The parameters of a query string (``?run=a&step=3``): the last value of each; ``step``
    as an int when it is one."""
    out: dict = {}
    for key, values in parse_qs((search or "").lstrip("?"), keep_blank_values=False).items():
        out[key] = values[-1]
    if "step" in out:
        try:
            out["step"] = int(out["step"])
        except ValueError:
            out.pop("step")
    return out


def preselect(options: list[str], wanted: str | None,
              fallback: list[str] | None = None) -> str | None:
    """The option a link asked for (``wanted``) when it is offered, else the first offered
    ``fallback`` (e.g. the runs ticked in the run picker), else the first option; None when
    nothing is offered."""
    for candidate in [wanted, *(fallback or [])]:
        if candidate in options:
            return candidate
    return options[0] if options else None
