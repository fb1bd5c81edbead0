"""Safe extraction of tar archives (``.tar``, ``.tar.gz``, ``.tgz``, ``.tar.bz2``, ``.tar.xz``).

A downloaded archive is data from the outside world: a malicious or broken one can name a
member ``../../.bashrc`` or ``/etc/passwd``, or carry a symbolic link that points outside the
target folder and a later member written *through* that link. :func:`safe_extract` therefore

1. reads the whole member list first and refuses the archive, naming the offending member,
   if any member has an absolute path, a ``..`` component, is a symbolic or hard link, a
   character or block device, a FIFO, or anything else that is not a plain file or a folder;
2. writes the plain files itself (never ``TarFile.extractall``) into a fresh temporary folder
   next to the target, so nothing is created outside that folder;
3. renames the temporary folder to the target in one step (``os.rename`` is atomic on POSIX),
   so an interrupted extraction never leaves a half-filled target behind.

:func:`read_member` makes the same checks and returns one file's bytes without writing
anything, which also reads an archive nested inside another one (the movie reviews of
:mod:`d2lmini.data.movie_reviews`).

Example
-------
>>> from d2lmini.data.archive import safe_extract            # doctest: +SKIP
>>> safe_extract("cifar-10-binary.tar.gz", "data/cifar") # doctest: +SKIP
PosixPath('data/cifar')
"""
import io
import os
import posixpath
import shutil
import tarfile
import tempfile
import zlib
from pathlib import Path

__all__ = ["ArchiveError", "UnsafeArchiveError", "check_member", "list_members",
           "read_member", "safe_extract"]

CHUNK = 1 << 20


class ArchiveError(ValueError):
    """An archive cannot be read: it is truncated, corrupt, or not a tar archive."""


class UnsafeArchiveError(ArchiveError):
    """An archive holds a member that would be unsafe to extract (the message names it)."""


def _kind(member):
    """A short description of what a non-regular member is."""
    if member.issym():
        return f"a symbolic link (to {member.linkname!r})"
    if member.islnk():
        return f"a hard link (to {member.linkname!r})"
    if member.ischr():
        return "a character device file"
    if member.isblk():
        return "a block device file"
    if member.isfifo():
        return "a FIFO (named pipe)"
    return f"of an unsupported tar type {member.type!r}"


def check_member(member, archive_name="archive"):
    """Raise :class:`UnsafeArchiveError` unless ``member`` is a plain file or folder whose
    name stays inside the extraction folder; return its normalized relative name.

    Parameters
    ----------
    member : tarfile.TarInfo
    archive_name : str
        Used in the error message only.

    Returns
    -------
    str
        The member's name with ``./`` and duplicate slashes removed, e.g. ``"a/b.bin"``.

    Example
    -------
    >>> import tarfile
    >>> check_member(tarfile.TarInfo("./data/x.bin"))
    'data/x.bin'
    >>> check_member(tarfile.TarInfo("../x"))  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    ...
    d2lmini.data.archive.UnsafeArchiveError: refusing to extract archive: member '../x' ...
    """
    name = member.name
    advice = (" The archive is corrupt or was tampered with: delete it and download it "
              "again from its official source.")

    def refuse(why):
        return UnsafeArchiveError(f"refusing to extract {archive_name}: member {name!r} "
                                  f"{why}.{advice}")

    if not name or "\x00" in name:
        raise refuse("has an empty or invalid name")
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        raise refuse("has an absolute path")
    parts = name.replace("\\", "/").split("/")
    if ".." in parts:
        raise refuse("has a '..' component (path traversal)")
    if not (member.isreg() or member.isdir()):
        raise refuse("is " + _kind(member) + "; only plain files and folders are allowed")
    clean = posixpath.normpath(name.replace("\\", "/"))
    if clean in (".", "") and not member.isdir():
        raise refuse("has an empty name")
    return clean


# What a damaged compressed stream raises while it is read (zlib's error is no OSError).
_READ_ERRORS = (tarfile.TarError, EOFError, OSError, zlib.error)


def _label(archive):
    """The archive's name for messages: its file name, or "archive" for bytes."""
    return "archive" if isinstance(archive, (bytes, bytearray)) else Path(archive).name


def _open(archive, label=None):
    """``archive`` (a path, or the bytes of an archive) opened for reading."""
    label = label or _label(archive)
    try:
        if isinstance(archive, (bytes, bytearray)):  # an archive inside another one
            return tarfile.open(fileobj=io.BytesIO(archive), mode="r:*")
        return tarfile.open(archive, mode="r:*")
    except _READ_ERRORS as e:
        if isinstance(e, FileNotFoundError):
            raise
        raise ArchiveError(f"cannot read {label}: it is not a tar archive, or it "
                           f"is truncated or corrupt ({e}). Delete it and download it "
                           "again.") from e


def _checked_members(tar, label):
    """Every member of the open ``tar``, checked: ``(name, TarInfo)`` pairs."""
    try:
        members = tar.getmembers()
    except _READ_ERRORS as e:
        raise ArchiveError(f"cannot read {label}: it is truncated or corrupt "
                           f"({e}). Delete it and download it again.") from e
    return [(check_member(m, label), m) for m in members]


