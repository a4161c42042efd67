"""The API library's own tests: they import it as `order_tracker_api`, its distribution's name.

Installed from its wheel (scripts/build-api-wheel), that name is the library itself. In this
repository the library is the integration's api/ folder: the same module objects are then
registered under that name too, so a test and the integration share one copy of each class
(and coverage counts the files the integration ships).
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
import sys

LIBRARY = "order_tracker_api"
IN_REPOSITORY = "custom_components.order_tracker.api"

if LIBRARY not in sys.modules and importlib.util.find_spec("custom_components") is not None:
    _package = importlib.import_module(IN_REPOSITORY)
    sys.modules[LIBRARY] = _package
    for _module in pkgutil.iter_modules(_package.__path__):
        sys.modules[f"{LIBRARY}.{_module.name}"] = importlib.import_module(
            f"{IN_REPOSITORY}.{_module.name}"
        )
