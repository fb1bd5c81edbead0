"""The book's committed files (run records, benchmark results), wherever a chapter runs.

Some chapters read files that the book commits beside them: ``results/alexnet-pytorch-full.json``
(a full training run), ``../benchmarks/results/quick.json`` (a benchmark). A chapter opened in
Colab or Kaggle, or downloaded on its own from the site, has none of them. These functions
return the local file when there is one (a clone of the book, or a run the reader made), and
otherwise download the book's copy once, at the version of this package, check its SHA-256
against the manifest shipped in the package (``bookfiles.json``), and keep it in the cache::

    >>> from d2lmini.data.bookfiles import book_file
    >>> book_file("results/alexnet-pytorch-full.json")  # doctest: +SKIP
    PosixPath('results/alexnet-pytorch-full.json')

Paths are relative to the chapter (the ``notebooks/`` folder of the book). The files come
from the repository set in ``_config.yml`` (``repository.url``, tag ``v<version>``), or from
``$D2LMINI_BOOK_URL`` when it is set (a mirror, or a local server in the tests): the URL of a
file is that base followed by its path in the repository, e.g.
``<base>/notebooks/results/lenet-pytorch-full.json``.

Maintainers: after committing new results, refresh the manifest with
``python -m d2lmini.data.bookfiles --update`` (a test fails until the manifest matches the files;
an update that would drop most entries, as from the wrong folder, needs ``--force``).
``--check-publishable`` (run by ``make publish``) refuses the placeholder repository.
"""
import argparse
import fnmatch
import json
import os
import posixpath
import sys
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from .. import __version__
from .datadir import cache_dir
from .download import download, file_digest

MANIFEST = Path(__file__).with_name("bookfiles.json")
# The folders whose files chapters read; paths in the repository.
SHARED_FOLDERS = ("notebooks/results", "benchmarks/results")
CHAPTER_FOLDER = "notebooks"  # chapter-relative paths start here
# The repository the book ships with until a publisher sets theirs (``make publish`` refuses it).
PLACEHOLDER = "https://github.com/your-org/cnn-book"
# --update refuses, without --force, a manifest that keeps less than this share of its entries.
KEEP_AT_LEAST = 0.5


class BookFileError(FileNotFoundError):
    """A file a chapter needs is neither beside it nor obtainable from the book's repository."""


@lru_cache(maxsize=1)
def manifest():
    """``{"repository": url, "ref": tag, "files": {repo path: sha256}}`` shipped in the package."""
    return json.loads(MANIFEST.read_text(encoding="utf-8"))


def repo_path(path):
    """The repository path of a chapter-relative ``path`` ("results/x.json" ->
    "notebooks/results/x.json", "../benchmarks/results/q.json" -> "benchmarks/results/q.json")."""
    joined = posixpath.normpath(posixpath.join(CHAPTER_FOLDER, Path(path).as_posix()))
    if joined.startswith(".."):
        raise ValueError(f"{path} lies outside the book's repository")
    return joined


def file_url(path_in_repo):
    """Where a repository file is downloaded from (``$D2LMINI_BOOK_URL`` or the repository)."""
    base = os.environ.get("D2LMINI_BOOK_URL", "").strip()
    if base:
        parts = urlsplit(base)
        # urlopen takes these; "github.com/me/book" or "htps://..." failed on the first file.
        if not ((parts.scheme in ("http", "https") and parts.netloc)
                or (parts.scheme == "file" and parts.path)):
            raise BookFileError(f"D2LMINI_BOOK_URL={base!r} is not an http(s):// or file:// "
                                f"URL; set it to the folder that holds the book's files, e.g. "
                                f"D2LMINI_BOOK_URL=https://raw.githubusercontent.com/OWNER/NAME/"
                                f"v{__version__} (or file:///path/to/book), or unset it")
    else:
        m = manifest()
        repo = m["repository"].rstrip("/")
        if not repo.startswith("https://github.com/"):
            raise BookFileError(f"the book's repository {repo!r} is not on GitHub; set "
                                f"D2LMINI_BOOK_URL to a folder that holds its files")
        base = f"https://raw.githubusercontent.com/{repo[len('https://github.com/'):]}/{m['ref']}"
    return f"{base.rstrip('/')}/{path_in_repo}"


