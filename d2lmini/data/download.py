"""Downloads that are verified and written atomically.

A file is streamed into a temporary file next to its destination, its checksum is checked,
and only then is it renamed into place (``os.replace`` is atomic on POSIX), so a crash, a
truncated body or a corrupt file never leaves a half-written file under the final name.
"""
import hashlib
import os
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

CHUNK = 1 << 20


class DownloadError(OSError):
    """A download failed: no network, an HTTP error, a truncated body or a bad checksum."""


class ChecksumError(ValueError):
    """A file's contents do not match the checksum it should have."""


def file_digest(path, algorithm="sha256"):
    """Hex digest of a file, read in chunks."""
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


def download(url, dest, sha256=None, md5=None, verify=None, timeout=30, progress=False):
    """Download ``url`` to ``dest`` atomically, checking its checksum; return ``dest``.

    Parameters
    ----------
    url : str
    dest : str or Path
        Final file name. Its folder is created if needed.
    sha256, md5 : str, optional
        Expected hex digest of the bytes as downloaded.
    verify : callable, optional
        Called with the temporary file's path before it is renamed; raise to reject it.
    timeout : float
        Seconds to wait for the server.
    progress : bool
        Show a tqdm progress bar.

    Raises
    ------
    DownloadError
        The server could not be reached, answered with an error, or sent fewer bytes than
        it announced; or the checksum did not match. Nothing is left at ``dest``.

    Example
    -------
    >>> download("http://127.0.0.1:1/x.gz", "/tmp/x.gz")  # doctest: +SKIP
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    # A hidden temporary name that keeps the file's suffix (``verify`` may look at it).
    fd, tmp = tempfile.mkstemp(prefix=".partial-", suffix="-" + dest.name, dir=dest.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            digests = _stream(url, out, timeout, progress)
        _check(dest.name, digests, sha256=sha256, md5=md5)
        if verify is not None:
            verify(tmp)
        os.replace(tmp, dest)
    except ChecksumError as e:
        raise DownloadError(f"downloaded {url} but it is corrupt: {e}") from e
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return dest


def _stream(url, out, timeout, progress):
    """Copy the body of ``url`` into ``out``; return its sha256 and md5 digests."""
    hashes = {"sha256": hashlib.sha256(), "md5": hashlib.md5()}
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            expected = response.headers.get("Content-Length")
            expected = int(expected) if expected else None
            received = 0
            bar = _progress_bar(progress, expected, url)
            while True:
                try:
                    chunk = response.read(CHUNK)
                except Exception as e:  # http.client.IncompleteRead and friends
                    raise DownloadError(f"the download of {url} broke off after "
                                        f"{received} bytes ({e})") from e
                if not chunk:
                    break
                out.write(chunk)
                received += len(chunk)
                for h in hashes.values():
                    h.update(chunk)
                if bar is not None:
                    bar.update(len(chunk))
            if bar is not None:
                bar.close()
    except urllib.error.HTTPError as e:
        raise DownloadError(f"the server answered {e.code} {e.reason} for {url}") from e
    except (urllib.error.URLError, TimeoutError, ConnectionError) as e:
        reason = getattr(e, "reason", e)
        raise DownloadError(f"could not reach {url} ({reason}); is this machine offline?") from e
    if expected is not None and received != expected:
        raise DownloadError(f"the download of {url} is truncated: got {received} of "
                            f"{expected} bytes")
    return {name: h.hexdigest() for name, h in hashes.items()}


def _check(name, digests, **expected):
    for algorithm, want in expected.items():
        if want is not None and digests[algorithm] != want.lower():
            raise ChecksumError(f"{name} has {algorithm} {digests[algorithm]}, expected {want}")


def _progress_bar(show, total, url):
    if not show:
        return None
    from tqdm.auto import tqdm
    return tqdm(total=total, unit="B", unit_scale=True, desc=url.rsplit("/", 1)[-1])
