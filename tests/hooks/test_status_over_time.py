"""Status over time, with a clock that moves (issue 13, item 5).

A frozen clock cannot tell "keep lastTransitionTime" from "rewrite it every sync": both give the
same string. Here every sync reads a later second, so a regression to rewriting the timestamp on
each sync (upstream's status-write storm) makes the status differ from one resync to the next,
and a timestamp that fails to move on a real transition keeps its old second.

Metacontroller and the API server cannot run here; `Cluster` plays them (each answer's children
are observed at the next sync, its status is written to the parent).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.hooks.cases import MINIMAL, VLLM_SECRET, TickingClock, ticking_answer
from tests.support.metacontroller import Cluster

pytestmark = pytest.mark.use

RESYNCS = 40


def ticking_cluster() -> tuple[Cluster, TickingClock]:
    clock = TickingClock()
    return Cluster(MINIMAL, [VLLM_SECRET], ticking_answer(clock)), clock


def conditions(status: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["type"]: c for c in status["conditions"]}


def assert_moves_exactly_on_transitions(before: dict[str, Any], after: dict[str, Any], now: str) -> None:
    """For every condition: the timestamp changes if and only if the status did, and then to `now`."""
    old, new = conditions(before), conditions(after)
    assert set(old) == set(new)
    for kind, condition in new.items():
        changed = condition["status"] != old[kind]["status"]
        if changed:
            assert condition["lastTransitionTime"] == now, (kind, old[kind], condition)
        else:
            assert condition["lastTransitionTime"] == old[kind]["lastTransitionTime"], (kind, old[kind], condition)


def step(cluster: Cluster, clock: TickingClock, change: Callable[[Cluster], None] | None = None) -> dict[str, Any]:
    before = copy.deepcopy(cluster.parent["status"])
    if change is not None:
        change(cluster)
    status = cluster.sync()[1]["status"]
    assert_moves_exactly_on_transitions(before, status, clock.last)
    return status


def test_an_unchanged_world_gives_a_byte_identical_status_while_the_clock_moves() -> None:
    cluster, clock = ticking_cluster()
    cluster.sync()
    cluster.ready = True
    ready = cluster.sync()[1]["status"]
    assert ready["phase"] == "Ready"
    first = json.dumps(ready, sort_keys=True)
    seen = {clock.last}
    for _ in range(RESYNCS):
        status = cluster.sync()[1]["status"]
        seen.add(clock.last)
        assert json.dumps(status, sort_keys=True) == first, "a resync with nothing changed rewrote the status"
    assert len(seen) == RESYNCS + 1, "the clock must have moved on every sync for this test to mean anything"


def test_last_transition_time_moves_exactly_when_a_condition_changes_status() -> None:
    cluster, clock = ticking_cluster()
    created = cluster.sync()[1]["status"]
    assert {c["lastTransitionTime"] for c in created["conditions"]} == {clock.last}
    assert conditions(created)["DeploymentReady"]["status"] == "False"

    def ready(c: Cluster) -> None:
        c.ready = True

    def new_endpoint(c: Cluster) -> None:
        c.edit(lambda spec: spec["server"]["providers"]["inference"].update(endpoint="http://vllm-2:8000/v1"))

    def broken(c: Cluster) -> None:
        c.edit(lambda spec: spec["server"]["providers"].update(inference={"provider": "nope"}))
        c.ready = True  # a refused spec changes no child: the running Deployment stays ready

    def fixed(c: Cluster) -> None:
        c.edit(
            lambda spec: spec["server"]["providers"].update(
                inference=copy.deepcopy(MINIMAL["spec"]["server"]["providers"]["inference"])
            )
        )

    history = [
        (ready, {"DeploymentReady": "True"}),
        (None, {}),
        (new_endpoint, {"DeploymentReady": "False"}),  # the new template is rolling out
        (None, {}),
        (ready, {"DeploymentReady": "True"}),
        # a refused spec: secrets are not looked at (Unknown), the running Deployment stays ready
        (broken, {"ValidationSucceeded": "False", "SecretsResolved": "Unknown", "ConfigReady": "False"}),
        (None, {}),
        (
            fixed,
            {
                "ValidationSucceeded": "True",
                "SecretsResolved": "True",
                "ConfigReady": "True",
                "DeploymentReady": "False",
            },
        ),
        (ready, {"DeploymentReady": "True"}),
        (None, {}),
    ]
    for change, expected in history:
        before = conditions(cluster.parent["status"])
        status = step(cluster, clock, change)
        moved = {
            kind: c["status"]
            for kind, c in conditions(status).items()
            if c["lastTransitionTime"] != before[kind]["lastTransitionTime"]
        }
        assert moved == expected, (change and change.__name__, moved)
    assert cluster.parent["status"]["phase"] == "Ready"
