"""Provider ids as llama-stack configs write them: `${env.X:+id}` is provider `id`, enabled only when X is set.

The overlay, the resource checks, the consistency pass and the in-pod merge of external
providers all match ids through `plain_id`. Standard library only: the merge runs inside the
pod, where this module's code is inlined into its program (hooks.children.external_init).
"""

from __future__ import annotations

import re
from typing import Any

CONDITIONAL_ID = re.compile(r"^\$\{env\.[A-Z0-9_]+:\+(?P<id>[^}]*)\}$")


def plain_id(provider_id: Any) -> str:
    """`${env.X:+id}` -> `id`; any other id as it is."""
    text = str(provider_id or "")
    match = CONDITIONAL_ID.match(text)
    return match.group("id") if match else text


def is_conditional(provider_id: Any) -> bool:
    return bool(CONDITIONAL_ID.match(str(provider_id or "")))
