"""Regenerate or check the golden hook files: `python -m tests.hooks.golden [--regen]`."""

from __future__ import annotations

import argparse
import json
import shutil
import sys

from tests.hooks.cases import CASES, answer, request_for
from tests.support.paths import GOLDEN


def render(case: str) -> tuple[str, str]:
    request = request_for(case)
    response = answer(request)
    return json.dumps(request, indent=2, sort_keys=True) + "\n", json.dumps(response, indent=2, sort_keys=True) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--regen", action="store_true", help="rewrite tests/golden (then review the diff)")
    args = parser.parse_args()
    stale = []
    if args.regen and GOLDEN.exists():
        shutil.rmtree(GOLDEN)
    for case in sorted(CASES):
        request, response = render(case)
        directory = GOLDEN / case
        if args.regen:
            directory.mkdir(parents=True, exist_ok=True)
            (directory / "request.json").write_text(request)
            (directory / "response.json").write_text(response)
        elif any(
            not (directory / name).exists() or (directory / name).read_text() != text
            for name, text in (("request.json", request), ("response.json", response))
        ):
            stale.append(case)
    for case in stale:
        print(f"stale: tests/golden/{case}", file=sys.stderr)
    print(f"{len(CASES)} golden cases {'written' if args.regen else 'checked'}")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
