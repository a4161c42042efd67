"""The account's snapshot file on disk: its format version, migrations, and unreadable files.

``.storage/order_tracker.<entry_id>``, versioned the Home Assistant way (``Store`` version and
minor version, :meth:`SnapshotStore._async_migrate_func`). Every write goes to a temporary
file, is flushed to disk and renamed over the old one (``atomic_writes``): a power cut leaves
the old file or the new one, never half of one. What the file holds is ``store.py``'s.

A file that cannot be read (not JSON, not a storage file, a newer major version) is set aside
next to the original, ``<file>.corrupt-<UTC time>`` or ``<file>.v<major>-<UTC time>``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
import shutil
from typing import Any, override

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import UnsupportedStorageVersionError
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util
from homeassistant.util.json import json_loads

from .const import DOMAIN, LOGGER, STORAGE_MINOR_VERSION, STORAGE_VERSION


class SnapshotStore(Store[dict[str, Any]]):
    """The account's file: written atomically and flushed to disk; migrates older formats."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        super().__init__(
            hass,
            STORAGE_VERSION,
            f"{DOMAIN}.{entry_id}",
            atomic_writes=True,
            minor_version=STORAGE_MINOR_VERSION,
        )

    @override
    async def _async_migrate_func(
        self, old_major_version: int, old_minor_version: int, old_data: Any
    ) -> Any:
        """1.1 → 1.2: ``seen_in_flight`` is new; 1.2 → 1.3: ``figures`` is new, None until the
        account's first setup counts the orders its snapshots show finished
        (`figures.AccountFigures`). A newer 1.x is read as it is."""
        if not isinstance(old_data, dict):
            return old_data
        if old_minor_version < 2:
            old_data = {**old_data, "seen_in_flight": {}}
        if old_minor_version < 3:
            old_data = {**old_data, "figures": None}
        return old_data


async def async_read(hass: HomeAssistant, store: SnapshotStore) -> Mapping[str, Any] | None:
    """The file's data, migrated; None when there is none, or when it was set aside."""
    problem = await hass.async_add_executor_job(unreadable, Path(store.path))
    data: Any = None
    if problem is None:
        try:
            data = await store.async_load()
        except UnsupportedStorageVersionError as err:
            found = err.found_version
            problem = (f"v{found}", f"format {found}, newer than this version reads")
    if problem is None and data is not None and not isinstance(data, Mapping):
        problem = ("corrupt", "not an object")
    if problem is not None:
        await async_set_aside(hass, store, *problem, copy=False)
        return None
    return data if isinstance(data, Mapping) else None


async def async_set_aside(
    hass: HomeAssistant, store: SnapshotStore, label: str, why: str, *, copy: bool
) -> None:
    """The one warning of a bad file: what was wrong, where the file went, what is kept."""
    path = Path(store.path)
    backup = await hass.async_add_executor_job(set_aside, path, label, copy)
    where = f"{'copied' if copy else 'moved'} to {backup.name}" if backup else "not set aside"
    kept = "the entries that read are kept" if copy else "its orders are fetched anew"
    LOGGER.warning(
        "Stored order snapshots %s could not be read (%s): file %s, %s",
        path.name,
        why,
        where,
        kept,
    )


def unreadable(path: Path) -> tuple[str, str] | None:
    """Why ``Store.async_load`` cannot be given this file (None: it can, or there is none).

    ``Store`` raises on a file that is JSON but not its envelope, and handles invalid JSON its
    own way (an error and a repair issue); a cache of answers needs neither.
    """
    try:
        envelope = json_loads(path.read_bytes())
    except FileNotFoundError:
        return None
    except OSError as err:
        return ("corrupt", f"unreadable: {err.strerror}")
    except ValueError:
        return ("corrupt", "not valid JSON")
    if (
        not isinstance(envelope, dict)
        or "data" not in envelope
        or not _is_int(envelope.get("version"))
        or not _is_int(envelope.get("minor_version", 1))
    ):
        return ("corrupt", "not a storage file")
    return None


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def set_aside(path: Path, label: str, copy: bool) -> Path | None:
    """Move (or copy) the file to ``<file>.<label>-<UTC time>``; None when that fails."""
    stamp = dt_util.utcnow().strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.{label}-{stamp}")
    count = 1
    while target.exists():
        count += 1
        target = path.with_name(f"{path.name}.{label}-{stamp}-{count}")
    try:
        if copy:
            shutil.copy2(path, target)
        else:
            path.replace(target)
    except OSError:
        return None
    return target
