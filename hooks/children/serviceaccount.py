"""The ServiceAccount `<llsd>-sa` the pods run as."""

from __future__ import annotations

from typing import Any

from generator import Spec
from generator.naming import service_account_name
from hooks.children.labels import metadata


def service_account(spec: Spec) -> dict[str, Any]:
    """The pod's identity; its token is not mounted: llama-stack never calls the Kubernetes API."""
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": metadata(service_account_name(spec.name), spec.namespace, spec.name, spec.line),
        "automountServiceAccountToken": False,
    }
