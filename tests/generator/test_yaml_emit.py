"""The fast YAML writer: whatever it writes, PyYAML (what llama-stack uses) reads back the same."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from generator import generate
from generator.yaml_emit import dump
from tests.generator.crs import CASES

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63)
    | st.floats(allow_nan=False)
    | st.text(max_size=40)
    | st.sampled_from(
        [
            "yes",
            "No",
            "on",
            "NULL",
            "~",
            "1e3",
            "0x1F",
            "1:20",
            ".5",
            "- a",
            "a: b",
            "#x",
            "${env.X:=}",
            "2026-01-01",
            "@x",
            "!tag",
            "*ref",
            "&anchor",
            "'q'",
            '"q"',
            "a #b",
            "trailing:",
            "",
            " lead",
        ]
    )
)
data = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10) | st.integers(), children, max_size=4)
    ),
    max_leaves=30,
)


@pytest.mark.slow  # a long property run
@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(max_size=12), data, max_size=5))
def test_round_trip_of_random_data(value):
    assert yaml.safe_load(dump(value)) == value


def test_round_trip_of_every_generated_config():
    for cr in CASES.values():
        text = generate(cr).config_yaml
        assert dump(yaml.safe_load(text)) == text


def test_plain_scalars_stay_readable():
    assert dump({"provider_id": "${env.VLLM_URL:+vllm}", "base_url": "http://vllm:8000/v1", "n": 4096}) == (
        "provider_id: ${env.VLLM_URL:+vllm}\nbase_url: http://vllm:8000/v1\nn: 4096\n"
    )
    assert dump({"verify": "true", "yes": "no"}) == 'verify: "true"\n"yes": "no"\n'
