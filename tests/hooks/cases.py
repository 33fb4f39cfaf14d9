"""Golden hook cases: request.json -> response.json under tests/golden/<case>/.

Requests are built here, several from the hook's own earlier answers fed back as observed
children (as Metacontroller does), so "running instance" cases are realistic. Regenerate all
with `make golden` (python -m tests.hooks.golden --regen) and read the diff like code.
Secret values are canaries that must never appear in any response.
"""

from __future__ import annotations

import copy
import itertools
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from hooks.app import create_app
from hooks.settings import Settings
from tests.generator.crs import VLLM, llsd, secret
from tests.support.metacontroller import sync_request
from tests.support.objects import canary_secret, configmap, settings
from tests.support.paths import load_sample, sample_names


def answer(request: dict[str, Any]) -> dict[str, Any]:
    response = create_app(settings()).test_client().post("/sync", json=request)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


class TickingClock:
    """A hook clock where each reading is one second after the previous one.

    A frozen clock cannot tell "keep lastTransitionTime" from "rewrite it on every sync" (both
    give the same string); with this one, a rewritten timestamp shows.
    """

    def __init__(self, start: datetime = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)) -> None:
        self._start = start
        self._ticks = itertools.count()
        self.last = ""

    def __call__(self) -> str:
        self.last = (self._start + timedelta(seconds=next(self._ticks))).strftime("%Y-%m-%dT%H:%M:%SZ")
        return self.last


def ticking_answer(clock: TickingClock) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """Like `answer`, on one app whose clock is `clock`, with no answer cache (every sync reads it)."""
    client = create_app(Settings(clock=clock, operator_version="0.1.0", answer_cache_seconds=0)).test_client()

    def post(request: dict[str, Any]) -> dict[str, Any]:
        response = client.post("/sync", json=request)
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()

    return post


def with_status(parent: dict[str, Any], response: dict[str, Any]) -> dict[str, Any]:
    parent = copy.deepcopy(parent)
    parent["status"] = response["status"]
    return parent


VLLM_SECRET = canary_secret("vllm-creds", "token")
MINIMAL = llsd({"providers": {"inference": VLLM}, "resources": {"models": ["llama-3"]}})
USER_CONFIG_TEXT = """\
version: 2
distro_name: mine
apis: [inference]
providers:
  inference:
  - provider_id: vllm
    provider_type: remote::vllm
    config: {base_url: "http://vllm:8000/v1"}
storage:
  backends:
    kv_default: {type: kv_sqlite, db_path: /.llama/kv.db}
    sql_default: {type: sql_sqlite, db_path: /.llama/sql.db}
  stores:
    metadata: {backend: kv_default, namespace: registry}
    inference: {backend: sql_default, table_name: inference_store}
    conversations: {backend: sql_default, table_name: openai_conversations}
    prompts: {backend: kv_default, namespace: prompts}
    connectors: {backend: kv_default, namespace: connectors}
"""
CA_PEM = """\
-----BEGIN CERTIFICATE-----
MIIBNzCB3qADAgECAgMBHV4wCgYIKoZIzj0EAwIwGjEYMBYGA1UEAwwPbGxzZC1l
eGFtcGxlLWNhMB4XDTI2MDEwMTAwMDAwMFoXDTM2MDEwMTAwMDAwMFowGjEYMBYG
A1UEAwwPbGxzZC1leGFtcGxlLWNhMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE
1Z3hLf1IT2H4iq4JynZfOum4sUP/Gt06TQz2MjBo72tNT4lb8Qs3z6iN4JE+h4fx
UPPnL+9I0yh3mZhsWTvCuKMTMBEwDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQD
AgNIADBFAiBWTir+pYrD1J2aVTMSyctvReHPkCgMLrGN0mksVplyawIhANqW6CQ9
GmnpwgO/BY1LlhIQekVfoG5YRWkFmSw1Rnw/
-----END CERTIFICATE-----
"""


