"""A fast, deterministic block-YAML writer for plain data (dicts, lists, str, int, float, bool, None).

PyYAML's dumper walks a representer, a serializer and an emitter in Python and took two thirds of
`generate()`. Config data needs none of its features, so this writes block YAML directly: a string
is plain only when it cannot be read back as anything else, otherwise it is written JSON-quoted,
which is a valid YAML double-quoted scalar. `tests/generator/test_yaml_emit.py` checks that
`yaml.safe_load` reads every output back to the same data, including on random data.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

# First character cannot start an indicator, number, or special value; no spaces, no `#`, no `: `.
_PLAIN = re.compile(r"[A-Za-z_$/][A-Za-z0-9_./:${}=+@~-]*")
# PyYAML (YAML 1.1) reads these as booleans or null in any case.
_RESERVED = {"yes", "no", "on", "off", "true", "false", "null"}


# Characters JSON leaves raw that YAML forbids raw or folds as line breaks inside quotes.
_NON_PRINTABLE = re.compile("[\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff]")


def _escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        text = repr(value)  # PyYAML (YAML 1.1) needs a '.' in a float: 1e+20 -> 1.0e+20
        if "." in text:
            return text
        mantissa, _, exponent = text.partition("e")
        return f"{mantissa}.0e{exponent}" if exponent else f"{text}.0"
    if isinstance(value, str):
        if _PLAIN.fullmatch(value) and value.lower() not in _RESERVED and not value.endswith(":"):
            return value
        return _NON_PRINTABLE.sub(_escape, json.dumps(value, ensure_ascii=False))
    raise TypeError(f"cannot write {type(value).__name__} as YAML")


def _lines(value: Any, indent: str, out: list[str]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            head = f"{indent}{_scalar(key)}:"
            if isinstance(item, dict) and item:
                out.append(head)
                _lines(item, indent + "  ", out)
            elif isinstance(item, list) and item:
                out.append(head)
                _lines(item, indent, out)
            else:
                out.append(f"{head} {_inline(item)}")
    else:
        for item in value:
            if isinstance(item, dict) and item:
                nested: list[str] = []
                _lines(item, indent + "  ", nested)
                out.append(f"{indent}- {nested[0][len(indent) + 2 :]}")
                out.extend(nested[1:])
            elif isinstance(item, list) and item:
                nested = []
                _lines(item, indent + "  ", nested)
                out.append(f"{indent}- {nested[0][len(indent) + 2 :]}")
                out.extend(nested[1:])
            else:
                out.append(f"{indent}- {_inline(item)}")


def _inline(value: Any) -> str:
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list):
        return "[]"
    return _scalar(value)


def dump(data: dict[str, Any]) -> str:
    out: list[str] = []
    _lines(data, "", out)
    return "\n".join(out) + "\n" if out else "{}\n"
