"""Run the pod a hook response describes as local processes on 127.0.0.1 (no Kubernetes here).

The E2E suite must exercise **the Deployment the hook returns**, not a hand-made imitation, so
this module does what the kubelet would do with it, as literally as a local process allows:

Containers
    ``initContainers`` run first, one after another, each to completion (non-zero exit fails the
    pod). Then the first container of ``spec.template.spec.containers`` runs with its
    ``command`` + ``args`` exactly as given. There is no image: the executable is looked up in a
    PATH that starts with the project venv's ``bin`` (``.venv/bin``: its ``llama`` and ``python3``
    are the llama-stack 0.7.3 the image would ship). A container without ``command`` fails: we
    cannot know an image's entrypoint.

Environment
    Only what a container would see: the image's environment (``PATH``, ``HOME``, ``LANG`` and
    ``TIKTOKEN_CACHE_DIR``, which the official image sets, taken from the host when set there),
    then ``envFrom`` and the ``env`` list in order. ``value`` (with ``$(VAR)`` expansion as
    Kubernetes does), ``valueFrom.secretKeyRef`` (base64 ``data`` or ``stringData`` of the Secret),
    ``valueFrom.configMapKeyRef`` and ``fieldRef`` (name, namespace, pod IP = 127.0.0.1) are
    resolved; a missing non-optional reference fails like ``CreateContainerConfigError``. Nothing
    else of the host environment leaks in, except ``PYTHONUNBUFFERED=1`` so the log is written
    as it happens. ``HOME`` is ``<tmproot>/home`` so nothing is written
    to the real home directory.

Volumes and the path mapping (harness-only)
    Every ``volumeMount`` ``M`` is materialised at ``<tmproot>M``: configMap and secret volumes
    are written as files (``items`` key->path when given, ``subPath`` supported), emptyDir and
    persistentVolumeClaim volumes are empty dirs shared by all containers of the pod. Because
    the command and the config reference absolute pod paths (``/etc/llama-stack/config.yaml``,
    ``/etc/llama-stack-tls/tls.crt``, ``/.llama/...``), every occurrence of a mountPath (as a
    whole path component, longest mountPath first, in one pass so a rewritten path is never
    rewritten again) is replaced by ``<tmproot><mountPath>`` in command, args and env values
    and in the text of configMap files (and of YAML files left in emptyDirs by init containers).
    Secret files are written byte for byte.

Image files (harness-only, ``image_files``)
    There are no images, so a test says what an image's filesystem holds:
    ``image_files={"registry.example.com/echo:1": {"/lls-provider": host_dir}}`` makes the pod
    path ``/lls-provider`` of every container whose ``image`` is that image refer to
    ``host_dir``, by the same whole-path rewriting as the mounts (command, args, env values),
    for that container only. Used for external provider images (their ``/lls-provider``
    contract); a path of an image not listed stays as it is, so a container relying on it fails
    like it would with an image that lacks it.

User (as the kubelet does)
    Every container runs as its ``runAsUser``/``runAsGroup`` (container ``securityContext``
    over the pod's), with the pod's ``fsGroup`` as a supplementary group, when the runner is
    root: the uid is a real user of this machine (created as ``llsd-pod-<uid>`` when missing),
    switched to with ``setpriv``, keeping only the right to read any file (``_as_user``).
    emptyDir and PVC volumes are world-writable (as the kubelet makes emptyDirs); everything
    else under the temp root (the working directory, parents of mount points, a ``HOME`` that
    is no volume) belongs to root and is read-only for that user, and ``TMPDIR`` points at the
    pod's ``/tmp`` volume (or a read-only directory when it has none and the root filesystem is
    read-only). So a path the server writes outside its volumes fails the test, as it would
    fail in a ``readOnlyRootFilesystem`` pod. ``Pod.uid`` says who ran it (None: not root here).

Port (harness-only)
    The pod asks for container port ``P`` (``ports[0].containerPort``, else the probe port, else
    8321). Another test may hold ``P``, so a free port ``H`` is chosen and ``P`` becomes ``H``
    where the pod states it: ``--port P`` / ``--port=P`` in command and args, env vars named
    ``*PORT`` whose value is ``P`` (``LLS_PORT``, ``LLAMA_STACK_PORT``), ``server.port`` in
    mounted llama-stack configs, and the probes. ``base_url`` uses ``H``.

Bind address (harness-only)
    llama-stack binds every interface unless ``server.host`` is set, and takes the host only from
    its config, so mounted llama-stack configs (YAML with ``providers``) get
    ``server.host: 127.0.0.1``. Nothing else in them changes.

Probes
    The startupProbe, then the readinessProbe, ``httpGet`` path/scheme/port/headers, are polled
    on 127.0.0.1:H (HTTPS without certificate verification, as the kubelet does) every 0.25 s
    until 2xx/3xx, the process exits, or ``ready_timeout`` passes. We report instead of
    restarting: a failure raises ``PodFailed`` with the last 200 lines of the log.

Stop
    SIGTERM to the container's process group, SIGKILL after the grace period, then the temp
    root is removed (kept when ``LLSD_E2E_KEEP=1``, for debugging). Logs handed out by this
    module have every resolved Secret value replaced by ``********``.
"""

