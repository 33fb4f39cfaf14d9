"""JSON schemas for the cert-manager objects the install uses (kubernetes-validate knows only
Kubernetes' own kinds). Written from cert-manager's documented v1 API
(https://cert-manager.io/docs/reference/api-docs/): the fields this project uses, their types
and enums; anything else is refused, so a typo fails here instead of on the cluster."""

from __future__ import annotations

from typing import Any

_METADATA = {
    "type": "object",
    "required": ["name", "namespace"],
    "properties": {"name": {"type": "string", "minLength": 1}, "namespace": {"type": "string", "minLength": 1}},
}
_DURATION = {"type": "string", "pattern": r"^([0-9]+(\.[0-9]+)?(h|m|s|ms))+$"}
_ISSUER_REF = {
    "type": "object",
    "required": ["name"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "minLength": 1},
        "kind": {"enum": ["Issuer", "ClusterIssuer"]},
        "group": {"type": "string"},
    },
}


def _object(kind: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "properties": {
            "apiVersion": {"const": "cert-manager.io/v1"},
            "kind": {"const": kind},
            "metadata": _METADATA,
            "spec": spec,
        },
    }


ISSUER = _object(
    "Issuer",
    {
        "type": "object",
        "additionalProperties": False,
        "minProperties": 1,
        "maxProperties": 1,  # exactly one issuer type
        "properties": {
            "selfSigned": {"type": "object", "properties": {"crlDistributionPoints": {"type": "array"}}},
            "ca": {
                "type": "object",
                "required": ["secretName"],
                "additionalProperties": False,
                "properties": {"secretName": {"type": "string", "minLength": 1}},
            },
        },
    },
)
CERTIFICATE = _object(
    "Certificate",
    {
        "type": "object",
        "required": ["secretName", "issuerRef"],
        "additionalProperties": False,
        "anyOf": [{"required": ["commonName"]}, {"required": ["dnsNames"]}],
        "properties": {
            "secretName": {"type": "string", "minLength": 1},
            "issuerRef": _ISSUER_REF,
            "isCA": {"type": "boolean"},
            "commonName": {"type": "string", "maxLength": 64},
            "dnsNames": {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1}},
            "duration": _DURATION,
            "renewBefore": _DURATION,
            "privateKey": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "algorithm": {"enum": ["RSA", "ECDSA", "Ed25519"]},
                    "size": {"type": "integer"},
                    "rotationPolicy": {"enum": ["Never", "Always"]},
                    "encoding": {"enum": ["PKCS1", "PKCS8"]},
                },
            },
        },
    },
)
CERT_MANAGER = {"Issuer": ISSUER, "Certificate": CERTIFICATE}
