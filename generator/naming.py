"""Every name the hook derives from its parent's: one place for the `<llsd>-<suffix>` rules.

Children keep upstream's names so existing selectors and policies keep working. The generator
(the content-hashed ConfigMap, the parent-name limit), the children and any check of an answer
("does this child bear a name the hook derives from the parent?") all read them from here.
A pure module: standard library only.
"""

from __future__ import annotations

import hashlib
import re

SERVICE_SUFFIX = "-service"
SERVICE_ACCOUNT_SUFFIX = "-sa"
PVC_SUFFIX = "-pvc"
NETWORK_POLICY_SUFFIX = "-network-policy"
PDB_SUFFIX = "-pdb"
HPA_SUFFIX = "-hpa"
INGRESS_SUFFIX = "-ingress"
CA_BUNDLE_SUFFIX = "-ca-bundle"
USER_CONFIG_SUFFIX = "-user-config"
CONFIG_SUFFIX = "-config-"
CONFIG_HASH_LENGTH = 10  # hex digits of sha256(config.yaml) in the generated ConfigMap's name
INIT_CONTAINER_PREFIX = "install-provider-"

DNS_LABEL_LENGTH = 63
# The longest suffix of a child whose name must stay a 63-character DNS label; a Service name
# is such a label, and `-network-policy` is kept to the same bound.
MAX_PARENT_NAME_LENGTH = DNS_LABEL_LENGTH - len(NETWORK_POLICY_SUFFIX)
# An init container's name is a DNS label too.
MAX_PROVIDER_ID_LENGTH = DNS_LABEL_LENGTH - len(INIT_CONTAINER_PREFIX)


def deployment_name(parent: str) -> str:
    return parent


def service_name(parent: str) -> str:
    return parent + SERVICE_SUFFIX


def service_account_name(parent: str) -> str:
    return parent + SERVICE_ACCOUNT_SUFFIX


def pvc_name(parent: str) -> str:
    return parent + PVC_SUFFIX


def network_policy_name(parent: str) -> str:
    return parent + NETWORK_POLICY_SUFFIX


def pdb_name(parent: str) -> str:
    return parent + PDB_SUFFIX


def hpa_name(parent: str) -> str:
    return parent + HPA_SUFFIX


def ingress_name(parent: str) -> str:
    return parent + INGRESS_SUFFIX


def ca_bundle_name(parent: str) -> str:
    return parent + CA_BUNDLE_SUFFIX


def user_config_copy_name(parent: str) -> str:
    return parent + USER_CONFIG_SUFFIX


def config_hash(config_yaml: str) -> str:
    """The content hash that names a generated ConfigMap: a new config is a new ConfigMap."""
    return hashlib.sha256(config_yaml.encode()).hexdigest()[:CONFIG_HASH_LENGTH]


def config_map_name(parent: str, digest: str) -> str:
    """`<parent>-config-<digest>`, `digest` from `config_hash`."""
    return f"{parent}{CONFIG_SUFFIX}{digest}"


def is_config_map_name(parent: str, name: str) -> bool:
    """Whether `name` is one of `parent`'s generated ConfigMaps (any content hash)."""
    prefix = parent + CONFIG_SUFFIX
    digest = name[len(prefix) :]
    return name.startswith(prefix) and re.fullmatch(f"[0-9a-f]{{{CONFIG_HASH_LENGTH}}}", digest) is not None


def init_container_name(provider_id: str) -> str:
    """The init container that installs external provider `provider_id`."""
    return INIT_CONTAINER_PREFIX + provider_id
