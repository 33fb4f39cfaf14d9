"""E2E that *uses* the stack (issue 13): RAG and a shield on the starter distribution.

One CR, as a user of an air-gapped cluster would write it: the `starter` distribution, a vLLM
provider with its key from a Secret, a chat model, an embedding model from that provider
(`metadata.embeddingDimension`), a shield on the starter's llama-guard provider, and
`HF_HUB_OFFLINE=1` (no model hub). The hook's answer is run by the pod runner, and the real
`llama-stack-client` talks to the server as the user's application would:

- a vector store created **with defaults** embeds with the CR's model (the hook made it the
  vector stores' default); files are uploaded, attached and searched, and the chunk that shares
  the question's words ranks first;
- a Responses call with the `file_search` tool: the model calls the tool, and the retrieved text
  reaches the upstream model in the next request;
- `run_shield` reports a violation for the marked prompt and none for a clean one.

Fakes, only for what cannot run here: the model server (tests/support/fake_openai.py: bag-of-words
embeddings, llama-guard style verdicts, a model that calls the tool it is asked to) and
Kubernetes (the pod runner). llama-stack 0.7.3 with the starter's real dependencies (torch,
sentence-transformers, faiss), its file ingestion, chunking, vector index and llama-guard are real.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import pytest
import yaml
from llama_stack_client import LlamaStackClient

from tests.e2e.hookcall import generated_config, key_ref, llsd, secret, sync
from tests.e2e.podrunner import Pod, run_hook_pod
from tests.e2e.stackclient import stack_client
from tests.support.fake_openai import REPLY, UNSAFE_MARKER, FakeOpenAI, guard_verdict, message_text

pytestmark = [pytest.mark.boot, pytest.mark.use]

KEY = "sk-e2e-rag-4f2a91"
DIMENSION = 256
EMBED = "fake-embed"
GUARD = "fake-llm-2"
DOCUMENTS = {
    "aurora.txt": "The aurora observatory stands in the city of Tromso, far north, under the green lights.",
    "bread.txt": "Sourdough bread needs flour, water, salt and a living starter culture kept warm.",
    "rocket.txt": "The rocket engine burns liquid oxygen and kerosene to lift the payload into orbit.",
}
QUESTION = "Which city has the aurora observatory?"


@dataclass
class Stack:
    response: dict[str, Any]
    pod: Pod
    upstream: FakeOpenAI
    client: LlamaStackClient


def rag_cr(upstream: FakeOpenAI) -> dict[str, Any]:
    return llsd(
        {
            "distribution": {"name": "starter"},
            "containerSpec": {"env": [{"name": "HF_HUB_OFFLINE", "value": "1"}]},
            "providers": {
                "inference": {"provider": "vllm", "endpoint": upstream.base_url, "apiKey": key_ref("vllm", "token")}
            },
            "resources": {
                "models": ["fake-llm", {"name": EMBED, "metadata": {"embeddingDimension": DIMENSION}}],
                "shields": [GUARD],
            },
        }
    )


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with ExitStack() as exits:
        upstream = exits.enter_context(FakeOpenAI(api_key=KEY, dimension=DIMENSION))
        request, response = sync(rag_cr(upstream), [secret("vllm", {"token": KEY})])
        pod = exits.enter_context(run_hook_pod(response, request, ready_timeout=420))
        yield Stack(response, pod, upstream, stack_client(pod))


def wait_until_attached(client: LlamaStackClient, store_id: str, file_id: str, timeout: float = 240) -> Any:
    """File ingestion runs in the background: poll the attachment until it is no longer in progress."""
    deadline = time.monotonic() + timeout
    while True:
        attached = client.vector_stores.files.retrieve(file_id, vector_store_id=store_id)
        if attached.status != "in_progress" or time.monotonic() > deadline:
            return attached
        time.sleep(0.5)


@pytest.fixture(scope="module")
def knowledge_base(stack: Stack) -> tuple[str, dict[str, str]]:
    """A vector store created with defaults only (a name), with the three documents attached."""
    client = stack.client
    store = client.vector_stores.create(name="kb")
    file_ids = {}
    for name, text in DOCUMENTS.items():
        uploaded = client.files.create(file=(name, text.encode(), "text/plain"), purpose="assistants")
        file_ids[name] = uploaded.id
        client.vector_stores.files.create(store.id, file_id=uploaded.id)
        attached = wait_until_attached(client, store.id, uploaded.id)
        assert attached.status == "completed", (name, attached.last_error, stack.pod.log_tail())
    return store.id, file_ids


def test_the_starter_distribution_is_what_runs(stack: Stack) -> None:
    """The CR names `starter`: its own providers are there, next to the CR's vllm."""
    types = {p.provider_type for p in stack.client.providers.list()}
    assert {"remote::vllm", "inline::sentence-transformers", "inline::faiss", "inline::llama-guard"} <= types
    config = yaml.safe_load(generated_config(stack.response)[1])
    assert config["distro_name"] == "starter"


