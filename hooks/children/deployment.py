"""The server Deployment, as upstream builds it (names, env order, volumes) plus:
readiness and liveness probes, a content-hash annotation for user config and CA bundle changes,
`Recreate` with a PVC, the observed replica count under an HPA, no service-account token, and
Pod Security "restricted" for the pod and every container (restricted.py).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from generator import Spec
from generator.layout import (
    CA_BUNDLE_DIR,
    CA_BUNDLE_KEY,
    CA_BUNDLE_PATH,
    CONFIG_KEY,
    EXTERNAL_DIR,
    EXTERNAL_PACKAGES_DIR,
    FINAL_CONFIG_DIR,
    FINAL_CONFIG_PATH,
    HEALTH_PATH,
)
from generator.naming import ca_bundle_name, deployment_name, pvc_name, service_account_name
from hooks.children.external_init import install_command, merge_command
from hooks.children.hpa import min_replicas
from hooks.children.labels import metadata, selector_labels
from hooks.children.restricted import (
    HOME_DIR,
    container_security_context,
    pod_security_context,
    writable_mounts,
    writable_volumes,
)
from hooks.settings import DEFAULT_RUN_AS_USER

# What Hugging Face's libraries read to load only from the local cache (HF_HOME, the storage
# mount) and never reach a model hub: huggingface_hub (sentence-transformers' downloads),
# transformers and datasets.
MODEL_HUB_OFFLINE_ENV = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE")
CONFIG_VOLUME = "llama-stack-config"  # the same on both lines: observed Deployments are read by it


@dataclass(frozen=True)
class PodPlan:
    """What the sync decided for the pod; the Deployment is a function of it and the spec."""

    image: str
    command: list[str] | None  # None: the image's own entrypoint (distribution.image, no config)
    secret_env: list[dict[str, Any]] = field(default_factory=list)
    config_map: str | None = None  # ConfigMap holding config.yaml (generated or user's)
    config_key: str = CONFIG_KEY  # its key (a user's may be run.yaml)
    has_ca_bundle: bool = False
    content_hash: str | None = None  # of user config / CA bundle data: edits roll the pods
    model_hub_offline: bool = False  # the installation is air-gapped
    observed_replicas: int | None = None  # the running Deployment's spec.replicas (an HPA's choice)
    run_as_user: int | None = DEFAULT_RUN_AS_USER  # None: the platform assigns one (restricted.py)


def _env(spec: Spec, plan: PodPlan) -> list[dict[str, Any]]:
    server = spec.server
    external = bool(spec.external_providers)
    own_env = copy.deepcopy(server["containerSpec"].get("env") or [])
    env: list[dict[str, Any]] = [
        {"name": "HF_HOME", "value": spec.storage_mount_path},
        {"name": "HOME", "value": HOME_DIR},  # a writable emptyDir: the root filesystem is read-only
    ]
    if plan.model_hub_offline:  # a CR's own value for one of them (e.g. "0") wins
        named = {item.get("name") for item in own_env}
        env += [{"name": name, "value": "1"} for name in MODEL_HUB_OFFLINE_ENV if name not in named]
    if plan.has_ca_bundle:
        env.append({"name": "SSL_CERT_FILE", "value": CA_BUNDLE_PATH})
    line = spec.line
    env.append({"name": line.workers_env, "value": str(server.get("workers") or 1)})
    env.append({"name": line.port_env, "value": str(spec.port)})
    if plan.config_map is not None:
        env.append({"name": line.config_env, "value": FINAL_CONFIG_PATH if external else line.config_path})
    elif line.image_port_env != line.port_env:  # the image's own entrypoint reads the port from here
        env.append({"name": line.image_port_env, "value": str(spec.port)})
    if external:
        env.append({"name": "PYTHONPATH", "value": EXTERNAL_PACKAGES_DIR})
    env += plan.secret_env
    env += own_env
    return env


def _resources(spec: Spec) -> dict[str, Any]:
    workers = spec.server.get("workers")
    resources = copy.deepcopy(spec.server["containerSpec"].get("resources") or {})
    requests = resources.setdefault("requests", {})
    requests.setdefault("cpu", str(workers or 1))
    requests.setdefault("memory", "1Gi")
    if workers:
        limits = resources.setdefault("limits", {})
        limits.setdefault("cpu", requests["cpu"])
        limits.setdefault("memory", requests["memory"])
    return resources


def _probe(spec: Spec, **timing: int) -> dict[str, Any]:
    scheme = "HTTPS" if spec.tls_secret_name else "HTTP"
    return {"httpGet": {"path": HEALTH_PATH, "port": spec.port, "scheme": scheme}, **timing}


def _volumes_and_mounts(spec: Spec, plan: PodPlan) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    mount_path = spec.storage_mount_path
    storage = (
        {"name": "lls-storage", "persistentVolumeClaim": {"claimName": pvc_name(spec.name)}}
        if spec.server.get("storage")
        else {"name": "lls-storage", "emptyDir": {}}
    )
    volumes = [storage, *writable_volumes()]
    mounts = [{"name": "lls-storage", "mountPath": mount_path}, *writable_mounts()]
    if plan.config_map is not None:
        source = {"name": plan.config_map, "items": [{"key": plan.config_key, "path": CONFIG_KEY}]}
        volumes.append({"name": CONFIG_VOLUME, "configMap": source})
        mounts.append({"name": CONFIG_VOLUME, "mountPath": spec.line.config_dir, "readOnly": True})
    if spec.tls_secret_name:
        volumes.append({"name": "tls", "secret": {"secretName": spec.tls_secret_name}})
        mounts.append({"name": "tls", "mountPath": spec.line.tls_dir, "readOnly": True})
    if plan.has_ca_bundle:
        items = [{"key": CA_BUNDLE_KEY, "path": CA_BUNDLE_KEY}]
        volumes.append({"name": "ca-bundle", "configMap": {"name": ca_bundle_name(spec.name), "items": items}})
        mounts.append({"name": "ca-bundle", "mountPath": CA_BUNDLE_DIR, "readOnly": True})
    if spec.external_providers:
        size = spec.server["externalProviders"]["volumeSizeLimit"]
        volumes.append({"name": "external-providers", "emptyDir": {"sizeLimit": size}})
        volumes.append({"name": "final-config", "emptyDir": {}})
        mounts.append({"name": "external-providers", "mountPath": EXTERNAL_DIR, "readOnly": True})
        mounts.append({"name": "final-config", "mountPath": FINAL_CONFIG_DIR, "readOnly": True})
    overrides = spec.server.get("podOverrides") or {}
    volumes += copy.deepcopy(overrides.get("volumes") or [])
    mounts += copy.deepcopy(overrides.get("volumeMounts") or [])
    return volumes, mounts


def _init_containers(spec: Spec, plan: PodPlan) -> list[dict[str, Any]]:
    """Install each external provider from its image, then merge them into the final config."""
    if not spec.external_providers:
        return []
    installs = [
        {
            "name": provider.init_container_name,
            "image": provider.image,
            "imagePullPolicy": provider.image_pull_policy,
            "command": install_command(provider),
            "env": [{"name": "HOME", "value": HOME_DIR}],
            "securityContext": container_security_context(),
            "volumeMounts": [{"name": "external-providers", "mountPath": EXTERNAL_DIR}, *writable_mounts()],
        }
        for provider in spec.external_providers
    ]
    merge = {
        "name": "merge-config",
        "image": plan.image,
        "command": merge_command(spec.external_providers),
        "env": [{"name": "HOME", "value": HOME_DIR}],
        "securityContext": container_security_context(),
        "volumeMounts": [
            {"name": "external-providers", "mountPath": EXTERNAL_DIR, "readOnly": True},
            {"name": CONFIG_VOLUME, "mountPath": spec.line.config_dir, "readOnly": True},
            {"name": "final-config", "mountPath": FINAL_CONFIG_DIR},
            *writable_mounts(),
        ],
    }
    return [*installs, merge]


def _scheduling(spec: Spec) -> dict[str, Any]:
    """Spread replicas across zones and nodes unless the user said how (upstream defaults)."""
    replicas = spec.raw["replicas"]
    scheduling: dict[str, Any] = {}
    constraints = spec.server.get("topologySpreadConstraints")
    selector = {"matchLabels": {"app.kubernetes.io/instance": spec.name}}
    if constraints:
        scheduling["topologySpreadConstraints"] = copy.deepcopy(constraints)
    elif replicas > 1:
        scheduling["topologySpreadConstraints"] = [
            {"maxSkew": 1, "topologyKey": key, "whenUnsatisfiable": "ScheduleAnyway", "labelSelector": selector}
            for key in ("topology.kubernetes.io/region", "topology.kubernetes.io/zone", "kubernetes.io/hostname")
        ]
    if replicas > 1:
        term = {"labelSelector": selector, "topologyKey": "kubernetes.io/hostname"}
        scheduling["affinity"] = {
            "podAntiAffinity": {
                "preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 100, "podAffinityTerm": term}]
            }
        }
    return scheduling


def deployment(spec: Spec, plan: PodPlan) -> dict[str, Any]:
    container_spec = spec.server["containerSpec"]
    overrides = spec.server.get("podOverrides") or {}
    volumes, mounts = _volumes_and_mounts(spec, plan)
    container: dict[str, Any] = {
        "name": container_spec.get("name") or spec.line.container_name,
        "image": plan.image,
        "ports": [{"name": "http", "containerPort": spec.port, "protocol": "TCP"}],
        "env": _env(spec, plan),
        "resources": _resources(spec),
        "startupProbe": _probe(spec, periodSeconds=5, timeoutSeconds=5, failureThreshold=60),
        "readinessProbe": _probe(spec, periodSeconds=10, timeoutSeconds=5, failureThreshold=3),
        "livenessProbe": _probe(spec, periodSeconds=20, timeoutSeconds=5, failureThreshold=3),
        "volumeMounts": mounts,
        "securityContext": container_security_context(),
    }
    command = container_spec.get("command") or plan.command
    if container_spec.get("envFrom"):
        container["envFrom"] = copy.deepcopy(container_spec["envFrom"])
    if command:
        container["command"] = list(command)
    if container_spec.get("args"):
        container["args"] = list(container_spec["args"])
    pod_spec: dict[str, Any] = {
        "serviceAccountName": overrides.get("serviceAccountName") or service_account_name(spec.name),
        "automountServiceAccountToken": False,
        "securityContext": pod_security_context(plan.run_as_user),
        "containers": [container],
        "volumes": volumes,
        **_scheduling(spec),
    }
    init_containers = _init_containers(spec, plan)
    if init_containers:
        pod_spec["initContainers"] = init_containers
    if "terminationGracePeriodSeconds" in overrides:
        pod_spec["terminationGracePeriodSeconds"] = overrides["terminationGracePeriodSeconds"]
    template_metadata: dict[str, Any] = {"labels": selector_labels(spec.name, spec.line)}
    if plan.content_hash:
        template_metadata["annotations"] = {spec.line.config_hash_annotation: plan.content_hash}
    deployment_spec: dict[str, Any] = {
        "selector": {"matchLabels": selector_labels(spec.name, spec.line)},
        "template": {"metadata": template_metadata, "spec": pod_spec},
    }
    if not spec.server.get("autoscaling"):
        deployment_spec["replicas"] = spec.raw["replicas"]
    else:  # the HPA owns the count: carry what runs (dropping the field would reset it to 1)
        replicas = plan.observed_replicas
        deployment_spec["replicas"] = min_replicas(spec) if replicas is None else replicas
    if spec.server.get("storage"):  # a ReadWriteOnce volume cannot be shared by old and new pods
        deployment_spec["strategy"] = {"type": "Recreate"}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": metadata(deployment_name(spec.name), spec.namespace, spec.name, spec.line),
        "spec": deployment_spec,
    }


def _configmap_volumes(observed: dict[str, Any] | None) -> list[tuple[str, str]]:
    """(volume name, ConfigMap name) of every ConfigMap volume of an observed pod template."""
    volumes = ((((observed or {}).get("spec") or {}).get("template") or {}).get("spec") or {}).get("volumes") or []
    found = []
    for volume in volumes:  # a loop, not a comprehension over three lookups: read on every sync
        config_map = volume.get("configMap") if isinstance(volume, dict) else None
        if isinstance(config_map, dict) and config_map.get("name"):
            found.append((str(volume.get("name")), str(config_map["name"])))
    return found


def observed_mounts(observed: dict[str, Any] | None) -> tuple[str | None, set[str]]:
    """The config ConfigMap an observed Deployment's pod template mounts (the one in use), and
    every ConfigMap it mounts: one walk of its volumes."""
    volumes = _configmap_volumes(observed)
    return next((name for volume, name in volumes if volume == CONFIG_VOLUME), None), {name for _, name in volumes}


def observed_replicas(observed: dict[str, Any] | None) -> int | None:
    """The replica count an observed Deployment asks for, when it states a sane one."""
    replicas = ((observed or {}).get("spec") or {}).get("replicas")
    return replicas if isinstance(replicas, int) and not isinstance(replicas, bool) and replicas >= 0 else None


def rolled_out(observed: dict[str, Any] | None) -> bool:
    """Every replica runs the current template: no old pod needs an old ConfigMap any more."""
    if not observed:
        return True
    status = observed.get("status") or {}
    wanted = (observed.get("spec") or {}).get("replicas", 1)
    generation = (observed.get("metadata") or {}).get("generation", 0)
    done: bool = (
        status.get("observedGeneration", 0) >= generation
        and status.get("updatedReplicas", 0) >= wanted
        and status.get("replicas", 0) <= status.get("updatedReplicas", 0)
        and status.get("availableReplicas", 0) >= wanted
    )
    return done
