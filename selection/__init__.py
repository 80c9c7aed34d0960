"""selection: score, rank and select applications for a funding call.

The data flow is files -> models -> evaluation -> panel scores -> ranking -> selection; see
``docs/architecture.md``. Importing this package does not import matplotlib or the MILP modeller.
"""

from importlib import metadata

try:
    __version__ = metadata.version("selection")
except metadata.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
    __version__ = "0+unknown"

__all__ = ["__version__"]
