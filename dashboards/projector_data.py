"""What the projector page shows: embeddings (Inspector's EMBEDDINGS summaries, and
TensorBoard projector folders: ``projector_config.pbtxt`` with TSV tensors, metadata and
sprites) projected to 2-D or 3-D by PCA, t-SNE (scikit-learn) or UMAP (when umap-learn is
installed), coloured by label.

TensorBoard projector checkpoints (``model_checkpoint_path`` without ``tensor_path``) need
TensorFlow's checkpoint reader and are listed as unreadable. Never imports Dash.
"""

from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass, field

import numpy as np

from dashboards.evaluation_data import last_at_or_before, points_of
from inspector.errors import InspectorError
from inspector.events import plugins as P
from inspector.kinds import Kind
from inspector.store import Store

CONFIG_NAME = "projector_config.pbtxt"
MAX_POINTS = 5000  # rows projected at most (t-SNE is quadratic in memory on more)
IMAGES_SUFFIX = "/images"  # image series beside an embeddings tag: one input picture per row


@dataclass
class EmbeddingSet:
    """Where one set of vectors comes from: a store series or a TSV file."""

    key: str  # unique id shown in the picker
    label: str
    run: str = ""
    tag: str = ""
    tensor_path: str = ""
    metadata_path: str = ""
    sprite_path: str = ""
    sprite_dim: tuple[int, int] = (0, 0)
    problem: str = ""  # why it cannot be shown ("" when it can)


@dataclass
class Embedding:
    """Vectors ``[n, d]`` float32 with per-row labels (str) and optional per-row pictures
    (PNG bytes; empty when none)."""

    vectors: np.ndarray
    labels: list[str]
    images: list[bytes] = field(default_factory=list)
    step: int | None = None


def methods() -> list[str]:
    """Projections available here: PCA always, t-SNE with scikit-learn, UMAP with umap-learn."""
    out = ["pca"]
    try:
        import sklearn.manifold  # noqa: F401

        out.append("tsne")
    except ImportError:
        pass
    try:
        import umap  # noqa: F401

        out.append("umap")
    except ImportError:
        pass
    return out


def store_sets(store: Store, runs: list[str]) -> list[EmbeddingSet]:
    """The EMBEDDINGS series of ``runs``."""
    have = store.tags(Kind.EMBEDDINGS)
    return [EmbeddingSet(f"{run}\t{tag}", f"{run} · {tag[len(P.TAG_EMBEDDINGS):] or tag}",
                         run=run, tag=tag)
            for run in runs for tag in have.get(run, [])]


# ------------------------------------------------------------------ TensorBoard projector files
_TOKEN = re.compile(r'\s*(?:(#[^\n]*)|([{}:])|("(?:[^"\\]|\\.)*")|([^\s{}:"#]+))')


def parse_pbtxt(text: str) -> dict:
    """A protobuf text-format message as {field: [values]} (nested messages as dicts).
    Raises ``InspectorError`` on unbalanced braces."""
    tokens = [m.group(2) or m.group(3) or m.group(4) for m in _TOKEN.finditer(text)
              if not m.group(1) and (m.group(2) or m.group(3) or m.group(4))]
    pos = 0

    def message(depth: int) -> dict:
        nonlocal pos
        out: dict = {}
        while pos < len(tokens):
            name = tokens[pos]
            if name == "}":
                if depth == 0:
                    raise InspectorError("projector_config.pbtxt: unexpected '}'; fix the file")
                pos += 1
                return out
            pos += 1
            if pos < len(tokens) and tokens[pos] == ":":
                pos += 1
            if pos < len(tokens) and tokens[pos] == "{":
                pos += 1
                out.setdefault(name, []).append(message(depth + 1))
            elif pos < len(tokens):
                raw = tokens[pos]
                pos += 1
                value = bytes(raw[1:-1], "utf-8").decode("unicode_escape") \
                    if raw.startswith('"') else raw
                out.setdefault(name, []).append(value)
        if depth:
            raise InspectorError("projector_config.pbtxt: missing '}'; fix the file")
        return out

    return message(0)


