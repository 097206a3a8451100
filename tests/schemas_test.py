"""Schemas: the generated validators are fresh; our sources conform to Harness's own schema."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from customsrc.demo import SOURCE as DEMO_SOURCE
from customsrc.documents import read_document
from customsrc.schemacheck import GENERATED, generate_validator_code

from .helpers import source_doc

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(("schema", "module"), sorted(GENERATED.items()))
def test_generated_validators_are_fresh(schema: str, module: str) -> None:
    assert (ROOT / "customsrc" / module).read_text() == generate_validator_code(schema), "run `nox -s gen`"


def test_schemas_are_valid_draft7() -> None:
    for path in (ROOT / "schemas").glob("*.json"):
        jsonschema.Draft7Validator.check_schema(json.loads(path.read_text()))


def harness_validator(harness: dict[str, Any], ref: str) -> jsonschema.Draft7Validator:
    schema = {"$schema": "http://json-schema.org/draft-07/schema#", "definitions": harness["definitions"], "$ref": ref}
    return jsonschema.Draft7Validator(schema)


def harness_entry(native: dict[str, Any]) -> dict[str, Any]:
    entry = copy.deepcopy(native)
    entry.pop("customsrc", None)
    return entry


SOURCES = [
    source_doc(
        "echo hi",
        version="1.0",
        attributes=[("url", "assets[0].downloadUrl")],
        inputs=[{"name": "REPO", "type": "String", "value": "r"}],
        timeout="2m",
    ),
    source_doc("echo hi", version="<+lastPublished.tag>", version_regex="^1"),
    read_document("-", DEMO_SOURCE),
]


@pytest.mark.parametrize("native", SOURCES, ids=["plain", "regex", "demo"])
def test_our_sources_are_valid_harness_artifact_sources(harness: dict[str, Any], native: dict[str, Any]) -> None:
    validator = harness_validator(harness, "#/definitions/pipeline/stages/cd/ArtifactSource")
    errors = [e.message for e in validator.iter_errors(harness_entry(native))]
    assert errors == []


def test_harness_schema_catches_what_ours_catches(harness: dict[str, Any]) -> None:
    bad = harness_entry(SOURCES[0])
    bad["spec"]["scripts"]["fetchAllArtifacts"]["spec"]["shell"] = "Zsh"
    validator = harness_validator(harness, "#/definitions/pipeline/stages/cd/ArtifactSource")
    assert list(validator.iter_errors(bad))
