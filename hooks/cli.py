"""`llsd-hook`: preview a config, render what the hook would create, or serve the hook.

    llsd-hook config FILE [--env]   the generated config.yaml (and the pod's env vars)
    llsd-hook render FILE           children the hook would ask for, then the status it would report
    llsd-hook serve [--bind H:P] [--workers N] [--certfile F --keyfile F]
    llsd-hook convert FILE --to ogxserver   LLSD YAML -> OGXServer YAML (docs/migration.md)

`render` and `serve` take `--image-override NAME=IMAGE` (repeatable) on top of the
LLSD_IMAGE_OVERRIDES environment variable (a JSON object), e.g. for a mirror or for `oci`.

FILE is a (multi-document) YAML file holding one LlamaStackDistribution; for `render`, the
Secrets and ConfigMaps it references may be in the same file, standing in for the cluster's.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

import yaml

from generator import SpecError
from hooks.kinds import KINDS, kind_of


def _documents(path: str) -> list[dict[str, Any]]:
    text = sys.stdin.read() if path == "-" else Path(path).read_text()
    return [doc for doc in yaml.safe_load_all(text) if isinstance(doc, dict)]


def _parent(documents: list[dict[str, Any]]) -> dict[str, Any]:
    """The one parent (of any kind the hook serves) in the file."""
    parents = [d for d in documents if "kind" in d and kind_of(d) is not None]
    if len(parents) != 1:
        served = " or ".join(kind for _, kind in KINDS)
        raise SystemExit(f"llsd-hook: expected one {served} in the file, found {len(parents)}")
    return parents[0]


def _dump(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=False, default_flow_style=False, width=120)


def cmd_config(args: argparse.Namespace) -> int:
    parent = _parent(_documents(args.file))
    try:
        kind = kind_of(parent)
        assert kind is not None  # _parent picks served kinds only
        result = kind.generate(parent)
    except SpecError as err:
        for error in err.errors:
            print(f"{error['path']}: {error['message']}", file=sys.stderr)
        return 2
    sys.stdout.write(result.config_yaml)
    if args.env:
        sys.stdout.write("---\n" + _dump(result.env))
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return 0


def render_request(documents: list[dict[str, Any]]) -> dict[str, Any]:
    """A first sync, as Metacontroller would send it: no children yet, the file's objects related."""
    parent = _parent(documents)
    namespace = (parent.get("metadata") or {}).get("namespace") or "default"
    related: dict[str, dict[str, Any]] = {"Secret.v1": {}, "ConfigMap.v1": {}}
    for doc in documents:
        if doc.get("kind") in ("Secret", "ConfigMap"):
            meta = doc.get("metadata") or {}
            related[f"{doc['kind']}.v1"][f"{meta.get('namespace') or namespace}/{meta.get('name')}"] = doc
    return {"parent": parent, "children": {}, "related": related, "finalizing": False}


def _image_override(value: str) -> tuple[str, str]:
    name, sep, image = value.partition("=")
    if not (sep and name and image):
        raise argparse.ArgumentTypeError(f"expected NAME=IMAGE, got {value!r}")
    return name, image


def _overrides_env(args: argparse.Namespace) -> dict[str, str]:
    """The environment with --image-override merged into LLSD_IMAGE_OVERRIDES (flags win)."""
    env = dict(os.environ)
    try:
        current = json.loads(env.get("LLSD_IMAGE_OVERRIDES") or "{}")
    except ValueError:
        current = None
    if not isinstance(current, dict):
        raise SystemExit("llsd-hook: LLSD_IMAGE_OVERRIDES must be a JSON object of distribution name -> image")
    if args.image_override:
        env["LLSD_IMAGE_OVERRIDES"] = json.dumps({**current, **dict(args.image_override)}, sort_keys=True)
    return env


def cmd_render(args: argparse.Namespace) -> int:
    from hooks.request import parse_request
    from hooks.settings import Settings
    from hooks.sync import sync

    settings = Settings.from_env(_overrides_env(args))
    result = sync(parse_request(render_request(_documents(args.file))), settings)
    for child in result.response["children"]:
        sys.stdout.write("---\n" + _dump(child))
    sys.stdout.write("---\n" + _dump({"status": result.response["status"]}))
    return 0 if result.outcome == "ok" else 2


def _commented(notes: list[Any], title: str) -> str:
    return "".join(f"# {title} {note.path}: {note.reason}\n" for note in notes)


