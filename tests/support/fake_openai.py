"""A small OpenAI-compatible upstream on 127.0.0.1, standing in for vLLM / OpenAI in the E2E suite.

Why a fake: no model server can run here (no GPU, no network), and the E2E tests need to see
what llama-stack sends upstream (which URL, which Authorization header, which JSON), which a real
server would not tell us. Only the stdlib is used so the harness has no extra dependency.

Endpoints (all answers are deterministic, so tests can compare exact values):

- ``GET  /v1/models``            the configured model ids (default ``fake-llm``, ``fake-llm-2``,
                                 ``fake-embed``; llama-stack lists ``*embed*`` ids as embedding models)
- ``POST /v1/chat/completions``  reply ``REPLY`` ("pong"); ``"stream": true`` answers with SSE chunks
                                 and ``data: [DONE]`` (plus a usage chunk when asked for). Two
                                 deterministic behaviours a real model would show:
                                 * **a llama-guard verdict**: a prompt in llama-guard's format
                                   ("Task: Check if there is unsafe content ...") is answered
                                   ``unsafe\nS1`` when its conversation contains ``UNSAFE_MARKER``,
                                   else ``safe``;
                                 * **a tool call**: when the request offers function tools, no tool
                                   result is in the conversation yet, and the last user message
                                   names one of the tools, the answer calls that tool with
                                   ``{"query": <the user message>}`` (finish_reason ``tool_calls``)
- ``POST /v1/completions``       text ``REPLY``
- ``POST /v1/embeddings``        one unit vector of ``dimension`` floats per input: a hashed bag of
                                 words (each word, lower-cased, minus a few stop words, adds ±1 at
                                 a position taken from its sha256), so texts sharing words are
                                 close and ranking by cosine similarity is meaningful;
                                 ``"encoding_format": "base64"`` (the openai client's default)
                                 gives little-endian float32 in base64
- ``GET  /ml/v1/foundation_model_specs``  watsonx.ai's model catalogue (the watsonx provider reads
                                 it at startup from its ``base_url``): the configured models,
                                 ``*embed*`` ones with an ``embedding`` function
- ``POST /ml/v1/chat/completions``  the chat completions above, at watsonx.ai's path
- ``CONNECT host:port``          refused (403) and recorded: set as a pod's ``HTTPS_PROXY`` the fake
                                 plays an egress proxy that lets nothing out, so a provider that
                                 calls a fixed cloud URL (watsonx's IAM token exchange) is seen
                                 trying, and no traffic leaves the machine
- ``GET  /health``, ``/v1/health``  200 (vLLM's unauthenticated health endpoint)

Every request is recorded (method, path, lower-cased headers, parsed JSON body) in ``requests``.
With ``api_key`` set, requests without ``Authorization: Bearer <api_key>`` get 401, like a real
upstream that checks keys. With ``tls=(cert, key)`` it serves HTTPS (the CA bundle scenario).
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import re
import ssl
import struct
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

REPLY = "pong"
# A prompt containing this is "unsafe" to the fake's llama-guard verdict (category S1).
UNSAFE_MARKER = "[unsafe-test-marker]"
GUARD_TASK = "Task: Check if there is unsafe content"
STOP_WORDS = frozenset(
    re.findall(r"\w+", "a an and are as at be by for from how in is it of on or that the this to what which with")
)
DEFAULT_MODELS = ("fake-llm", "fake-llm-2", "fake-embed")
EMBEDDING_DIMENSION = 384
CREATED = 1_700_000_000  # fixed timestamp: answers are byte-for-byte reproducible
MAX_BODY = 10 * 1024 * 1024


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: Any  # parsed JSON, or None when the body was empty / not JSON
    raw_body: bytes = b""

    @property
    def authorization(self) -> str | None:
        return self.headers.get("authorization")


def embedding_for(text: str, dimension: int = EMBEDDING_DIMENSION) -> list[float]:
    """A hashed bag of words, normalised: texts that share words get a high cosine similarity.

    Deterministic, so tests can recompute it; a text without words maps to the first axis.
    """
    vector = [0.0] * dimension
    for word in re.findall(r"[a-z0-9]+", text.lower()):
        if word in STOP_WORDS:
            continue
        digest = hashlib.sha256(word.encode()).digest()
        vector[int.from_bytes(digest[:4], "little") % dimension] += 1.0 if digest[4] & 1 else -1.0
    norm = math.sqrt(sum(v * v for v in vector))
    if norm == 0:
        return [1.0] + [0.0] * (dimension - 1)
    return [round(v / norm, 6) for v in vector]


def message_text(content: Any) -> str:
    """The text of a chat message's content: a string, or the text parts of a list."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return ""


