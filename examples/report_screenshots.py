"""Build every built-in recipe, write its report, and screenshot it (and each domain view) into docs/.

python examples/report_screenshots.py docs/      # needs the `report` extra and Debian's chromium
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import sandbox
from sandbox.domains.registry import find_domain
from sandbox.explain.report import HEADLESS_CHROMIUM, png, report


def main(docs: Path) -> None:
    docs.mkdir(parents=True, exist_ok=True)
    browser = shutil.which("chromium") or sys.exit("needs Debian's chromium (apt-get install chromium)")
    with tempfile.TemporaryDirectory() as tmp:
        for name in sorted(sandbox.builtin_recipes()):
            box = sandbox.open_sandbox(sandbox.build(name, Path(tmp) / name).out)
            page = report(box.path)
            shot = docs / f"report-{name}.png"
            subprocess.run(
                [
                    browser,
                    *HEADLESS_CHROMIUM,
                    f"--user-data-dir={tmp}/profile",
                    "--window-size=1300,2200",
                    f"--screenshot={shot}",
                    page.as_uri(),
                ],
                check=True,
                capture_output=True,
            )
            domain = sandbox.load_recipe(name).domain
            if domain:
                for i, (_, fig) in enumerate(find_domain(domain.reference).views(box), 1):
                    (docs / f"{name}-view-{i}.png").write_bytes(png(fig))
            print(f"{name}: {shot}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