def _minimal_running() -> dict[str, Any]:
    first = answer(sync_request(MINIMAL, [VLLM_SECRET]))
    return sync_request(with_status(MINIMAL, first), [VLLM_SECRET], first["children"])


def _changed(parent: dict[str, Any], change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    parent = copy.deepcopy(parent)
    change(parent["spec"])
    parent["metadata"]["generation"] = 2
    return parent


def _rollout(finished: bool, stuck: bool = False) -> dict[str, Any]:
    """The spec changed; the hook's new Deployment is observed mid-rollout or rolled out, or stuck
    (its new pods never became ready: the Deployment controller reports ProgressDeadlineExceeded)."""
    running = _minimal_running()
    changed = _changed(
        running["parent"], lambda s: s["server"]["providers"]["inference"].update(endpoint="http://vllm-2:8000/v1")
    )
    second = answer({**running, "parent": changed})
    observed = sync_request(
        with_status(changed, second), [VLLM_SECRET], second["children"], generation=2, deployment_ready=finished
    )
    if not finished:
        deployment = next(iter(observed["children"]["Deployment.apps/v1"].values()))
        deployment["spec"]["replicas"] = 2
        deployment["status"] = {
            "observedGeneration": 2,
            "replicas": 2,
            "updatedReplicas": 1,
            "readyReplicas": 1,
            "availableReplicas": 1,
        }
        if stuck:
            deployment["status"]["conditions"] = [
                {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"},
                {"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded"},
            ]
    return observed


def _hpa_scaled() -> dict[str, Any]:
    """Autoscaling on, and the HPA has scaled the running Deployment to 5: the answer keeps 5."""
    parent = llsd({"providers": {"inference": VLLM}, "autoscaling": {"maxReplicas": 8}}, replicas=3)
    first = answer(sync_request(parent, [VLLM_SECRET]))
    observed = sync_request(with_status(parent, first), [VLLM_SECRET], first["children"])
    deployment = next(iter(observed["children"]["Deployment.apps/v1"].values()))
    deployment["spec"]["replicas"] = 5
    deployment["status"].update(replicas=5, readyReplicas=5, availableReplicas=5, updatedReplicas=5)
    return observed


def _invalid_running() -> dict[str, Any]:
    """A running instance whose spec turns invalid: nothing may be deleted."""
    running = _minimal_running()
    return {
        **running,
        "parent": _changed(running["parent"], lambda s: s["server"]["providers"].update(inference=[VLLM, VLLM])),
    }


WITH_PVC = llsd({"providers": {"inference": VLLM}, "storage": {"size": "5Gi"}})


def _pvc_scaled_out() -> dict[str, Any]:
    """A running instance with a ReadWriteOnce PVC scaled to three replicas: refused, nothing deleted."""
    first = answer(sync_request(WITH_PVC, [VLLM_SECRET]))
    scaled = copy.deepcopy(with_status(WITH_PVC, first))
    scaled["spec"]["replicas"] = 3
    scaled["metadata"]["generation"] = 2
    return sync_request(scaled, [VLLM_SECRET], first["children"], generation=2)


PARENT_UID = "00000000-0000-4000-8000-000000000001"  # what sync_request gives every parent


def go_operator_child(kind: str, api_version: str, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    """An object the llama-stack Go operator left: its labels, no Metacontroller controller-uid, and
    no owner reference (Metacontroller released it: it lacked the label)."""
    return {
        "apiVersion": api_version,
        "kind": kind,
        "metadata": {
            "name": name,
            "namespace": "ai",
            "uid": f"go-operator-{name}",
            "labels": {"app.kubernetes.io/managed-by": "llama-stack-operator", "app.kubernetes.io/instance": "demo"},
        },
        "spec": spec,
    }


def _switched_from_go_operator() -> dict[str, Any]:
    """The Go operator's Deployment and PVC hold the names; the ServiceAccount is already ours."""
    ours = answer(sync_request(WITH_PVC, [VLLM_SECRET]))
    service_account = copy.deepcopy(next(c for c in ours["children"] if c["kind"] == "ServiceAccount"))
    service_account["metadata"]["labels"]["controller-uid"] = PARENT_UID
    service_account["metadata"]["ownerReferences"] = [
        {
            "apiVersion": "llamastack.io/v1alpha1",
            "kind": "LlamaStackDistribution",
            "name": "demo",
            "uid": PARENT_UID,
            "controller": True,
        }
    ]
    request = sync_request(WITH_PVC, [VLLM_SECRET], [service_account])
    request["related"].update(
        {
            "Deployment.apps/v1": {"ai/demo": go_operator_child("Deployment", "apps/v1", "demo", {"replicas": 1})},
            "PersistentVolumeClaim.v1": {
                "ai/demo-pvc": go_operator_child(
                    "PersistentVolumeClaim", "v1", "demo-pvc", {"accessModes": ["ReadWriteOnce"]}
                )
            },
            "ServiceAccount.v1": {"ai/demo-sa": service_account},
            "Service.v1": {},
        }
    )
    return request


EXTERNAL = llsd(
    {
        "providers": {"inference": VLLM},
        "externalProviders": {
            "inference": [{"providerId": "vllm", "image": "registry.example.com/vllm-plus:1"}],
            "toolRuntime": [{"providerId": "echo", "image": "registry.example.com/echo:1", "config": {"prefix": "hi"}}],
        },
    }
)


def _external_pod(statuses: list[dict[str, Any]]) -> dict[str, Any]:
    """A sync where the instance's pod (a related object, asked for by customize) shows `statuses`."""
    first = answer(sync_request(EXTERNAL, [VLLM_SECRET]))
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "demo-5d9f-abcde",
            "namespace": "ai",
            "creationTimestamp": "2026-01-01T00:00:00Z",
            "labels": {"app": "llama-stack", "app.kubernetes.io/instance": "demo"},
        },
        "status": {"initContainerStatuses": statuses},
    }
    request = sync_request(with_status(EXTERNAL, first), [VLLM_SECRET], first["children"], deployment_ready=False)
    request["related"]["Pod.v1"] = {"ai/demo-5d9f-abcde": pod}
    return request


DONE = {"terminated": {"exitCode": 0, "reason": "Completed"}}


def _external_install_failed() -> dict[str, Any]:
    failed = {"terminated": {"exitCode": 1, "reason": "Error", "message": "ERROR: Missing /lls-provider in image"}}
    return _external_pod(
        [{"name": "install-provider-vllm", "state": DONE}, {"name": "install-provider-echo", "state": failed}]
    )


def _external_api_mismatch() -> dict[str, Any]:
    """Both installs worked; the merge found a provider whose spec names another API."""
    mismatch = {
        "terminated": {
            "exitCode": 1,
            "reason": "Error",
            "message": "ERROR: Provider API type mismatch: Provider 'echo' (image: registry.example.com/echo:1) "
            "declares api=safety in lls-provider-spec.yaml",
        }
    }
    return _external_pod(
        [
            {"name": "install-provider-vllm", "state": DONE},
            {"name": "install-provider-echo", "state": DONE},
            {"name": "merge-config", "state": mismatch},
        ]
    )


# Every key of a Secret and a ConfigMap as env vars; the optional one may be missing.
ENV_FROM = [
    {"secretRef": {"name": "proxy-creds"}},
    {"configMapRef": {"name": "tuning"}, "prefix": "APP_"},
    {"configMapRef": {"name": "maybe", "optional": True}},
]


def _samples() -> dict[str, Callable[[], dict[str, Any]]]:
    found: dict[str, Callable[[], dict[str, Any]]] = {}
    for name in sample_names():
        parent, related = load_sample(name)
        found[f"sample-{name}"] = lambda parent=parent, related=related: sync_request(parent, related)
    return found


CASES: dict[str, Callable[[], dict[str, Any]]] = {
    "create-minimal": lambda: sync_request(MINIMAL, [VLLM_SECRET]),
    "steady-state-ready": _minimal_running,
    "missing-secret": lambda: sync_request(MINIMAL, []),
    "missing-secret-key": lambda: sync_request(MINIMAL, [canary_secret("vllm-creds", "other")]),
    "invalid-spec-no-children": lambda: sync_request(llsd({"providers": {"inference": [VLLM, VLLM]}}), [VLLM_SECRET]),
    "invalid-spec-running-children": _invalid_running,
    "user-config": lambda: sync_request(
        llsd({"userConfig": {"configMapName": "my-config"}}),
        [configmap("my-config", {"config.yaml": USER_CONFIG_TEXT})],
    ),
    "user-config-other-namespace-version-1": lambda: sync_request(
        llsd({"userConfig": {"configMapName": "shared", "configMapNamespace": "platform"}}),
        [
            configmap(
                "shared",
                {"run.yaml": USER_CONFIG_TEXT.replace("version: 2", "version: 1")},
                namespace="platform",
                shared_with="ai",
            )
        ],
    ),
    "user-config-other-namespace-not-shared": lambda: sync_request(
        llsd({"userConfig": {"configMapName": "shared", "configMapNamespace": "platform"}}),
        [configmap("shared", {"config.yaml": USER_CONFIG_TEXT}, namespace="platform", shared_with="other-team")],
    ),
    "user-config-missing": lambda: sync_request(llsd({"userConfig": {"configMapName": "nope"}}), []),
    "rollout-in-progress": lambda: _rollout(finished=False),
    "rollout-finished": lambda: _rollout(finished=True),
    "rollout-stuck": lambda: _rollout(finished=False, stuck=True),
    "hpa": lambda: sync_request(
        llsd(
            {
                "providers": {"inference": VLLM},
                "autoscaling": {"minReplicas": 2, "maxReplicas": 5, "targetCPUUtilizationPercentage": 70},
            },
            replicas=2,
        ),
        [VLLM_SECRET],
    ),
    "hpa-scaled": _hpa_scaled,
    "server-tls": lambda: sync_request(
        llsd({"providers": {"inference": VLLM}, "serverTLS": {"secretName": "demo-tls"}, "port": 8443}),
        [VLLM_SECRET, canary_secret("demo-tls", "tls.crt", "tls.key")],
    ),
    "postgres-storage": lambda: sync_request(
        llsd(
            {
                "providers": {"inference": VLLM},
                "configStorage": {"type": "postgres", "connectionString": secret("pg", "dsn")},
                "storage": {"size": "5Gi"},
            }
        ),
        [VLLM_SECRET, canary_secret("pg", "dsn")],
    ),
    "ca-bundle": lambda: sync_request(
        llsd(
            {
                "providers": {"inference": VLLM},
                "tlsConfig": {
                    "caBundle": {
                        "configMapName": "corp-ca",
                        "configMapNamespace": "platform",
                        "configMapKeys": ["root.pem"],
                    }
                },
            }
        ),
        [VLLM_SECRET, configmap("corp-ca", {"root.pem": CA_PEM}, namespace="platform", shared_with="team-b, ai")],
    ),
    # A placeholder ConfigMap with every key blank: no bundle and a warning, not a failure.
    "ca-bundle-empty": lambda: sync_request(
        llsd(
            {
                "providers": {"inference": VLLM},
                "tlsConfig": {"caBundle": {"configMapName": "corp-ca", "configMapKeys": ["root.pem", "extra.pem"]}},
            }
        ),
        [VLLM_SECRET, configmap("corp-ca", {"root.pem": "", "extra.pem": "  \n"})],
    ),
    "network-and-route": lambda: sync_request(
        llsd(
            {"providers": {"inference": VLLM}},
            network={"exposeRoute": True, "allowedFrom": {"namespaces": ["apps"], "labels": ["team"]}},
            replicas=3,
        ),
        [VLLM_SECRET],
    ),
    "external-providers": lambda: sync_request(EXTERNAL, [VLLM_SECRET]),
    "external-providers-install-failed": _external_install_failed,
    "external-providers-api-mismatch": _external_api_mismatch,
    "external-providers-duplicate": lambda: sync_request(
        llsd(
            {
                "providers": {"inference": VLLM},
                "externalProviders": {
                    "inference": [{"providerId": "mine", "image": "registry.example.com/a:1"}],
                    "safety": [{"providerId": "mine", "image": "registry.example.com/b:1"}],
                },
            }
        ),
        [VLLM_SECRET],
    ),
    "multi-replica-pod-local-state": lambda: sync_request(
        llsd({"providers": {"inference": VLLM}, "workers": 2}, replicas=3), [VLLM_SECRET]
    ),
    "multi-replica-user-config": lambda: sync_request(
        llsd({"userConfig": {"configMapName": "my-config"}}, replicas=2),
        [configmap("my-config", {"config.yaml": USER_CONFIG_TEXT})],
    ),
    "multi-replica-pvc-refused-running": _pvc_scaled_out,
    "switched-from-go-operator": _switched_from_go_operator,
    "env-from": lambda: sync_request(
        llsd({"providers": {"inference": VLLM}, "containerSpec": {"envFrom": ENV_FROM}}),
        [
            VLLM_SECRET,
            canary_secret("proxy-creds", "HTTPS_PROXY"),
            configmap("tuning", {"LLAMA_STACK_LOGGING": "all=info"}),
        ],
    ),
    "env-from-missing": lambda: sync_request(
        llsd({"providers": {"inference": VLLM}, "containerSpec": {"envFrom": ENV_FROM}}), [VLLM_SECRET]
    ),
    **_samples(),
}


WATCHED = {"ogx.io/watch": "true"}
OGX_SECRET = {**VLLM_SECRET, "metadata": {**VLLM_SECRET["metadata"], "labels": WATCHED}}
OGXSERVER: dict[str, Any] = {
    "apiVersion": "ogx.io/v1beta1",
    "kind": "OGXServer",
    "metadata": {"name": "demo", "namespace": "ai"},
    "spec": {
        "distribution": {"name": "starter"},
        "providers": {
            "inference": {
                "remote": {
                    "vllm": [
                        {
                            "id": "vllm",
                            "endpoint": "http://vllm.models:8000/v1",
                            "apiToken": {"name": "vllm-creds", "key": "token"},
                        }
                    ]
                }
            }
        },
        "resources": {"models": [{"name": "llama3", "provider": "vllm"}]},
    },
}
OGX_BASE = """version: 2
distro_name: house
apis: [inference]
providers:
  inference: []
"""


def _ogxserver_running() -> dict[str, Any]:
    first = answer(sync_request(OGXSERVER, [OGX_SECRET]))
    return sync_request(with_status(OGXSERVER, first), [OGX_SECRET], first["children"])


def _ogxserver_base_config() -> dict[str, Any]:
    parent = copy.deepcopy(OGXSERVER)
    parent["spec"]["distribution"] = {"image": "registry.example.com/house/ogx:1.5.0"}
    parent["spec"]["baseConfig"] = {"name": "house-base", "key": "config.yaml"}
    base = configmap("house-base", {"config.yaml": OGX_BASE})
    base["metadata"]["labels"] = WATCHED
    return sync_request(parent, [OGX_SECRET, base])


CASES.update(
    {
        "ogxserver-create": lambda: sync_request(OGXSERVER, [OGX_SECRET]),
        "ogxserver-steady-state-ready": _ogxserver_running,
        "ogxserver-unlabelled-secret": lambda: sync_request(OGXSERVER, [VLLM_SECRET]),
        "ogxserver-base-config-image": _ogxserver_base_config,
    }
)


def request_for(case: str) -> dict[str, Any]:
    return json.loads(json.dumps(CASES[case]()))