def guard_verdict(prompt: str) -> str | None:
    """llama-guard's answer to a prompt in its format, or None when `prompt` is not one."""
    if not prompt.startswith(GUARD_TASK):
        return None
    conversation = prompt.split("<BEGIN CONVERSATION>", 1)[-1].split("<END CONVERSATION>", 1)[0]
    return "unsafe\nS1" if UNSAFE_MARKER in conversation else "safe"


def tool_call_for(body: dict[str, Any]) -> dict[str, Any] | None:
    """The tool call a cooperative model makes: a tool offered and named in the last user message,
    before any tool result came back (see the module docstring)."""
    messages = [m for m in body.get("messages") or [] if isinstance(m, dict)]
    if any(m.get("role") == "tool" for m in messages):
        return None
    users = [message_text(m.get("content")) for m in messages if m.get("role") == "user"]
    if not users:
        return None
    names = [
        t["function"]["name"]
        for t in body.get("tools") or []
        if isinstance(t, dict) and t.get("type") == "function" and isinstance(t.get("function"), dict)
    ]
    named = next((n for n in names if n in users[-1]), None)
    if named is None:
        return None
    arguments = json.dumps({"query": users[-1]})
    return {"index": 0, "id": "call_fake_0", "type": "function", "function": {"name": named, "arguments": arguments}}


@dataclass
class FakeOpenAI:
    """Threaded HTTP server; use as a context manager (`with FakeOpenAI() as up: up.base_url`)."""

    models: tuple[str, ...] = DEFAULT_MODELS
    reply: str = REPLY
    dimension: int = EMBEDDING_DIMENSION
    api_key: str | None = None
    # (cert PEM path, key PEM path): serve HTTPS, e.g. to prove a CA bundle reaches the client.
    tls: tuple[str, str] | None = None
    requests: list[RecordedRequest] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _server: ThreadingHTTPServer | None = field(default=None, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> FakeOpenAI:
        handler = _make_handler(self)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)  # port 0: a free port
        self._server.daemon_threads = True
        if self.tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*self.tls)
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- addresses ---------------------------------------------------------------------------
    @property
    def port(self) -> int:
        assert self._server is not None, "FakeOpenAI is not started"
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """Root URL, e.g. http://127.0.0.1:PORT (https with `tls`)."""
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """The OpenAI-style base URL (…/v1) that providers take as `base_url`."""
        return f"{self.url}/v1"

    # -- recordings --------------------------------------------------------------------------
    def record(self, req: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(req)

    def requests_to(self, path: str, method: str | None = None) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if r.path == path and (method is None or r.method == method)]

    def clear(self) -> None:
        with self._lock:
            self.requests.clear()


