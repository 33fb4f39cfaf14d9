"""The sync hook: a v2 request in, the desired children and the parent's status out.

Safety first: Metacontroller deletes every owned child that a 200 answer leaves out.
So a bad spec, a missing Secret or a generation error answers with the children it observed,
as we last applied them, and the problem in status: the running instance keeps its last good
config. Only a fault of the hook itself is a 5xx (Metacontroller then changes nothing).

Steps: validate the spec, resolve what it references, build the children, answer; every answer
then passes the answer firewall (hooks/firewall.py) before it leaves.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from generator import (
    ConfigMapRef,
    GenerationResult,
    ServerLine,
    Spec,
    SpecError,
    SpecProblem,
    UserConfigReport,
    container_command,
    distribution_image,
    generate_spec,
    inspect_user_config,
)
from generator.layout import CONFIG_KEY
from generator.memo import canonical_key
from generator.naming import ingress_name
from hooks.baseconfig import base_config_ref, read_base_config, unlabelled
from hooks.built import BUILDS, Entry, dumps, dumps_plain
from hooks.children import build_children
from hooks.children.cabundle import ca_bundle_child
from hooks.children.configmap import content_hash, user_config_copy
from hooks.children.deployment import (
    PodPlan,
    observed_mounts,
    observed_replicas,
    rolled_out,
)
from hooks.children.restricted import pod_security_errors
from hooks.external_status import external_provider_status, external_providers_condition
from hooks.firewall import as_applied, check
from hooks.ownership import foreign_children, ownership_condition
from hooks.related import SHARED_WITH_ANNOTATION, Related
from hooks.request import HookRequest
from hooks.settings import Settings
from hooks.status import Condition, StatusReport, deployment_view, error_message, observed_image, route_url

USER_CONFIG_KEYS = (CONFIG_KEY, "run.yaml")
VALID = Condition("ValidationSucceeded", "True", "ValidationSucceeded", "spec is valid")
RESOLVED = Condition("SecretsResolved", "True", "SecretsResolved", "All secret references resolved successfully")


@dataclass
class SyncResult:
    """`body`, when set, is the answer's JSON as `json.dumps(response, separators=(",", ":"))`
    would write it (assembled from the memo's serialised children); `verified` are the ids of
    children the answer firewall already passed for this parent (hooks/built.py)."""

    response: dict[str, Any]
    outcome: str  # ok | invalid_spec | unresolved_references | config_error
    body: bytes | None = None
    verified: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Unresolved:
    """What the spec names but the request's `related` lacks.

    Secrets and ConfigMaps are reported apart: a missing ConfigMap is not a Secret problem, so
    `SecretsResolved` stays true for it and `ConfigReady` carries `ConfigMapNotFound`.
    """

    secret_reason: str  # SecretNotFound | SecretKeyNotFound, "" when every Secret key exists
    secret_errors: list[SpecProblem]
    configmap_errors: list[SpecProblem]


def observed_children(request: HookRequest) -> list[dict[str, Any]]:
    return [as_applied(obj) for group in sorted(request.children) for _, obj in sorted(request.children[group].items())]


def _observed_deployment(request: HookRequest) -> dict[str, Any] | None:
    return request.observed("Deployment.apps/v1").get(f"{request.namespace}/{request.name}")


def _configmap_missing(ref: ConfigMapRef, namespace: str) -> str:
    """One message for a ConfigMap in another namespace whether it is missing or does not consent:
    a tenant learns nothing about objects outside their namespace."""
    if ref.namespace == namespace:
        return f"ConfigMap '{ref.namespace}/{ref.name}' not found; create it or fix the name"
    return (
        f"ConfigMap '{ref.namespace}/{ref.name}' not found or not shared with namespace '{namespace}': "
        f"copy it into '{namespace}', or ask its owner to annotate it {SHARED_WITH_ANNOTATION}: {namespace}"
    )


def unresolved_references(spec: Spec, related: Related) -> Unresolved | None:
    """Every Secret key and ConfigMap the spec names must exist before anything changes."""
    missing_secret: list[SpecProblem] = []
    missing_key: list[SpecProblem] = []
    for ref in spec.secret_refs:
        secret = related.secret(spec.namespace, ref.secret_name)
        if secret is not None and related.secret_has_key(secret, ref.key):
            continue
        where = f"Secret '{spec.namespace}/{ref.secret_name}'"
        if secret is None:
            missing_secret.append({"path": ref.path, "message": f"{where} not found; create it"})
        else:
            missing_key.append(
                {"path": ref.path, "message": f"key '{ref.key}' not found in {where}; add it or fix secretKeyRef.key"}
            )
    if spec.tls_secret_name:
        where = f"TLS Secret '{spec.namespace}/{spec.tls_secret_name}'"
        secret = related.secret(spec.namespace, spec.tls_secret_name)
        path = "spec.server.serverTLS.secretName"
        if secret is None:
            missing_secret.append({"path": path, "message": f"{where} not found; create it (type kubernetes.io/tls)"})
        else:
            missing_key += [
                {"path": path, "message": f"key '{key}' not found in {where}"}
                for key in ("tls.crt", "tls.key")
                if not related.secret_has_key(secret, key)
            ]
    missing_configmaps: list[SpecProblem] = [
        {"path": ref.path, "message": _configmap_missing(ref, spec.namespace)}
        for ref in (spec.user_config, spec.ca_bundle, base_config_ref(spec))
        if ref is not None and related.configmap(ref.namespace, ref.name) is None
    ]
    for source in spec.env_from:  # `optional: true` ones may be missing: Kubernetes starts the pod anyway
        is_secret = source.kind == "Secret"
        found = (related.secret if is_secret else related.configmap)(spec.namespace, source.name)
        if found is None and not source.optional:
            message = f"{source.kind} '{spec.namespace}/{source.name}' not found; create it, fix the name or mark "
            (missing_secret if is_secret else missing_configmaps).append(
                {"path": source.path, "message": message + "the envFrom entry optional"}
            )
    for kind, problem in unlabelled(spec, related):
        (missing_secret if kind == "Secret" else missing_configmaps).append(problem)
    if not (missing_secret or missing_key or missing_configmaps):
        return None
    reason = "SecretNotFound" if missing_secret else "SecretKeyNotFound" if missing_key else ""
    return Unresolved(reason, missing_secret + missing_key, missing_configmaps)


@dataclass
class Built:
    children: list[dict[str, Any]]
    config_map: str | None
    result: GenerationResult | None
    warnings: list[str]
    provider_count: int | None = None
    resource_count: int | None = None


@dataclass(frozen=True)
class UserConfig:
    """The userConfig escape hatch: what to mount, and what its text says."""

    config_map: str  # the user's ConfigMap, or its copy in the LLSD's namespace
    key: str
    text: str
    report: UserConfigReport
    copies: list[dict[str, Any]]


def _user_config(spec: Spec, related: Related) -> UserConfig:
    """The user's ConfigMap is mounted as it is; edits roll the pods through the content hash."""
    ref = spec.user_config
    assert ref is not None
    source = related.configmap(ref.namespace, ref.name) or {}
    key = next((k for k in USER_CONFIG_KEYS if Related.configmap_text(source, k) is not None), None)
    if key is None:
        raise SpecError([{"path": ref.path, "message": f"ConfigMap '{ref.name}' has no config.yaml or run.yaml key"}])
    text = Related.configmap_text(source, key) or ""
    report = inspect_user_config(text, spec)
    if ref.namespace == spec.namespace:
        return UserConfig(ref.name, key, text, report, [])
    copy = user_config_copy(spec.name, spec.namespace, spec.line, text)
    return UserConfig(copy["metadata"]["name"], CONFIG_KEY, text, report, [copy])


def build(spec: Spec, request: HookRequest, related: Related, settings: Settings) -> Built:
    """The children for a valid spec. Memoised (hooks/built.py): whatever this comes to read
    from the request, related objects or settings must be part of that memo's key."""
    ca_child, ca_hash, ca_warnings = ca_bundle_child(spec, related)
    base = read_base_config(spec, related)
    extra = [ca_child] if ca_child else []
    image = spec.distribution_image or distribution_image(
        spec.line, spec.distribution_name or "", settings.image_overrides
    )
    result: GenerationResult | None = None
    hashes = [ca_hash]
    provider_count = resource_count = None
    if spec.user_config is not None:
        user = _user_config(spec, related)
        extra += user.copies
        hashes.append(content_hash({user.key: user.text}))
        config_map, warnings = user.config_map, user.report.warnings
        provider_count, resource_count = user.report.provider_count, 0
        plan = PodPlan(image=image, command=container_command(spec), config_map=config_map, config_key=user.key)
    elif spec.distribution_name is None and base is None:  # an image of the user's with its own config
        config_map, warnings = None, []
        plan = PodPlan(image=image, command=None)
    else:
        try:
            result = request.kind.generate(request.parent) if base is None else generate_spec(spec, base)
        except SpecError as err:
            raise request.kind.errors(err) from None
        config_map, warnings = result.configmap_name, list(result.warnings)
        provider_count, resource_count = result.provider_count, result.resource_count
        plan = PodPlan(image=image, command=result.command, secret_env=result.env, config_map=config_map)
    plan = replace(
        plan,
        observed_replicas=observed_replicas(_observed_deployment(request)),
        has_ca_bundle=ca_child is not None,
        model_hub_offline=settings.model_hub_offline,
        run_as_user=settings.run_as_user,
        content_hash=content_hash({str(i): h for i, h in enumerate(hashes) if h}) if any(hashes) else None,
    )
    children = build_children(spec, plan, result, settings.default_network_policy, settings.exposure) + extra
    pod = next(c for c in children if c["kind"] == "Deployment")["spec"]["template"]["spec"]
    overrides = len((spec.server.get("podOverrides") or {}).get("volumes") or [])
    errors = pod_security_errors(pod, overrides)
    if errors:  # e.g. a hostPath volume in podOverrides: refused, the running pods stay
        raise SpecError(errors)
    return Built(children, config_map, result, ca_warnings + warnings, provider_count, resource_count)


def _keep_mounted_configmaps(
    request: HookRequest, wanted: frozenset[str], mounted: set[str], finished: bool
) -> list[dict[str, Any]]:
    """Metacontroller deletes undesired children before it updates the others, so a ConfigMap the
    running pods mount (`mounted` by the observed Deployment's template: an older generated config,
    the copy of a userConfig, the CA bundle) stays desired while that template mounts it or its
    rollout is unfinished (old pods may still run, and be restarted, with it); then it goes.
    `wanted`: the names of the desired ConfigMaps.
    """
    return [
        as_applied(obj)
        for _, obj in sorted(request.observed("ConfigMap.v1").items())
        if obj["metadata"]["name"] not in wanted and (obj["metadata"]["name"] in mounted or not finished)
    ]


def _container_name(spec: Spec | None, line: ServerLine) -> str:
    return ((spec.server.get("containerSpec") or {}).get("name") if spec else None) or line.container_name


def _failure(
    request: HookRequest, settings: Settings, conditions: list[Condition], outcome: str, spec: Spec | None
) -> SyncResult:
    observed = _observed_deployment(request)
    view = deployment_view(observed, rolled_out(observed))
    previous = (request.parent.get("status") or {}) if isinstance(request.parent.get("status"), dict) else {}
    line = request.kind.line
    report = StatusReport(
        line=line,
        image=observed_image(observed, _container_name(spec, line)),
        phase="Failed",
        conditions=[*conditions, view.condition()],
        deployment=view,
        operator_version=settings.operator_version,
        spec=spec,
        config_map=observed_mounts(observed)[0],
        previous_generation=previous.get("configGeneration")
        if isinstance(previous.get("configGeneration"), dict)
        else None,
    )
    response = {
        "status": report.render(request.parent, settings.clock()),
        "children": observed_children(request),
        "resyncAfterSeconds": settings.resync_seconds,
    }
    return SyncResult(response, outcome)


def _invalid_spec(err: SpecError) -> list[Condition]:
    return [
        Condition("ValidationSucceeded", "False", "ValidationFailed", error_message(err.errors)),
        Condition("SecretsResolved", "Unknown", "ValidationFailed", "not checked: the spec is invalid"),
        Condition("ConfigReady", "False", "ValidationFailed", "no config generated: the spec is invalid"),
    ]


def _unresolved(unresolved: Unresolved) -> list[Condition]:
    secrets = RESOLVED
    config = Condition(
        "ConfigReady", "False", unresolved.secret_reason, "no config generated: a referenced Secret is missing"
    )
    if unresolved.secret_errors:
        secrets = Condition(
            "SecretsResolved", "False", unresolved.secret_reason, error_message(unresolved.secret_errors)
        )
    if unresolved.configmap_errors:
        config = Condition("ConfigReady", "False", "ConfigMapNotFound", error_message(unresolved.configmap_errors))
    return [VALID, secrets, config]


def _generation_failed(err: SpecError | LookupError) -> list[Condition]:
    errors: list[SpecProblem] = (
        err.errors if isinstance(err, SpecError) else [{"path": "spec.server.distribution", "message": str(err)}]
    )
    return [VALID, RESOLVED, Condition("ConfigReady", "False", "ConfigGenerationFailed", error_message(errors))]


CONFIG_GENERATED = Condition("ConfigReady", "True", "ConfigGenerated", "Configuration generated successfully")
OWN_CONFIG = {
    reason: Condition("ConfigReady", "True", reason, "the server runs the user's own config")
    for reason in ("UserConfig", "ImageConfig")
}


def _config_ready(spec: Spec, built: Built) -> Condition:
    if built.result is not None:
        return CONFIG_GENERATED
    return OWN_CONFIG["UserConfig" if spec.user_config else "ImageConfig"]


def _healthy(
    request: HookRequest, settings: Settings, spec: Spec, entry: Entry, observed: dict[str, Any] | None
) -> SyncResult:
    """The answer for a spec that generated: the new children, the ConfigMaps the running pods
    (of the `observed` Deployment) still mount, and the status of what was observed."""
    built = entry.built
    in_use, mounted = observed_mounts(observed)
    finished = rolled_out(observed)
    kept = _keep_mounted_configmaps(request, entry.configmap_names, mounted, finished)
    view = deployment_view(observed, finished and in_use == built.config_map)
    external = external_provider_status(request, spec)
    extra = [external_providers_condition(external), ownership_condition(foreign_children(request, entry.child_keys))]
    report = StatusReport(
        line=spec.line,
        image=observed_image(observed, _container_name(spec, spec.line)),
        # A name taken by an object that is not ours blocks the hook's child until someone acts.
        phase="Failed" if extra[1] else view.phase(),
        conditions=[
            VALID,
            RESOLVED,
            _config_ready(spec, built),
            view.condition(),
            *[condition for condition in extra if condition],
        ],
        deployment=view,
        operator_version=settings.operator_version,
        spec=spec,
        config_map=built.config_map,
        provider_count=built.provider_count,
        resource_count=built.resource_count,
        warnings=built.warnings,
        external_providers=external,
        route_url=route_url(
            spec, request.observed("Ingress.networking.k8s.io/v1").get(f"{spec.namespace}/{ingress_name(spec.name)}")
        ),
    )
    response: dict[str, Any] = {
        "status": report.render(request.parent, settings.clock()),
        "children": built.children + kept,
    }
    body = [b'{"status":', dumps_plain(response["status"]), b',"children":[', entry.encoded]
    body += [b"," + dumps(child) for child in kept]
    body.append(b"]")
    if report.phase != "Ready":
        response["resyncAfterSeconds"] = settings.resync_seconds
        body += [b',"resyncAfterSeconds":', dumps(settings.resync_seconds)]
    body.append(b"}")
    return SyncResult(response, "ok", b"".join(body), entry.verified)


def _answer(request: HookRequest, settings: Settings) -> SyncResult:
    """Validate, resolve references, build; the first step that fails answers with the observed
    children and says why in status."""
    related = Related(request, settings.allow_cross_namespace_refs)
    identity = canonical_key(request.parent)  # parse_spec's memo key, and the build memo's
    try:
        spec = request.kind.parse.keyed(identity, request.parent)  # type: ignore[attr-defined]
    except SpecError as err:
        return _failure(request, settings, _invalid_spec(err), "invalid_spec", None)
    unresolved = unresolved_references(spec, related)
    if unresolved is not None:
        return _failure(request, settings, _unresolved(unresolved), "unresolved_references", spec)
    observed = _observed_deployment(request)
    try:
        entry = BUILDS.get(
            identity,
            spec,
            request,
            related,
            settings,
            observed_replicas(observed),
            lambda: build(spec, request, related, settings),
        )
    except (SpecError, LookupError) as err:
        return _failure(request, settings, _generation_failed(err), "config_error", spec)
    return _healthy(request, settings, spec, entry, observed)


def sync(request: HookRequest, settings: Settings) -> SyncResult:
    """The answer to one sync request, after the answer firewall (raises FirewallViolation)."""
    result = _answer(request, settings)
    check(request.parent, result.response, result.verified)
    return result
