"""Import every module of the configured schedules packages, once, under its real name."""

from __future__ import annotations

import importlib
import logging
import pkgutil
from collections.abc import Sequence

from shared.exceptions import ConfigurationError

log = logging.getLogger("worker.discovery")


def _import(name: str) -> object:
    try:
        return importlib.import_module(name)
    except Exception as exc:
        raise ConfigurationError(
            f"schedules module {name} failed to import: {exc!r}", details={"module": name}
        ) from exc


def _walk_error(name: str) -> None:
    # walk_packages imports sub-packages itself to find their modules; fail the same way.
    _import(name)


def discover(packages: Sequence[str]) -> list[str]:
    """Import ``packages`` and every module below them; return the module names.

    ``importlib.import_module`` goes through ``sys.modules``, so a module that is already
    imported (by another package, a test, or an earlier call) is not executed again and its
    ``@batch_schedule`` declarations are recorded once.

    Raises
    ------
    ConfigurationError
        Naming the first module that failed to import.
    """
    names: list[str] = []
    for package_name in packages:
        package = _import(package_name)
        names.append(package_name)
        path = getattr(package, "__path__", None)
        if path is None:
            continue  # a plain module
        for info in pkgutil.walk_packages(path, prefix=f"{package_name}.", onerror=_walk_error):
            _import(info.name)
            names.append(info.name)
    log.info("schedules discovered", extra={"modules": names})
    return names