def list_members(archive):
    """Check every member of ``archive``; return the list of ``(name, TarInfo)`` pairs.

    Reads the archive to its end, so a truncated archive is detected here, before anything is
    written. ``archive`` is a path, or the bytes of an archive.

    Raises
    ------
    UnsafeArchiveError
        A member is unsafe (see :func:`check_member`).
    ArchiveError
        The archive is truncated, corrupt or not a tar archive.
    """
    with _open(archive) as tar:
        return _checked_members(tar, _label(archive))


def read_member(archive, name, label=None):
    """The bytes of the plain file ``name`` inside ``archive``, with nothing extracted.

    The whole member list is checked first, as by :func:`list_members`: an archive with one
    unsafe member is refused even when the member asked for is harmless. Nothing is written
    to disk, so an archive inside another one is read by passing the outer call's bytes.

    Parameters
    ----------
    archive : str, Path or bytes
        A tar archive, optionally compressed, as a file or as its bytes.
    name : str
        The member's normalized name, as :func:`check_member` returns it ("a/b.txt").
    label : str, optional
        The archive's name in error messages (default: its file name).

    Raises
    ------
    UnsafeArchiveError
        A member is unsafe, or ``name`` appears twice.
    ArchiveError
        The archive is truncated or corrupt, has no member ``name``, or ``name`` is a folder.

    Example
    -------
    >>> import io, tarfile
    >>> buffer = io.BytesIO()
    >>> with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
    ...     info = tarfile.TarInfo("./data/hello.txt"); info.size = 5
    ...     tar.addfile(info, io.BytesIO(b"hello"))
    >>> read_member(buffer.getvalue(), "data/hello.txt")
    b'hello'
    """
    label = label or _label(archive)
    with _open(archive, label) as tar:
        found = [m for n, m in _checked_members(tar, label) if n == name]
        if len(found) != 1 or not found[0].isreg():
            raise _not_one_file(label, name, found)
        try:
            with tar.extractfile(found[0]) as src:
                data = src.read()
        except _READ_ERRORS as e:
            raise ArchiveError(f"cannot read {label}: member {name!r} is truncated or corrupt "
                               f"({e}). Delete the archive and download it again.") from e
    if len(data) != found[0].size:
        raise ArchiveError(f"cannot read {label}: member {name!r} is truncated ({len(data)} "
                           f"of {found[0].size} bytes). Delete the archive and download it "
                           "again.")
    return data


def _not_one_file(label, name, found):
    """The error for a member that is missing, doubled or not a plain file."""
    if len(found) > 1:
        return UnsafeArchiveError(f"refusing to read {label}: member {name!r} appears "
                                  f"{len(found)} times.")
    why = "has no member" if not found else "has a folder, not a file, named"
    return ArchiveError(f"{label} {why} {name!r}: it is not the archive expected. Delete it "
                        "and download it again from its official source.")


def safe_extract(archive, target):
    """Extract ``archive`` into the new folder ``target``, safely and atomically.

    Parameters
    ----------
    archive : str or Path
        A tar archive, optionally compressed with gzip, bzip2 or xz.
    target : str or Path
        The folder to create. If it already exists, it is left as it is and returned (a
        previous or concurrent extraction finished first).

    Returns
    -------
    Path
        ``target``.

    Raises
    ------
    UnsafeArchiveError
        A member has an absolute path or a ``..`` component, or is a link, a device file,
        a FIFO or another special file. Nothing is extracted.
    ArchiveError
        The archive is truncated or corrupt. Nothing is left at ``target``.

    Example
    -------
    >>> safe_extract("cifar-10-binary.tar.gz", "cifar")  # doctest: +SKIP
    PosixPath('cifar')
    """
    archive, target = Path(archive), Path(target)
    members = list_members(archive)  # refuses unsafe archives before writing anything
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent))
    try:
        with _open(archive) as tar:
            for name, member in members:
                path = tmp / name
                if member.isdir():
                    path.mkdir(parents=True, exist_ok=True)
                    continue
                path.parent.mkdir(parents=True, exist_ok=True)
                try:
                    src = tar.extractfile(member)
                    with src, open(path, "xb") as out:
                        shutil.copyfileobj(src, out, CHUNK)
                except FileExistsError:
                    raise UnsafeArchiveError(f"refusing to extract {archive.name}: member "
                                             f"{name!r} appears twice.") from None
                except (tarfile.TarError, EOFError, OSError) as e:
                    raise ArchiveError(f"cannot extract {archive.name}: member {name!r} is "
                                       f"truncated or corrupt ({e}). Delete the archive and "
                                       "download it again.") from e
                if path.stat().st_size != member.size:
                    raise ArchiveError(f"cannot extract {archive.name}: member {name!r} is "
                                       f"truncated ({path.stat().st_size} of {member.size} "
                                       "bytes). Delete the archive and download it again.")
        try:
            os.rename(tmp, target)
        except OSError:
            if not target.exists():  # not a concurrent extraction that won the race
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return target
