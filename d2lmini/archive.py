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

Example
-------
>>> from d2lmini.archive import safe_extract            # doctest: +SKIP
>>> safe_extract("cifar-10-binary.tar.gz", "data/cifar") # doctest: +SKIP
PosixPath('data/cifar')
"""
import os
import posixpath
import shutil
import tarfile
import tempfile
from pathlib import Path

__all__ = ["ArchiveError", "UnsafeArchiveError", "check_member", "list_members",
           "safe_extract"]

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
    d2lmini.archive.UnsafeArchiveError: refusing to extract archive: member '../x' ...
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


def _open(archive):
    try:
        return tarfile.open(archive, mode="r:*")
    except (tarfile.TarError, EOFError, OSError) as e:
        if isinstance(e, FileNotFoundError):
            raise
        raise ArchiveError(f"cannot read {Path(archive).name}: it is not a tar archive, or it "
                           f"is truncated or corrupt ({e}). Delete it and download it "
                           "again.") from e


def list_members(archive):
    """Check every member of ``archive``; return the list of ``(name, TarInfo)`` pairs.

    Reads the archive to its end, so a truncated archive is detected here, before anything is
    written.

    Raises
    ------
    UnsafeArchiveError
        A member is unsafe (see :func:`check_member`).
    ArchiveError
        The archive is truncated, corrupt or not a tar archive.
    """
    archive = Path(archive)
    with _open(archive) as tar:
        try:
            members = tar.getmembers()
        except (tarfile.TarError, EOFError, OSError) as e:
            raise ArchiveError(f"cannot read {archive.name}: it is truncated or corrupt "
                               f"({e}). Delete it and download it again.") from e
        return [(check_member(m, archive.name), m) for m in members]


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
