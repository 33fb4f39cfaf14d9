"""`llsd-hook serve` for real (gunicorn subprocess on 127.0.0.1): TLS with bearer-token auth,
and a graceful shutdown that finishes every in-flight request.
"""

from __future__ import annotations

import http.client
import json
import ssl
import threading
import time

import pytest

from tests.e2e.tls import self_signed_cert
from tests.support.hook_server import HookServer
from tests.support.metacontroller import sync_request
from tests.support.paths import load_sample
from tests.support.workload import scaled_cr

pytestmark = pytest.mark.slow  # real gunicorn with TLS and signals

TOKEN = "reliability-test-token-3f9a"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    directory = tmp_path_factory.mktemp("tls")
    self_signed_cert(directory)
    return str(directory / "tls.crt"), str(directory / "tls.key")


def _call(server: HookServer, method: str, path: str, body: bytes | None = None, token: str | None = None):
    conn = server.connection(timeout=30)
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def _get(connection: http.client.HTTPConnection, path: str) -> bytes:
    """One GET on `connection`, its body read (where a refused connection shows)."""
    connection.request("GET", path)
    return connection.getresponse().read()


@pytest.mark.parametrize("token_from", ["env", "file"])
def test_https_with_bearer_token(certificate, tmp_path, token_from):
    certfile, keyfile = certificate
    if token_from == "env":
        env = {"LLSD_AUTH_TOKEN": TOKEN, "LLSD_AUTH_TOKEN_FILE": ""}
    else:
        (tmp_path / "token").write_text(TOKEN + "\n")
        env = {"LLSD_AUTH_TOKEN": "", "LLSD_AUTH_TOKEN_FILE": str(tmp_path / "token")}
    parent, related = scaled_cr(2)
    body = json.dumps(sync_request(parent, related)).encode()
    with HookServer(workers=1, env=env, certfile=certfile, keyfile=keyfile) as server:
        assert server.scheme == "https"
        assert _call(server, "GET", "/healthz")[0] == 200  # probes need no token
        status, answer = _call(server, "POST", "/sync", body)
        assert status == 401
        assert json.loads(answer)["error"]
        assert _call(server, "POST", "/sync", body, token="wrong")[0] == 401
        assert _call(server, "POST", "/customize", body, token="wrong")[0] == 401
        status, answer = _call(server, "POST", "/sync", body, token=TOKEN)
        assert status == 200
        assert json.loads(answer)["children"]
        assert TOKEN.encode() not in answer

        # the certificate is what the client checks: another CA, or plain HTTP, gets nowhere
        plain = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        with pytest.raises((OSError, http.client.HTTPException)):
            _get(plain, "/healthz")
        plain.close()
        untrusted = http.client.HTTPSConnection(
            "127.0.0.1", server.port, timeout=10, context=ssl.create_default_context()
        )
        with pytest.raises(ssl.SSLCertVerificationError):
            untrusted.request("GET", "/healthz")
        untrusted.close()
    # only the two connections refused on purpose above are logged, and never the token
    assert all("[SSL" in line for line in server.log_problems), server.log_problems
    assert not any(TOKEN in line for line in server.log_problems)


def test_sigterm_finishes_every_in_flight_request():
    """Requests whose bodies are still arriving when the master gets SIGTERM are all answered."""
    parent, related = scaled_cr(50)
    body = json.dumps(sync_request(parent, related)).encode()
    clients = 6
    results: list[tuple[int, bytes] | BaseException] = [RuntimeError("no answer")] * clients
    server = HookServer(workers=2)
    try:
        conns = []
        for _ in range(clients):
            conn = server.connection(timeout=60)
            conn.putrequest("POST", "/sync")
            conn.putheader("Content-Type", "application/json")
            conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body[: len(body) // 4])
            conns.append(conn)
        time.sleep(1.0)  # every worker has picked its connections up and is reading the bodies
        server.terminate()
        sent_after_sigterm = time.monotonic()

        def finish(index: int, conn: http.client.HTTPConnection) -> None:
            try:
                rest = body[len(body) // 4 :]
                step = max(1, len(rest) // 10)
                for offset in range(0, len(rest), step):
                    conn.send(rest[offset : offset + step])
                    time.sleep(0.1)
                response = conn.getresponse()
                results[index] = (response.status, response.read())
            except BaseException as err:
                results[index] = err
            finally:
                conn.close()

        threads = [threading.Thread(target=finish, args=(i, c)) for i, c in enumerate(conns)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        finished_after_sigterm = time.monotonic() - sent_after_sigterm
        exit_code = server.process.wait(timeout=30)
    finally:
        server.stop()
    for result in results:
        assert not isinstance(result, BaseException), f"an in-flight request was dropped: {result!r}"
        status, answer = result
        assert status == 200, answer[:300]
        assert json.loads(answer)["children"]
    assert finished_after_sigterm >= 1.0, "the bodies were still being sent well after SIGTERM"
    assert exit_code == 0
    assert server.log_problems == []


def _post_raw(server: HookServer, body: bytes, chunked: bool) -> tuple[int, dict]:
    """POST /sync with Content-Length, or in chunks without one (as a proxy may forward it)."""
    conn = server.connection(timeout=30)
    try:
        if chunked:
            conn.putrequest("POST", "/sync")
            conn.putheader("Content-Type", "application/json")
            conn.putheader("Transfer-Encoding", "chunked")
            conn.endheaders()
            for start in range(0, len(body), 4096):
                piece = body[start : start + 4096]
                conn.send(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            conn.send(b"0\r\n\r\n")
        else:
            conn.request("POST", "/sync", body=body, headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


def test_bodies_with_and_without_content_length_and_the_size_limit():
    """The hook reads the body itself (hooks/request.py read_body): a chunked body is read whole,
    and LLSD_MAX_BODY_BYTES holds for both forms with a JSON 413."""
    parent, objects = load_sample("example-with-providers")
    body = json.dumps(sync_request(parent, objects, [])).encode()
    with HookServer(workers=1, env={"LLSD_MAX_BODY_BYTES": str(len(body) + 10)}) as server:
        for chunked in (False, True):
            status, answer = _post_raw(server, body, chunked)
            assert status == 200, answer
            assert {child["kind"] for child in answer["children"]} >= {"ConfigMap", "Deployment", "Service"}
            status, answer = _post_raw(server, body + b" " * 20, chunked)
            assert status == 413, answer
            assert answer["error"]
