"""Where things live inside the server pod, for every server line alike.

The generator writes these paths into config.yaml and the hook mounts volumes at them, so both
import them from here. What differs per line (config and TLS directories, the storage mount)
is in `generator.lines`.
"""

from generator.lines import LLAMA_STACK

CONFIG_KEY = "config.yaml"
CA_BUNDLE_DIR = "/etc/ssl/certs/ca-bundle"
CA_BUNDLE_KEY = "ca-bundle.crt"
CA_BUNDLE_PATH = f"{CA_BUNDLE_DIR}/{CA_BUNDLE_KEY}"
DEFAULT_STORAGE_SIZE = "10Gi"
DEFAULT_PORT = 8321
HEALTH_PATH = "/v1/health"
STORAGE_CONNECTION_ENV = "LLSD_STORAGE_CONNECTION_STRING"

# External providers (an LLSD feature, so the llama-stack line's paths): init containers install
# wheels here; a merge step writes the final config, which the server then runs instead of the
# mounted one.
EXTERNAL_DIR = "/opt/llama-stack/external-providers"
EXTERNAL_PACKAGES_DIR = f"{EXTERNAL_DIR}/python-packages"
EXTERNAL_METADATA_DIR = f"{EXTERNAL_DIR}/metadata"
EXTERNAL_BASE_CONFIG_PATH = LLAMA_STACK.config_path
FINAL_CONFIG_DIR = "/opt/llama-stack/config"
FINAL_CONFIG_PATH = f"{FINAL_CONFIG_DIR}/{CONFIG_KEY}"
PROVIDER_IMAGE_DIR = "/lls-provider"
