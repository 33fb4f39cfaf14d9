"""POST /validate: AdmissionReview v1 bodies as the API server sends them, for both kinds; every
problem the generator finds without API access is a denial naming its field path, and its
warnings come back as admission warnings."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from hooks.app import create_app
from hooks.settings import Settings
from tests.generator.crs import VLLM, llsd
from tests.generator.ogx import OUR_SAMPLES, UPSTREAM_SAMPLES, ogxserver, ogxserver_documents
from tests.support.admission import review


@pytest.fixture
def client():
    # A bearer token guards /sync and /customize; the API server does not send it to /validate.
    return create_app(Settings(bearer_token="metacontroller-only")).test_client()


def answer(client, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/validate", json=body)
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    payload = response.get_json()
    assert (payload["apiVersion"], payload["kind"]) == ("admission.k8s.io/v1", "AdmissionReview")
    assert payload["response"]["uid"] == body["request"]["uid"]
    return payload["response"]


GOOD_LLSD = llsd({"distribution": {"name": "starter"}, "providers": {"inference": VLLM}})


def test_a_good_llsd_is_allowed_without_warnings(client):
    body = review(GOOD_LLSD)
    assert answer(client, body) == {"uid": body["request"]["uid"], "allowed": True}


def test_every_problem_of_an_llsd_is_denied_with_its_field_path(client):
    bad = llsd(
        {
            "distribution": {"name": "starter"},
            "providers": {
                "inference": [{"id": "a", "provider": "nope"}],
                "memory": {"provider": "faiss"},
            },
            "resources": {"models": [{"name": "m", "provider": "ghost"}]},
        }
    )
    response = answer(client, review(bad))
    assert response["allowed"] is False
    status = response["status"]
    assert (status["code"], status["reason"]) == (422, "Invalid")
    causes = {c["field"]: c["message"] for c in status["details"]["causes"]}
    assert causes["spec.server.providers.inference[0].provider"].startswith("unknown provider 'nope' for inference")
    assert "does not exist in llama-stack 0.7.3" in causes["spec.server.providers.memory"]
    assert all(c["reason"] == "FieldValueInvalid" for c in status["details"]["causes"])
    assert status["message"].startswith(f"{len(causes)} problem(s): ")
    assert "spec.server.providers.memory: the memory API does not exist" in status["message"]


def test_an_unknown_distribution_is_denied_with_the_list(client):
    response = answer(client, review(llsd({"distribution": {"name": "nope"}})))
    (cause,) = response["status"]["details"]["causes"]
    assert cause["field"] == "spec.server.distribution.name"
    assert cause["message"].startswith("unknown distribution 'nope'; valid names: nvidia, oci, open-benchmark,")


def test_a_model_naming_an_unknown_provider_is_denied_by_the_generators_own_check(client):
    cr = llsd({"providers": {"inference": VLLM}, "resources": {"models": [{"name": "m", "provider": "ghost"}]}})
    (cause,) = answer(client, review(cr))["status"]["details"]["causes"]
    assert cause["field"] == "spec.server.resources.models[0].provider"
    assert cause["message"].startswith("unknown inference provider 'ghost'; known ids: ")


def test_generator_warnings_are_admission_warnings(client):
    response = answer(client, review(llsd({"providers": {"inference": VLLM}, "disabled": ["telemetry"]})))
    assert response["allowed"] is True
    assert response["warnings"] == [
        "spec.server.disabled[0]: the telemetry API does not exist in llama-stack 0.7.3; nothing to disable"
    ]


def test_a_distribution_without_an_image_is_denied_unless_the_hook_overrides_it():
    cr = llsd({"distribution": {"name": "oci"}})
    plain = create_app(Settings()).test_client()
    (cause,) = answer(plain, review(cr))["status"]["details"]["causes"]
    assert cause["field"] == "spec.server.distribution.name"
    assert "LLSD_IMAGE_OVERRIDES" in cause["message"]
    overridden = create_app(Settings(image_overrides={"oci": "registry.local/oci:0.7.3"})).test_client()
    assert answer(overridden, review(cr))["allowed"] is True


def test_user_config_is_left_to_the_sync_which_can_read_the_configmap(client):
    cr = llsd({"distribution": {"name": "starter"}, "userConfig": {"configMapName": "mine"}})
    assert answer(client, review(cr))["allowed"] is True


def test_update_is_judged_and_delete_or_a_deleting_object_is_always_allowed(client):
    bad = llsd({"distribution": {"name": "nope"}})
    assert answer(client, review(bad, "UPDATE"))["allowed"] is False
    delete = review(bad, "DELETE")
    assert answer(client, delete) == {"uid": delete["request"]["uid"], "allowed": True}
    deleting = copy.deepcopy(bad)
    deleting["metadata"]["deletionTimestamp"] = "2026-12-04T16:00:00Z"
    assert answer(client, review(deleting, "UPDATE"))["allowed"] is True


def test_a_kind_the_hook_does_not_serve_is_allowed(client):
    other = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w", "namespace": "ai"}}
    assert answer(client, review(other))["allowed"] is True


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"apiVersion": "admission.k8s.io/v1beta1", "kind": "AdmissionReview"}, "expected an AdmissionReview"),
        ({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {}}, "request.uid is required"),
    ],
)
def test_a_malformed_review_is_a_400(client, body, message):
    response = client.post("/validate", json=body)
    assert response.status_code == 400
    assert message in response.get_json()["error"]


def test_no_secret_value_of_the_cr_is_echoed(client):
    cr = llsd(
        {
            "distribution": {"name": "nope"},
            "providers": {"inference": {**VLLM, "config": {"api_token": "sk-LITERAL-SECRET", "bogus": 1}}},
        }
    )
    response = client.post("/validate", json=review(cr))
    assert response.get_json()["response"]["allowed"] is False
    assert b"sk-LITERAL-SECRET" not in response.data


def test_pod_local_state_under_several_replicas_is_an_admission_warning(client):
    response = answer(client, review(llsd({"providers": {"inference": VLLM}, "workers": 2}, replicas=3)))
    assert response["allowed"] is True
    warnings = response["warnings"]
    assert any(w.startswith("spec.replicas: 3 pods run, but storage backends kv_default (kv_sqlite)") for w in warnings)
    assert any("vector_io providers faiss (inline::faiss)" in w and "pgvector" in w for w in warnings)
    assert any(w.startswith("spec.server.workers: 2 worker processes share the in-process indexes") for w in warnings)
    assert all(not w.endswith("...") for w in warnings), "each fits the admission warning size whole"


def test_a_read_write_once_pvc_under_an_autoscaler_is_denied_at_apply(client):
    cr = llsd({"providers": {"inference": VLLM}, "storage": {}, "autoscaling": {"maxReplicas": 3}})
    (cause,) = answer(client, review(cr))["status"]["details"]["causes"]
    assert cause["field"] == "spec.server.storage"
    assert cause["message"].startswith("spec.server.autoscaling.maxReplicas: up to 3 pods can run, but the PVC")


# --- OGXServer -----------------------------------------------------------------------------------

OGX_SAMPLES = {**ogxserver_documents(UPSTREAM_SAMPLES), **ogxserver_documents(OUR_SAMPLES)}


@pytest.mark.parametrize("name", sorted(OGX_SAMPLES))
def test_every_ogxserver_sample_is_allowed(client, name):
    assert answer(client, review(OGX_SAMPLES[name]))["allowed"] is True


def test_every_problem_of_an_ogxserver_is_denied_with_its_own_field_path(client):
    cr = ogxserver(
        providers={
            "inference": {
                "remote": {
                    "vllm": [{"endpoint": "http://a"}, {"endpoint": "http://b"}],
                    "custom": [{"id": "x", "type": "remote::nope"}],
                }
            }
        },
    )
    cr["spec"]["distribution"] = {"name": "nope"}
    causes = {c["field"]: c["message"] for c in answer(client, review(cr))["status"]["details"]["causes"]}
    assert causes["spec.distribution.name"].startswith("unknown distribution 'nope'; available distributions: ")
    assert causes["spec.providers.inference.remote.custom[0].type"].startswith("OGX 1.5.0 has no inference provider")
    assert causes["spec.providers.inference.remote.vllm[1].id"].endswith("give each instance its own id")


def test_an_api_ogx_removed_is_denied(client):
    (cause,) = answer(client, review(ogxserver(disabledAPIs=["safety"])))["status"]["details"]["causes"]
    assert cause["field"] == "spec.disabledAPIs[0]"
    assert cause["message"].startswith("must be one of: batches, file_processors, files, inference")


def test_the_pipelines_refusal_names_the_ogxserver_field(client):
    cr = ogxserver(resources={"models": [{"name": "m", "provider": "ghost"}]})
    (cause,) = answer(client, review(cr))["status"]["details"]["causes"]
    assert cause["field"] == "spec.resources.models[0].provider"
    assert cause["message"].startswith("unknown inference provider 'ghost'; known ids: ")


def test_ogxserver_generator_warnings_are_admission_warnings_with_its_field_paths(client):
    cr = ogxserver(workload={"replicas": 2})
    response = answer(client, review(cr))
    assert response["allowed"] is True
    assert response["warnings"][0].startswith("spec.workload.replicas: 2 pods run, but storage backends")
    assert "set spec.storage.sql.type: postgres" in response["warnings"][0]