def _make_handler(fake: FakeOpenAI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "fake-openai/1"

        def log_message(self, format: str, *args: Any) -> None:
            return  # quiet: pytest output stays readable, and no headers (keys) end up in logs

        # -- plumbing ---------------------------------------------------------------------
        def _read(self) -> tuple[bytes, Any]:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(min(length, MAX_BODY)) if length > 0 else b""
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = None
            return raw, body

        def _send_json(self, status: int, payload: Any) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _handle(self, method: str) -> None:
            path = self.path.split("?", 1)[0]
            raw, body = self._read() if method == "POST" else (b"", None)
            headers = {k.lower(): v for k, v in self.headers.items()}
            fake.record(RecordedRequest(method, path, headers, body, raw))
            if path in ("/health", "/v1/health") and method == "GET":
                self._send_json(200, {"status": "ok"})
                return
            if fake.api_key is not None and headers.get("authorization") != f"Bearer {fake.api_key}":
                self._send_json(401, {"error": {"message": "invalid api key", "type": "invalid_request_error"}})
                return
            route = {
                ("GET", "/v1/models"): self._models,
                ("POST", "/v1/chat/completions"): self._chat,
                ("POST", "/v1/completions"): self._completions,
                ("POST", "/v1/embeddings"): self._embeddings,
                ("GET", "/ml/v1/foundation_model_specs"): self._watsonx_specs,
                ("POST", "/ml/v1/chat/completions"): self._chat,  # watsonx.ai's OpenAI-style path
            }.get((method, path))
            if route is None:
                self._send_json(404, {"error": {"message": f"no route {method} {path}", "type": "not_found"}})
                return
            if method == "POST" and not isinstance(body, dict):
                self._send_json(400, {"error": {"message": "body must be a JSON object", "type": "invalid_request"}})
                return
            route(body or {})

        def do_GET(self) -> None:
            self._handle("GET")

        def do_POST(self) -> None:
            self._handle("POST")

        def do_CONNECT(self) -> None:
            """As the pod's egress proxy (HTTPS_PROXY): record the tunnel asked for, refuse it."""
            fake.record(RecordedRequest("CONNECT", self.path, {k.lower(): v for k, v in self.headers.items()}, None))
            self._send_json(403, {"error": {"message": "egress refused by the test proxy", "type": "forbidden"}})
            self.close_connection = True

        # -- endpoints --------------------------------------------------------------------
        def _models(self, _body: dict[str, Any]) -> None:
            data = [{"id": m, "object": "model", "created": CREATED, "owned_by": "fake"} for m in fake.models]
            self._send_json(200, {"object": "list", "data": data})

        def _watsonx_specs(self, _body: dict[str, Any]) -> None:
            resources = [
                {
                    "model_id": m,
                    "functions": [{"id": "embedding"}] if "embed" in m else [{"id": "text_chat"}],
                    "model_limits": {"embedding_dimension": fake.dimension, "max_sequence_length": 4096}
                    if "embed" in m
                    else {"max_sequence_length": 4096},
                }
                for m in fake.models
            ]
            self._send_json(200, {"total_count": len(resources), "resources": resources})

        def _usage(self, body: dict[str, Any]) -> dict[str, int]:
            prompt = len(json.dumps(body.get("messages") or body.get("prompt") or "").split())
            return {"prompt_tokens": prompt, "completion_tokens": 1, "total_tokens": prompt + 1}

        def _answer(self, body: dict[str, Any]) -> tuple[str | None, dict[str, Any] | None]:
            """(text, tool call) for a chat request: a guard verdict, a tool call or the reply."""
            messages = [m for m in body.get("messages") or [] if isinstance(m, dict)]
            last = message_text(messages[-1].get("content")) if messages else ""
            verdict = guard_verdict(last)
            if verdict is not None:
                return verdict, None
            call = tool_call_for(body)
            if call is not None:
                return None, call
            return fake.reply, None

        def _chat(self, body: dict[str, Any]) -> None:
            model = str(body.get("model", ""))
            text, call = self._answer(body)
            if body.get("stream"):
                self._stream_chat(body, model, text, call)
                return
            message: dict[str, Any] = {"role": "assistant", "content": text}
            if call is not None:
                message["tool_calls"] = [{k: v for k, v in call.items() if k != "index"}]
            self._send_json(
                200,
                {
                    "id": "chatcmpl-fake",
                    "object": "chat.completion",
                    "created": CREATED,
                    "model": model,
                    "choices": [
                        {
                            "index": 0,
                            "message": message,
                            "finish_reason": "tool_calls" if call else "stop",
                            "logprobs": None,
                        }
                    ],
                    "usage": self._usage(body),
                },
            )

        def _stream_chat(self, body: dict[str, Any], model: str, text: str | None, call: dict[str, Any] | None) -> None:
            def chunk(delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
                return {
                    "id": "chatcmpl-fake",
                    "object": "chat.completion.chunk",
                    "created": CREATED,
                    "model": model,
                    "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}],
                }

            events: list[dict[str, Any]] = [chunk({"role": "assistant", "content": ""}, None)]
            if call is not None:
                events += [chunk({"tool_calls": [call]}, None), chunk({}, "tool_calls")]
            else:
                events += [chunk({"content": text}, None), chunk({}, "stop")]
            if (body.get("stream_options") or {}).get("include_usage"):
                events.append({**chunk({}, None), "choices": [], "usage": self._usage(body)})
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            for event in events:
                self.wfile.write(f"data: {json.dumps(event)}\n\n".encode())
                self.wfile.flush()
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()

        def _completions(self, body: dict[str, Any]) -> None:
            self._send_json(
                200,
                {
                    "id": "cmpl-fake",
                    "object": "text_completion",
                    "created": CREATED,
                    "model": str(body.get("model", "")),
                    "choices": [{"index": 0, "text": fake.reply, "finish_reason": "stop", "logprobs": None}],
                    "usage": self._usage(body),
                },
            )

        def _embeddings(self, body: dict[str, Any]) -> None:
            inputs = body.get("input")
            texts = [inputs] if isinstance(inputs, str) else list(inputs or [])
            b64 = body.get("encoding_format") == "base64"
            dim = int(body.get("dimensions") or fake.dimension)
            data = []
            for i, text in enumerate(texts):
                vector = embedding_for(str(text), dim)
                value: Any = base64.b64encode(struct.pack(f"<{dim}f", *vector)).decode() if b64 else vector
                data.append({"object": "embedding", "index": i, "embedding": value})
            tokens = sum(len(str(t).split()) for t in texts)
            self._send_json(
                200,
                {
                    "object": "list",
                    "data": data,
                    "model": str(body.get("model", "")),
                    "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
                },
            )

    return Handler


@contextmanager
def fake_openai(**kwargs: Any) -> Iterator[FakeOpenAI]:
    """Context manager form: `with fake_openai(api_key="k") as upstream: ...`."""
    server = FakeOpenAI(**kwargs)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def wait_for(predicate: Any, timeout: float = 5.0, interval: float = 0.05) -> bool:
    """Poll `predicate()` until true or `timeout` seconds pass (bounded, for async side effects)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())
