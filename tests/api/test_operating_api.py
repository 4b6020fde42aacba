"""Operating models over HTTP: any role reads a group's model, dispatchers set it (audited); an
unknown group is 404, an unknown model or preset 422 naming the field and the allowed values."""

from __future__ import annotations

from typing import Any

from factories import seed_org

from fieldcrew.tables import RegionGroupRow

PATH = "/reference/region-groups/G1/operating-model"


def _mounted(api: Any) -> Any:
    """The service (its app factory mounts the operating-model router) on the test organisation."""
    assert PATH.replace("G1", "{group_id}") in api.client.app.openapi()["paths"]
    with api.session() as s:
        seed_org(s)
    return api


def test_any_role_reads_the_model(api_client: Any) -> None:
    """A technician reads G1's model: the plan's model (rolling group) and its stored preset."""
    api = _mounted(api_client)
    res = api.client.get(PATH, headers=api.headers("technician"))
    assert res.status_code == 200, res.text
    body = res.json()
    assert (body["model"], body["preset"]) == ("rolling_group", "urban_dense")
    assert set(body["models"]) == {"small_area_contract", "rolling_group", "branch_wide"}


def test_dispatcher_sets_the_model_audited_exact(api_client: Any) -> None:
    """PUT stores "<model>/<preset>" (default preset of the model when none is given) and records
    the before/after in the audit log."""
    api = _mounted(api_client)
    res = api.client.put(PATH, json={"model": "small_area_contract"}, headers=api.headers("dispatcher"))
    assert res.status_code == 200, res.text
    assert (res.json()["model"], res.json()["preset"]) == ("small_area_contract", "urban")
    res = api.client.put(
        PATH, json={"model": "branch_wide", "preset": "rural"}, headers=api.headers("dispatcher")
    )
    assert res.json()["preset"] == "rural"
    with api.session() as s:
        row = s.get(RegionGroupRow, "G1")
        assert row is not None and row.operating_model == "branch_wide/rural"
    log = api.client.get("/audit", headers=api.headers("admin")).json()
    entries = log["items"] if isinstance(log, dict) else log
    mine = [e for e in entries if e["action"] == "reference.operating_model"]
    assert len(mine) == 2


def test_refusals(api_client: Any) -> None:
    """Technician 403; unknown group 404; unknown model 422 naming ``model`` and the allowed values;
    unknown preset 422 naming ``preset``."""
    api = _mounted(api_client)
    disp = api.headers("dispatcher")
    refused = api.client.put(PATH, json={"model": "branch_wide"}, headers=api.headers("technician"))
    assert refused.status_code == 403
    missing = api.client.put(PATH.replace("G1", "NOPE"), json={"model": "branch_wide"}, headers=disp)
    assert missing.status_code == 404, missing.text
    bad = api.client.put(PATH, json={"model": "free_for_all"}, headers=disp)
    assert bad.status_code == 422
    text = bad.text
    assert "model" in text and "small_area_contract" in text and "branch_wide" in text, text
    bad_preset = api.client.put(PATH, json={"model": "branch_wide", "preset": "moon"}, headers=disp)
    assert bad_preset.status_code == 422 and "preset" in bad_preset.text and "urban_dense" in bad_preset.text
