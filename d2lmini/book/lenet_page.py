"""Chapter 8's trained LeNet in the book's site: the data of the figure ``explore.show("lenet")``.

The figure runs the trained network in the reader's browser, in plain JavaScript
(``book/_static/lenet-page.js``), on a few hundred Fashion-MNIST test images or on a drawing.
Its numbers come from one file, ``book/_static/lenet-data.js``, that this module writes from
the weights of chapter 8's PyTorch run:

* the chapter saves its trained network with :func:`save_weights` (``torch.save`` of the
  ``state_dict``, in ``notebooks/results/lenet-pytorch-weights.pt``; a quick-mode run, a
  smoke test, writes nothing), and in the book's own checkout rewrites the site's data file
  at once, so a re-run of the chapter refreshes the figure;
* ``python -m d2lmini.book.lenet_page`` rewrites it from the saved weights alone.

The data file holds the 61,706 parameters as little-endian float32 (base64: float16 would
move the logits by more than the 1e-4 that ``tests/test_lenet_page.py`` allows), and
:data:`PER_CLASS` test images of each class, picked with a fixed seed, as uint8 pixels.
``book/_static/lenet-data.json`` records the SHA-256 of the data file and of the weights it
came from; the tests fail when either disagrees with the files (run the command above).
The site build (``book/_ext/cnnbook.py``) adds the two scripts to the page that shows the
figure only; in a notebook the figure says where to see it.
"""
import base64
import hashlib
import json
import os
from pathlib import Path

import numpy as np

from .. import config

ROOT = Path(__file__).resolve().parents[2]
WEIGHTS = ROOT / "notebooks" / "results" / "lenet-pytorch-weights.pt"
STATIC = ROOT / "book" / "_static"
DATA = STATIC / "lenet-data.js"
RECORD = STATIC / "lenet-data.json"
SCRIPT = STATIC / "lenet-page.js"
SEED = 0
PER_CLASS = 20  # 200 images: 157 kB of base64 beside the weights' 329 kB
# The parameters of d2lmini's PyTorch LeNet, in the order the page reads them.
LAYERS = (("0.weight", (6, 1, 5, 5)), ("0.bias", (6,)),
          ("3.weight", (16, 6, 5, 5)), ("3.bias", (16,)),
          ("7.weight", (120, 400)), ("7.bias", (120,)),
          ("9.weight", (84, 120)), ("9.bias", (84,)),
          ("11.weight", (10, 84)), ("11.bias", (10,)))
HEADER = ("/* Chapter 8's trained LeNet and Fashion-MNIST test images for the figure of "
          "lenet-page.js.\n   Written by `python -m d2lmini.book.lenet_page` from {weights} "
          "(do not edit). */\n")

__all__ = ["save_weights", "write_page_data", "read_page_data", "pick_images", "sha256"]


def sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _relative(path):
    path = Path(path).resolve()
    return path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path)


