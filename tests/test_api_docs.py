"""docs/api.md lists every endpoint of the OpenAPI document (scripts/api_docs.py writes it)."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _api_docs():
    spec = importlib.util.spec_from_file_location("api_docs", ROOT / "scripts" / "api_docs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_docs_api_md_lists_every_endpoint_of_the_schema():
    api_docs = _api_docs()
    current = api_docs.DOC.read_text(encoding="utf-8")
    wanted = api_docs.render(current, api_docs.endpoint_reference())
    assert wanted == current, "docs/api.md is out of date: run .venv/bin/python scripts/api_docs.py"


def test_generated_reference_names_known_paths():
    reference = _api_docs().endpoint_reference()
    assert "| GET |" in reference
    assert "`/me/`" in reference
    assert "`/deal-registrations/`" in reference or "`/deal-pipeline/`" in reference
