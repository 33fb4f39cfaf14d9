"""The write-or-check entry point shared by the scripts that generate committed files.

`--check` exits 1 and names each stale file (tests call it so), otherwise the files are written.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def write_or_check(description: str, render: Callable[[], dict[Path, str]], make_target: str) -> int:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--check", action="store_true", help="exit 1 if a committed file is stale")
    args = parser.parse_args()
    files = render()
    stale = [path for path, text in files.items() if not path.exists() or path.read_text() != text]
    if args.check:
        for path in stale:
            print(f"stale: {path.relative_to(ROOT)}; run make {make_target} and review the diff", file=sys.stderr)
        return 1 if stale else 0
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    print(f"wrote {len(files)} file(s): {', '.join(str(p.relative_to(ROOT)) for p in files)}")
    return 0
