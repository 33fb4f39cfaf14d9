"""Every OGX config we generate passes OGX 1.5.0's own validation, in the OGX virtualenv.

As test_conformance.py does for llama-stack: `StackConfig` (ogx.core) after env substitution,
each enabled provider's own config class, and no key OGX would silently ignore. Covered: every
OGXServer sample (ours in manifests/samples/ogxserver/, upstream's in tests/data/upstream-ogx/)
that generates a config, the OGX line's own distributions named by a minimal OGXServer, and
the config each OGXServer golden answer mounts (a `baseConfig` one included).
Secrets are filled with placeholder values, as the pod's env would be.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from generator import OGX, SpecError
from generator.registry import distribution_names
from generator.storage import PG_SHIM_VARS
from hooks.children.deployment import CONFIG_VOLUME
from hooks.kinds import generate_ogxserver, parse_ogxserver
from tests.generator.ogx import OUR_SAMPLES, UPSTREAM_SAMPLES, ogxserver_documents
from tests.support.conformance import validate_in_ogx
from tests.support.paths import GOLDEN

pytestmark = pytest.mark.slow  # one subprocess importing OGX's whole provider registry

# What a distribution's base reads from the pod's env without a usable default, as a user gives it.
NEEDS_ENV = {"oci": {"OCI_COMPARTMENT_OCID": "ocid1.compartment.oc1..example"}}


def pod_env(cr: dict[str, Any], env: list[dict[str, Any]]) -> dict[str, str]:
    values = {e["name"]: "placeholder-value" for e in env}
    values.update(dict.fromkeys(PG_SHIM_VARS, "placeholder"))
    values["LLSD_STORAGE_PG_PORT"] = "5432"
    for item in ((cr["spec"].get("workload") or {}).get("overrides") or {}).get("env") or []:
        if "value" in item:
            values[item["name"]] = str(item["value"])
    return values


def _cases() -> dict[str, dict[str, Any]]:
    crs = {f"sample:{k}": v for k, v in ogxserver_documents(OUR_SAMPLES).items()}
    crs |= {f"upstream:{k}": v for k, v in ogxserver_documents(UPSTREAM_SAMPLES).items()}
    for name in distribution_names(OGX):
        crs[f"distribution:{name}"] = {
            "apiVersion": "ogx.io/v1beta1",
            "kind": "OGXServer",
            "metadata": {"name": f"d-{name}", "namespace": "ai"},
            "spec": {"distribution": {"name": name}, "storage": {"sql": {"type": "sqlite"}}},
        }
        if name in NEEDS_ENV:
            env = [{"name": k, "value": v} for k, v in NEEDS_ENV[name].items()]
            crs[f"distribution:{name}"]["spec"]["workload"] = {"overrides": {"env": env}}
    return crs


def _golden_answers() -> dict[str, tuple[str, dict[str, str]]]:
    """The config.yaml each OGXServer golden answer mounts (a baseConfig's included), with its pod's env."""
    found = {}
    for path in sorted(GOLDEN.glob("*/request.json")):
        request = json.loads(path.read_text())
        if request["parent"].get("kind") != "OGXServer":
            continue
        response = json.loads((path.parent / "response.json").read_text())
        deployment = next((c for c in response["children"] if c["kind"] == "Deployment"), None)
        volume = next(
            (
                v
                for v in (deployment or {"spec": {"template": {"spec": {}}}})["spec"]["template"]["spec"].get(
                    "volumes", []
                )
                if v["name"] == CONFIG_VOLUME
            ),
            None,
        )
        if volume is None:
            continue  # a refused spec: no config
        config = next(c for c in response["children"] if c["metadata"]["name"] == volume["configMap"]["name"])
        env = deployment["spec"]["template"]["spec"]["containers"][0]["env"]
        found[f"golden:{path.parent.name}"] = (config["data"]["config.yaml"], pod_env(request["parent"], env))
    return found


def _generated() -> dict[str, tuple[str, dict[str, str]]]:
    configs = {}
    for name, cr in _cases().items():
        spec = parse_ogxserver(cr)
        if spec.user_config is not None:
            continue  # overrideConfig: the user's own config.yaml
        try:
            result = generate_ogxserver(cr)
        except SpecError as err:
            if name.startswith("distribution:"):
                continue  # a distribution that needs env the CR must give (reported, not generated)
            raise AssertionError(f"{name}: {err.errors}") from None
        configs[name] = (result.config_yaml, pod_env(cr, result.env))
    return configs


@pytest.fixture(scope="module")
def problems() -> dict[str, list[str]]:
    return validate_in_ogx({**_generated(), **_golden_answers()})


def test_every_generated_ogx_config_is_valid_for_ogx_1_5(problems):
    assert len(problems) >= 8
    assert any(name.startswith("golden:") for name in problems)
    assert {name: found for name, found in problems.items() if found} == {}


def test_a_config_ogx_would_refuse_is_reported(problems):
    """The check can fail: a key OGX 1.5 does not know, and a provider type it has not."""
    text, env = _generated()["distribution:starter"]
    config = yaml.safe_load(text)
    config["server"]["tls_cert"] = "/etc/ogx-tls/tls.crt"
    config["providers"]["inference"].append({"provider_id": "x", "provider_type": "remote::no-such", "config": {}})
    found = validate_in_ogx({"broken": (yaml.safe_dump(config), env)})["broken"]
    assert any("tls_cert: ignored by ServerConfig" in p for p in found), found
    assert any("unknown provider_type remote::no-such" in p for p in found), found
