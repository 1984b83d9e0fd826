"""Where data lives: local paths, or object-store URIs read and written through fsspec.

A location is a local path (a :class:`~pathlib.Path`) or a URI: ``s3://bucket/key``
(Amazon S3, with s3fs), ``gs://bucket/key`` (Google Cloud Storage, with gcsfs),
``az://container/key`` or ``abfs://container@account.dfs.core.windows.net/key``
(Azure Blob Storage and ADLS Gen2, with adlfs). The project depends on the filesystem
of its own cloud only; a URI whose filesystem is not installed is a usage error that
names the setting and the package. Credentials come from the environment, as each
cloud's SDK finds them (docs/data.md).
"""

import fnmatch
import glob
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import IO, Any

from .errors import DataSourceError

# URI scheme -> the fsspec filesystem package that implements it.
FILESYSTEM_PACKAGES = {
    "s3": "s3fs",
    "s3a": "s3fs",
    "gs": "gcsfs",
    "gcs": "gcsfs",
    "az": "adlfs",
    "abfs": "adlfs",
    "abfss": "adlfs",
}
# Keys of fsspec's info() that identify one version of an object, most precise first:
# S3 and Azure version ids, the GCS generation, then the ETags.
_VERSION_KEYS = ("VersionId", "version_id", "generation", "ETag", "etag")
_CHUNK = 1 << 20

Location = Path | str


def scheme(location: Location) -> str:
    """The URI scheme of a location, "" for a local path."""
    text = str(location)
    return text.split("://", 1)[0].lower() if isinstance(location, str) and "://" in text else ""


def is_remote(location: Location) -> bool:
    return scheme(location) != ""


def as_location(value: Any) -> Any:
    """A URI stays text; anything else that is text becomes a Path (pydantic and the CLI
    hand their raw values here)."""
    if isinstance(value, str) and "://" not in value:
        return Path(value)
    return value


def suffix(location: Location) -> str:
    """The lowercase file extension of a local path or of a URI's object key."""
    if is_remote(location):
        return PurePosixPath(str(location).split("://", 1)[1]).suffix.lower()
    return Path(location).suffix.lower()


def filesystem(location: str, key: str) -> tuple[Any, str]:
    """The fsspec filesystem of a URI and the path inside it.

    ``key`` names the setting or argument the URI came from, for the error messages."""
    kind = scheme(location)
    package = FILESYSTEM_PACKAGES.get(kind)
    if package is None:
        supported = ", ".join(f"{name}://" for name in FILESYSTEM_PACKAGES)
        raise DataSourceError(
            f"{key}: {location}: unsupported scheme {kind}:// (a local path or {supported})"
        )
    try:
        import fsspec

        fs, path = fsspec.core.url_to_fs(location)
        return fs, str(path)
    except ImportError:
        raise DataSourceError(
            f"{key}: {location} needs the {package} package, which is not installed "
            f"(uv add {package})"
        ) from None


def _unreachable(location: Location, key: str, error: Exception) -> DataSourceError:
    reason = str(error).splitlines()[0] if str(error) else type(error).__name__
    return DataSourceError(f"{key}: {location}: cannot reach it: {reason}")


def is_file(location: Location, key: str) -> bool:
    if not is_remote(location):
        return Path(location).is_file()
    fs, path = filesystem(str(location), key)
    try:
        return bool(fs.isfile(path))
    except Exception as error:  # credentials, network, permissions: the SDKs' own types
        raise _unreachable(location, key, error) from None


def is_dir(location: Location, key: str) -> bool:
    if not is_remote(location):
        return Path(location).is_dir()
    fs, path = filesystem(str(location), key)
    try:
        return bool(fs.isdir(path))
    except Exception as error:
        raise _unreachable(location, key, error) from None


@contextmanager
def open_binary(location: Location, mode: str, key: str) -> Iterator[IO[bytes]]:
    """Open a local file or a remote object for binary reading ("rb") or writing ("wb");
    local parent directories are created for writing. Object stores have no directories."""
    if not is_remote(location):
        local = Path(location)
        if mode == "wb":
            local.parent.mkdir(parents=True, exist_ok=True)
        with local.open(mode) as handle:
            yield handle
        return
    fs, path = filesystem(str(location), key)
    try:
        handle = fs.open(path, mode)
    except Exception as error:
        raise _unreachable(location, key, error) from None
    with handle:
        yield handle


def find(location: Location, pattern: str, key: str) -> list[Location]:
    """Files under a directory (or prefix) whose name matches ``pattern``, sorted."""
    if not is_remote(location):
        return sorted(Path(location).rglob(pattern))
    fs, path = filesystem(str(location), key)
    try:
        found = fs.find(path)
    except Exception as error:
        raise _unreachable(location, key, error) from None
    protocol = scheme(location)
    return [
        f"{protocol}://{name}"
        for name in sorted(found)
        if fnmatch.fnmatch(PurePosixPath(name).name, pattern)
    ]


def data_version(location: Location, key: str) -> tuple[str, str]:
    """What identifies this exact content of the data, and where that came from.

    A local file: ``md5:<hex>`` of its bytes, the digest DVC records for a file; the
    source is ``dvc`` when a ``<file>.dvc`` next to it records that same digest (the
    data is the version committed with DVC), ``content`` otherwise. A remote object:
    its version id (S3 and Azure versioning, the GCS generation) or else its ETag, from
    the object store's metadata, without reading the object.
    """
    if is_remote(location):
        fs, path = filesystem(str(location), key)
        try:
            info = fs.info(path)
        except Exception as error:
            raise _unreachable(location, key, error) from None
        for name in _VERSION_KEYS:
            value = info.get(name)
            if value not in (None, "", "null"):
                kind = "etag" if name.lower() == "etag" else "version"
                return f"{kind}:{str(value).strip(chr(34))}", scheme(location)
        raise DataSourceError(f"{key}: {location}: the object store reports no version or ETag")
    local = Path(location)
    if not local.is_file():
        return _parts_version(local)
    md5 = _md5(local)
    return f"md5:{md5}", "dvc" if md5 in _dvc_digests(local) else "content"


def _md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _parts_version(path: Path) -> tuple[str, str]:
    """Data in parts (a directory or a glob, which the Ray engine reads): the md5 of
    each part's name and md5, in name order."""
    if path.is_dir():
        parts = sorted(part for part in path.rglob("*") if part.is_file())
    else:
        # A glob may be absolute, which Path.glob does not take.
        parts = sorted(Path(name) for name in glob.glob(str(path), recursive=True))  # noqa: PTH207
    digest = hashlib.md5(usedforsecurity=False)
    for part in parts:
        digest.update(f"{part.name}:{_md5(part)}\n".encode())
    return f"md5:{digest.hexdigest()}", "parts"


def _dvc_digests(path: Path) -> set[str]:
    """The md5 digests a ``<file>.dvc`` pointer (from ``dvc add``) records for the file."""
    import yaml

    pointer = path.with_name(path.name + ".dvc")
    try:
        document = yaml.safe_load(pointer.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return set()
    outs = document.get("outs", []) if isinstance(document, dict) else []
    return {str(out["md5"]) for out in outs if isinstance(out, dict) and "md5" in out}
