"""A multi-step life: the hook's answers are fed back as observed children, as Metacontroller
does (the Kubernetes API and Metacontroller cannot run here; this plays their part), with the
Deployment's status advanced between steps.

create -> ready; spec change -> new ConfigMap while the old stays until the rollout completes;
bad change -> nothing deleted, running config untouched, error in status; fix -> recovers.
"""

from __future__ import annotations

import copy
from typing import Any

from tests.hooks.cases import MINIMAL, VLLM_SECRET, WITH_PVC, TickingClock, answer, ticking_answer
from tests.support.metacontroller import Cluster, sync_request


def mounted_config(cluster: Cluster) -> str:
    deployment = next(c for c in cluster.children if c["kind"] == "Deployment")
    volumes = deployment["spec"]["template"]["spec"]["volumes"]
    return next(v["configMap"]["name"] for v in volumes if "configMap" in v)


def new_cluster() -> Cluster:
    return Cluster(MINIMAL, [VLLM_SECRET], answer)


def by_identity(children: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    """Metacontroller matches children by kind and name; their order means nothing."""
    return {(c["kind"], c["metadata"]["name"]): c for c in children}


def test_create_change_break_fix():
    cluster = new_cluster()

    first = cluster.sync()[1]
    assert first["status"]["phase"] == "Pending"
    original = cluster.names("ConfigMap")
    assert len(original) == 1

    cluster.ready = True
    ready = cluster.sync()[1]
    assert ready["status"]["phase"] == "Ready"
    assert "resyncAfterSeconds" not in ready
    assert cluster.sync()[1]["status"] == ready["status"], "an unchanged world must give an identical status"

    cluster.edit(lambda spec: spec["server"]["providers"]["inference"].update(endpoint="http://vllm-2:8000/v1"))
    cluster.sync()
    new = [n for n in cluster.names("ConfigMap") if n not in original]
    assert len(new) == 1
    assert mounted_config(cluster) == new[0]
    assert set(original) < set(cluster.names("ConfigMap")), "old ConfigMap must stay while pods still mount it"
    assert cluster.parent["status"]["phase"] == "Initializing"
    cluster.sync()  # still rolling out: still kept
    assert set(original) < set(cluster.names("ConfigMap"))

    cluster.ready = True
    cluster.sync()
    assert cluster.names("ConfigMap") == new, "rolled out: the old ConfigMap goes"
    assert cluster.parent["status"]["phase"] == "Ready"

    before = by_identity(cluster.children)
    cluster.edit(lambda spec: spec["server"]["providers"].update(inference={"provider": "nope"}))
    broken = cluster.sync()[1]
    assert by_identity(cluster.children) == before, "a bad spec must leave every child as it was"
    assert broken["status"]["phase"] == "Failed"
    validation = next(c for c in broken["status"]["conditions"] if c["type"] == "ValidationSucceeded")
    assert validation["status"] == "False"
    assert validation["message"].startswith("spec.server.providers.inference.provider: unknown provider 'nope'")
    assert broken["status"]["generatedConfigMap"] == new[0], "status names the config still running"

    cluster.edit(
        lambda spec: spec["server"]["providers"].update(
            inference=copy.deepcopy(MINIMAL["spec"]["server"]["providers"]["inference"])
        )
    )
    fixing = cluster.sync()[1]
    assert fixing["status"]["phase"] == "Initializing", "the fix rolls out the original config again"
    assert mounted_config(cluster) == original[0], "the original spec again: the original ConfigMap name again"
    assert set(cluster.names("ConfigMap")) == {original[0], new[0]}
    cluster.ready = True
    fixed = cluster.sync()[1]
    assert fixed["status"]["phase"] == "Ready"
    assert cluster.names("ConfigMap") == original


def test_status_timestamps_move_only_on_transitions():
    """With a clock that moves on every sync (a frozen one would pass a rewrite-every-sync bug)."""
    clock = TickingClock()
    cluster = Cluster(MINIMAL, [VLLM_SECRET], ticking_answer(clock))
    cluster.sync()
    pending = {c["type"]: c["lastTransitionTime"] for c in cluster.parent["status"]["conditions"]}
    cluster.ready = True
    cluster.sync()
    after = {c["type"]: c for c in cluster.parent["status"]["conditions"]}
    assert after["ValidationSucceeded"]["lastTransitionTime"] == pending["ValidationSucceeded"]
    assert after["DeploymentReady"]["status"] == "True"
    assert after["DeploymentReady"]["lastTransitionTime"] == clock.last != pending["DeploymentReady"]


def _config_hash(response: dict) -> str:
    deployment = next(c for c in response["children"] if c["kind"] == "Deployment")
    return deployment["spec"]["template"]["metadata"]["annotations"]["llamastack.io/config-hash"]


def test_editing_a_user_config_rolls_the_pods_whatever_its_key_and_namespace():
    """The pod template carries a hash of the user's config: an edit must change it."""
    from tests.generator.crs import llsd
    from tests.hooks.cases import USER_CONFIG_TEXT
    from tests.support.objects import configmap

    for namespace, key in (("ai", "config.yaml"), ("platform", "run.yaml")):
        parent = llsd({"userConfig": {"configMapName": "mine", "configMapNamespace": namespace}})
        before = answer(sync_request(parent, [configmap("mine", {key: USER_CONFIG_TEXT}, namespace, shared_with="ai")]))
        edited = USER_CONFIG_TEXT.replace("http://vllm:8000/v1", "http://vllm-2:8000/v1")
        after = answer(sync_request(parent, [configmap("mine", {key: edited}, namespace, shared_with="ai")]))
        assert _config_hash(before) != _config_hash(after), (namespace, key)


def _deployment(cluster: Cluster) -> dict[str, Any]:
    return next(c for c in cluster.children if c["kind"] == "Deployment")


def test_autoscaling_takes_over_the_running_replica_count():
    """Metacontroller's 3-way merge removes a field the last answer had and this one
    lacks, and the API server then defaults `spec.replicas` to 1. So with autoscaling on, the
    answer carries the replica count the Deployment runs with, whoever set it (the HPA does)."""
    from tests.generator.crs import VLLM, llsd

    cluster = Cluster(llsd({"providers": {"inference": VLLM}}, replicas=3), [VLLM_SECRET], answer)
    cluster.ready = True
    cluster.sync()
    assert _deployment(cluster)["spec"]["replicas"] == 3

    cluster.edit(lambda spec: spec["server"].update(autoscaling={"maxReplicas": 8}))
    cluster.ready = True
    cluster.sync()
    assert _deployment(cluster)["spec"]["replicas"] == 3, "turning autoscaling on scales nothing down"
    hpa = next(c for c in cluster.children if c["kind"] == "HorizontalPodAutoscaler")
    assert hpa["spec"]["minReplicas"] == 3
    assert hpa["spec"]["maxReplicas"] == 8

    _deployment(cluster)["spec"]["replicas"] = 5  # the HPA scales up through the scale subresource
    cluster.sync()
    assert _deployment(cluster)["spec"]["replicas"] == 5, "the HPA's count is carried, not reset"
    cluster.sync()
    assert _deployment(cluster)["spec"]["replicas"] == 5
    assert cluster.parent["status"]["phase"] == "Ready"

    cluster.edit(lambda spec: spec["server"].pop("autoscaling"))
    cluster.sync()
    assert _deployment(cluster)["spec"]["replicas"] == 3, "autoscaling off: the CR's replicas again"
    assert not cluster.names("HorizontalPodAutoscaler")


def test_a_new_autoscaled_instance_starts_at_the_autoscaler_floor():
    from tests.generator.crs import VLLM, llsd

    parent = llsd({"providers": {"inference": VLLM}, "autoscaling": {"minReplicas": 2, "maxReplicas": 4}})
    first = answer(sync_request(parent, [VLLM_SECRET]))
    deployment = next(c for c in first["children"] if c["kind"] == "Deployment")
    assert deployment["spec"]["replicas"] == 2


def test_scaling_out_an_instance_with_a_pvc_is_refused_and_keeps_it_running():
    """A ReadWriteOnce PVC attaches to one node: three replicas are refused, nothing is deleted
    (the PVC holds the data), and going back to one replica is simply Ready again."""
    cluster = Cluster(WITH_PVC, [VLLM_SECRET], answer)
    cluster.sync()
    cluster.ready = True
    assert cluster.sync()[1]["status"]["phase"] == "Ready"
    before = by_identity(cluster.children)

    cluster.edit(lambda spec: spec.update(replicas=3))
    refused = cluster.sync()[1]
    assert by_identity(cluster.children) == before, "the PVC and the running Deployment stay as they were"
    assert refused["status"]["phase"] == "Failed"
    validation = next(c for c in refused["status"]["conditions"] if c["type"] == "ValidationSucceeded")
    assert validation["message"].startswith(
        "spec.server.storage: spec.replicas: 3 pods run, but the PVC is ReadWriteOnce"
    )

    cluster.edit(lambda spec: spec.update(replicas=1))
    cluster.ready = True
    assert cluster.sync()[1]["status"]["phase"] == "Ready"
    assert by_identity(cluster.children) == before
