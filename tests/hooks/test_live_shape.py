"""`make bench`'s live shape (bench/live.py) is a running instance as the API server stores it:
every request differs, and the hook answers each with the same children and status as the
resync of the same instance (a steady state, not an error path measured by mistake)."""

from __future__ import annotations

import json

from bench.live import RV_MARK, instance, live_template
from hooks.app import create_app
from tests.hooks.cases import settings
from tests.support.metacontroller import sync_request
from tests.support.paths import load_sample


def test_live_requests_differ_and_get_the_steady_state_answer():
    client = create_app(settings()).test_client()
    parent, objects = load_sample("example-with-providers")
    first = client.post("/sync", json=sync_request(parent, objects, [])).get_json()
    template = live_template(parent, objects, first)
    assert template.count(RV_MARK.encode()) > len(first["children"]), "parent and every child get a resourceVersion"
    one, two = instance(template, 1), instance(template, 2)
    assert one != two
    stored = json.loads(one)["children"]["Deployment.apps/v1"]["llama/full"]
    assert stored["status"]["readyReplicas"] == stored["spec"]["replicas"]
    assert json.loads(stored["metadata"]["annotations"]["metacontroller.k8s.io/last-applied-configuration"])["spec"]
    answers = [client.post("/sync", data=body, content_type="application/json") for body in (one, two)]
    assert [a.status_code for a in answers] == [200, 200]
    assert answers[0].get_data() == answers[1].get_data()
    answer = answers[0].get_json()
    asked = json.loads(one)["related"]["Deployment.apps/v1"]["llama/full"]  # customize asks for it by name
    assert asked["metadata"]["uid"] == stored["metadata"]["uid"]
    assert answer["status"]["phase"] == "Ready"
    assert "ChildrenOwned" not in {c["type"] for c in answer["status"]["conditions"]}, "its own children are ours"
    assert sorted(c["metadata"]["name"] for c in answer["children"]) == sorted(
        c["metadata"]["name"] for c in first["children"]
    )