def save_weights(net, path="results/lenet-pytorch-weights.pt", refresh_site=True):
    """Save a trained PyTorch LeNet's ``state_dict`` to ``path`` (``torch.save``) and, in the
    book's checkout, rewrite the site's data file from it (``refresh_site``). Returns the path,
    or ``None`` in quick mode, which writes nothing (a smoke test is not a result)."""
    import torch
    from ..files import atomic_write
    if config.quick_mode():
        print(f"quick mode: not writing {path}")
        return None
    state = {k: v.detach().to("cpu", torch.float32).contiguous()
             for k, v in net.state_dict().items()}
    shapes = [(k, tuple(v.shape)) for k, v in state.items()]
    if shapes != list(LAYERS):
        raise ValueError(f"not the book's LeNet: its parameters are {shapes}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, lambda f: torch.save(state, f))
    line = f"wrote {path} ({sum(v.numel() for v in state.values()):,} parameters)"
    if refresh_site and STATIC.is_dir() and path.resolve() == WEIGHTS:
        record = write_page_data(path)
        line += (f" and {_relative(DATA)} ({record['bytes']:,} bytes, sha256 "
                 f"{record['sha256'][:12]}...)")
    print(line)
    return path


def pick_images(labels, per_class=PER_CLASS, seed=SEED):
    """Indices of ``per_class`` test images of each class, picked with ``seed``, in order."""
    rng = np.random.default_rng(seed)
    picked = [rng.choice(np.flatnonzero(labels == c), per_class, replace=False)
              for c in range(10)]
    return np.sort(np.concatenate(picked))


def _load_state(path):
    import torch
    state = torch.load(path, map_location="cpu", weights_only=True)
    shapes = [(k, tuple(v.shape)) for k, v in state.items()]
    if sorted(shapes) != sorted(LAYERS):
        raise ValueError(f"{path} does not hold the book's LeNet: {shapes}")
    return {k: v.to(torch.float32) for k, v in state.items()}


def _logits(state, images):
    """The PyTorch model's logits for uint8 images (n, 28, 28), as the chapter's loader feeds
    them (float32 in [0, 1])."""
    import torch
    from ..backend_torch.models import lenet
    net = lenet()
    net.load_state_dict(state)
    net.eval()
    with torch.no_grad():
        X = torch.from_numpy(np.array(images, dtype=np.uint8)).float().div(255)[:, None]
        return torch.cat([net(x) for x in X.split(1000)]).numpy()


def write_page_data(weights=WEIGHTS, out=DATA, record=RECORD, per_class=PER_CLASS,
                    seed=SEED):
    """Write the site's data file from ``weights`` (a saved ``state_dict``) and record its
    SHA-256 in ``record``; return the record."""
    from ..data import fashion_mnist
    from ..files import atomic_write_text
    state = _load_state(weights)
    flat = np.concatenate([state[name].numpy().astype("<f4").ravel() for name, _ in LAYERS])
    _, _, test_images, test_labels = fashion_mnist.load_arrays()
    index = pick_images(test_labels, per_class, seed)
    images = np.ascontiguousarray(test_images[index], dtype=np.uint8)
    accuracy = float((_logits(state, test_images).argmax(1) == test_labels).mean())
    data = {
        "version": 1,
        "classes": list(fashion_mnist.CLASSES),
        "layers": [[name, list(shape)] for name, shape in LAYERS],
        "weights": base64.b64encode(flat.tobytes()).decode("ascii"),
        "test_accuracy": round(accuracy, 4),
        "images": {"size": 28, "seed": seed, "index": index.tolist(),
                   "label": test_labels[index].tolist(),
                   "pixels": base64.b64encode(images.tobytes()).decode("ascii")},
    }
    text = (HEADER.format(weights=_relative(weights)) + "window.CNNLeNetData = "
            + json.dumps(data, separators=(",", ":")) + ";\n")
    atomic_write_text(out, text)
    os.chmod(out, 0o644)  # a site file (atomic_write's temporary file is private)
    entry = {"file": Path(out).name, "sha256": sha256(out), "bytes": Path(out).stat().st_size,
             "weights": _relative(weights), "weights_sha256": sha256(weights),
             "parameters": int(flat.size), "images": int(len(index)), "seed": seed,
             "test_accuracy": data["test_accuracy"]}
    atomic_write_text(record, json.dumps(entry, indent=1) + "\n")
    os.chmod(record, 0o644)
    return entry


def read_page_data(path=DATA):
    """The data file as Python values: ``(state, images, labels, index, data)`` with the
    parameters as float32 arrays by name and the images as uint8 (n, 28, 28)."""
    text = Path(path).read_text(encoding="utf-8")
    data = json.loads(text.split("window.CNNLeNetData = ", 1)[1].rstrip().rstrip(";"))
    flat = np.frombuffer(base64.b64decode(data["weights"]), dtype="<f4")
    state, at = {}, 0
    for name, shape in data["layers"]:
        size = int(np.prod(shape))
        state[name] = flat[at:at + size].reshape(shape)
        at += size
    assert at == flat.size, (at, flat.size)
    img = data["images"]
    images = np.frombuffer(base64.b64decode(img["pixels"]), dtype=np.uint8).reshape(
        -1, img["size"], img["size"])
    return state, images, np.array(img["label"]), np.array(img["index"]), data


def main(argv=None):
    import argparse
    parser = argparse.ArgumentParser(
        prog="python -m d2lmini.book.lenet_page",
        description="Write the book site's LeNet data (book/_static/lenet-data.js) from "
                    "chapter 8's saved weights, and record its SHA-256.")
    parser.add_argument("--weights", default=str(WEIGHTS),
                        help="a saved state_dict (default: %(default)s)")
    parser.add_argument("--per-class", type=int, default=PER_CLASS,
                        help="test images of each class (default: %(default)s)")
    args = parser.parse_args(argv)
    if not Path(args.weights).is_file():
        parser.error(f"no weights at {args.weights}: run chapter 8 (notebooks/08-lenet), "
                     "whose PyTorch training cell saves them")
    entry = write_page_data(args.weights, per_class=args.per_class)
    print(f"wrote {_relative(DATA)}: {entry['bytes']:,} bytes, sha256 {entry['sha256']}; "
          f"{entry['parameters']:,} parameters, {entry['images']} images, test accuracy "
          f"{entry['test_accuracy']:.4f}")
    print(f"recorded in {_relative(RECORD)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
