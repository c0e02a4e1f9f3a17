"""Writes a synthetic CIFAR-10-format Hugging Face hub cache for the cnn5 speed probe of
benches/gpu/check.sh (uoft-cs/cifar10, refs/main -> snapshot,
plain_text/{train,test}-00000-of-00001.parquet, columns img{bytes,path} + label int64, snappy)
with the real split sizes (50 000 / 10 000) the harness checks. Images are 32x32 RGB made of
8x8-pixel blocks of class-tinted random colours, so that the PNGs stay small (about 6.4 MB in
all; the fixture must travel to the GPU machine). It measures speed only: the images are not
CIFAR-10's, so no accuracy from it means anything.

Needs numpy, pyarrow and pillow (e.g. `pip install numpy pyarrow pillow` in a venv).

    python3 benches/gpu/make_cifar_fixture.py [HF_HOME]

HF_HOME defaults to benches/gpu/hf (git-ignored); the cache goes to <HF_HOME>/hub. The output
is deterministic (fixed seed). Takes under a minute.
"""
import io, os, sys
import numpy as np
import pyarrow as pa, pyarrow.parquet as pq
from PIL import Image

root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "hf")
commit = "0123456789abcdef0123456789abcdef01234567"
repo = os.path.join(root, "hub", "datasets--uoft-cs--cifar10")
os.makedirs(os.path.join(repo, "refs"), exist_ok=True)
with open(os.path.join(repo, "refs", "main"), "w") as f:
    f.write(commit)
rng = np.random.default_rng(20260528)
tints = rng.integers(0, 256, size=(10, 3))

def images(n):
    labels = rng.integers(0, 10, size=n)
    pngs = []
    for lab in labels:
        blocks = rng.integers(0, 64, size=(4, 4, 3)) + tints[lab] // 2  # 8x8-pixel blocks
        img = np.kron(blocks, np.ones((8, 8, 1), dtype=np.int64))

        buf = io.BytesIO()
        Image.fromarray(np.clip(img, 0, 255).astype(np.uint8), "RGB").save(buf, format="PNG", optimize=True)
        pngs.append(buf.getvalue())
    return pngs, labels

for name, n in [("train", 50_000), ("test", 10_000)]:
    pngs, labels = images(n)
    img_type = pa.struct([("bytes", pa.binary()), ("path", pa.string())])
    img = pa.array([{"bytes": b, "path": None} for b in pngs], type=img_type)
    table = pa.table({"img": img, "label": pa.array(labels.astype(np.int64))})
    path = os.path.join(repo, "snapshots", commit, "plain_text", f"{name}-00000-of-00001.parquet")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    pq.write_table(table, path, compression="snappy")
    print(path, os.path.getsize(path), "bytes,", n, "images")
