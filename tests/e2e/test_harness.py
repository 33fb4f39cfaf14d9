"""Self-tests of the E2E harness: the fake upstream, the real PostgreSQL, the pod runner.

The scenarios trust these pieces, so each piece is checked on its own first. The pod runner is
exercised with a tiny stdlib HTTP server as the container (no llama-stack needed), which reports
what it sees: argv, env, the config file it was pointed at.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import struct
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.e2e.podrunner import (
    REDACTED,
    ObjectStore,
    PathMapper,
    PodFailed,
    listening_addresses,
    patch_llama_stack_config,
    rewrite_port_args,
    run_hook_pod,
    run_pod,
)
from tests.e2e.postgres import PostgresServer
from tests.e2e.tls import self_signed_cert
from tests.support.fake_openai import REPLY, UNSAFE_MARKER, FakeOpenAI, embedding_for, wait_for

pytestmark = pytest.mark.slow  # real processes, PostgreSQL and probe timeouts

SECRET_VALUE = "sk-harness-s3cret-value"

# The "container": serves /healthz and /dump; writes a file into its emptyDir; optional TLS.
SERVER = r"""
import http.server, json, os, signal, ssl, subprocess, sys

args = sys.argv[1:]
port = int(args[args.index("--port") + 1])
config = args[args.index("--config") + 1]
os.makedirs(os.environ["DATA_DIR"], exist_ok=True)
if os.environ.get("IGNORE_TERM"):
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    child = subprocess.Popen(["sleep", "600"])
    open(os.path.join(os.environ["DATA_DIR"], "child.pid"), "w").write(str(child.pid))
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass
    def do_GET(self):
        if self.path == "/healthz":
            body = b"ok"
        elif self.path == "/dump":
            body = json.dumps({"argv": sys.argv, "env": dict(os.environ), "cwd": os.getcwd(),
                               "config": open(config).read()}).encode()
        else:
            self.send_response(404); self.end_headers(); return
        self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers()
        self.wfile.write(body)
srv = http.server.ThreadingHTTPServer(("127.0.0.1", port), H)
if os.environ.get("TLS_CERT"):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(os.environ["TLS_CERT"], os.environ["TLS_KEY"])
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
open(os.path.join(os.environ["DATA_DIR"], "written-by-pod"), "w").write("hello")
print("serving on", port, flush=True)
srv.serve_forever()
"""

CONFIG_TEXT = """\
version: 2
distro_name: harness
apis: [inference]
providers:
  inference: []
storage:
  backends:
    kv_default: {type: kv_sqlite, db_path: /.llama/kv.db}
server:
  port: 8321
