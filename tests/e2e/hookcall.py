"""Ask the real hook for a CR's children, in process, the way Metacontroller would.

The scenario tests build a LlamaStackDistribution (and the Secrets/ConfigMaps it names), send a
Metacontroller v2 sync request to the hook's Flask app (`hooks.app.create_app`, the same app
`llsd-hook serve` runs) and hand its answer to the pod runner. Nothing here generates config:
every file and command a scenario's pod runs comes from the hook's answer.
"""

from __future__ import annotations

import base64
import copy
from typing import Any

from hooks.app import create_app
from hooks.settings import Settings
from tests.support.metacontroller import sync_request
from tests.support.objects import NOW

NAMESPACE = "ai"

_APP = create_app(Settings(clock=lambda: NOW))


def llsd(server: dict[str, Any], name: str = "e2e", **spec: Any) -> dict[str, Any]:
    """A LlamaStackDistribution CR with `spec.server = server`."""
    return {
        "apiVersion": "llamastack.io/v1alpha1",
        "kind": "LlamaStackDistribution",
        "metadata": {"name": name, "namespace": NAMESPACE},
        "spec": {"server": copy.deepcopy(server), **spec},
    }


def secret(name: str, data: dict[str, str], type_: str = "Opaque") -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": type_,
        "metadata": {"name": name, "namespace": NAMESPACE},
        "data": {k: base64.b64encode(v.encode()).decode() for k, v in data.items()},
    }


def key_ref(name: str, key: str) -> dict[str, Any]:
    return {"secretKeyRef": {"name": name, "key": key}}


def sync(
    parent: dict[str, Any],
    related: list[dict[str, Any]] = (),  # type: ignore[assignment]
    children: list[dict[str, Any]] = (),  # type: ignore[assignment]
    *,
    generation: int = 1,
    deployment_ready: bool = True,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """POST /sync; returns (request, response). A non-200 answer fails the test (status only,
    never the body: it may echo what the request carried)."""
    request = sync_request(parent, related, children, deployment_ready=deployment_ready, generation=generation)
    return request, post_sync(request)


def post_sync(request: dict[str, Any]) -> dict[str, Any]:
    """POST a ready-made request (e.g. with related Pods added) to /sync; its 200 answer."""
    answer = _APP.test_client().post("/sync", json=request)
    assert answer.status_code == 200, f"/sync answered {answer.status_code}"
    response = answer.get_json()
    assert isinstance(response, dict)
    assert "children" in response
    return response


def child(response: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [c for c in response["children"] if c["kind"] == kind]


def generated_config(response: dict[str, Any]) -> tuple[str, str]:
    """(name, config.yaml text) of the ConfigMap the hook's Deployment mounts at /etc/llama-stack."""
    deployment = child(response, "Deployment")[0]
    spec = deployment["spec"]["template"]["spec"]
    mounts = {m["name"]: m["mountPath"] for c in spec["containers"] for m in c.get("volumeMounts") or []}
    for volume in spec["volumes"]:
        if "configMap" in volume and mounts.get(volume["name"], "").rstrip("/") == "/etc/llama-stack":
            name = volume["configMap"]["name"]
            found = next(c for c in child(response, "ConfigMap") if c["metadata"]["name"] == name)
            return name, found["data"]["config.yaml"]
    raise AssertionError("the Deployment mounts no config ConfigMap at /etc/llama-stack")


def condition(response: dict[str, Any], kind: str) -> dict[str, Any]:
    return next(c for c in response["status"]["conditions"] if c["type"] == kind)


def listing(body: Any) -> list[dict[str, Any]]:
    """llama-stack list endpoints answer `{"data": [...]}` (some older ones a bare list)."""
    return body.get("data", body) if isinstance(body, dict) else body
