"""docs/hooks.md stays true to what the hook answers: every condition reason any golden response
reports, every child kind, and every metrics outcome are documented."""

from __future__ import annotations

import json

from hooks.children import CHILD_RESOURCES
from tests.support.paths import GOLDEN, ROOT

TEXT = (ROOT / "docs" / "hooks.md").read_text()


def test_every_reported_condition_reason_is_documented():
    reasons = set()
    for response in GOLDEN.glob("*/response.json"):
        for condition in json.loads(response.read_text())["status"]["conditions"]:
            reasons.add(condition["reason"])
    assert reasons
    assert sorted(r for r in reasons if f"`{r}`" not in TEXT) == []


def test_every_child_kind_and_outcome_is_documented():
    assert [kind for _, _, kind in CHILD_RESOURCES if f"{kind} `" not in TEXT] == []
    outcomes = (
        "ok",
        "invalid_spec",
        "unresolved_references",
        "config_error",
        "bad_request",
        "unauthorized",
        "error",
        "http_error",
        "firewall_violation",
        "overloaded",
    )
    assert [o for o in outcomes if f"`{o}`" not in TEXT] == []