note: ~/.llama stays, /etc/llama-stack-tls/tls.crt maps, /etc/llama-stackish stays
"""


CFG = "config.yaml"


def _secret(name: str, data: dict[str, str], string: bool = False) -> dict[str, Any]:
    if string:
        return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name}, "stringData": data}
    encoded = {k: base64.b64encode(v.encode()).decode() for k, v in data.items()}
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name}, "data": encoded}


def _configmap(name: str, data: dict[str, str]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": data}


def _deployment(
    env: list[dict[str, Any]] | None = None,
    probe_scheme: str = "HTTP",
    extra_volumes: list[dict[str, Any]] | None = None,
    extra_mounts: list[dict[str, Any]] | None = None,
    command: list[str] | None = None,
    grace: int | None = None,
) -> dict[str, Any]:
    """A Deployment in the shape the hook returns, whose container is the SERVER one-liner."""
    base_env = [
        {"name": "API_KEY", "valueFrom": {"secretKeyRef": {"name": "creds", "key": "apiKey"}}},
        {"name": "OTHER_KEY", "valueFrom": {"secretKeyRef": {"name": "creds-string", "key": "token"}}},
        {"name": "FROM_CM", "valueFrom": {"configMapKeyRef": {"name": "settings", "key": "level"}}},
        {"name": "PLAIN", "value": "plain-value"},
        {"name": "EXPANDED", "value": "level=$(FROM_CM) escaped=$$(FROM_CM)"},
        {"name": "DATA_DIR", "value": "/.llama/data"},
        {"name": "CONFIG_PATH", "value": "/etc/llama-stack/config.yaml"},
        {"name": "LLS_PORT", "value": "8321"},
        {"name": "MISSING_OK", "valueFrom": {"secretKeyRef": {"name": "nope", "key": "x", "optional": True}}},
    ]
    pod_spec: dict[str, Any] = {
        "containers": [
            {
                "name": "llama-stack",
                "command": command or ["python3", "-c", SERVER],
                "args": ["--port", "8321", "--config", "/etc/llama-stack/config.yaml"],
                "ports": [{"name": "http", "containerPort": 8321}],
                "env": base_env + (env or []),
                "startupProbe": {"httpGet": {"path": "/healthz", "port": 8321, "scheme": probe_scheme}},
                "readinessProbe": {"httpGet": {"path": "/healthz", "port": "http", "scheme": probe_scheme}},
                "volumeMounts": [
                    {"name": "lls-storage", "mountPath": "/.llama"},
                    {"name": "generated-config", "mountPath": "/etc/llama-stack/", "readOnly": True},
                    {"name": "extra-file", "mountPath": "/opt/extra/one.txt", "subPath": "one.txt"},
                    *(extra_mounts or []),
                ],
            }
        ],
        "volumes": [
            {"name": "lls-storage", "emptyDir": {}},
            {"name": "generated-config", "configMap": {"name": "cfg", "items": [{"key": "config.yaml", "path": CFG}]}},
            {"name": "extra-file", "configMap": {"name": "settings"}},
            *(extra_volumes or []),
        ],
    }  # fmt: skip
    if grace is not None:
        pod_spec["terminationGracePeriodSeconds"] = grace
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "harness"},
        "spec": {"template": {"spec": pod_spec}},
    }


def _objects() -> list[dict[str, Any]]:
    return [
        _secret("creds", {"apiKey": SECRET_VALUE}),
        _secret("creds-string", {"token": "string-data-token"}, string=True),
        _configmap("settings", {"level": "debug", "one.txt": "first"}),
        _configmap("cfg", {"config.yaml": CONFIG_TEXT, "ignored.yaml": "not: mounted"}),
    ]


def _alive(pid: int) -> bool:
    """True while `pid` exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


# ---------------------------------------------------------------------------------------------
# Fake upstream
# ---------------------------------------------------------------------------------------------
def _call(url: str, body: Any = None, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def test_fake_upstream_answers_openai_calls_and_records_them(fake_upstream: FakeOpenAI) -> None:
    """Every endpoint llama-stack's remote providers call answers like OpenAI, and is recorded."""
    base, auth = fake_upstream.base_url, {"Authorization": "Bearer k-123"}
    status, body = _call(f"{base}/models", headers=auth)
    ids = [m["id"] for m in json.loads(body)["data"]]
    assert status == 200
    assert "fake-llm" in ids
    assert any("embed" in i for i in ids)

    ping = {"model": "fake-llm", "messages": [{"role": "user", "content": "ping"}]}
    status, body = _call(f"{base}/chat/completions", ping, auth)
    assert status == 200
    assert json.loads(body)["choices"][0]["message"] == {"role": "assistant", "content": REPLY}

    status, body = _call(
        f"{base}/chat/completions",
        {"model": "fake-llm", "messages": [], "stream": True, "stream_options": {"include_usage": True}},
    )
    events = [line[6:] for line in body.decode().splitlines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    assert text == REPLY
    assert chunks[-1]["usage"]["completion_tokens"] == 1

    status, body = _call(f"{base}/completions", {"model": "fake-llm", "prompt": "ping"})
    assert json.loads(body)["choices"][0]["text"] == REPLY

    _, floats = _call(f"{base}/embeddings", {"model": "fake-embed", "input": ["a", "b"]})
    _, b64 = _call(f"{base}/embeddings", {"model": "fake-embed", "input": "a", "encoding_format": "base64"})
    vectors = [d["embedding"] for d in json.loads(floats)["data"]]
    assert len(vectors) == 2
    assert len(vectors[0]) == fake_upstream.dimension
    assert vectors[0] != vectors[1]
    assert vectors[0] == embedding_for("a")
    decoded = struct.unpack(f"<{fake_upstream.dimension}f", base64.b64decode(json.loads(b64)["data"][0]["embedding"]))
    assert decoded == pytest.approx(vectors[0], abs=1e-6)

    chat = fake_upstream.requests_to("/v1/chat/completions")
    assert chat[0].authorization == "Bearer k-123"
    assert chat[0].body["messages"][0]["content"] == "ping"
    assert chat[1].authorization is None
    assert [r.path for r in fake_upstream.requests][:2] == ["/v1/models", "/v1/chat/completions"]


def _cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))  # the fake's vectors are unit vectors


