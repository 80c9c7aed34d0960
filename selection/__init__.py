"""selection: score, rank and select applications for a funding call.

The data flow is files -> models -> evaluation -> panel scores -> ranking -> selection; see
``docs/architecture.md``. Importing this package does not import matplotlib or the MILP modeller.
"""

__all__ = ["__version__"]


def __getattr__(name: str) -> str:
    """``__version__``, looked up on first use (importlib.metadata costs ~0.1 s at start-up)."""
    if name != "__version__":
        raise AttributeError(f"module 'selection' has no attribute {name!r}")
    from importlib import metadata

    try:
        version = metadata.version("selection")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        version = "0+unknown"
    globals()["__version__"] = version
    return version
