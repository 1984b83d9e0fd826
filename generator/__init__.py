"""forgeml: generate and maintain standardized ML project repositories."""


def __getattr__(name: str) -> str:
    """`generator.__version__`, looked up on first use: importing importlib.metadata and
    scanning the installed distributions costs a fresh `forgeml check` about a tenth of
    its imports, and most commands never print the version."""
    if name != "__version__":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        found = version("forgeml")
    except PackageNotFoundError:  # running from a source tree that was never installed
        found = "0.0.0"
    globals()["__version__"] = found
    return found


__all__ = ["__version__"]
