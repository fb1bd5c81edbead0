"""The book's committed files reach a chapter wherever it runs (d2lmini.data.bookfiles)."""
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from d2lmini.data import bookfiles
from d2lmini.training import TrainResult

ROOT = Path(__file__).resolve().parent.parent
RUN = "results/lenet-pytorch-full.json"  # a committed full run


def test_manifest_matches_the_committed_files():
    """Fails after new results are committed until the manifest is refreshed."""
    want = bookfiles.current_manifest(ROOT)
    assert bookfiles.manifest() == want, "run: python -m d2lmini.data.bookfiles --update"
    assert "notebooks/" + RUN in want["files"] and len(want["files"]) >= 20


def test_the_repository_is_written_once():
    """_config.yml's repository is the one the manifest and the package metadata name."""
    repo = bookfiles.repository_url(ROOT / "_config.yml")
    assert bookfiles.manifest()["repository"] == repo
    urls = (ROOT / "pyproject.toml").read_text()
    assert f'Source = "{repo}"' in urls and f'Homepage = "{repo}"' in urls


def test_repository_paths_of_chapter_paths():
    assert bookfiles.repo_path("results/x.json") == "notebooks/results/x.json"
    assert bookfiles.repo_path("../benchmarks/results/q.json") == "benchmarks/results/q.json"
    with pytest.raises(ValueError, match="outside"):
        bookfiles.repo_path("../../etc/passwd")


@pytest.fixture
def elsewhere(tmp_path, monkeypatch, http_root):
    """A chapter running in an empty folder, the book served from 127.0.0.1."""
    url, served = http_root
    shutil.copy(ROOT / "notebooks" / RUN, (served / "notebooks" / "results").mkdir(
        parents=True) or served / "notebooks" / RUN)
    work = tmp_path / "chapter"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("D2LMINI_BOOK_URL", url)
    return served, tmp_path / "cache"


