"""Where things live inside the llama-stack pod.

The generator writes these paths into config.yaml and the hook mounts volumes at them, so both
import them from here: one source of truth for the pod's file layout.
"""

CONFIG_DIR = "/etc/llama-stack"
CONFIG_KEY = "config.yaml"
CONFIG_PATH = f"{CONFIG_DIR}/{CONFIG_KEY}"
TLS_DIR = "/etc/llama-stack-tls"
TLS_CERT_PATH = f"{TLS_DIR}/tls.crt"
TLS_KEY_PATH = f"{TLS_DIR}/tls.key"
CA_BUNDLE_DIR = "/etc/ssl/certs/ca-bundle"
CA_BUNDLE_KEY = "ca-bundle.crt"
CA_BUNDLE_PATH = f"{CA_BUNDLE_DIR}/{CA_BUNDLE_KEY}"
DEFAULT_MOUNT_PATH = "/.llama"
DEFAULT_STORAGE_SIZE = "10Gi"
DEFAULT_PORT = 8321
HEALTH_PATH = "/v1/health"
STORAGE_CONNECTION_ENV = "LLSD_STORAGE_CONNECTION_STRING"

# External providers: init containers install wheels here; a merge step writes the
# final config, which the server then runs instead of CONFIG_PATH.
EXTERNAL_DIR = "/opt/llama-stack/external-providers"
EXTERNAL_PACKAGES_DIR = f"{EXTERNAL_DIR}/python-packages"
EXTERNAL_METADATA_DIR = f"{EXTERNAL_DIR}/metadata"
FINAL_CONFIG_DIR = "/opt/llama-stack/config"
FINAL_CONFIG_PATH = f"{FINAL_CONFIG_DIR}/{CONFIG_KEY}"
PROVIDER_IMAGE_DIR = "/lls-provider"
