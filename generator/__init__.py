"""Pure config generation: a spec in, a server config.yaml and env vars out, for each server line
(llama-stack 0.7.3 for an LLSD, OGX 1.5.0 for an OGXServer; see `lines`).

No Flask, no HTTP, no Kubernetes API: `hooks` calls these functions and turns the result into
children. Public API:

- `parse_spec(llsd) -> Spec`: validate a whole LLSD; raises `SpecError` listing every problem.
- `generate(llsd) -> GenerationResult`: the config.yaml text, env vars, ConfigMap name, warnings;
  `generate_spec(spec)` for a `Spec` parsed elsewhere (its `line` says which server it is for).
- `container_command(spec) -> list[str]`: how the server container starts.
- `check_user_config(text) -> list[str]`: warnings for a user's own config.yaml (userConfig);
  `inspect_user_config(text, spec)` also counts its providers and, given the spec, reads it as
  its server line does and names state that stays inside one pod when several may run.
- `LINES`, `line_of(parent)`: the server lines and the one a parent's kind selects.
- `server_version(line) -> str`: the release a line's data and default images are for.
- `distribution_image(line, name, overrides) -> str`: image of a registry distribution.
"""

from generator.errors import SpecError, SpecProblem
from generator.lines import LINES, LLAMA_STACK, OGX, ServerLine, line_of
from generator.model import ConfigMapRef, EnvSource, ExternalProvider, GenerationResult, ProviderEntry, SecretRef, Spec
from generator.pipeline import (
    UserConfigReport,
    check_user_config,
    container_command,
    generate,
    generate_spec,
    inspect_user_config,
    parse_spec,
)
from generator.registry import distribution_image, server_version

__all__ = [
    "LINES",
    "LLAMA_STACK",
    "OGX",
    "ConfigMapRef",
    "EnvSource",
    "ExternalProvider",
    "GenerationResult",
    "ProviderEntry",
    "SecretRef",
    "ServerLine",
    "Spec",
    "SpecError",
    "SpecProblem",
    "UserConfigReport",
    "check_user_config",
    "container_command",
    "distribution_image",
    "generate",
    "generate_spec",
    "inspect_user_config",
    "line_of",
    "parse_spec",
    "server_version",
]
