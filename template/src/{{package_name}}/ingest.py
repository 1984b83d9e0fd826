"""Ingest: read or write tables by file extension (CSV or Parquet)."""

from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from .config import TABLE_SUFFIXES, DataConfig
from .errors import DataSourceError


def load_dataset(config: DataConfig, text_columns: Iterable[str] = ()) -> pd.DataFrame:
    """The raw training table named by params.yaml (data.path)."""
    return read_table(config.path, text_columns)


def read_table(path: Path, text_columns: Iterable[str] = ()) -> pd.DataFrame:
    """Read a CSV or Parquet file, chosen by extension.

    ``text_columns`` (the categorical features) are read from CSV as text, so codes
    such as "007" or "2" stay the categories the contract names instead of numbers.
    """
    suffix = _checked_suffix(path)
    if not path.is_file():
        raise DataSourceError(f"{path}: no such file")
    try:
        if suffix == ".parquet":
            return pd.read_parquet(path)
        wanted = set(text_columns)
        header = pd.read_csv(path, nrows=0).columns
        return pd.read_csv(path, dtype={name: str for name in header if name in wanted})
    except (OSError, ValueError, ImportError) as error:
        raise DataSourceError(f"{path}: cannot read as {suffix[1:]}: {error}") from None


def write_table(frame: pd.DataFrame, path: Path) -> None:
    """Write a CSV or Parquet file, chosen by extension, creating parent directories."""
    suffix = _checked_suffix(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".parquet":
        frame.to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False)


def _checked_suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise DataSourceError(f"{path}: expected a {' or '.join(TABLE_SUFFIXES)} file")
    return suffix
