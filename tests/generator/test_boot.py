"""A generated config boots a real llama-stack 0.7.3 server (`llama stack run CONFIG --port P`).

The upstream is a small fake OpenAI-compatible server on 127.0.0.1 (no model server can run
here); everything else is real. The `nvidia` distribution is used because its providers need no
torch (README: "Boot tests"). The full pod, as the hook describes it, boots in tests/e2e/.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from generator import generate
from tests.generator.crs import llsd, secret
from tests.support.fake_openai import FakeOpenAI
from tests.support.net import free_port

pytestmark = pytest.mark.boot
API_KEY = "boot-test-canary-key"


def get(url: str, body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def test_single_vllm_provider_config_boots_and_serves_the_model(tmp_path: Path):
    with FakeOpenAI() as upstream:
        cr = llsd(
            {
                "distribution": {"name": "nvidia"},
                "providers": {
                    "inference": {"provider": "vllm", "endpoint": upstream.base_url, "apiKey": secret("vllm", "token")}
                },
                "resources": {"models": ["fake-llm"]},
            }
        )
        result = generate(cr)
        # The pod mounts its storage at /.llama; here a temp dir stands in for it. Bind loopback only.
        config = tmp_path / "config.yaml"
        text = result.config_yaml.replace("/.llama", str(tmp_path / "state"))
        config.write_text(text.replace("server:\n  port:", "server:\n  host: 127.0.0.1\n  port:"))
        port = free_port()
        env = {
            "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
            "HOME": str(tmp_path),
            "LLSD_INFERENCE_API_KEY": API_KEY,
            "TIKTOKEN_CACHE_DIR": os.environ.get("TIKTOKEN_CACHE_DIR", ""),
        }
        assert result.command[:3] == ["llama", "stack", "run"]
        argv = [result.command[0], "stack", "run", str(config), "--port", str(port)]
        log = (tmp_path / "server.log").open("w")
        server = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 90
            while True:
                assert server.poll() is None, (tmp_path / "server.log").read_text()[-4000:]
                try:
                    if get(f"{base}/v1/health") == {"status": "OK"}:
                        break
                except OSError:
                    pass
                assert time.monotonic() < deadline, (tmp_path / "server.log").read_text()[-4000:]
                time.sleep(0.25)
            models = [m["id"] for m in get(f"{base}/v1/models")["data"]]
            assert "vllm/fake-llm" in models
            reply = get(
                f"{base}/v1/chat/completions",
                {"model": "vllm/fake-llm", "messages": [{"role": "user", "content": "ping"}]},
            )
            assert reply["choices"][0]["message"]["content"] == "pong"
            chats = upstream.requests_to("/v1/chat/completions")
            assert chats
            assert chats[-1].authorization == f"Bearer {API_KEY}"
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
            log.close()
