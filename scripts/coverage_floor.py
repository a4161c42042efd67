"""Each module's coverage against the quality scale's floors, from a coverage JSON report.

The quality scale asks for more than the total: test-coverage wants every module above 95 %,
config-flow-test-coverage the config, options and subentry flows at 100 %. scripts/test writes
the report and runs this after the suite. A floor fails the run while quality_scale.yaml
claims its rule `done`; otherwise the modules under it are listed for information.

    .venv/bin/python -m scripts.coverage_floor coverage.json
"""

from __future__ import annotations

import json
from pathlib import Path
import re
import sys
from typing import Any, TextIO

SCALE = (
    Path(__file__).resolve().parent.parent / "custom_components/order_tracker/quality_scale.yaml"
)
FLOOR = 95.0
"""Every module of the integration (api/ included)."""
FLOWS = ("config_flow.py", "options_flow.py", "subentry_flow.py")
FLOW_FLOOR = 100.0
"""The flows a user goes through, every branch of them (config-flow-test-coverage)."""


def below_floor(report: dict[str, Any]) -> list[tuple[str, float, float]]:
    """(module, its coverage, its floor) for each module under its floor, worst first."""
    found = []
    for name, data in report["files"].items():
        percent = float(data["summary"]["percent_covered"])
        floor = FLOW_FLOOR if Path(name).name in FLOWS else FLOOR
        if percent < floor:
            found.append((name, percent, floor))
    return sorted(found, key=lambda item: item[1])


def claimed(rule: str, scale: str) -> bool:
    """Whether quality_scale.yaml (its text) marks the rule done."""
    return re.search(rf"^  {rule}:(?: done$|\n    status: done$)", scale, re.MULTILINE) is not None


def main(argv: list[str], out: TextIO = sys.stdout, scale: Path = SCALE) -> int:
    """Print the modules under their floor; exit status 1 when a claimed floor is missed."""
    report = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    text = scale.read_text(encoding="utf-8")
    enforced = {
        FLOW_FLOOR: claimed("config-flow-test-coverage", text),
        FLOOR: claimed("test-coverage", text),
    }
    failing = False
    for name, percent, floor in below_floor(report):
        failing = failing or enforced[floor]
        note = "" if enforced[floor] else " - the quality scale does not claim it"
        out.write(f"coverage: {name} {percent:.1f} % (needs {floor:.0f} %){note}\n")
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
