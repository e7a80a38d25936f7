"""CLI commands contributed by areas: each module has ``add_parsers(sub)`` and ``handle(args)``.

``handle`` returns an exit code for commands it owns, or None for commands it does not know.
"""

import importlib
import pkgutil
from types import ModuleType


def modules() -> list[ModuleType]:
    """Every command module in this package, in name order."""
    return [importlib.import_module(f"{__name__}.{m.name}")
            for m in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name)]
