"""Pure config generation: an LLSD spec in, a llama-stack 0.7.3 config.yaml and env vars out.

No Flask, no HTTP, no Kubernetes API: `hooks` calls these functions and turns the result into
children. Public API:

- `parse_spec(llsd) -> Spec`: validate the whole CR; raises `SpecError` listing every problem.
- `generate(llsd) -> GenerationResult`: the config.yaml text, env vars, ConfigMap name, warnings.
- `container_command(spec) -> list[str]`: how the llama-stack container starts.
- `check_user_config(text) -> list[str]`: warnings for a user's own config.yaml (userConfig);
  `inspect_user_config(text, spec)` also counts its providers and, given the spec, names state
  that stays inside one pod when several may run.
- `llama_stack_version() -> str`: the llama-stack release the data and images are for.
- `distribution_image(name, overrides) -> str`: image of a registry distribution.
"""

from generator.errors import SpecError, SpecProblem
from generator.model import ConfigMapRef, EnvSource, ExternalProvider, GenerationResult, ProviderEntry, SecretRef, Spec
from generator.pipeline import (
    UserConfigReport,
    check_user_config,
    container_command,
    generate,
    inspect_user_config,
    parse_spec,
)
from generator.registry import distribution_image, llama_stack_version

__all__ = [
    "ConfigMapRef",
    "EnvSource",
    "ExternalProvider",
    "GenerationResult",
    "ProviderEntry",
    "SecretRef",
    "Spec",
    "SpecError",
    "SpecProblem",
    "UserConfigReport",
    "check_user_config",
    "container_command",
    "distribution_image",
    "generate",
    "inspect_user_config",
    "llama_stack_version",
    "parse_spec",
]
