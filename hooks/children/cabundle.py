"""The CA bundle ConfigMap `<llsd>-ca-bundle`: the certificates of `tlsConfig.caBundle`.

As upstream: the named keys of the user's ConfigMap (possibly in another namespace that shares it,
which a pod could not mount) are concatenated into one `ca-bundle.crt`, keeping only PEM
CERTIFICATE blocks that parse as X.509 (a private key pasted by mistake, or anything else, never
reaches the pods), within 1000 certificates and 1000 KiB (a ConfigMap holds at most 1 MiB).
"""

from __future__ import annotations

import re
from typing import Any

from cryptography import x509

from generator import ServerLine, Spec, SpecError, SpecProblem
from generator.layout import CA_BUNDLE_KEY
from generator.naming import ca_bundle_name
from hooks.children.configmap import content_hash
from hooks.children.labels import CA_BUNDLE, metadata
from hooks.related import Related

PEM_CERTIFICATE = re.compile(r"-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]+-----END CERTIFICATE-----")
# The bundle becomes a ConfigMap child, and the API server refuses a ConfigMap over 1 MiB.
MAX_CA_BUNDLE_BYTES = 1000 * 1024
MAX_CERTIFICATES = 1000


def _parses(block: str) -> bool:
    try:
        x509.load_pem_x509_certificate(block.encode("ascii"))
    except ValueError:
        return False
    return True


def certificates(text: str) -> list[str]:
    """The PEM CERTIFICATE blocks of `text` that parse as X.509: whatever else a tenant's
    ConfigMap holds (keys, junk between BEGIN/END lines) never reaches the pods."""
    blocks = (block.replace("\r\n", "\n") for block in PEM_CERTIFICATE.findall(text))
    return [block for block in blocks if _parses(block)]


def ca_bundle(owner: str, namespace: str, line: ServerLine, blocks: list[str]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": metadata(ca_bundle_name(owner), namespace, owner, line, CA_BUNDLE),
        "data": {CA_BUNDLE_KEY: "\n".join(blocks) + "\n"},
    }


def ca_bundle_child(spec: Spec, related: Related) -> tuple[dict[str, Any] | None, str, list[str]]:
    """(the CA bundle child, hash of its data, warnings); (None, "", []) without `tlsConfig.caBundle`.

    Every named key present but blank (a placeholder ConfigMap, as upstream treats it) is no
    bundle and a warning: the pods keep the image's own trust store. Raises SpecError (with field
    paths) for a missing key, a key with text but no certificate, or a bundle over the limits: the
    sync then keeps the running children and reports it.
    """
    if spec.ca_bundle is None:
        return None, "", []
    source = related.configmap(spec.ca_bundle.namespace, spec.ca_bundle.name) or {}
    blocks: list[str] = []
    errors: list[SpecProblem] = []
    path = f"{spec.ca_bundle.path}.configMapKeys"
    for key in spec.ca_bundle.keys:
        text = Related.configmap_text(source, key)
        if text is None:
            errors.append({"path": path, "message": f"key '{key}' not found in ConfigMap '{spec.ca_bundle.name}'"})
        elif text.strip() and not certificates(text):
            errors.append({"path": path, "message": f"key '{key}' holds no PEM certificate that parses as X.509"})
        else:
            blocks += certificates(text)
    if not errors and not blocks:
        keys = ", ".join(spec.ca_bundle.keys)
        warning = (
            f"{spec.ca_bundle.path}: every key of ConfigMap '{spec.ca_bundle.name}' ({keys}) is empty, so no CA "
            "bundle is mounted and the pods trust only the image's own CAs; add the certificates, or remove "
            "tlsConfig.caBundle"
        )
        return None, "", [warning]
    if len(blocks) > MAX_CERTIFICATES or sum(len(b) for b in blocks) > MAX_CA_BUNDLE_BYTES:
        errors.append(
            {
                "path": spec.ca_bundle.path,
                "message": f"the CA bundle exceeds {MAX_CERTIFICATES} certificates or "
                f"{MAX_CA_BUNDLE_BYTES // 1024} KiB (a ConfigMap holds at most 1 MiB); keep only the CAs you need",
            }
        )
    if errors:
        raise SpecError(errors)
    child = ca_bundle(spec.name, spec.namespace, spec.line, blocks)
    return child, content_hash(child["data"]), []