def test_a_local_file_wins(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("D2LMINI_BOOK_URL", "http://127.0.0.1:1")  # never asked
    (tmp_path / "results").mkdir()
    (tmp_path / RUN).write_text("{}")
    assert bookfiles.book_file(RUN) == Path(RUN)


def test_a_missing_run_is_fetched_verified_and_cached(elsewhere, capsys):
    served, cache = elsewhere
    run = TrainResult.load(RUN)
    assert run == TrainResult.load(ROOT / "notebooks" / RUN)
    assert "fetched results/lenet-pytorch-full.json" in capsys.readouterr().out
    assert not Path("results").exists()  # nothing written beside the chapter
    (served / "notebooks" / RUN).unlink()  # the second time comes from the cache
    assert bookfiles.book_file(RUN).parent.parent == cache / "d2lmini" / "book" / "v0.1.0" / "notebooks"


def test_a_corrupt_copy_is_refused_and_not_kept(elsewhere):
    served, cache = elsewhere
    (served / "notebooks" / RUN).write_text(json.dumps({"tampered": True}))
    with pytest.raises(bookfiles.BookFileError, match="could not be fetched") as err:
        bookfiles.book_file(RUN)
    assert "sha256" in str(err.value)
    assert not any(p.is_file() for p in cache.rglob("*"))


def test_a_file_the_book_does_not_commit_says_what_to_do(elsewhere):
    with pytest.raises(FileNotFoundError, match="run the chapter that writes it"):
        TrainResult.load("results/my-own-run.json")


def test_no_network_says_what_to_do(tmp_path, monkeypatch, closed_port_url):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("D2LMINI_BOOK_URL", closed_port_url)
    with pytest.raises(bookfiles.BookFileError, match="D2LMINI_BOOK_URL"):
        bookfiles.book_file(RUN)


def test_a_glob_lists_local_runs_and_the_books(elsewhere):
    served, _ = elsewhere
    other = "results/lenet-pytorch-full-amp.json"
    shutil.copy(ROOT / "notebooks" / other, served / "notebooks" / other)
    Path("results").mkdir()
    Path("results/lenet-pytorch-full.json").write_text("{}")  # the reader's own run wins
    found = bookfiles.book_files("results/lenet-pytorch-full*.json")
    assert [p.name for p in found] == ["lenet-pytorch-full-amp.json", "lenet-pytorch-full.json"]
    assert found[1] == Path(RUN) and found[0].read_bytes() == (ROOT / "notebooks" / other).read_bytes()


@pytest.mark.parametrize("value", ["github.com/me/book", "htps://github.com/me/book",
                                   "https//raw.githubusercontent.com/me/book", "https://"])
def test_a_book_url_that_is_not_a_url_says_so(value, tmp_path, monkeypatch):
    """Was urlopen's "unknown url type" (a bare ValueError) or "is this machine offline?"."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("D2LMINI_BOOK_URL", value)
    with pytest.raises(bookfiles.BookFileError, match=rf"D2LMINI_BOOK_URL='{re.escape(value)}' "
                       r"is not an http\(s\):// or file:// URL; .* e\.g\. D2LMINI_BOOK_URL="
                       r"https://raw\.githubusercontent\.com/OWNER/NAME/v"):
        bookfiles.book_file(RUN)


# ------------------------------------------------------- maintainers: --update, make publish
@pytest.fixture
def manifest_copy(tmp_path, monkeypatch):
    """The manifest --update writes, a copy: the package's own stays as it is."""
    copy = tmp_path / "bookfiles.json"
    shutil.copy(bookfiles.MANIFEST, copy)
    monkeypatch.setattr(bookfiles, "MANIFEST", copy)
    return copy


SHARED = bookfiles.SHARED_FOLDERS
PLACEHOLDER = "https://github.com/your-org/cnn-book"  # what the book ships with
MINE = "https://github.com/jane-doe/cnn-course"       # what a publisher sets


def checkout(folder, results=()):
    """A checkout at ``folder`` holding the book's _config.yml and the named result files."""
    folder.mkdir()
    shutil.copy(ROOT / "_config.yml", folder)
    for name in SHARED:
        (folder / name).mkdir(parents=True)
    for path in results:
        shutil.copy(ROOT / path, folder / path)
    return folder


def test_an_update_that_would_empty_the_manifest_is_refused(tmp_path, manifest_copy, capsys):
    before = manifest_copy.read_text()
    n = len(json.loads(before)["files"])
    wrong = checkout(tmp_path / "elsewhere")
    with pytest.raises(SystemExit) as e:
        bookfiles.main(["--update", "--root", str(wrong)])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert re.search(rf"--update would drop {n} of the manifest's {n} entries: it found 0 "
                     rf"result files in {re.escape(str(wrong / SHARED[0]))} and .*; pass --root "
                     r"with the book's checkout, or add --force", err)
    assert manifest_copy.read_text() == before
    # A folder that is no checkout at all (an installed package's parent) is named as such.
    with pytest.raises(SystemExit):
        bookfiles.main(["--update", "--root", str(tmp_path)])
    assert "is not the book's checkout (no _config.yml)" in capsys.readouterr().err
    assert bookfiles.main(["--update", "--force", "--root", str(wrong)]) == 0
    assert json.loads(manifest_copy.read_text())["files"] == {}


def test_an_update_that_drops_most_entries_is_refused_and_a_few_are_not(tmp_path,
                                                                        manifest_copy, capsys):
    files = sorted(json.loads(manifest_copy.read_text())["files"])
    few = checkout(tmp_path / "few", files[:2])
    with pytest.raises(SystemExit):
        bookfiles.main(["--update", "--root", str(few)])
    assert f"would drop {len(files) - 2} of the manifest's {len(files)}" in capsys.readouterr().err
    most = checkout(tmp_path / "most", files[1:])  # one result removed: an ordinary update
    assert bookfiles.main(["--update", "--root", str(most)]) == 0
    assert sorted(json.loads(manifest_copy.read_text())["files"]) == files[1:]


def book(folder, config=MINE, pyproject=MINE, manifest=MINE, notebooks=MINE):
    """The files ``make publish`` reads, each naming the given repository."""
    for name, url in [("_config.yml", config), ("pyproject.toml", pyproject),
                      ("d2lmini/data/bookfiles.json", manifest),
                      ("notebooks/01-conv-layer.md", notebooks),
                      ("notebooks/01-conv-layer.ipynb", notebooks)]:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text((ROOT / name).read_text().replace(PLACEHOLDER, url))
    return folder


def test_publishing_refuses_the_placeholder_saying_what_to_set_where(tmp_path, capsys):
    """The book as committed names the placeholder: make publish must refuse it."""
    root = book(tmp_path, *[PLACEHOLDER] * 4)
    with pytest.raises(ValueError, match=(
            r"still names the placeholder repository https://github.com/your-org/cnn-book, so "
            r"every reader's install cell and downloads would fail: set repository.url in "
            r".*_config.yml, and Homepage, Source and Issues \(\+ /issues\) under "
            r"\[project.urls\] in .*pyproject.toml, to your book's public repository "
            r"https://github.com/OWNER/NAME; then run python -m d2lmini.data.bookfiles --update, "
            r"python scripts/install_cell.py && jupytext --sync notebooks/\*.md, and make "
            r"publish again")):
        bookfiles.check_publishable(root)
    assert bookfiles.main(["--check-publishable", "--root", str(root)]) == 1
    assert capsys.readouterr().err.startswith("cannot publish: the book still names the placeholder")
    assert bookfiles.main(["--check-publishable", "--root", str(ROOT)]) == 1  # this checkout


def test_publishing_accepts_a_real_repository(tmp_path, capsys):
    bookfiles.check_publishable(book(tmp_path))
    assert bookfiles.main(["--check-publishable", "--root", str(tmp_path)]) == 0
    assert f"ready to publish from {MINE}" in capsys.readouterr().out


@pytest.mark.parametrize("where, message", [
    ({"pyproject": PLACEHOLDER}, r"Homepage, Source, Issues under \[project.urls\] "
     rf"in .*pyproject.toml disagree with repository.url {MINE} in .*_config.yml: set "),
    ({"config": "https://github.com/jane-doe/other"}, r"Homepage, Source, Issues .* disagree"),
    ({"config": "https://gitlab.com/jane-doe/cnn-course"}, r"is not a GitHub repository"),
    ({"manifest": PLACEHOLDER}, rf"the manifest d2lmini/data/bookfiles.json names "
     rf"{PLACEHOLDER}, not {MINE}: run python -m d2lmini.data.bookfiles --update"),
    ({"notebooks": PLACEHOLDER}, r"2 notebooks \(01-conv-layer.ipynb, "
     r"01-conv-layer.md\) still install from .*: run .*install_cell.py")])
def test_publishing_refuses_files_that_disagree(tmp_path, where, message):
    with pytest.raises(ValueError, match=message):
        bookfiles.check_publishable(book(tmp_path, **where))


def test_make_publish_checks_before_it_builds_and_make_book_does_not():
    def recipe(target):
        return subprocess.run(["make", "-n", target], capture_output=True, text=True,
                              cwd=ROOT, check=True).stdout
    publish = recipe("publish")
    check = publish.index("-m d2lmini.data.bookfiles --check-publishable")
    assert check < publish.index("jupyter-book build .")
    assert "--check-publishable" not in recipe("book")  # tests and CI build the placeholder
