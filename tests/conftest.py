"""Suite-wide setup: llama-stack boots read tiktoken's cl100k_base from the cache `make` fills."""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("TIKTOKEN_CACHE_DIR", str(Path(__file__).resolve().parents[1] / ".venv" / "tiktoken-cache"))