def test_fake_embeddings_rank_texts_that_share_words_first() -> None:
    """The RAG scenario relies on it: a query is closest to the chunk that shares its words."""
    query = embedding_for("Which city hosts the aurora observatory?")
    chunks = {
        "aurora": embedding_for("The aurora observatory is in the city of Tromso, far north."),
        "bread": embedding_for("Sourdough bread needs flour, water, salt and a starter."),
        "rocket": embedding_for("The rocket engine burns liquid oxygen and kerosene."),
    }
    ranked = sorted(chunks, key=lambda k: _cosine(query, chunks[k]), reverse=True)
    assert ranked[0] == "aurora"
    assert _cosine(query, chunks["aurora"]) > 0.3 > max(abs(_cosine(query, chunks[k])) for k in ("bread", "rocket"))
    assert embedding_for("Aurora, observatory!") == embedding_for("the aurora observatory"), "words, not bytes"


def _guard_prompt(text: str) -> str:
    """The shape of llama-stack's llama-guard prompt (categories, then the conversation)."""
    return (
        "Task: Check if there is unsafe content in 'User' messages in conversations according our safety "
        f"policy with the below categories.\n\n<BEGIN UNSAFE CONTENT CATEGORIES>\nS1: Violent Crimes.\n"
        f"<END UNSAFE CONTENT CATEGORIES>\n\n<BEGIN CONVERSATION>\n\nUser: {text}\n\n<END CONVERSATION>\n"
    )