def projector_sets(logdir: str, max_depth: int = 4) -> list[EmbeddingSet]:
    """Embeddings named by every ``projector_config.pbtxt`` under ``logdir`` (at most
    ``max_depth`` folders deep), as TensorBoard's projector reads them."""
    out = []
    base = os.path.abspath(logdir)
    for folder, dirs, files in os.walk(base):
        depth = os.path.relpath(folder, base).count(os.sep)
        if depth >= max_depth:
            dirs[:] = []
        if CONFIG_NAME not in files:
            continue
        rel = os.path.relpath(folder, base)
        try:
            with open(os.path.join(folder, CONFIG_NAME), encoding="utf-8") as f:
                config = parse_pbtxt(f.read())
        except (OSError, UnicodeDecodeError, InspectorError) as err:
            out.append(EmbeddingSet(f"pbtxt\t{rel}", f"{rel} · projector", problem=str(err)))
            continue
        for i, emb in enumerate(config.get("embeddings", [])):
            name = (emb.get("tensor_name") or [f"embedding {i}"])[0]

            def path(key: str, emb=emb, folder=folder) -> str:
                value = (emb.get(key) or [""])[0]
                return os.path.join(folder, value) if value else ""

            sprite = (emb.get("sprite") or [{}])[0]
            dims = [int(v) for v in sprite.get("single_image_dim", [])][:2]
            item = EmbeddingSet(
                f"pbtxt\t{rel}\t{i}", f"{rel} · {name} (projector)",
                tensor_path=path("tensor_path"), metadata_path=path("metadata_path"),
                sprite_path=os.path.join(folder, sprite["image_path"][0])
                if sprite.get("image_path") else "",
                sprite_dim=(dims[0], dims[1]) if len(dims) == 2 else (0, 0))
            if not item.tensor_path:
                item.problem = ("a checkpoint tensor: reading TensorFlow checkpoints needs "
                                "TensorFlow; export it as tensor_path TSV")
            out.append(item)
    return out


def read_tsv_tensor(path: str) -> np.ndarray:
    """A projector TSV tensor (one row per line, tab-separated numbers) as float32 [n, d].
    Raises ``InspectorError`` when a row is not numbers or rows differ in length."""
    try:
        return np.loadtxt(path, delimiter="\t", dtype=np.float32, ndmin=2)
    except (OSError, ValueError) as err:
        raise InspectorError(f"cannot read projector tensor {path}: {err}; it must be "
                             "tab-separated numbers, one row per line") from None


def read_tsv_metadata(path: str, rows: int) -> tuple[list[str], list[list[str]]]:
    """(column names, rows) of a projector metadata TSV: one column without a header, or
    several with a header line, as TensorBoard reads it."""
    with open(path, encoding="utf-8") as f:
        lines = [line.rstrip("\n").rstrip("\r") for line in f]
    lines = [line for line in lines if line != ""] if lines and lines[-1] == "" else lines
    if not lines:
        return ["label"], [[""] for _ in range(rows)]
    if "\t" in lines[0] and len(lines) == rows + 1:
        return lines[0].split("\t"), [line.split("\t") for line in lines[1:]]
    return ["label"], [[line] for line in lines]


