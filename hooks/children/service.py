"""The Service `<llsd>-service`: ClusterIP on the server port, selecting the instance's pods."""

from __future__ import annotations

from typing import Any

from generator import Spec
from generator.naming import service_name
from hooks.children.labels import metadata, selector_labels


def service(spec: Spec) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": metadata(service_name(spec.name), spec.namespace, spec.name, spec.line),
        "spec": {
            "type": "ClusterIP",
            "selector": selector_labels(spec.name, spec.line),
            "ports": [{"name": "http", "protocol": "TCP", "port": spec.port, "targetPort": spec.port}],
        },
    }