def book_file(path):
    """The local path of the book's file ``path`` (chapter-relative), fetched if needed.

    Returns ``Path(path)`` when it exists (a clone of the book, or the reader's own run);
    otherwise the verified copy in ``~/.cache/d2lmini/book/<ref>/``, downloaded once.

    Raises
    ------
    BookFileError
        The file is not beside the chapter, the book does not commit it, or it cannot be
        downloaded (the message says what to do).
    """
    local = Path(path)
    if local.is_file():
        return local
    key = repo_path(path)
    files = manifest()["files"]
    if key not in files:
        raise BookFileError(f"{path} is not beside this notebook and the book does not commit "
                            f"it; run the chapter that writes it first")
    cached = cache_dir("book") / manifest()["ref"] / key
    if cached.is_file() and file_digest(cached) == files[key]:
        return cached
    url = file_url(key)
    try:
        download(url, cached, sha256=files[key])
    except OSError as e:
        raise BookFileError(f"{path} is not beside this notebook and could not be fetched from "
                            f"the book ({e}). Download the book's repository and run the chapter "
                            f"from its notebooks/ folder, or set D2LMINI_BOOK_URL.") from e
    print(f"fetched {path} from the book ({manifest()['ref']})")
    return cached


def book_files(pattern):
    """Every book file matching the chapter-relative glob ``pattern``, sorted by name.

    Local files (a clone, or runs the reader made) are listed with the book's committed ones,
    a local file winning over the committed file of the same name.

    >>> [p.name for p in book_files("results/lenet-pytorch-full*.json")][:1]  # doctest: +SKIP
    ['lenet-pytorch-full-amp.json']
    """
    found = {p.name: p for p in Path().glob(pattern) if p.is_file()}
    wanted = repo_path(pattern)
    for key in manifest()["files"]:
        name = posixpath.basename(key)
        if name not in found and fnmatch.fnmatchcase(key, wanted):
            found[name] = book_file(posixpath.relpath(key, CHAPTER_FOLDER))
    return [found[name] for name in sorted(found)]


# ---------------------------------------------------------------- the manifest
def current_manifest(root):
    """The manifest that ``root`` (a checkout of the book) calls for."""
    files = {}
    for folder in SHARED_FOLDERS:
        for p in sorted((Path(root) / folder).glob("*.json")):
            files[p.relative_to(root).as_posix()] = file_digest(p)
    return {"repository": repository_url(Path(root) / "_config.yml"),
            "ref": f"v{__version__}", "files": files}


def repository_url(config):
    """``repository.url`` from ``_config.yml``, read without a YAML library."""
    section = None
    for line in config.read_text(encoding="utf-8").splitlines():
        if line and not line[0].isspace():
            section = line.split(":", 1)[0].strip()
        elif section == "repository" and line.strip().startswith("url:"):
            return line.split(":", 1)[1].strip().strip("\"'")
    raise ValueError(f"{config} has no repository.url")


def update_refusal(old, new, root):
    """Why writing manifest ``new`` over ``old`` looks like a mistake, or None.

    A manifest with no files, or one that drops more than half of ``old``'s entries, comes
    from a checkout (``root``) without the book's results: written, every chapter that reads
    a committed file would fail to find it.

    >>> old = {"files": {"a": "1", "b": "2", "c": "3"}}
    >>> update_refusal(old, {"files": {"a": "1", "b": "2", "d": "4"}}, Path("book")) is None
    True
    >>> print(update_refusal(old, {"files": {}}, Path("elsewhere")))  # doctest: +ELLIPSIS
    --update would drop 3 of the manifest's 3 entries: it found 0 result files in elsewhere/...
    """
    lost = len(set(old["files"]) - set(new["files"]))
    if not (old["files"] and (not new["files"] or lost > (1 - KEEP_AT_LEAST) * len(old["files"]))):
        return None
    folders = " and ".join(str(Path(root) / f) for f in SHARED_FOLDERS)
    return (f"--update would drop {lost} of the manifest's {len(old['files'])} entries: it found "
            f"{len(new['files'])} result files in {folders}; pass --root with the book's "
            f"checkout, or add --force if the files really went")


