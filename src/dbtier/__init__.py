"""dbtier: a FastAPI service's database tier on AWS, designed, migrated and operated with care.

The toolkit behind the `dbtier` command. Each seed component is one module:
`secrets`, `migrate`, `schedule`, `launch`, `params`, `cost`, `infra`.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("dbtier")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0"

__all__ = ["__version__"]
