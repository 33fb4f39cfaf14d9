"""The parent kinds the hook serves, each with its server line and how it is parsed.

One `/sync` and one `/customize` answer both CompositeControllers (`llamastackdistributions`,
`ogxservers`); the parent's apiVersion and kind pick the row here. A row is data: the line (paths,
labels, data of the server release), the parser that turns that kind's CR into the one internal
`Spec`, and how a generation error is said in that kind's own field paths; everything after the
parser is the same code for every kind.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from generator import (
    LLAMA_STACK,
    OGX,
    GenerationResult,
    ServerLine,
    Spec,
    SpecError,
    generate,
    generate_spec,
    parse_spec,
)
from generator.catalog import LineCatalog
from generator.memo import memoised
from generator.ogxserver.fieldmap import to_ogx_text
from generator.ogxserver.translate import ogx_errors, translate


def _same(err: SpecError) -> SpecError:
    return err


@memoised
def parse_ogxserver(parent: dict[str, Any]) -> Spec:
    """An OGXServer as the internal Spec, checked against the OGX 1.5.0 line's data."""
    return translate(parent, LineCatalog(OGX))


@memoised
def _generate_ogxserver(parent: dict[str, Any]) -> GenerationResult:
    try:
        result = generate_spec(parse_ogxserver(parent))
    except SpecError as err:
        raise ogx_errors(err) from None
    return replace(result, warnings=[to_ogx_text(warning) for warning in result.warnings])


def generate_ogxserver(parent: dict[str, Any]) -> GenerationResult:
    """`generate` for an OGXServer from the OGX line's own base config; errors and warnings in its
    own field paths."""
    result = _generate_ogxserver(parent)
    return replace(
        result, env=json.loads(json.dumps(result.env)), warnings=list(result.warnings), command=list(result.command)
    )


@dataclass(frozen=True)
class Kind:
    line: ServerLine
    parse: Callable[[dict[str, Any]], Spec]  # memoised (`.keyed`); SpecError with field paths
    generate: Callable[[dict[str, Any]], GenerationResult]  # memoised: resyncs repeat the same CR
    errors: Callable[[SpecError], SpecError] = _same  # a shared step's error in this kind's paths


KINDS: dict[tuple[str, str], Kind] = {
    LLAMA_STACK.parent_type: Kind(LLAMA_STACK, parse_spec, generate),
    OGX.parent_type: Kind(OGX, parse_ogxserver, generate_ogxserver, ogx_errors),
}


def kind_of(parent: dict[str, Any]) -> Kind | None:
    """The row for a parent; a parent without apiVersion and kind is an LLSD (the only kind
    there was before OGXServer, and what older callers send); None for any other kind."""
    if "apiVersion" not in parent and "kind" not in parent:
        return KINDS[LLAMA_STACK.parent_type]
    return KINDS.get((str(parent.get("apiVersion")), str(parent.get("kind"))))
