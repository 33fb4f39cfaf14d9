"""AdmissionReview requests as the API server sends them to a validating webhook."""

from __future__ import annotations

import uuid
from typing import Any


def review(obj: dict[str, Any], operation: str = "CREATE") -> dict[str, Any]:
    """An AdmissionReview request, field for field as kube-apiserver v1.30+ sends it."""
    obj = {**obj, "metadata": {"namespace": "default", **obj["metadata"]}}  # the API server sets it
    api_version = obj["apiVersion"]
    group, version = api_version.split("/")
    plural = obj["kind"].lower() + "s"
    return {
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": str(uuid.uuid4()),
            "kind": {"group": group, "version": version, "kind": obj["kind"]},
            "resource": {"group": group, "version": version, "resource": plural},
            "requestKind": {"group": group, "version": version, "kind": obj["kind"]},
            "requestResource": {"group": group, "version": version, "resource": plural},
            "name": obj["metadata"]["name"],
            "namespace": obj["metadata"]["namespace"],
            "operation": operation,
            "userInfo": {"username": "alice", "groups": ["system:authenticated"]},
            "object": None if operation == "DELETE" else obj,
            "oldObject": obj if operation in ("UPDATE", "DELETE") else None,
            "dryRun": False,
            "options": {"apiVersion": "meta.k8s.io/v1", "kind": "CreateOptions"},
        },
    }