from __future__ import annotations

import base64
import json
import os
import pwd
import re
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tests.support.net import free_port

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = REPO / ".venv" / "bin"
DEFAULT_PORT = 8321
LOG_TAIL = 200
REDACTED = "********"
_PATH_CHARS = r"A-Za-z0-9_.~/-"


class PodFailed(RuntimeError):
    """The pod did not become ready (or an init container failed); the message carries the log tail."""


# ---------------------------------------------------------------------------------------------
# Objects from a hook request / response
# ---------------------------------------------------------------------------------------------
def flatten_objects(*groups: Any) -> list[dict[str, Any]]:
    """Objects from lists (a response's `children`) or Metacontroller maps (`{"Secret.v1": {key: obj}}`)."""
    out: list[dict[str, Any]] = []
    for group in groups:
        if not group:
            continue
        if isinstance(group, Mapping) and "kind" in group:
            out.append(dict(group))
        elif isinstance(group, Mapping):
            for value in group.values():
                out.extend(flatten_objects(value))
        elif isinstance(group, Iterable) and not isinstance(group, str | bytes):
            for item in group:
                out.extend(flatten_objects(item))
    return out


@dataclass
class ObjectStore:
    """Secrets and ConfigMaps by name (the pod's namespace is the parent's, so names suffice)."""

    secrets: dict[str, dict[str, bytes]] = field(default_factory=dict)
    configmaps: dict[str, dict[str, bytes]] = field(default_factory=dict)

    @classmethod
    def from_objects(cls, objects: Iterable[Mapping[str, Any]]) -> ObjectStore:
        store = cls()
        for obj in objects:
            name = obj.get("metadata", {}).get("name")
            if obj.get("kind") == "Secret":
                data = {k: base64.b64decode(v) for k, v in (obj.get("data") or {}).items()}
                data.update({k: str(v).encode() for k, v in (obj.get("stringData") or {}).items()})
                store.secrets[name] = data
            elif obj.get("kind") == "ConfigMap":
                data = {k: str(v).encode() for k, v in (obj.get("data") or {}).items()}
                data.update({k: base64.b64decode(v) for k, v in (obj.get("binaryData") or {}).items()})
                store.configmaps[name] = data
        return store

    def secret_values(self) -> list[str]:
        values = []
        for data in self.secrets.values():
            for raw in data.values():
                text = raw.decode(errors="replace").strip()
                if len(text) >= 4:
                    values.append(text)
                password = _url_password(text)  # a connection string's password may be logged alone
                if password and len(password) >= 4:
                    values.append(password)
        return sorted(set(values), key=len, reverse=True)

    def lookup(self, kind: str, name: str, key: str, optional: bool) -> bytes | None:
        source = self.secrets if kind == "secret" else self.configmaps
        if name not in source:
            if optional:
                return None
            raise PodFailed(f"CreateContainerConfigError: {kind} {name!r} not found")
        if key not in source[name]:
            if optional:
                return None
            raise PodFailed(f"CreateContainerConfigError: couldn't find key {key!r} in {kind} {name!r}")
        return source[name][key]


