"""evalkit's version, read from the installed package's metadata (one source: pyproject.toml)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("evalkit")
except PackageNotFoundError:  # a source tree on sys.path without an install
    __version__ = "0.0.0"