def test_fake_upstream_gives_a_guard_verdict_and_calls_a_named_tool(fake_upstream: FakeOpenAI) -> None:
    url = f"{fake_upstream.base_url}/chat/completions"

    def say(messages: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
        return json.loads(_call(url, {"model": "fake-llm", "messages": messages, **extra})[1])["choices"][0]

    unsafe = say([{"role": "user", "content": _guard_prompt(f"tell me {UNSAFE_MARKER} things")}])
    assert unsafe["message"]["content"] == "unsafe\nS1"
    assert say([{"role": "user", "content": _guard_prompt("what is the weather")}])["message"]["content"] == "safe"

    tools = [{"type": "function", "function": {"name": "file_search", "parameters": {"type": "object"}}}]
    question = {"role": "user", "content": [{"type": "text", "text": "use file_search: aurora city?"}]}
    called = say([question], tools=tools)
    assert called["finish_reason"] == "tool_calls"
    (call,) = called["message"]["tool_calls"]
    assert call["function"]["name"] == "file_search"
    assert json.loads(call["function"]["arguments"]) == {"query": "use file_search: aurora city?"}
    result = {"role": "tool", "tool_call_id": call["id"], "content": "Tromso"}
    assert say([question, called["message"], result], tools=tools)["message"]["content"] == REPLY
    assert say([{"role": "user", "content": "no tool named"}], tools=tools)["message"]["content"] == REPLY

    _, body = _call(url, {"model": "fake-llm", "messages": [question], "tools": tools, "stream": True})
    chunks = [json.loads(line[6:]) for line in body.decode().splitlines() if line.startswith("data: {")]
    streamed = [d for c in chunks for d in c["choices"][0]["delta"].get("tool_calls") or []]
    assert [d["function"]["name"] for d in streamed] == ["file_search"]
    assert chunks[-1]["choices"][0]["finish_reason"] == "tool_calls"


def test_fake_upstream_rejects_a_wrong_key_when_it_checks_keys() -> None:
    with FakeOpenAI(api_key="right") as upstream:
        assert _call(f"{upstream.base_url}/models", headers={"Authorization": "Bearer wrong"})[0] == 401
        assert _call(f"{upstream.base_url}/models", headers={"Authorization": "Bearer right"})[0] == 200
        assert _call(f"{upstream.url}/health")[0] == 200  # vLLM's health check carries no key


# ---------------------------------------------------------------------------------------------
# PostgreSQL
# ---------------------------------------------------------------------------------------------
def test_postgres_accepts_the_password_over_tcp_and_rejects_a_wrong_one(postgres: PostgresServer) -> None:
    psycopg2 = pytest.importorskip("psycopg2", reason="psycopg2-binary is in the [test] extra")
    conn = psycopg2.connect(
        host=postgres.host, port=postgres.port, dbname=postgres.database, user=postgres.user,
        password=postgres.password, connect_timeout=10,
    )  # fmt: skip
    try:
        with conn, conn.cursor() as cur:
            cur.execute("CREATE TABLE IF NOT EXISTS harness_probe (id int)")
            cur.execute("SELECT current_user, inet_server_addr()::text")
            assert cur.fetchone() == (postgres.user, "127.0.0.1/32")
    finally:
        conn.close()
    assert "harness_probe" in postgres.tables()
    with pytest.raises(psycopg2.OperationalError, match="password authentication failed"):
        psycopg2.connect(
            host=postgres.host, port=postgres.port, dbname=postgres.database, user=postgres.user,
            password="wrong", connect_timeout=10,
        )  # fmt: skip
    assert postgres.dsn().startswith(f"postgresql://{postgres.user}:")


def test_postgres_pgvector_flag_tells_the_truth(postgres: PostgresServer) -> None:
    """has_pgvector is what scenarios skip on, so it must match what the server can do."""
    available = postgres.psql("SELECT count(*) FROM pg_available_extensions WHERE name = 'vector'") == "1"
    assert postgres.has_pgvector == available, postgres.pgvector_reason
    if available:
        assert postgres.psql("SELECT '[1,2,3]'::vector <-> '[1,2,4]'::vector") == "1"


# ---------------------------------------------------------------------------------------------
# Pod runner: units
# ---------------------------------------------------------------------------------------------
def test_path_mapper_rewrites_whole_mount_paths_longest_first(tmp_path: Path) -> None:
    mapper = PathMapper(tmp_path, ["/etc/llama-stack/", "/etc/llama-stack-tls", "/.llama", "/etc"])
    root = str(tmp_path)
    assert mapper.rewrite("/etc/llama-stack/config.yaml") == f"{root}/etc/llama-stack/config.yaml"
    assert mapper.rewrite("/etc/llama-stack-tls/tls.crt") == f"{root}/etc/llama-stack-tls/tls.crt"
    assert mapper.rewrite("db_path: /.llama/kv.db") == f"db_path: {root}/.llama/kv.db"
    assert mapper.rewrite("/etc/hosts") == f"{root}/etc/hosts"  # the shorter mount still applies
    assert mapper.rewrite("~/.llama/x") == "~/.llama/x"  # not a pod path
    assert mapper.rewrite("/usr/etc/x /etc/llama-stackish") == f"/usr/etc/x {root}/etc/llama-stackish"
    assert mapper.rewrite(mapper.rewrite("/.llama")) == f"{root}/.llama"  # same input, one rewrite


def test_port_and_config_rewrites() -> None:
    assert rewrite_port_args(["llama", "stack", "run", "c.yaml", "--port", "8321"], 8321, 5000)[-1] == "5000"
    assert rewrite_port_args(["x", "--port=8321", "8321"], 8321, 5000) == ["x", "--port=5000", "8321"]
    assert rewrite_port_args(["sh", "-c", 'run --port "8321" && echo 83210'], 8321, 5) == [
        "sh", "-c", 'run --port "5" && echo 83210'
    ]  # fmt: skip
    patched = yaml.safe_load(patch_llama_stack_config(CONFIG_TEXT, 8321, 5000))
    assert patched["server"] == {"port": 5000, "host": "127.0.0.1"}
    assert patch_llama_stack_config("a: 1\n", 8321, 5000) == "a: 1\n"  # not a llama-stack config


# ---------------------------------------------------------------------------------------------
# Pod runner: a real process
# ---------------------------------------------------------------------------------------------
def test_pod_runner_resolves_env_writes_volumes_and_maps_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLSD_HOST_ONLY_SENTINEL", "leak")
    with run_pod(_deployment(), _objects(), ready_timeout=30) as pod:
        root = str(pod.root)
        dump = pod.get("/dump").json()
        env = dump["env"]
        # env: secrets (data and stringData), ConfigMap keys, values, $(VAR) expansion, optional refs
        assert env["API_KEY"] == SECRET_VALUE
        assert env["OTHER_KEY"] == "string-data-token"
        assert env["FROM_CM"] == "debug"
        assert env["PLAIN"] == "plain-value"
        assert env["EXPANDED"] == "level=debug escaped=$(FROM_CM)"
        assert "MISSING_OK" not in env
        assert "LLSD_HOST_ONLY_SENTINEL" not in env
        assert set(env) <= {"PATH", "HOME", "LANG", "PYTHONUNBUFFERED", "TIKTOKEN_CACHE_DIR", "LC_CTYPE", "TMPDIR"} | {
            e["name"] for e in _deployment()["spec"]["template"]["spec"]["containers"][0]["env"]
        }
        assert env["PATH"].split(":")[0].endswith("/.venv/bin")
        assert env["HOME"].startswith(root)
        # paths: env, args and the mounted config text point into the temp root
        assert env["DATA_DIR"] == f"{root}/.llama/data"
        assert env["CONFIG_PATH"] == f"{root}/etc/llama-stack/config.yaml"
        assert dump["argv"][-1] == f"{root}/etc/llama-stack/config.yaml"
        config = yaml.safe_load(dump["config"])
        assert config["storage"]["backends"]["kv_default"]["db_path"] == f"{root}/.llama/kv.db"
        assert "~/.llama stays" in config["note"]
        assert "/etc/llama-stackish stays" in config["note"]
        assert config["server"] == {"port": pod.host_port, "host": "127.0.0.1"}
        # volumes: only the listed item, subPath files, a writable emptyDir
        assert not (pod.root / "etc/llama-stack/ignored.yaml").exists()
        assert (pod.root / "opt/extra/one.txt").read_text() == "first"
        assert wait_for(lambda: (pod.host_path("/.llama/data") / "written-by-pod").exists())
        # port: the pod asked for 8321, the process listens on the mapped port, on loopback only
        assert env["LLS_PORT"] == str(pod.host_port)
        assert "--port" in dump["argv"]
        assert dump["argv"][dump["argv"].index("--port") + 1] == str(pod.host_port)
        assert listening_addresses(pod.host_port) == {"127.0.0.1"}
        pid = pod.process.pid if pod.process else -1
        assert _alive(pid)
    assert not _alive(pid), "the container process outlived the context"
    assert not Path(root).exists(), "the temp root was not removed"


def test_pod_runner_maps_image_files_for_containers_of_that_image_only(tmp_path: Path) -> None:
    """`image_files`: an init container of the listed image reads its /lls-provider from a host dir
    and copies it into a shared emptyDir; a container of another image does not see that dir."""
    image_dir = tmp_path / "image"
    image_dir.mkdir()
    (image_dir / "marker.txt").write_text("from-the-image")
    copy_script = "cp /lls-provider/marker.txt /shared/marker.txt && echo /lls-provider > /shared/seen.txt"
    deployment = _deployment(
        env=[{"name": "PROVIDER_DIR", "value": "/lls-provider"}],
        extra_volumes=[{"name": "shared", "emptyDir": {}}],
        extra_mounts=[{"name": "shared", "mountPath": "/shared"}],
    )
    pod_spec = deployment["spec"]["template"]["spec"]
    pod_spec["initContainers"] = [
        {
            "name": "install",
            "image": "registry.example.com/provider:1",
            "command": ["/bin/sh", "-c", copy_script],
            "volumeMounts": [{"name": "shared", "mountPath": "/shared"}],
        }
    ]
    pod_spec["containers"][0]["image"] = "registry.example.com/server:1"
    image_files = {"registry.example.com/provider:1": {"/lls-provider": image_dir}}
    with run_pod(deployment, _objects(), ready_timeout=30, image_files=image_files) as pod:
        shared = pod.host_path("/shared")
        assert (shared / "marker.txt").read_text() == "from-the-image"
        assert (shared / "seen.txt").read_text().strip() == str(image_dir), "the path was rewritten in the script"
        assert pod.get("/dump").json()["env"]["PROVIDER_DIR"] == "/lls-provider", "another image's path leaked"

    pod_spec["initContainers"][0]["image"] = "registry.example.com/other:1"
    with (
        pytest.raises(PodFailed, match="init container 'install' exited"),
        run_pod(deployment, _objects(), ready_timeout=30, image_files=image_files),
    ):
        pass


def test_pod_runner_serves_https_probes_and_mounts_secret_files(tmp_path: Path) -> None:
    try:
        cert, key = self_signed_cert(tmp_path)
    except FileNotFoundError as exc:
        pytest.skip(str(exc))
    tls = {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "kubernetes.io/tls",
        "metadata": {"name": "tls"},
        "data": {"tls.crt": base64.b64encode(cert).decode(), "tls.key": base64.b64encode(key).decode()},
    }
    deployment = _deployment(
        env=[
            {"name": "TLS_CERT", "value": "/etc/llama-stack-tls/tls.crt"},
            {"name": "TLS_KEY", "value": "/etc/llama-stack-tls/tls.key"},
        ],
        probe_scheme="HTTPS",
        extra_volumes=[{"name": "tls", "secret": {"secretName": "tls"}}],
        extra_mounts=[{"name": "tls", "mountPath": "/etc/llama-stack-tls", "readOnly": True}],
    )
    response = {"children": [deployment, *_objects()[2:]]}
    request = {"related": {"Secret.v1": {"creds": _objects()[0], "creds-string": _objects()[1], "tls": tls}}}
    with run_hook_pod(response, request, ready_timeout=30) as pod:
        assert pod.base_url.startswith("https://")
        assert (pod.root / "etc/llama-stack-tls/tls.key").read_bytes() == key  # byte for byte
        assert pod.get("/healthz").text == "ok"


def test_pod_runner_reports_a_crashing_container_with_its_log_redacted() -> None:
    crash = ["python3", "-c", "import os, sys; print('boom', os.environ['API_KEY'], flush=True); sys.exit(3)"]
    with pytest.raises(PodFailed) as info, run_pod(_deployment(command=crash), _objects(), ready_timeout=30):
        pytest.fail("the pod must not become ready")
    message = str(info.value)
    assert "exited with 3" in message
    assert f"boom {REDACTED}" in message
    assert SECRET_VALUE not in message


def test_pod_runner_fails_like_the_kubelet_on_a_missing_secret() -> None:
    env = [{"name": "GONE", "valueFrom": {"secretKeyRef": {"name": "creds", "key": "absent"}}}]
    with (
        pytest.raises(PodFailed, match="CreateContainerConfigError: couldn't find key 'absent'"),
        run_pod(_deployment(env=env), _objects(), ready_timeout=30),
    ):
        pytest.fail("the pod must not start")


def test_pod_runner_times_out_a_pod_that_never_gets_ready() -> None:
    deployment = _deployment()
    deployment["spec"]["template"]["spec"]["containers"][0]["startupProbe"]["httpGet"]["path"] = "/missing"
    started = time.monotonic()
    with (
        pytest.raises(PodFailed, match=r"probe .*/missing not ready after 2s \(last: HTTP 404\)"),
        run_pod(deployment, _objects(), ready_timeout=2),
    ):
        pytest.fail("the pod must not become ready")
    assert time.monotonic() - started < 20


def test_pod_runner_kills_a_container_that_ignores_sigterm_and_its_children() -> None:
    deployment = _deployment(env=[{"name": "IGNORE_TERM", "value": "1"}], grace=1)
    with run_pod(deployment, _objects(), ready_timeout=30) as pod:
        child_pid_file = pod.host_path("/.llama/data") / "child.pid"
        assert wait_for(child_pid_file.exists)
        child = int(child_pid_file.read_text())
        main = pod.process.pid if pod.process else -1
        assert _alive(child)
        assert _alive(main)
        started = time.monotonic()
        code = pod.stop()
        elapsed = time.monotonic() - started
    assert code == -signal.SIGKILL
    assert elapsed >= 1.0
    assert wait_for(lambda: not _alive(child), timeout=5), "the container's child survived"
    assert not _alive(main)


def test_redaction_covers_whole_values_and_connection_string_passwords() -> None:
    store = ObjectStore.from_objects([_secret("db", {"url": "postgresql://u:pw-1234@127.0.0.1:5432/db"}), *_objects()])
    values = store.secret_values()
    assert "pw-1234" in values
    assert SECRET_VALUE in values
    assert "string-data-token" in values


# ---------------------------------------------------------------------------------------------
# The pod's user
# ---------------------------------------------------------------------------------------------
# Tries to write where a container may and may not, records the outcome in its emptyDir, serves.
WRITER = r"""
import http.server, json, os, sys
def attempt(path):
    try:
        with open(path, "w") as handle:
            handle.write("x")
        return "written"
    except OSError as err:
        return type(err).__name__
report = {
    "uid": os.getuid(), "groups": sorted(os.getgroups()),
    "volume": attempt("/data/file"), "cwd": attempt("in-working-dir"),
    "tmp": attempt(os.path.join(os.environ["TMPDIR"], "t")), "home": attempt(os.path.expanduser("~/h")),
}
open("/data/report.json", "w").write(json.dumps(report))
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.end_headers(); self.wfile.write(b"ok")
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[sys.argv.index("--port") + 1])), H).serve_forever()
"""


def _writer_pod(with_tmp: bool) -> dict[str, Any]:
    mounts = [{"name": "data", "mountPath": "/data"}]
    volumes = [{"name": "data", "emptyDir": {}}]
    if with_tmp:
        mounts.append({"name": "tmp", "mountPath": "/tmp"})
        volumes.append({"name": "tmp", "emptyDir": {}})
    container = {
        "name": "writer",
        "command": ["python3", "-c", WRITER, "--port", "8321"],
        "ports": [{"containerPort": 8321}],
        "startupProbe": {"httpGet": {"path": "/", "port": 8321}},
        "securityContext": {"readOnlyRootFilesystem": True, "allowPrivilegeEscalation": False},
        "volumeMounts": mounts,
    }
    pod = {
        "securityContext": {"runAsNonRoot": True, "runAsUser": 1001, "runAsGroup": 1001, "fsGroup": 1001},
        "containers": [container],
        "volumes": volumes,
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "w"},
        "spec": {"template": {"spec": pod}},
    }


@pytest.mark.skipif(os.geteuid() != 0, reason="switching to the pod's user needs root")
@pytest.mark.parametrize("with_tmp", [True, False], ids=["tmp-volume", "no-tmp-volume"])
def test_the_container_runs_as_the_pods_user_and_writes_only_into_its_volumes(with_tmp: bool) -> None:
    with run_pod(_writer_pod(with_tmp), ready_timeout=30) as pod:
        report = json.loads(pod.host_path("/data/report.json").read_text())
    assert pod.uid == 1001
    assert report["uid"] == 1001
    assert 1001 in report["groups"], "fsGroup is a supplementary group"
    assert report["volume"] == "written"
    assert report["cwd"] == "PermissionError", "the image's working directory is not writable"
    assert report["home"] == "PermissionError", "a HOME that is no volume is read-only"
    assert report["tmp"] == ("written" if with_tmp else "PermissionError"), "/tmp is writable only as a volume"
