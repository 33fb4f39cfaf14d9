"""Fill a TIKTOKEN_CACHE_DIR with the cl100k_base encoding from a PyPI package, offline after.

llama-stack's vector_io providers load tiktoken's cl100k_base at startup and would download it
from a blob store this machine cannot reach (the official images bake it into
/.cache/tiktoken). The litellm wheel on PyPI ships the same file under tiktoken's cache name
(the sha1 of its URL); tiktoken checks its sha256 when it loads it.

Usage: python scripts/tiktoken_cache.py DIR
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

PACKAGE = "litellm==1.110.2"
CACHE_NAME = "9b5ad71b2ce5302211f9c61530b329a4922fc6a4"  # sha1 of the cl100k_base.tiktoken URL


def main() -> int:
    target = Path(sys.argv[1])
    if (target / CACHE_NAME).is_file():
        return 0
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", PACKAGE, "-d", tmp], check=True)
        wheel = next(Path(tmp).glob("*.whl"))
        with zipfile.ZipFile(wheel) as archive:
            member = next(n for n in archive.namelist() if n.endswith(f"tokenizers/{CACHE_NAME}"))
            (target / CACHE_NAME).write_bytes(archive.read(member))
    print(f"tiktoken cl100k_base cached in {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
