"""The user's client: the real `llama-stack-client` (pinned in setup.cfg to the server's release).

Scenarios that *use* a stack talk to it the way an application would, through the official
client, so a route, a field name or a response shape that the client does not accept fails the
test just as it would fail the user.
"""

from __future__ import annotations

from llama_stack_client import LlamaStackClient

from tests.e2e.podrunner import Pod

# Boots share two cores with other suites: embedding and file ingestion can be slow.
TIMEOUT_SECONDS = 180.0


def stack_client(pod: Pod) -> LlamaStackClient:
    """A client for the pod's server (plain HTTP here; pods with serverTLS are not used with it)."""
    return LlamaStackClient(base_url=pod.base_url, timeout=TIMEOUT_SECONDS, max_retries=0)