def check_publishable(root):
    """Refuse to publish the book at ``root`` while it names no repository of its own.

    Readers' chapters install d2lmini from ``repository.url`` in ``_config.yml`` and fetch
    the committed results from it (the manifest names it too), and ``pyproject.toml``'s
    ``[project.urls]`` must name the same repository. The placeholder, a repository that is
    not on GitHub (the downloads come from raw.githubusercontent.com) and files that disagree
    are refused.

    Raises
    ------
    ValueError
        One line naming what is wrong, what to set where, and the commands to run after.
    """
    root = Path(root)
    url = repository_url(root / "_config.yml").rstrip("/")
    after = ("run python -m d2lmini.data.bookfiles --update, python scripts/install_cell.py "
             "&& jupytext --sync notebooks/*.md, and make publish again")
    where = (f"set repository.url in {root / '_config.yml'}, and Homepage, Source and Issues "
             f"(+ /issues) under [project.urls] in {root / 'pyproject.toml'}, to your book's "
             f"public repository https://github.com/OWNER/NAME; then {after}")
    if url == PLACEHOLDER:
        raise ValueError(f"the book still names the placeholder repository {PLACEHOLDER}, so "
                         f"every reader's install cell and downloads would fail: {where}")
    owner_name = url[len("https://github.com/"):].split("/")
    if not url.startswith("https://github.com/") or len(owner_name) != 2 or not all(owner_name):
        raise ValueError(f"repository.url {url!r} is not a GitHub repository "
                         f"(https://github.com/OWNER/NAME), where readers' chapters fetch the "
                         f"book's files from: {where}")
    pyproject = (root / "pyproject.toml").read_text(encoding="utf-8")
    want = {"Homepage": url, "Source": url, "Issues": f"{url}/issues"}
    wrong = [key for key, value in want.items() if f'{key} = "{value}"' not in pyproject]
    if wrong:
        raise ValueError(f"{', '.join(wrong)} under [project.urls] in {root / 'pyproject.toml'} "
                         f"disagree with repository.url {url} in {root / '_config.yml'}: {where}")
    shipped = json.loads((root / MANIFEST.relative_to(MANIFEST.parents[2])).read_text(
        encoding="utf-8"))
    if shipped["repository"].rstrip("/") != url:
        raise ValueError(f"the manifest d2lmini/data/{MANIFEST.name} names {shipped['repository']}, "
                         f"not {url}: {after}")
    stale = [p.name for p in sorted((root / CHAPTER_FOLDER).glob("*.*"))
             if p.suffix in (".md", ".ipynb") and PLACEHOLDER in p.read_text(encoding="utf-8")]
    if stale:
        raise ValueError(f"{len(stale)} notebooks ({', '.join(stale[:3])}"
                         f"{', ...' if len(stale) > 3 else ''}) still install from {PLACEHOLDER}: "
                         f"{after}")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m d2lmini.data.bookfiles", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--update", action="store_true",
                        help="rewrite the manifest from the checkout's files")
    parser.add_argument("--force", action="store_true",
                        help="with --update: write the manifest even if it loses most entries")
    parser.add_argument("--check-publishable", action="store_true",
                        help="exit 1, saying what to set, while the book names no repository "
                             "of its own (make publish runs this)")
    parser.add_argument("--root", default=Path(__file__).resolve().parents[2],
                        help="the book's checkout (default: the one holding this package)")
    args = parser.parse_args(argv)
    root = Path(args.root)
    if not (root / "_config.yml").is_file():
        parser.error(f"{root} is not the book's checkout (no _config.yml); pass --root with "
                     f"the folder that holds the book")
    if args.check_publishable:
        try:
            check_publishable(root)
        except ValueError as e:
            print(f"cannot publish: {e}", file=sys.stderr)
            return 1
        print(f"ready to publish from {repository_url(root / '_config.yml')}")
        return 0
    want = current_manifest(root)
    if args.update:
        old = json.loads(MANIFEST.read_text(encoding="utf-8"))
        refusal = update_refusal(old, want, root)
        if refusal and not args.force:
            parser.error(refusal)
        MANIFEST.write_text(json.dumps(want, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        print(f"wrote {MANIFEST.name}: {len(want['files'])} files at {want['ref']}")
        return 0
    stale = want != json.loads(MANIFEST.read_text(encoding="utf-8"))
    print("the manifest is out of date: run python -m d2lmini.data.bookfiles --update" if stale
          else "the manifest matches the files")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