def sprite_images(path: str, dim: tuple[int, int], count: int) -> list[bytes]:
    """Cut a projector sprite (thumbnails in row-major order on a square grid) into ``count``
    PNGs of ``dim`` = (width, height)."""
    from PIL import Image

    w, h = dim
    if not path or w <= 0 or h <= 0:
        return []
    with Image.open(path) as sheet:
        sheet.load()
        per_row = max(1, sheet.width // w)
        out = []
        for i in range(count):
            r, c = divmod(i, per_row)
            if (r + 1) * h > sheet.height:
                break
            buf = io.BytesIO()
            sheet.crop((c * w, r * h, (c + 1) * w, (r + 1) * h)).save(buf, format="PNG")
            out.append(buf.getvalue())
    return out


def load(store: Store, item: EmbeddingSet, step_index: int | None = None) -> Embedding:
    """The vectors, labels and pictures of ``item`` (for a store series, at its
    ``step_index``-th step, the last when None). Raises ``InspectorError`` when unreadable."""
    if item.problem:
        raise InspectorError(item.problem)
    if item.tensor_path:
        vectors = read_tsv_tensor(item.tensor_path)
        labels = [str(i) for i in range(len(vectors))]
        if item.metadata_path and os.path.exists(item.metadata_path):
            _names, rows = read_tsv_metadata(item.metadata_path, len(vectors))
            labels = [row[0] if row else "" for row in rows][: len(vectors)]
            labels += [""] * (len(vectors) - len(labels))
        return Embedding(vectors, labels, sprite_images(item.sprite_path, item.sprite_dim,
                                                        len(vectors)))
    points = points_of(store, Kind.EMBEDDINGS, item.run, item.tag)
    if not points:
        raise InspectorError(f"{item.run} has no embeddings {item.tag} any more")
    i = len(points) - 1 if step_index is None else max(0, min(step_index, len(points) - 1))
    point = points[i]
    vectors = np.asarray(point.value, np.float32)
    meta = getattr(store.tag_info(item.run, item.tag), "metadata", None)
    labels = [""] * len(vectors)
    labels_tag = getattr(meta, "labels_tag", "")
    if labels_tag:
        ids = [p for p in points_of(store, Kind.TENSORS, item.run, labels_tag)
               if p.step == point.step]
        if ids:
            names = list(getattr(meta, "label_names", ()) or ())
            labels = [names[k] if 0 <= k < len(names) else str(k)
                      for k in np.asarray(ids[-1].value).reshape(-1).astype(int).tolist()]
    images = []
    # The pictures of the same samples may be logged once (the first evaluation) or every time.
    pics = last_at_or_before(points_of(store, Kind.IMAGES, item.run, item.tag + IMAGES_SUFFIX),
                             point.step)
    if pics is not None:
        images = list(pics.value.encoded)
    return Embedding(vectors, labels, images, point.step)


def project(vectors: np.ndarray, method: str, dims: int, seed: int = 0) -> np.ndarray:
    """``vectors`` [n, d] projected to [n, dims] float32 by ``method`` ("pca", "tsne",
    "umap"). Raises ``InspectorError`` for a method whose package is missing."""
    x = np.asarray(vectors, np.float64)[:MAX_POINTS]
    x = np.nan_to_num(x)
    n = len(x)
    if n == 0:
        return np.zeros((0, dims), np.float32)
    if method == "pca" or n <= dims + 1:
        centred = x - x.mean(axis=0)
        u, s, _vt = np.linalg.svd(centred, full_matrices=False)
        out = u[:, :dims] * s[:dims]
        if out.shape[1] < dims:
            out = np.pad(out, ((0, 0), (0, dims - out.shape[1])))
        return out.astype(np.float32)
    if method == "tsne":
        try:
            from sklearn.manifold import TSNE
        except ImportError:
            raise InspectorError("t-SNE needs scikit-learn: pip install scikit-learn") from None
        perplexity = float(min(30.0, max(2.0, (n - 1) / 3)))
        return TSNE(n_components=dims, perplexity=perplexity, init="pca", random_state=seed
                    ).fit_transform(x).astype(np.float32)
    if method == "umap":
        try:
            import umap
        except ImportError:
            raise InspectorError("UMAP needs umap-learn: pip install umap-learn") from None
        return umap.UMAP(n_components=dims, random_state=seed).fit_transform(x).astype(
            np.float32)
    raise InspectorError(f"unknown projection {method!r}; use pca, tsne or umap")
