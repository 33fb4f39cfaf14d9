"""The parent kinds the hook serves, each with its server line and how it is parsed.

One `/sync` and one `/customize` answer both CompositeControllers (`llamastackdistributions`,
`ogxservers`); the parent's apiVersion and kind pick the row here. A row is data: the line (paths,
labels, data of the server release) and the parser that turns that kind's CR into the one
internal `Spec`; everything after the parser is the same code for every kind.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from generator import LLAMA_STACK, GenerationResult, ServerLine, Spec, generate, parse_spec


@dataclass(frozen=True)
class Kind:
    line: ServerLine
    parse: Callable[[dict[str, Any]], Spec]  # SpecError with field paths for a bad CR
    generate: Callable[[dict[str, Any]], GenerationResult]  # memoised: resyncs repeat the same CR


KINDS: dict[tuple[str, str], Kind] = {
    LLAMA_STACK.parent_type: Kind(LLAMA_STACK, parse_spec, generate),
}


def kind_of(parent: dict[str, Any]) -> Kind | None:
    """The row for a parent; a parent without apiVersion and kind is an LLSD (the only kind
    there was before OGXServer, and what older callers send); None for any other kind."""
    if "apiVersion" not in parent and "kind" not in parent:
        return KINDS[LLAMA_STACK.parent_type]
    return KINDS.get((str(parent.get("apiVersion")), str(parent.get("kind"))))
