"""docs/openapi.yaml: it lists exactly the app's routes, and the API responds to generated requests as it states.

The generated requests go over HTTP to a local stack (moto and `chalice
local`), with the stack's own keys in the Authorization header.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

DOCUMENT = Path(__file__).resolve().parent.parent / "docs" / "openapi.yaml"
HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head"}
MAX_EXAMPLES = 20


def documented_operations() -> set[tuple[str, str]]:
    document = yaml.safe_load(DOCUMENT.read_text(encoding="utf-8"))
    return {(path, method.upper()) for path, item in document["paths"].items()
            for method in item if method in HTTP_METHODS}


def app_operations() -> set[tuple[str, str]]:
    import app as app_module

    return {(path, method) for path, entries in app_module.app.routes.items()
            for method in entries if method != "OPTIONS"}


def test_document_lists_every_route():
    missing = app_operations() - documented_operations()

    assert not missing, f"routes of app.py missing from {DOCUMENT.name}: {sorted(missing)}"


def test_document_lists_no_other_route():
    extra = documented_operations() - app_operations()

    assert not extra, f"{DOCUMENT.name} documents routes that app.py does not define: {sorted(extra)}"


def test_document_is_valid_openapi():
    schemathesis = pytest.importorskip("schemathesis")

    schema = schemathesis.openapi.from_path(str(DOCUMENT))
    operations = [result.ok() for result in schema.get_all_operations()]

    assert len(operations) == len(documented_operations())


# ---------------------------------------------------------------- generated requests

@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    from scripts.local_stack import start_stack, stop_stack

    running = start_stack(tmp_path_factory.mktemp("openapi-stack"), persist=False)
    yield running
    stop_stack(running)


def authorization_for(path: str, credentials: dict) -> dict:
    if path.startswith("/v1/agency/"):
        return {"Authorization": f"Bearer {credentials['agencies']['mvd']['head']}"}
    if path.startswith("/v1/admin/"):
        return {"Authorization": f"Bearer {credentials['admin']}"}
    return {}


def operation_ids() -> list[str]:
    return sorted(f"{method} {path}" for path, method in documented_operations())


@pytest.mark.slow
@pytest.mark.parametrize("operation", operation_ids())
def test_generated_requests_conform(stack, operation):
    schemathesis = pytest.importorskip("schemathesis")
    from hypothesis import HealthCheck, given, settings
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

    method, path = operation.split(" ", 1)
    schema = schemathesis.openapi.from_path(str(DOCUMENT))
    api_operation = schema[path][method]
    headers = authorization_for(path, stack.credentials)

    @settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=api_operation.as_strategy())
    def check(case):
        response = case.call(base_url=stack.api_url, headers=headers, timeout=30)
        case.validate_response(response, checks=[
            not_a_server_error, response_schema_conformance, content_type_conformance])

    check()
