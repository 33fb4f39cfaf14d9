"""Building blocks of the OGXServer schemas: references, text fields and CEL rules.

Upstream writes most "optional but not empty" checks as CEL rules (`!has(self.x) ||
self.x.size() > 0`, message `x must not be empty if specified`). A field made with
`optional_text()` carries that rule as metadata, so the hook (marshmallow) and the API server
(the CRD generated from these classes) refuse the same empty string with the same words.
"""

from __future__ import annotations

from typing import Any, ClassVar

from marshmallow import ValidationError, fields, validate, validates_schema

from generator.schema import CONFIGMAP_KEY, StrictSchema

NONEMPTY_RULE = "nonempty_rule"
MAX_PROVIDERS = 100


def required(**kwargs: Any) -> dict[str, Any]:
    return {"required": True, "error_messages": {"required": "required"}, **kwargs}


def required_text() -> fields.String:
    return fields.String(**required(validate=validate.Length(min=1, error="must not be empty")))


def optional_text() -> fields.String:
    """An optional string that must not be empty when given (upstream's CEL rule, see above)."""
    return fields.String(
        validate=validate.Length(min=1, error="must not be empty if specified"), metadata={NONEMPTY_RULE: True}
    )


def positive(minimum: int = 1, maximum: int | None = None) -> fields.Integer:
    return fields.Integer(validate=validate.Range(min=minimum, max=maximum))


def port_number() -> fields.Integer:
    return positive(1, 65535)


def texts() -> fields.List[Any]:
    """A list of non-empty strings with at least one item (`MinItems=1`, `items:MinLength=1`)."""
    return fields.List(
        fields.String(validate=validate.Length(min=1, error="must not be empty")),
        validate=validate.Length(min=1, error="must not be empty; remove the field instead"),
    )


def objects(nested: type[StrictSchema], most: int = MAX_PROVIDERS) -> fields.List[Any]:
    """A list of objects with at least one and at most `most` items (`MinItems`/`MaxItems`)."""
    return fields.List(
        fields.Nested(nested),
        validate=validate.Length(min=1, max=most, error="must have between {min} and {max} items"),
    )


def free_objects() -> fields.List[Any]:
    """A list of Kubernetes objects (env, volumes, ingress rules) the API server validates."""
    return fields.List(
        fields.Dict(keys=fields.String()),
        validate=validate.Length(min=1, error="must not be empty; remove the field instead"),
    )


def rule(expression: str, message: str) -> dict[str, str]:
    return {"rule": expression, "message": message}


def exactly_one(first: str, second: str) -> tuple[dict[str, str], ...]:
    """Upstream's pair of rules for "exactly one of two fields", with its messages."""
    return (
        rule(f"!(has(self.{first}) && has(self.{second}))", f"only one of {first} or {second} can be specified"),
        rule(f"has(self.{first}) || has(self.{second})", f"one of {first} or {second} must be specified"),
    )


class RuleSchema(StrictSchema):
    """A StrictSchema whose class may carry CEL rules for the generated CRD: `cel_rules`, and
    `exactly_one_of`, a pair of fields of which exactly one must be given (checked here too, with
    the rule's own message)."""

    cel_rules: ClassVar[tuple[dict[str, str], ...]] = ()
    exactly_one_of: ClassVar[tuple[str, str] | None] = None

    @classmethod
    def all_rules(cls) -> tuple[dict[str, str], ...]:
        pair = cls.exactly_one_of
        return (exactly_one(*pair) if pair else ()) + cls.cel_rules

    @validates_schema
    def _exactly_one(self, data: dict[str, Any], **kwargs: Any) -> None:
        pair = self.exactly_one_of
        if pair is None:
            return
        first, second = pair
        if first in data and second in data:
            raise ValidationError(f"only one of {first} or {second} can be specified")
        if first not in data and second not in data:
            raise ValidationError(f"one of {first} or {second} must be specified")


KEY_PATTERN = CONFIGMAP_KEY


class SecretKeyRefSchema(RuleSchema):
    """A key of a Secret in the OGXServer's namespace (labelled `ogx.io/watch: "true"`)."""

    name = required_text()
    key = fields.String(**required(validate=[validate.Length(min=1, max=253), KEY_PATTERN]))


class ConfigMapKeyRefSchema(RuleSchema):
    """A key of a ConfigMap in the OGXServer's namespace (labelled `ogx.io/watch: "true"`)."""

    name = required_text()
    key = fields.String(**required(validate=[validate.Length(min=1, max=253), KEY_PATTERN]))
