"""An OGXServer's `spec.baseConfig` and the `ogx.io/watch` label its references need.

`baseConfig` names a ConfigMap key in the parent's namespace holding the config.yaml to generate
from (upstream's precedence: it wins over the image's own). Upstream's other source, the OCI
labels of `distribution.image`, needs a registry: a stateless hook reads no registry, so a bare
`distribution.image` needs `baseConfig` (the translation refuses it otherwise).

Upstream's operator sees only referenced Secrets and ConfigMaps labelled `ogx.io/watch: "true"`
(its cache filter); the line's `watch_label` makes us refuse the same unlabelled references, so a
CR behaves alike under both.
"""

from __future__ import annotations

from typing import Any

import yaml

from generator import ConfigMapRef, Spec, SpecError, SpecProblem
from hooks.related import Related

try:
    from yaml import CSafeLoader as YamlLoader
except ImportError:  # pragma: no cover - depends on the platform's PyYAML build
    from yaml import SafeLoader as YamlLoader  # type: ignore[assignment]


def base_config_ref(spec: Spec) -> ConfigMapRef | None:
    ref = spec.ogx.base_config if spec.ogx is not None else None
    return ConfigMapRef(ref.path, ref.name, spec.namespace, (ref.key,)) if ref is not None else None


def read_base_config(spec: Spec, related: Related) -> dict[str, Any] | None:
    """The baseConfig's config.yaml as a mapping (a private copy), or None without one; a
    SpecError with its field path when the key is missing or is no config."""
    ref = base_config_ref(spec)
    if ref is None:
        return None
    text = Related.configmap_text(related.configmap(ref.namespace, ref.name) or {}, ref.keys[0])
    if text is None:
        message = f"ConfigMap '{ref.name}' has no key '{ref.keys[0]}'; add it or fix spec.baseConfig.key"
        raise SpecError([{"path": f"{ref.path}.key", "message": message}])
    try:
        config = yaml.load(text, Loader=YamlLoader)
    except yaml.YAMLError:
        config = None
    if not isinstance(config, dict) or not isinstance(config.get("providers"), dict):
        message = f"ConfigMap '{ref.name}' key '{ref.keys[0]}' is not a config.yaml with a `providers` mapping"
        raise SpecError([{"path": ref.path, "message": message}])
    return config


def _referenced(spec: Spec) -> list[tuple[str, str, str]]:
    """(path, kind, name) of every Secret and ConfigMap of the parent's namespace the spec names."""
    found = [(ref.path, "Secret", ref.secret_name) for ref in spec.secret_refs]
    if spec.tls_secret_name:
        found.append(("spec.network.tls.secretName", "Secret", spec.tls_secret_name))
    refs = (spec.user_config, spec.ca_bundle, base_config_ref(spec))
    found += [(ref.path, "ConfigMap", ref.name) for ref in refs if ref is not None and ref.namespace == spec.namespace]
    found += [(source.path, source.kind, source.name) for source in spec.env_from]
    return found


def unlabelled(spec: Spec, related: Related) -> list[tuple[str, SpecProblem]]:
    """(Secret or ConfigMap, problem) for each reference the line's watch label is missing from
    (none where the line has no such rule)."""
    label = spec.line.watch_label
    if label is None:
        return []
    key, value = label
    problems: list[tuple[str, SpecProblem]] = []
    for path, kind, name in dict.fromkeys(_referenced(spec)):
        obj = (related.secret if kind == "Secret" else related.configmap)(spec.namespace, name)
        labels = ((obj or {}).get("metadata") or {}).get("labels") or {}
        if obj is not None and labels.get(key) != value:
            message = (
                f"{kind} '{spec.namespace}/{name}' lacks the label {key}: \"{value}\", which references need; "
                f"kubectl label {kind.lower()} {name} {key}={value}"
            )
            problems.append((kind, {"path": path, "message": message}))
    return problems
