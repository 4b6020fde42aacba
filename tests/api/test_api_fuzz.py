"""The service under generated requests (schemathesis, from its own OpenAPI document): no request,
valid or invalid, makes it answer 5xx, and its answers match what the document declares.

Slow (about a minute): ``pytest -m slow tests/api/test_api_fuzz.py``. The budget is
``FIELDCREW_FUZZ_SECONDS`` (default 60), spread over every operation.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from factories import ApiHarness, make_api, seed_org, store_order, work_order
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from api.app import create_app
from fieldcrew.db import session_scope

#: Operations left out: deactivating users (the fuzzer would lock itself out, one user at a time).
SKIPPED = {("DELETE", "/users/{username}")}
BUDGET_S = float(os.environ.get("FIELDCREW_FUZZ_SECONDS", "60"))


@pytest.fixture
def served(db_url: str, tmp_path: Path) -> Iterator[ApiHarness]:
    """The in-process service on a small organisation (B1/G1, T-001…T-004, two orders)."""
    settings_, keys = make_api(db_url, "thread", tmp_path)
    with session_scope(db_url) as session:
        seed_org(session)
        store_order(session, work_order("WO-1"))
        store_order(session, work_order("WO-2", technician_id="T-002"))
    app = create_app(settings_, migrate=False)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield ApiHarness(client=client, db_url=db_url, keys=keys)


@dataclass
class Findings:
    """What the generated requests met."""

    calls: int = 0
    server_errors: list[str] = field(default_factory=list)
    failures: Counter[str] = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)


def _fuzz(operation: Any, seconds: float, headers: dict[str, str], found: Findings) -> None:
    """Send generated valid and invalid requests to one operation for ``seconds``, checking each
    answer with every check; record 5xx answers and failed checks in ``found``."""
    until = time.monotonic() + seconds
    label = f"{operation.method.upper()} {operation.path}"
    strategy = st.one_of(operation.as_strategy(GenerationMode.POSITIVE),
                         operation.as_strategy(GenerationMode.NEGATIVE))

    @settings(max_examples=500, deadline=None, database=None, derandomize=True,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=strategy)
    def exercise(case: Any) -> None:
        if time.monotonic() > until:
            raise _TimeUp
        found.calls += 1
        try:
            response = case.call(headers=headers)
        except Exception as exc:  # the in-process transport re-raises what the app did not handle
            found.server_errors.append(
                f"{label}: {type(exc).__name__}: {exc} ← {case.as_curl_command()[:300]}")
            return
        if response.status_code >= 500:
            found.server_errors.append(f"{label} → {response.status_code}: {case.as_curl_command()[:300]}")
            return
        try:
            case.validate_response(response, headers=headers)
        except (Exception, BaseExceptionGroup) as failure:  # a check failed: record which, go on
            for line in str(failure).splitlines():
                if line.strip().startswith("- "):
                    key = f"{label}: {line.strip()[2:]}"
                    found.failures[key] += 1
                    found.examples.setdefault(key, str(failure)[:1500])

    with contextlib.suppress(_TimeUp):
        exercise()


class _TimeUp(Exception):
    """The operation's share of the budget is spent."""


@pytest.mark.slow
def test_generated_requests_never_meet_a_server_error(
    served: ApiHarness, request: pytest.FixtureRequest
) -> None:
    """Every operation (but user deactivation) gets generated valid and invalid requests as an admin
    for about a minute, with every check schemathesis has: none is answered 5xx, and the conformance
    failures (status, content type, schema) are listed when there are any."""
    if "slow" not in (request.config.getoption("markexpr") or "") and not os.environ.get("FIELDCREW_FUZZ"):
        pytest.skip("a minute of fuzzing: run with -m slow (or FIELDCREW_FUZZ=1)")
    schema = schemathesis.openapi.from_asgi("/openapi.json", served.client.app)
    operations = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) not in SKIPPED:
            operations.append(operation)
    assert len(operations) >= 50
    found = Findings()
    started = time.monotonic()
    for operation in operations:
        _fuzz(operation, BUDGET_S / len(operations), served.headers("admin"), found)
    print(f"\n{found.calls} generated requests to {len(operations)} operations in "
          f"{time.monotonic() - started:.0f} s")
    for failure, count in found.failures.most_common():
        print(f"  {count:4d} × {failure}")
    if os.environ.get("FIELDCREW_FUZZ_DETAILS"):
        Path(os.environ["FIELDCREW_FUZZ_DETAILS"]).write_text("\n\n".join(
            f"=== {key}\n{text}" for key, text in found.examples.items()))
    assert not found.server_errors, "\n".join(found.server_errors[:20])
