"""Air-gapped clusters: with LLSD_MODEL_HUB_OFFLINE the pods load models only from the local
Hugging Face cache (HF_HOME, the storage mount), and a CR may still say otherwise in its env."""

from __future__ import annotations

from typing import Any

import pytest

from hooks.app import create_app
from hooks.settings import Settings
from tests.generator.crs import VLLM, llsd
from tests.hooks.cases import VLLM_SECRET
from tests.support.metacontroller import sync_request
from tests.support.objects import NOW

OFFLINE = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}


def container_env(parent: dict[str, Any], settings: Settings) -> list[dict[str, Any]]:
    response = create_app(settings).test_client().post("/sync", json=sync_request(parent, [VLLM_SECRET]))
    assert response.status_code == 200
    deployment = next(c for c in response.get_json()["children"] if c["kind"] == "Deployment")
    return deployment["spec"]["template"]["spec"]["containers"][0]["env"]


def test_the_installation_setting_sets_every_offline_switch_once():
    env = container_env(llsd({"providers": {"inference": VLLM}}), Settings(model_hub_offline=True, clock=lambda: NOW))
    values = {e["name"]: e.get("value") for e in env}
    assert {name: values.get(name) for name in OFFLINE} == OFFLINE
    assert [e["name"] for e in env].index("HF_HOME") < [e["name"] for e in env].index("HF_HUB_OFFLINE")
    assert len({e["name"] for e in env}) == len(env), "no variable twice"


def test_a_cr_s_own_value_wins_and_is_not_duplicated():
    own = [{"name": "HF_HUB_OFFLINE", "value": "0"}]
    env = container_env(
        llsd({"providers": {"inference": VLLM}, "containerSpec": {"env": own}}),
        Settings(model_hub_offline=True, clock=lambda: NOW),
    )
    assert [e for e in env if e["name"] == "HF_HUB_OFFLINE"] == own
    assert {"name": "TRANSFORMERS_OFFLINE", "value": "1"} in env


def test_online_by_default_and_a_cr_can_go_offline_alone():
    env = container_env(llsd({"providers": {"inference": VLLM}}), Settings(clock=lambda: NOW))
    assert not {e["name"] for e in env} & set(OFFLINE)
    own = [{"name": name, "value": "1"} for name in OFFLINE]
    env = container_env(
        llsd({"providers": {"inference": VLLM}, "containerSpec": {"env": own}}), Settings(clock=lambda: NOW)
    )
    assert [e for e in env if e["name"] in OFFLINE] == own


@pytest.mark.parametrize(("value", "expected"), [("true", True), ("1", True), ("", False), ("false", False)])
def test_the_setting_is_read_from_the_environment(value, expected):
    assert Settings.from_env({"LLSD_MODEL_HUB_OFFLINE": value}).model_hub_offline is expected


def test_a_typo_in_the_setting_stops_the_hook_instead_of_being_ignored():
    with pytest.raises(ValueError, match="LLSD_MODEL_HUB_OFFLINE must be true or false"):
        Settings.from_env({"LLSD_MODEL_HUB_OFFLINE": "ture"})