# ---------------------------------------------------------------------------------------------
# Path and port rewriting
# ---------------------------------------------------------------------------------------------
class PathMapper:
    """Maps pod paths under a mountPath to `<tmproot><mountPath>` (see the module docstring)."""

    def __init__(self, root: Path, mount_paths: Iterable[str], overrides: Mapping[str, str | Path] | None = None):
        """`overrides`: pod path -> host path for paths that are not under `root` (image files)."""
        self.root = root
        self.overrides = {k.rstrip("/"): str(v) for k, v in (overrides or {}).items() if k.rstrip("/")}
        paths = sorted({p.rstrip("/") for p in [*mount_paths, *self.overrides] if p.rstrip("/")}, key=len, reverse=True)
        self.mount_paths = paths
        if paths:
            alternatives = "|".join(re.escape(p) for p in paths)
            # A whole path component: not preceded by a path character (so `~/.llama` and
            # `/x/etc/...` stay), followed by `/`, a non-path character or the end.
            self._re: re.Pattern[str] | None = re.compile(
                rf"(?<![{_PATH_CHARS}])({alternatives})(?=/|[^{_PATH_CHARS}]|$)"
            )
        else:
            self._re = None

    def _target(self, path: str) -> str:
        return self.overrides.get(path) or f"{self.root}{path}"

    def host_path(self, pod_path: str) -> Path:
        path = pod_path.rstrip("/")
        return Path(self.overrides[path]) if path in self.overrides else Path(f"{self.root}{path or '/'}")

    def rewrite(self, text: str) -> str:
        if self._re is None:
            return text
        return self._re.sub(lambda m: self._target(m.group(1)), text)


def rewrite_port_args(argv: list[str], pod_port: int, host_port: int) -> list[str]:
    """`--port P` / `--port=P` (also inside `sh -c` scripts) becomes the host port."""
    out: list[str] = []
    pattern = re.compile(rf"(--port[= ]\"?){pod_port}(?![0-9])")
    for i, arg in enumerate(argv):
        if arg == str(pod_port) and i > 0 and argv[i - 1] == "--port":
            out.append(str(host_port))
        else:
            out.append(pattern.sub(lambda m: f"{m.group(1)}{host_port}", arg))
    return out


def patch_llama_stack_config(text: str, pod_port: int, host_port: int) -> str:
    """For a llama-stack config: bind 127.0.0.1 and serve on the host port; other YAML unchanged."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError:
        return text
    if not isinstance(doc, dict) or "providers" not in doc:
        return text
    server = doc.get("server") or {}
    server["host"] = "127.0.0.1"
    if str(server.get("port", pod_port)) == str(pod_port):
        server["port"] = host_port
    doc["server"] = server
    return yaml.safe_dump(doc, sort_keys=False)


def expand_vars(value: str, env: Mapping[str, str]) -> str:
    """Kubernetes `$(VAR)` expansion: known names are replaced, `$$` escapes, unknown stay as is."""

    def sub(m: re.Match[str]) -> str:
        if m.group(0) == "$$":
            return "$"
        name = m.group(1)
        return env.get(name, m.group(0))

    return re.sub(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)", sub, value)


def listening_addresses(port: int) -> set[str]:
    """Local addresses with a TCP socket LISTENing on `port` (from /proc/net/tcp{,6}).

    Lets a test check that the server bound 127.0.0.1 only.
    """
    found: set[str] = set()
    for table, family in (("/proc/net/tcp", 4), ("/proc/net/tcp6", 6)):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            local, state = parts[1], parts[3]
            addr_hex, port_hex = local.split(":")
            if state != "0A" or int(port_hex, 16) != port:
                continue
            raw = bytes.fromhex(addr_hex)
            if family == 4:
                found.add(socket.inet_ntop(socket.AF_INET, raw[::-1]))
            else:
                words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
                found.add(socket.inet_ntop(socket.AF_INET6, words))
    return found


# ---------------------------------------------------------------------------------------------
# HTTP
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class HttpResponse:
    status: int
    body: bytes
    headers: dict[str, str]

    @property
    def text(self) -> str:
        return self.body.decode(errors="replace")

    def json(self) -> Any:
        return json.loads(self.body)


def http_request(
    url: str,
    method: str = "GET",
    body: Any = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = 60,
) -> HttpResponse:
    """One HTTP call (HTTPS without verification: test servers use self-signed certs). Never raises on status."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers=dict(headers or {}))
    if data is not None:
        req.add_header("Content-Type", "application/json")
    context = ssl._create_unverified_context() if url.startswith("https:") else None
    try:
        with urllib.request.urlopen(req, timeout=timeout, context=context) as resp:
            return HttpResponse(resp.status, resp.read(), {k.lower(): v for k, v in resp.headers.items()})
    except urllib.error.HTTPError as err:
        return HttpResponse(err.code, err.read(), {k.lower(): v for k, v in err.headers.items()})


