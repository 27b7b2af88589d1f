"""The storage interface every lake backend implements."""

from __future__ import annotations

import hashlib
import posixpath
import re
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

HASH_CHUNK = 1024 * 1024

_UNSAFE_PART = re.compile(r"^\.{1,2}$")


class UnsafeKeyError(ValueError):
    """A key that would escape the lake or is not a plain relative path."""


class ObjectNotFoundError(FileNotFoundError):
    """The key does not exist in the lake."""


@dataclass(frozen=True)
class ObjectInfo:
    """What the lake knows about one stored object."""

    key: str
    size: int
    modified: datetime
    etag: str | None = None


def check_key(key: str) -> str:
    """Return `key` if it is a safe relative object key, else raise `UnsafeKeyError`.

    Safe means: not empty, no leading `/`, no backslash, no NUL, and no `.` or `..`
    segment, so `raw/../models/x` can never reach outside its prefix.
    """
    if not key or key.startswith("/") or "\\" in key or "\x00" in key:
        raise UnsafeKeyError(f"unsafe object key {key!r}: must be a relative path like raw/a.csv")
    parts = key.split("/")
    if any(part == "" and i < len(parts) - 1 for i, part in enumerate(parts)) or any(
        _UNSAFE_PART.match(part) for part in parts
    ):
        raise UnsafeKeyError(f"unsafe object key {key!r}: '.', '..' and empty segments are refused")
    return key


def join_key(*parts: str) -> str:
    """Join key segments with `/` and check the result."""
    return check_key(posixpath.join(*[p.strip("/") for p in parts if p]))


def sha256_of_stream(stream: BinaryIO) -> str:
    """Hex sha256 of everything left in `stream`, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    for chunk in iter(lambda: stream.read(HASH_CHUNK), b""):
        digest.update(chunk)
    return digest.hexdigest()


def sha256_of_file(path: Path) -> str:
    """Hex sha256 of a local file (streamed)."""
    with path.open("rb") as stream:
        return sha256_of_stream(stream)


class Lake(ABC):
    """A flat key -> bytes store with atomic writes (local folder or S3 bucket).

    Keys are `/`-separated relative paths (`raw/wine_quality/a.csv`). Every write is
    atomic: a reader sees the old object, or the whole new one, never a part.
    """

    url: str

    @abstractmethod
    def open_read(self, key: str) -> BinaryIO:
        """A binary stream of the object; close it when done. Raises ObjectNotFoundError."""

    @abstractmethod
    def write_bytes(self, key: str, data: bytes) -> ObjectInfo:
        """Store `data` under `key` atomically, replacing any previous object."""

    @abstractmethod
    def upload_file(self, key: str, path: Path) -> ObjectInfo:
        """Store a local file under `key` atomically, streaming it (any size).

        A folder lake may hard-link the file instead of copying it: do not modify it
        afterwards (deleting it is fine).
        """

    @abstractmethod
    def download_file(self, key: str, path: Path) -> None:
        """Copy the object to a local file (streamed; written atomically)."""

    @abstractmethod
    def head(self, key: str) -> ObjectInfo | None:
        """The object's metadata, or None when it does not exist."""

    @abstractmethod
    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        """Every object whose key starts with `prefix`, in key order."""

    @abstractmethod
    def copy(self, source: str, destination: str) -> ObjectInfo:
        """Copy an object server-side (atomically at the destination)."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove the object; removing a missing key is not an error."""

    @abstractmethod
    def local_path(self, key: str) -> Path | None:
        """The object's path on this machine when the lake is a folder, else None."""

    def work_folder(self) -> Path | None:
        """Where to put scratch files that become objects (same filesystem), or None.

        None means the system's temporary folder.
        """
        return None

    def read_bytes(self, key: str) -> bytes:
        """The whole object in memory (for small objects: manifests, pointers)."""
        with self.open_read(key) as stream:
            return stream.read()

    def exists(self, key: str) -> bool:
        """True when the object exists."""
        return self.head(key) is not None

    def sha256(self, key: str) -> str:
        """Hex sha256 of the object's bytes (streamed)."""
        with self.open_read(key) as stream:
            return sha256_of_stream(stream)

    def copy_verified(self, source: str, destination: str) -> ObjectInfo:
        """Copy and check the destination has the source's exact bytes (sha256).

        The source is only safe to delete once this returns.
        """
        info = self.copy(source, destination)
        if self.sha256(source) != self.sha256(destination):
            raise OSError(f"copy of {source} to {destination} is not byte-identical")
        return info

    def move_verified(self, source: str, destination: str) -> ObjectInfo:
        """Copy, verify, then delete the source: the bytes exist in one place at the end."""
        info = self.copy_verified(source, destination)
        self.delete(source)
        return info
