"""Ingest: read or write tables by file extension (CSV or Parquet), local or remote.

Locations are local paths or object-store URIs (storage.py): ``s3://``, ``gs://``,
``az://`` and ``abfs://`` with the project's cloud filesystem installed.
"""

from collections.abc import Iterable

import pandas as pd

from .config import TABLE_SUFFIXES, DataConfig
from .errors import DataSourceError
from .storage import Location, is_file, is_remote, open_binary, suffix


def load_dataset(config: DataConfig, text_columns: Iterable[str] = ()) -> pd.DataFrame:
    """The raw training table named by params.yaml (data.path)."""
    return read_table(config.path, text_columns, key="data.path")


def read_table(
    location: Location, text_columns: Iterable[str] = (), key: str = "input"
) -> pd.DataFrame:
    """Read a CSV or Parquet file or object, chosen by extension.

    ``text_columns`` (the categorical features) are read from CSV as text, so codes
    such as "007" or "2" stay the categories the contract names instead of numbers.
    ``key`` names the setting or argument the location came from, for error messages.
    """
    kind = _checked_suffix(location)
    if not is_file(location, key):
        raise DataSourceError(f"{location}: no such {'object' if is_remote(location) else 'file'}")
    try:
        with open_binary(location, "rb", key) as handle:
            if kind == ".parquet":
                return pd.read_parquet(handle)
            wanted = set(text_columns)
            header = pd.read_csv(handle, nrows=0).columns
            handle.seek(0)
            return pd.read_csv(handle, dtype={name: str for name in header if name in wanted})
    except (OSError, ValueError, ImportError) as error:
        raise DataSourceError(f"{location}: cannot read as {kind[1:]}: {error}") from None


def write_table(frame: pd.DataFrame, location: Location, key: str = "output") -> None:
    """Write a CSV or Parquet file or object, chosen by extension (local parent
    directories are created)."""
    kind = _checked_suffix(location)
    with open_binary(location, "wb", key) as handle:
        if kind == ".parquet":
            frame.to_parquet(handle, index=False)
        else:
            frame.to_csv(handle, index=False)


def _checked_suffix(location: Location) -> str:
    kind = suffix(location)
    if kind not in TABLE_SUFFIXES:
        raise DataSourceError(f"{location}: expected a {' or '.join(TABLE_SUFFIXES)} file")
    return kind