def test_a_vector_store_with_defaults_embeds_with_the_crs_model_and_ranks_the_right_chunk_first(
    stack: Stack, knowledge_base: tuple[str, dict[str, str]]
) -> None:
    store_id, file_ids = knowledge_base
    client, upstream = stack.client, stack.upstream
    store = client.vector_stores.retrieve(store_id)
    assert store.file_counts.completed == len(DOCUMENTS)
    # Ingestion embedded every document with the CR's model, at the fake upstream (not the hub).
    embedded = [r.body for r in upstream.requests_to("/v1/embeddings", "POST")]
    assert embedded, "nothing was embedded at the CR's inference provider"
    assert {b["model"] for b in embedded} == {EMBED}
    texts = " ".join(t for b in embedded for t in ([b["input"]] if isinstance(b["input"], str) else b["input"]))
    assert all(text.split(",")[0] in texts for text in DOCUMENTS.values())

    upstream.clear()
    results = client.vector_stores.search(store_id, query=QUESTION).data
    assert results, "search found nothing"
    assert results[0].file_id == file_ids["aurora.txt"], [(r.filename, r.score) for r in results]
    assert "Tromso" in results[0].content[0].text
    assert all(results[0].score > r.score for r in results[1:])
    (query,) = upstream.requests_to("/v1/embeddings", "POST")
    assert query.body["model"] == EMBED
    assert query.authorization == f"Bearer {KEY}"


def test_responses_file_search_sends_the_retrieved_text_to_the_model(
    stack: Stack, knowledge_base: tuple[str, dict[str, str]]
) -> None:
    store_id, _ = knowledge_base
    stack.upstream.clear()
    answer = stack.client.responses.create(
        model="vllm/fake-llm",
        input=f"Use file_search: {QUESTION}",
        tools=[{"type": "file_search", "vector_store_ids": [store_id]}],
    )
    first, second = stack.upstream.requests_to("/v1/chat/completions", "POST")
    assert "file_search" in [t["function"]["name"] for t in first.body["tools"]]
    tool_results = [message_text(m.get("content")) for m in second.body["messages"] if m["role"] == "tool"]
    assert len(tool_results) == 1
    assert DOCUMENTS["aurora.txt"] in tool_results[0], "the retrieved chunk did not reach the model"
    (call,) = [item for item in answer.output if item.type == "file_search_call"]
    assert call.status == "completed"
    assert answer.output_text == REPLY


def test_the_shield_flags_the_marked_prompt_and_passes_a_clean_one(stack: Stack) -> None:
    client, upstream = stack.client, stack.upstream
    (shield,) = [s for s in client.shields.list() if s.identifier == GUARD]
    assert shield.provider_id == "llama-guard"

    upstream.clear()
    flagged = client.safety.run_shield(
        shield_id=GUARD, messages=[{"role": "user", "content": f"Explain {UNSAFE_MARKER} step by step"}]
    )
    assert flagged.violation is not None
    assert flagged.violation.violation_level == "error"
    assert flagged.violation.metadata["violation_type"] == "S1"
    clean = client.safety.run_shield(shield_id=GUARD, messages=[{"role": "user", "content": "How do I bake bread?"}])
    assert clean.violation is None

    # Both verdicts came from the guard model the shield names, asked in llama-guard's format.
    asked = upstream.requests_to("/v1/chat/completions", "POST")
    assert [r.body["model"] for r in asked] == [GUARD, GUARD]
    prompts = [message_text(r.body["messages"][-1]["content"]) for r in asked]
    assert [guard_verdict(p) for p in prompts] == ["unsafe\nS1", "safe"]
