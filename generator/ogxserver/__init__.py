"""The `ogx.io/v1beta1` OGXServer API: upstream's field names and validation, translated into
the same internal `Spec` an LLSD parses into, so one pipeline serves both kinds.

- `schema`: marshmallow schemas with upstream's names, ranges and CEL rules (the CRD is
  generated from them).
- `providers`: the typed provider sections (per API, then remote/inline, then provider type).
- `fieldmap`: where each LLSD field went in OGXServer (error paths, `llsd-hook convert`).
- `translate`: OGXServer -> `Spec`, every problem reported with its field path and fix.
- `convert`: LLSD YAML -> OGXServer YAML, naming every field that has no counterpart.
"""
