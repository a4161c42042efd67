"""Build order_tracker.zip, the release asset HACS installs.

    scripts/build-zip [OUT]        (default: dist/order_tracker.zip)

HACS (``zip_release`` in hacs.json) downloads the asset named by hacs.json's ``filename`` from
the release and extracts it *into* ``config/custom_components/order_tracker/``, so the archive's
root holds manifest.json and the rest of ``custom_components/order_tracker/`` directly, brand
images included. Compiled Python (``__pycache__``, ``*.pyc``) is left out. Entries are sorted
and dated 1980-01-01, so the same tree always gives the same bytes.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
import sys
import zipfile

ROOT = Path(__file__).resolve().parent.parent
INTEGRATION = ROOT / "custom_components" / "order_tracker"
DIST = ROOT / "dist"

SKIPPED_DIRS = frozenset({"__pycache__"})
SKIPPED_SUFFIXES = frozenset({".pyc", ".pyo"})
FIXED_TIME = (1980, 1, 1, 0, 0, 0)


def asset_name(root: Path = ROOT) -> str:
    """The asset's file name, as hacs.json names it for HACS."""
    name: str = json.loads((root / "hacs.json").read_text(encoding="utf-8"))["filename"]
    return name


def integration_files(source: Path = INTEGRATION) -> list[str]:
    """The integration's files, relative to its directory, sorted; no compiled Python."""
    return sorted(
        path.relative_to(source).as_posix()
        for path in source.rglob("*")
        if path.is_file()
        and not SKIPPED_DIRS.intersection(path.relative_to(source).parts)
        and path.suffix not in SKIPPED_SUFFIXES
    )


def build(out: Path, source: Path = INTEGRATION) -> list[str]:
    """Write the archive to `out`; the names it holds."""
    names = integration_files(source)
    if "manifest.json" not in names:
        msg = f"{source} has no manifest.json"
        raise FileNotFoundError(msg)
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in names:
            path = source / name
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (path.stat().st_mode & 0o777 | 0o100000) << 16
            archive.writestr(info, path.read_bytes())
    return names


def main(argv: list[str] | None = None) -> int:
    """Build the archive; print where and how many files."""
    parser = argparse.ArgumentParser(prog="scripts/build-zip", description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", type=Path, help=f"default: dist/{asset_name()}")
    args = parser.parse_args(argv)
    out: Path = args.out or DIST / asset_name()
    names = build(out)
    sys.stdout.write(f"{out}: {len(names)} files from {INTEGRATION.relative_to(ROOT)}/\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
