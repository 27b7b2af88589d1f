"""Lake backend on a local folder (`file://`), the embedded default."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from pipeline.lake.base import Lake, ObjectInfo, ObjectNotFoundError, check_key

# Temporary files live next to their target (same filesystem, so os.replace is atomic)
# under a name that listing skips.
TEMP_PREFIX = ".tmp-"


def _copy_from(path: Path, handle: BinaryIO) -> None:
    with path.open("rb") as source:
        shutil.copyfileobj(source, handle, 1024 * 1024)


class LocalLake(Lake):
    """Objects are files under `root`; writes go to a temp file then `os.replace`."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.url = self.root.as_uri()

    def _path(self, key: str) -> Path:
        path = (self.root / check_key(key)).resolve()
        if self.root not in path.parents:
            raise ValueError(f"key {key!r} resolves outside the lake")
        return path

    def _info(self, key: str, path: Path) -> ObjectInfo:
        stat = path.stat()
        return ObjectInfo(
            key=key,
            size=stat.st_size,
            modified=datetime.fromtimestamp(stat.st_mtime, tz=UTC),
            etag=f"{stat.st_mtime_ns:x}-{stat.st_size:x}",
        )

    def open_read(self, key: str) -> BinaryIO:
        path = self._path(key)
        try:
            return path.open("rb")
        except (FileNotFoundError, IsADirectoryError) as error:
            raise ObjectNotFoundError(f"no object {key!r} in {self.url}") from error

    def _atomic_write(self, key: str, fill: Callable[[BinaryIO], object]) -> ObjectInfo:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp_name = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                fill(handle)
                handle.flush()
                os.fsync(handle.fileno())
            Path(temp_name).chmod(0o644)
            Path(temp_name).replace(path)
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise
        return self._info(key, path)

    def write_bytes(self, key: str, data: bytes) -> ObjectInfo:
        return self._atomic_write(key, lambda handle: handle.write(data))

    def upload_file(self, key: str, path: Path) -> ObjectInfo:
        """Hard-link when `path` is on the lake's filesystem (no copy), else copy.

        Either way the bytes are on disk (fsync) before the object appears under `key`.
        """
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        temp = target.with_name(f"{TEMP_PREFIX}{uuid.uuid4().hex}")
        try:
            os.link(path, temp)
        except OSError:
            return self._atomic_write(key, lambda handle: _copy_from(path, handle))
        try:
            temp.chmod(0o644)
            descriptor = os.open(temp, os.O_RDONLY)
            try:
                os.fsync(descriptor)
            finally:
                os.close(descriptor)
            temp.replace(target)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        return self._info(key, target)

    def work_folder(self) -> Path:
        """A hidden folder in the lake (listing skips it), so finished files are linked."""
        folder = self.root / f"{TEMP_PREFIX}work"
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def download_file(self, key: str, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.with_name(f"{TEMP_PREFIX}{path.name}")
        with self.open_read(key) as source, temp.open("wb") as target:
            shutil.copyfileobj(source, target, 1024 * 1024)
        temp.replace(path)

    def head(self, key: str) -> ObjectInfo | None:
        path = self._path(key)
        if not path.is_file():
            return None
        return self._info(key, path)

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        base = self.root
        # Walk only below the deepest directory the prefix names, not the whole lake.
        start = base / prefix.rsplit("/", 1)[0] if "/" in prefix else base
        found: list[ObjectInfo] = []
        for directory, dirnames, filenames in os.walk(start):
            dirnames[:] = [d for d in dirnames if not d.startswith(TEMP_PREFIX)]
            for name in filenames:
                if name.startswith(TEMP_PREFIX):
                    continue
                path = Path(directory) / name
                key = path.relative_to(base).as_posix()
                if key.startswith(prefix):
                    found.append(self._info(key, path))
        yield from sorted(found, key=lambda info: info.key)

    def copy(self, source: str, destination: str) -> ObjectInfo:
        source_path = self._path(source)
        if not source_path.is_file():
            raise ObjectNotFoundError(f"no object {source!r} in {self.url}")
        return self._atomic_write(destination, lambda handle: _copy_from(source_path, handle))

    def move_verified(self, source: str, destination: str) -> ObjectInfo:
        """Hard-link then unlink: the bytes are never copied, so they cannot differ.

        At every instant the file exists under at least one name. Falls back to a
        verified copy when a link is impossible (another filesystem, no link support).
        """
        source_path, target_path = self._path(source), self._path(destination)
        if not source_path.is_file():
            raise ObjectNotFoundError(f"no object {source!r} in {self.url}")
        target_path.parent.mkdir(parents=True, exist_ok=True)
        temp = target_path.with_name(f"{TEMP_PREFIX}{uuid.uuid4().hex}")
        try:
            os.link(source_path, temp)
        except OSError:
            return super().move_verified(source, destination)
        temp.replace(target_path)
        source_path.unlink()
        return self._info(destination, target_path)

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def local_path(self, key: str) -> Path | None:
        return self._path(key)