def cmd_convert(args: argparse.Namespace) -> int:
    """Every LLSD of the file as an OGXServer; the other documents as they are. What did not carry
    over is written above each converted document and to stderr."""
    from generator.ogxserver.convert import convert_documents
    from generator.ogxserver.translate import OGX_CATALOG

    try:
        result = convert_documents(_documents(args.file), OGX_CATALOG)
    except SpecError as err:
        for error in err.errors:
            print(f"{error['path']}: {error['message']}", file=sys.stderr)
        return 2
    conversions = iter(result.conversions)
    out = []
    for doc in result.documents:
        header = ""
        if doc.get("kind") == "OGXServer":
            conversion = next(conversions)
            name = doc["metadata"]["name"]
            header = f"# converted from LlamaStackDistribution {name} by llsd-hook convert\n"
            header += _commented(conversion.dropped, "not carried over:")
            header += _commented(conversion.problems, "FIX BEFORE APPLYING:")
            for note in conversion.dropped:
                print(f"{name}: not carried over: {note.path}: {note.reason}", file=sys.stderr)
            for note in conversion.problems:
                print(f"{name}: fix before applying: {note.path}: {note.reason}", file=sys.stderr)
        out.append(header + _dump(doc))
    sys.stdout.write("---\n".join(out))
    return 1 if any(c.problems for c in result.conversions) else 0


def cmd_serve(args: argparse.Namespace) -> int:
    """Exec gunicorn: threaded workers keep connections alive; the app reads its settings from env.
    hooks/gunicorn_conf.py sets up the metrics of every worker and the overload check."""
    argv = [
        "gunicorn",
        "--config", "python:hooks.gunicorn_conf",
        "--bind", args.bind,
        "--workers", str(args.workers),
        "--worker-class", "gthread",
        "--threads", str(args.threads),
        "--keep-alive", "30",
        "--graceful-timeout", "20",
        "--access-logfile", "-" if args.access_log else "/dev/null",
    ]  # fmt: skip
    if args.certfile:
        argv += ["--certfile", args.certfile, "--keyfile", args.keyfile]
    argv.append("hooks.app:create_app()")
    gunicorn = Path(sys.executable).with_name("gunicorn")
    os.execvpe(str(gunicorn) if gunicorn.exists() else "gunicorn", argv, _overrides_env(args))
    return 1  # not reached


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="llsd-hook", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    images = argparse.ArgumentParser(add_help=False)
    images.add_argument(
        "--image-override",
        action="append",
        type=_image_override,
        default=[],
        metavar="NAME=IMAGE",
        help="image for a registry distribution (repeatable; on top of LLSD_IMAGE_OVERRIDES)",
    )
    config = commands.add_parser("config", help="print the generated config.yaml")
    config.add_argument("file", help="YAML file with a LlamaStackDistribution ('-' for stdin)")
    config.add_argument("--env", action="store_true", help="also print the env vars (YAML list of EnvVar)")
    config.set_defaults(run=cmd_config)
    render = commands.add_parser("render", parents=[images], help="print the children and status the hook would answer")
    render.add_argument("file", help="YAML file with a LlamaStackDistribution and its Secrets/ConfigMaps")
    render.set_defaults(run=cmd_render)
    convert = commands.add_parser("convert", help="convert LlamaStackDistribution YAML into OGXServer YAML")
    convert.add_argument("file", help="YAML file, any number of documents ('-' for stdin)")
    convert.add_argument("--to", required=True, choices=["ogxserver"], help="the kind to convert to")
    convert.set_defaults(run=cmd_convert)
    serve = commands.add_parser("serve", parents=[images], help="serve the hook with gunicorn")
    serve.add_argument("--bind", default="0.0.0.0:8080")
    serve.add_argument("--workers", type=int, default=2)
    serve.add_argument("--threads", type=int, default=4)
    serve.add_argument("--certfile", help="serve HTTPS with this certificate (Metacontroller webhook caBundle)")
    serve.add_argument("--keyfile", help="the certificate's private key")
    serve.add_argument("--access-log", action="store_true", help="also write gunicorn's access log")
    serve.set_defaults(run=cmd_serve)
    args = parser.parse_args(argv)
    if args.command == "serve" and bool(args.certfile) != bool(args.keyfile):
        parser.error("--certfile and --keyfile go together")
    return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())
