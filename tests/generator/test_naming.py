"""Child names: every child of every golden answer bears a name `generator.naming` derives from its parent."""

from __future__ import annotations

import json

import pytest

from generator import naming
from tests.support.paths import GOLDEN

FIXED_NAMES = (
    naming.deployment_name,
    naming.service_name,
    naming.service_account_name,
    naming.pvc_name,
    naming.network_policy_name,
    naming.pdb_name,
    naming.hpa_name,
    naming.ingress_name,
    naming.ca_bundle_name,
    naming.user_config_copy_name,
)


def test_upstream_names() -> None:
    assert [name("demo") for name in FIXED_NAMES] == [
        "demo",
        "demo-service",
        "demo-sa",
        "demo-pvc",
        "demo-network-policy",
        "demo-pdb",
        "demo-hpa",
        "demo-ingress",
        "demo-ca-bundle",
        "demo-user-config",
    ]
    digest = naming.config_hash("version: 2\n")
    assert len(digest) == naming.CONFIG_HASH_LENGTH
    assert naming.config_map_name("demo", digest) == f"demo-config-{digest}"
    assert naming.init_container_name("echo") == "install-provider-echo"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("demo-config-0123456789", True),
        ("demo-config-abcdef0123", True),
        ("demo-config-ABCDEF0123", False),  # hex digests are lower-case
        ("demo-config-012345678", False),  # too short
        ("demo-config-0123456789a", False),  # too long
        ("other-config-0123456789", False),  # another parent's
        ("demo-config-", False),
        ("demo-user-config", False),
    ],
)
def test_generated_config_map_names(name: str, expected: bool) -> None:
    assert naming.is_config_map_name("demo", name) is expected


def test_every_golden_child_name_is_derived_from_its_parent() -> None:
    for response_file in sorted(GOLDEN.glob("*/response.json")):
        request = json.loads((response_file.parent / "request.json").read_text())
        parent = request["parent"]["metadata"]["name"]
        allowed = {name(parent) for name in FIXED_NAMES}
        for child in json.loads(response_file.read_text())["children"]:
            name = child["metadata"]["name"]
            assert name in allowed or naming.is_config_map_name(parent, name), f"{response_file}: {name}"