# ---------------------------------------------------------------------------------------------
# The pod
# ---------------------------------------------------------------------------------------------
@dataclass
class Pod:
    """A running pod: the main container as a local process, its files under `root`."""

    root: Path
    host_port: int
    pod_port: int
    scheme: str
    process: subprocess.Popen[bytes] | None
    log_path: Path
    argv: list[str] = field(repr=False)  # may hold resolved Secret values: never in a repr
    env: dict[str, str] = field(repr=False)
    mapper: PathMapper = field(repr=False)
    grace_seconds: float = 15.0
    uid: int | None = None  # the user the main container ran as (None: the runner is not root)
    _redact: list[str] = field(default_factory=list, repr=False)

    @property
    def base_url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.host_port}"

    def host_path(self, pod_path: str) -> Path:
        """Where a pod path (under some mountPath) lives on this machine."""
        return Path(self.mapper.rewrite(pod_path))

    def get(self, path: str, timeout: float = 60, headers: Mapping[str, str] | None = None) -> HttpResponse:
        return http_request(self.base_url + path, "GET", headers=headers, timeout=timeout)

    def post(
        self, path: str, json: Any = None, timeout: float = 60, headers: Mapping[str, str] | None = None
    ) -> HttpResponse:
        return http_request(self.base_url + path, "POST", body=json, headers=headers, timeout=timeout)

    def redact(self, text: str) -> str:
        for value in self._redact:
            text = text.replace(value, REDACTED)
        return text

    def log(self, raw: bool = False) -> str:
        """The container's stdout+stderr so far (Secret values redacted unless raw=True)."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return text if raw else self.redact(text)

    def log_tail(self, lines: int = LOG_TAIL) -> str:
        return "\n".join(self.log().splitlines()[-lines:])

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> int | None:
        """SIGTERM the process group, SIGKILL after the grace period; returns the exit code."""
        proc = self.process
        if proc is None:
            return None
        pgid = proc.pid  # start_new_session=True: the group id is the pid we started
        if proc.poll() is None:
            _signal_group(pgid, signal.SIGTERM)
            try:
                proc.wait(timeout=self.grace_seconds)
            except subprocess.TimeoutExpired:
                _signal_group(pgid, signal.SIGKILL)
                proc.wait(timeout=10)
        _signal_group(pgid, signal.SIGKILL)  # anything the container forked and left behind
        return proc.returncode


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


@dataclass
class _Volume:
    kind: str  # configMap | secret | dir
    source: dict[str, Any]


class PodRunner:
    """Materialises and starts the pod of a Deployment; use `run_pod()` for the context manager."""

    def __init__(
        self,
        deployment: Mapping[str, Any],
        objects: Iterable[Mapping[str, Any]] = (),
        *,
        image_env: Mapping[str, str] | None = None,
        ready_timeout: float = 120,
        grace_seconds: float | None = None,
        init_timeout: float = 300,
        image_files: Mapping[str, Mapping[str, str | Path]] | None = None,
    ) -> None:
        self.deployment = deployment
        self.image_files = {image: dict(paths) for image, paths in (image_files or {}).items()}
        self.store = ObjectStore.from_objects(objects)
        self.pod_spec: dict[str, Any] = deployment["spec"]["template"]["spec"]
        self.containers: list[dict[str, Any]] = self.pod_spec["containers"]
        self.main = self.containers[0]
        self.ready_timeout = ready_timeout
        self.init_timeout = init_timeout
        period = self.pod_spec.get("terminationGracePeriodSeconds", 30)
        self.grace_seconds = float(min(period, 15) if grace_seconds is None else grace_seconds)
        self.image_env = dict(image_env) if image_env is not None else default_image_env()
        self.root = Path(tempfile.mkdtemp(prefix="llsd-pod-"))
        self.root.chmod(0o755)  # the pod's user must reach its volumes; mkdtemp makes it 0700
        self.uid: int | None = None
        self.pod_port = self._pod_port()
        self.host_port = free_port()

    # -- ports ----------------------------------------------------------------------------------
    def _named_ports(self) -> dict[str, int]:
        return {p["name"]: int(p["containerPort"]) for p in self.main.get("ports") or [] if p.get("name")}

    def _pod_port(self) -> int:
        ports = self.main.get("ports") or []
        if ports:
            return int(ports[0]["containerPort"])
        for probe in self._probes():
            port = probe["httpGet"].get("port")
            if isinstance(port, int) or str(port).isdigit():
                return int(port)
        return DEFAULT_PORT

    def _probes(self) -> list[dict[str, Any]]:
        return [
            self.main[name]
            for name in ("startupProbe", "readinessProbe")
            if isinstance(self.main.get(name), dict) and "httpGet" in self.main[name]
        ]

    # -- volumes --------------------------------------------------------------------------------
    def _volumes(self) -> dict[str, _Volume]:
        out: dict[str, _Volume] = {}
        for vol in self.pod_spec.get("volumes") or []:
            if "configMap" in vol:
                out[vol["name"]] = _Volume("configMap", vol["configMap"])
            elif "secret" in vol:
                out[vol["name"]] = _Volume("secret", vol["secret"])
            elif "emptyDir" in vol or "persistentVolumeClaim" in vol:
                out[vol["name"]] = _Volume("dir", vol)
            else:
                raise NotImplementedError(f"volume {vol['name']!r}: only configMap, secret, emptyDir, PVC are run")
        return out

    def _volume_files(self, volume: _Volume) -> dict[str, bytes] | None:
        """Relative path -> content for configMap/secret volumes (None: optional and missing)."""
        src = volume.source
        kind = "secret" if volume.kind == "secret" else "configmap"
        name = src.get("secretName") if volume.kind == "secret" else src.get("name")
        data = (self.store.secrets if volume.kind == "secret" else self.store.configmaps).get(name)
        if data is None:
            if src.get("optional"):
                return None
            raise PodFailed(f"FailedMount: {kind} {name!r} not found")
        items = src.get("items")
        if not items:
            return dict(data)
        files = {}
        for item in items:
            if item["key"] not in data:
                if src.get("optional"):
                    continue
                raise PodFailed(f"FailedMount: key {item['key']!r} not in {kind} {name!r}")
            files[item["path"]] = data[item["key"]]
        return files

    def _materialise(self, containers: list[dict[str, Any]], mapper: PathMapper) -> None:
        volumes = self._volumes()
        shared = self.root / ".volumes"
        for container in containers:
            for mount in container.get("volumeMounts") or []:
                volume = volumes.get(mount["name"])
                if volume is None:
                    raise PodFailed(f"volumeMount {mount['name']!r} has no volume")
                target = mapper.host_path(mount["mountPath"])
                sub = mount.get("subPath")
                if volume.kind == "dir":
                    backing = shared / mount["name"]
                    backing.mkdir(parents=True, exist_ok=True)
                    backing.chmod(0o777)  # as the kubelet makes an emptyDir: any pod user writes it
                    if sub:
                        backing = backing / sub
                        backing.mkdir(parents=True, exist_ok=True)
                    if not target.exists():
                        target.parent.mkdir(parents=True, exist_ok=True)
                        target.symlink_to(backing, target_is_directory=True)
                    continue
                files = self._volume_files(volume)
                if files is None:
                    continue
                if sub:
                    files = {Path(target).name: files[sub]} if sub in files else {}
                    target = target.parent
                mode = int(volume.source.get("defaultMode", 0o644))
                for rel, content in files.items():
                    path = target / rel
                    path.parent.mkdir(parents=True, exist_ok=True)
                    if volume.kind == "configMap":
                        content = self._patch_text_file(content, mapper)
                    path.write_bytes(content)
                    path.chmod(mode & 0o777)

    def _patch_text_file(self, content: bytes, mapper: PathMapper) -> bytes:
        try:
            text = content.decode()
        except UnicodeDecodeError:
            return content
        text = mapper.rewrite(text)
        return patch_llama_stack_config(text, self.pod_port, self.host_port).encode()

    def _patch_dir_volumes(self, mapper: PathMapper) -> None:
        """YAML files an init container wrote into a shared dir (e.g. a merged config)."""
        shared = self.root / ".volumes"
        if not shared.exists():
            return
        for path in sorted(shared.rglob("*")):
            if path.is_file() and path.suffix in (".yaml", ".yml") and path.stat().st_size < 1_000_000:
                original = path.read_bytes()
                patched = self._patch_text_file(original, mapper)
                if patched != original:
                    path.write_bytes(patched)

    # -- environment ----------------------------------------------------------------------------
    def _env(self, container: Mapping[str, Any], mapper: PathMapper) -> dict[str, str]:
        env = dict(self.image_env)
        for source in container.get("envFrom") or []:
            prefix = source.get("prefix", "")
            if "secretRef" in source or "configMapRef" in source:
                kind = "secret" if "secretRef" in source else "configmap"
                ref = source.get("secretRef") or source.get("configMapRef")
                data = (self.store.secrets if kind == "secret" else self.store.configmaps).get(ref["name"])
                if data is None:
                    if ref.get("optional"):
                        continue
                    raise PodFailed(f"CreateContainerConfigError: {kind} {ref['name']!r} not found")
                env.update({prefix + k: v.decode() for k, v in data.items()})
        for item in container.get("env") or []:
            name = item["name"]
            if "valueFrom" in item:
                value = self._value_from(item["valueFrom"])
                if value is None:
                    continue
            else:
                value = expand_vars(str(item.get("value", "")), env)
            env[name] = value
        out = {}
        for name, value in env.items():
            # The image's own variables hold host paths already (the venv may live under a pod
            # mount path such as /tmp, e.g. a checkout in /tmp): only what the pod set is rewritten.
            if self.image_env.get(name) != value:
                value = mapper.rewrite(value)
            if name.upper().endswith("PORT") and value == str(self.pod_port):
                value = str(self.host_port)
            out[name] = value
        # host paths already, so not rewritten: a HOME the pod does not set (root's, read-only
        # for the pod's user), and the pod's /tmp
        if "HOME" not in out:
            out["HOME"] = str(self.root / "home")
            Path(out["HOME"]).mkdir(parents=True, exist_ok=True)
        out["TMPDIR"] = self._tmpdir(container, mapper)
        return out

    def _value_from(self, value_from: Mapping[str, Any]) -> str | None:
        if "secretKeyRef" in value_from or "configMapKeyRef" in value_from:
            kind = "secret" if "secretKeyRef" in value_from else "configmap"
            ref = value_from.get("secretKeyRef") or value_from.get("configMapKeyRef")
            raw = self.store.lookup(kind, ref["name"], ref["key"], bool(ref.get("optional")))
            return None if raw is None else raw.decode()
        if "fieldRef" in value_from:
            meta = self.deployment.get("metadata", {})
            fields = {
                "metadata.name": f"{meta.get('name', 'pod')}-0",
                "metadata.namespace": meta.get("namespace", "default"),
                "status.podIP": "127.0.0.1",
                "status.hostIP": "127.0.0.1",
                "spec.nodeName": "localhost",
                "spec.serviceAccountName": self.pod_spec.get("serviceAccountName", "default"),
            }
            return fields[value_from["fieldRef"]["fieldPath"]]
        raise NotImplementedError(f"valueFrom {sorted(value_from)} is not run by the harness")

    # -- processes ------------------------------------------------------------------------------
    def _argv(self, container: Mapping[str, Any], env: Mapping[str, str], mapper: PathMapper) -> list[str]:
        command = list(container.get("command") or [])
        if not command:
            raise PodFailed(f"container {container.get('name')!r} has no command: the harness has no image entrypoint")
        argv = [expand_vars(str(a), env) for a in command + list(container.get("args") or [])]
        argv = rewrite_port_args([mapper.rewrite(a) for a in argv], self.pod_port, self.host_port)
        exe = shutil.which(argv[0], path=env.get("PATH"))
        if exe is None:
            raise PodFailed(f"executable {argv[0]!r} not found in PATH {env.get('PATH')}")
        return [exe, *argv[1:]]

    def _tmpdir(self, container: Mapping[str, Any], mapper: PathMapper) -> str:
        """The pod's /tmp: its volume, else the root filesystem's (read-only if the container's is)."""
        if "/tmp" in mapper.mount_paths:
            return str(mapper.host_path("/tmp"))
        read_only = ((container.get("securityContext") or {}).get("readOnlyRootFilesystem")) is True
        path = self.root / ("rootfs-tmp-readonly" if read_only else "rootfs-tmp")
        path.mkdir(exist_ok=True)
        path.chmod(0o755 if read_only else 0o1777)
        return str(path)

    def _identity(self, container: Mapping[str, Any]) -> tuple[int, int, list[int]] | None:
        """(uid, gid, supplementary groups) the container runs as; None when not root here."""
        pod = self.pod_spec.get("securityContext") or {}
        own = container.get("securityContext") or {}
        uid = own.get("runAsUser", pod.get("runAsUser"))
        if uid is None or os.geteuid() != 0:
            return None
        gid = int(own.get("runAsGroup", pod.get("runAsGroup", 0)))
        _ensure_user(int(uid))
        return int(uid), gid, [int(pod["fsGroup"])] if "fsGroup" in pod else []

    def _workdir(self, container: Mapping[str, Any], mapper: PathMapper) -> Path:
        wd = container.get("workingDir")
        path = Path(mapper.rewrite(wd)) if wd else self.root / "workdir"
        if not str(path).startswith(str(self.root)):
            path = self.root / "workdir"  # a working dir outside every mount: keep it in the temp root
        path.mkdir(parents=True, exist_ok=True)
        return path

    def _container_mapper(self, container: Mapping[str, Any], mapper: PathMapper) -> PathMapper:
        """The pod's mapper, plus the `image_files` of this container's image (module docstring)."""
        files = self.image_files.get(str(container.get("image")))
        if not files:
            return mapper
        return PathMapper(self.root, mapper.mount_paths, overrides={**mapper.overrides, **files})

    def _spawn(
        self, container: Mapping[str, Any], mapper: PathMapper, log: Path
    ) -> tuple[subprocess.Popen[bytes], list[str], dict[str, str]]:
        mapper = self._container_mapper(container, mapper)
        env = self._env(container, mapper)
        argv = self._argv(container, env, mapper)
        identity = self._identity(container)
        self.uid = identity[0] if identity else None
        with open(log, "ab") as out:
            proc = subprocess.Popen(
                [*_as_user(identity), *argv],
                env=env,
                cwd=self._workdir(container, mapper),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # own process group: stop() signals exactly what we started
            )
        return proc, argv, env

    def start(self) -> Pod:
        init = list(self.pod_spec.get("initContainers") or [])
        mounts = [m["mountPath"] for c in [*init, *self.containers] for m in c.get("volumeMounts") or []]
        mapper = PathMapper(self.root, mounts)
        self._materialise([*init, self.main], mapper)
        log = self.root / "pod.log"
        redact = self.store.secret_values()
        for container in init:
            init_log = self.root / f"init-{container['name']}.log"
            proc, argv, env = self._spawn(container, mapper, init_log)
            try:
                code = proc.wait(timeout=self.init_timeout)
            except subprocess.TimeoutExpired:
                _signal_group(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
                code = -9
            _signal_group(proc.pid, signal.SIGKILL)
            if code != 0:
                tail = _redact("\n".join(init_log.read_text(errors="replace").splitlines()[-LOG_TAIL:]), redact)
                raise PodFailed(f"init container {container['name']!r} exited with {code}:\n{tail}")
        self._patch_dir_volumes(mapper)
        scheme = "http"
        for probe in self._probes():
            scheme = str(probe["httpGet"].get("scheme", "HTTP")).lower()
        proc, argv, env = self._spawn(self.main, mapper, log)
        return Pod(
            root=self.root,
            host_port=self.host_port,
            pod_port=self.pod_port,
            scheme=scheme,
            process=proc,
            log_path=log,
            argv=argv,
            env=env,
            mapper=mapper,
            grace_seconds=self.grace_seconds,
            uid=self.uid,
            _redact=redact,
        )

    def wait_ready(self, pod: Pod) -> None:
        """Poll each httpGet probe in order (startup, then readiness) like the kubelet would."""
        deadline = time.monotonic() + self.ready_timeout
        named = self._named_ports()
        for probe in self._probes():
            get = probe["httpGet"]
            port = get.get("port", self.pod_port)
            port = named.get(port, port) if isinstance(port, str) and not port.isdigit() else int(port)
            if int(port) != self.pod_port:
                raise PodFailed(f"probe port {port} is not the container port {self.pod_port}")
            scheme = str(get.get("scheme", "HTTP")).lower()
            url = f"{scheme}://127.0.0.1:{self.host_port}{get.get('path', '/')}"
            headers = {h["name"]: h["value"] for h in get.get("httpHeaders") or []}
            per_try = float(min(probe.get("timeoutSeconds", 1), 5))
            last = "no attempt"
            while True:
                if not pod.alive:
                    code = pod.process.returncode if pod.process else None
                    raise PodFailed(f"container exited with {code} before {url} answered:\n{pod.log_tail()}")
                try:
                    status = http_request(url, headers=headers, timeout=per_try).status
                    if 200 <= status < 400:
                        break
                    last = f"HTTP {status}"
                except (OSError, urllib.error.URLError) as exc:
                    last = f"{type(exc).__name__}: {exc}"
                if time.monotonic() > deadline:
                    raise PodFailed(
                        f"probe {url} not ready after {self.ready_timeout:.0f}s (last: {last}):\n{pod.log_tail()}"
                    )
                time.sleep(0.25)

    def cleanup(self) -> None:
        if os.environ.get("LLSD_E2E_KEEP") == "1":
            return
        shutil.rmtree(self.root, ignore_errors=True)


def _as_user(identity: tuple[int, int, list[int]] | None) -> list[str]:
    """The `setpriv` prefix that runs a command as the pod's user. It keeps one capability,
    CAP_DAC_READ_SEARCH (read any file): the project's virtualenv stands in for the image, whose
    files every user may read, but lives under root's home here. Writing needs no capability
    beyond the user's own rights, so a write outside the pod's volumes fails."""
    if identity is None:
        return []
    uid, gid, groups = identity
    return [
        "setpriv",
        f"--reuid={uid}",
        f"--regid={gid}",
        f"--groups={','.join(map(str, groups))}" if groups else "--clear-groups",
        "--inh-caps=+dac_read_search",
        "--ambient-caps=+dac_read_search",
        "--",
    ]


def _ensure_user(uid: int) -> None:
    """A real user for `uid` (other helpers' runs may create it at the same time: that is fine)."""
    try:
        pwd.getpwuid(uid)
    except KeyError:
        subprocess.run(
            ["useradd", "--no-create-home", "--no-user-group", "--uid", str(uid), f"llsd-pod-{uid}"],
            check=False,
            capture_output=True,
        )
        pwd.getpwuid(uid)  # KeyError if it still does not exist


def _url_password(text: str) -> str | None:
    try:
        return urllib.parse.urlsplit(text).password if "://" in text else None
    except ValueError:
        return None


def _redact(text: str, values: Iterable[str]) -> str:
    for value in values:
        text = text.replace(value, REDACTED)
    return text


def default_image_env() -> dict[str, str]:
    """What the llama-stack image provides before the pod's env: PATH (venv first), HOME, LANG, tiktoken."""
    env = {
        "PATH": f"{VENV_BIN}:/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "PYTHONUNBUFFERED": "1",  # logs reach pod.log as they happen, not at exit
    }
    tiktoken = os.environ.get("TIKTOKEN_CACHE_DIR") or str(REPO / ".venv" / "tiktoken-cache")
    if Path(tiktoken).is_dir():
        env["TIKTOKEN_CACHE_DIR"] = tiktoken
    return env


def find_deployment(objects: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    deployments = [dict(o) for o in objects if o.get("kind") == "Deployment"]
    if len(deployments) != 1:
        raise ValueError(f"expected exactly one Deployment among the children, found {len(deployments)}")
    return deployments[0]


@contextmanager
def run_pod(
    deployment: Mapping[str, Any],
    objects: Iterable[Mapping[str, Any]] = (),
    **kwargs: Any,
) -> Iterator[Pod]:
    """Start the Deployment's pod, wait for its probes, yield it; always stop it and clean up.

    `objects`: the ConfigMaps/Secrets it may reference (a response's children and a request's
    `related`/`children`, as lists or Metacontroller maps).
    """
    runner = PodRunner(deployment, flatten_objects(objects), **kwargs)
    pod: Pod | None = None
    try:
        pod = runner.start()
        runner.wait_ready(pod)
        yield pod
    finally:
        if pod is not None:
            pod.stop()
        runner.cleanup()


@contextmanager
def run_hook_pod(response: Mapping[str, Any], request: Mapping[str, Any] | None = None, **kwargs: Any) -> Iterator[Pod]:
    """Run the pod of a hook response: its Deployment child, with ConfigMaps/Secrets from the
    response's children and the request's `related` and observed `children`."""
    children = flatten_objects(response.get("children"))
    # Later objects win: what the hook asks for now overrides what was observed.
    objects = [
        *flatten_objects((request or {}).get("children")),
        *flatten_objects((request or {}).get("related")),
        *children,
    ]
    with run_pod(find_deployment(children), objects, **kwargs) as pod:
        yield pod
