"""The init containers of a pod with external providers: one install per provider, then the merge.

Each provider image carries its wheels and lls-provider-spec.yaml under /lls-provider; its init
container installs them, offline, into a shared emptyDir. The last init container runs
`external_merge.py` with the distribution image's Python to write the final config.
"""

from __future__ import annotations

import ast
import json
import shlex
from functools import cache
from importlib import resources

from generator import ExternalProvider
from generator.layout import (
    EXTERNAL_BASE_CONFIG_PATH,
    EXTERNAL_METADATA_DIR,
    EXTERNAL_PACKAGES_DIR,
    FINAL_CONFIG_PATH,
    PROVIDER_IMAGE_DIR,
)

# Modules the merge program imports from this project; their code is inlined (the pod has
# neither generator nor hooks installed).
INLINED_MODULES = ("generator.provider_ids",)


def install_command(provider: ExternalProvider) -> list[str]:
    """The init container that copies the provider's spec and installs its wheels, offline."""
    target = f"{EXTERNAL_METADATA_DIR}/{provider.provider_id}"
    image = shlex.quote(provider.image)
    spec_file = f"{PROVIDER_IMAGE_DIR}/lls-provider-spec.yaml"
    script = f"""\
set -eu
if [ ! -f {spec_file} ] || [ ! -d {PROVIDER_IMAGE_DIR}/packages ]; then
  echo "ERROR: Missing {spec_file} or {PROVIDER_IMAGE_DIR}/packages in image "{image} >&2
  echo "Resolution: build the provider image as the llsd-hook README's provider image contract says" >&2
  exit 1
fi
mkdir -p {target}
cp {spec_file} {target}/lls-provider-spec.yaml
python3 -m pip install --quiet --target {EXTERNAL_PACKAGES_DIR} --upgrade --no-index \\
  --find-links {PROVIDER_IMAGE_DIR}/packages --no-cache-dir --disable-pip-version-check \\
  {PROVIDER_IMAGE_DIR}/packages/*.whl
echo "installed external provider {provider.provider_id}"
"""
    return ["/bin/sh", "-c", script]


def _module_body(name: str) -> list[ast.stmt]:
    """The statements of module `name`'s source, docstrings left out."""
    package, _, module = name.rpartition(".")
    tree = ast.parse(resources.files(package).joinpath(f"{module}.py").read_text())
    return _without_docstrings(tree.body)


def _without_docstrings(body: list[ast.stmt]) -> list[ast.stmt]:
    """The statements of `body` without docstrings, recursively (a docstring edit is no pod change)."""
    kept = []
    for index, node in enumerate(body):
        value = node.value if isinstance(node, ast.Expr) else None
        if index == 0 and isinstance(value, ast.Constant) and isinstance(value.value, str):
            continue
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            node.body = _without_docstrings(node.body) or [ast.Pass()]
        kept.append(node)
    return kept


@cache
def merge_program() -> str:
    """external_merge.py as one self-contained program: project imports inlined, no docstrings
    or comments, so only a change of code changes the init container (and rolls the pods)."""
    statements: list[ast.stmt] = []
    for node in _module_body("hooks.children.external_merge"):
        if isinstance(node, ast.ImportFrom) and node.module in INLINED_MODULES:
            statements += [
                inlined
                for inlined in _module_body(node.module)
                if not (isinstance(inlined, ast.ImportFrom) and inlined.module == "__future__")
            ]
        else:
            statements.append(node)
    return ast.unparse(ast.Module(body=statements, type_ignores=[])) + "\n"


def merge_command(external: tuple[ExternalProvider, ...]) -> list[str]:
    """The last init container: merge the installed providers into the final config."""
    plan = [{"provider_id": p.provider_id, "api": p.api, "image": p.image, "config": p.config} for p in external]
    return [
        "python3",
        "-c",
        merge_program(),
        json.dumps(plan, sort_keys=True),
        EXTERNAL_METADATA_DIR,
        EXTERNAL_BASE_CONFIG_PATH,
        FINAL_CONFIG_PATH,
    ]
