"""The web console in a real browser (headless Chromium driven by Playwright) against the real server.

One uvicorn server per module on a free loopback port, with a small demo city (``scale=0.02``: the
whole organisation, 2 % of the month's orders) in a temporary SQLite file, the default pay policy and
one user per role (two HR users: a run is approved by someone other than its creator). The older
tests sign in with a real API key and read the console in English; the technician's day signs in
with user name and password on a 390 × 844 phone screen, in Chinese and in English.

Screenshots go to ``$FIELDCREW_SCREENSHOT_DIR`` (default ``<tmp>/fieldcrew-console-screenshots``;
the path is printed).

Skipped when Chromium or Playwright is missing, except when ``FIELDCREW_REQUIRE_BROWSER=1`` (set by
``.ci/run``): then a missing browser fails the run. No browser is downloaded: Debian's
``/usr/bin/chromium`` is used (``FIELDCREW_CHROMIUM`` overrides the path).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import insert

pytestmark = pytest.mark.browser

CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SEED = 20260401
ROSTER_START = "2026-06-22"  # the demo month is June 2026: three weeks of order history before it
SCREENSHOT_DIR = Path(
    os.environ.get("FIELDCREW_SCREENSHOT_DIR")
    or Path(tempfile.gettempdir()) / "fieldcrew-console-screenshots"
)
TECH_PASSWORD = "tech password 2026"
#: the day each language's run works (after the week the dispatcher test rosters and publishes)
MY_DAYS = {"zh-CN": ("2026-06-30", "周二"), "en": ("2026-07-01", "Wed")}
TIMEOUT_MS = 30_000
SOLVE_SECONDS = 5  # CP-SAT budget of a roster solve (104 technicians × 7 days): enough even under load


def _unavailable(reason: str) -> None:
    """Skip, or fail when the environment demands the browser tests (CI)."""
    if os.environ.get("FIELDCREW_REQUIRE_BROWSER") == "1":
        pytest.fail(f"browser tests required (FIELDCREW_REQUIRE_BROWSER=1) but {reason}")
    pytest.skip(reason)


def _chromium() -> str:
    path = os.environ.get("FIELDCREW_CHROMIUM") or shutil.which("chromium")
    path = path or shutil.which("chromium-browser")
    if not path:
        _unavailable("no chromium binary (apt-get install chromium)")
    return str(path)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Site:
    """The running server: its base URL, database URL and an API key per user."""

    def __init__(self, url: str, database_url: str, keys: dict[str, str]) -> None:
        self.url = url
        self.database_url = database_url
        self.keys = keys
        self.roster_id: str | None = None

    def api(self, user: str) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"X-API-Key": self.keys[user]}, timeout=30)


def _seed(database_url: str) -> dict[str, str]:
    from fieldcrew.auth import create_user, set_password
    from fieldcrew.db import Base, session_scope
    from fieldcrew.demo import city_rows, generate_city
    from payroll import store as payroll_store
    from payroll.policy import default_policy_path, load_policies

    city = generate_city(SEED, scale=0.02)
    users = {
        "admin": ("admin", None),
        "dispatcher": ("dispatcher", None),
        "hr": ("hr", None),
        "hr2": ("hr", None),
        "planner": ("planner", None),
        "tech": ("technician", city.technicians[0].id),
    }
    keys = {}
    with session_scope(database_url) as session:
        for name, rows in city_rows(city).items():
            if rows:
                session.execute(insert(Base.metadata.tables[name]), rows)
        session.flush()
        for policy in load_policies(default_policy_path()):
            payroll_store.save_policy(session, policy, "test")
        for username, (role, technician_id) in users.items():
            _, keys[username] = create_user(session, username, role, technician_id, actor="test")
        set_password(session, "tech", TECH_PASSWORD, actor="test")
    return keys


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The real service (uvicorn in a thread) on a seeded temporary SQLite database."""
    _chromium()
    from api.app import create_app
    from fieldcrew.db import dispose_engine, upgrade
    from fieldcrew.settings import Settings

    data_dir = tmp_path_factory.mktemp("console")
    database_url = f"sqlite:///{data_dir / 'fieldcrew.db'}"
    upgrade(database_url)
    keys = _seed(database_url)
    settings = Settings(database_url=database_url, data_dir=data_dir, job_executor="thread", job_workers=1)
    port = _free_port()
    app = create_app(settings, migrate=False)
    assert "/auth/login" in app.openapi()["paths"]  # the app factory mounts the sign-in routes
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    print(f"console screenshots: {SCREENSHOT_DIR}")
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    yield Site(f"http://127.0.0.1:{port}", database_url, keys)
    server.should_exit = True
    thread.join(timeout=30)
    dispose_engine(database_url)


@pytest.fixture(scope="module")
def browser(site: Site) -> Iterator[Any]:
    """Headless Debian Chromium driven by Playwright (its own driver; no browser download)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed (pip install -e '.[dev]')")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=_chromium(), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh page (own session storage) that fails the test on any uncaught script error.

    The page's last state is saved as ``<SCREENSHOT_DIR>/fieldcrew-console-last-<test>.png`` and its
    console messages are printed (pytest shows both when a test fails).
    """
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.add_init_script("localStorage.setItem('fieldcrew-lang', 'en')")  # these tests read English
    context.set_default_timeout(TIMEOUT_MS)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.on("console", lambda msg: print(f"browser console {msg.type}: {msg.text}"))
    yield pg
    try:
        last = SCREENSHOT_DIR / f"fieldcrew-console-last-{request.node.name}.png"
        pg.screenshot(path=str(last), full_page=True)
        print("error box:", pg.text_content("#error"))
    finally:
        context.close()
    assert not errors, f"script errors in the console: {errors}"


def key_sign_in(page: Any, key: str) -> None:
    """Fill and send the API-key form (folded under the user name and password form)."""
    page.click("#key-login summary")
    page.fill("#key", key)
    page.click("#key-form button[type=submit]")


def sign_in(page: Any, site: Site, user: str) -> None:
    page.goto(site.url + "/")
    key_sign_in(page, site.keys[user])
    page.wait_for_selector("#tabs:not([hidden])")
    page.wait_for_selector("body[data-ready]", state="attached")  # sign-in finished loading its first tab
    assert f"{user} (" in page.text_content("#who")


def roster_id(site: Site) -> str:
    """A stored roster of the demo branch (the dispatcher test's, or one solved over the API)."""
    for seconds in (SOLVE_SECONDS, 4 * SOLVE_SECONDS):  # a loaded machine may need a longer search
        if site.roster_id is not None:
            break
        with site.api("dispatcher") as client:
            branch = client.get("/branches").json()[0]["id"]
            response = client.post("/rosters", json={"branch_id": branch, "start": ROSTER_START, "days": 7,
                                                     "seconds": seconds})
            assert response.status_code == 202, response.text
            for _ in range(1200):
                job = client.get(response.headers["Location"]).json()
                if job["status"] in ("succeeded", "failed", "cancelled"):
                    break
                time.sleep(0.1)
            assert job["status"] == "succeeded", job
            if job["result"]["status"] in ("FEASIBLE", "OPTIMAL"):
                site.roster_id = job["result"]["roster_id"]
    assert site.roster_id is not None
    return site.roster_id


def payroll_run(site: Site) -> None:
    """Make sure June 2026 has a released payroll run (technicians see released runs only): the HR
    test's run or one run over the API, approved by a second HR user, locked and released."""
    with site.api("hr") as client:
        if not client.get("/payroll/runs").json():
            response = client.post("/payroll/runs", json={"month": "2026-06"})
            assert response.status_code == 202, response.text
            for _ in range(600):
                job = client.get(response.headers["Location"]).json()
                if job["status"] in ("succeeded", "failed", "cancelled"):
                    break
                time.sleep(0.1)
            assert job["status"] == "succeeded", job
        run = client.get("/payroll/runs").json()[0]
    steps = {"draft": ("hr2", "approve"), "approved": ("hr", "lock"), "locked": ("hr", "release")}
    while run["status"] in steps:
        user, step = steps[run["status"]]
        with site.api(user) as client:
            response = client.post(f"/payroll/runs/{run['id']}/{step}", json={"note": "browser test"})
            assert response.status_code == 200, response.text
            run = response.json()
    assert run["status"] == "released", run


def test_bad_key_is_refused(page: Any, site: Site) -> None:
    """A wrong key stays on the sign-in form with a message; nothing else is shown."""
    page.goto(site.url + "/")
    key_sign_in(page, "fc_00000000_not-a-real-key")
    page.wait_for_selector("#login-error:has-text('not valid')")
    assert page.is_hidden("#tabs")


def test_dispatcher_solves_a_roster_with_rest_days_and_publishes(page: Any, site: Site) -> None:
    """Solve as a job (progress shown), see technicians × days with rest days and coverage, publish."""
    sign_in(page, site, "dispatcher")
    assert page.is_visible("#tab-roster") and page.is_hidden("nav button[data-tab=payroll]")
    form = page.locator("#roster-solve")
    form.locator("input[name=start]").fill(ROSTER_START)
    form.locator("input[name=days]").fill("7")
    form.locator("input[name=seconds]").fill(str(SOLVE_SECONDS))
    form.locator("button[type=submit]").click()
    page.wait_for_selector("#roster-job progress")
    page.wait_for_selector("#roster-view:not([hidden])", timeout=120_000)
    assert page.get_attribute("#roster-job", "data-status") == "succeeded"
    assert "draft" in page.text_content("#roster-meta")
    assert "found no roster" not in page.text_content("#roster-meta"), "no solution: raise SOLVE_SECONDS"
    site.roster_id = page.input_value("#roster-load input[name=roster_id]")
    with site.api("dispatcher") as client:
        assignment = client.get(f"/rosters/{site.roster_id}").json()["assignment"]
    # the grid shows every technician's week as stored: a shift, or "rest" where the roster has none
    shown = page.eval_on_selector_all(
        "#roster-grid tr[data-technician]",
        "rows => rows.map(r => [r.dataset.technician,"
        " [...r.querySelectorAll('td.cell')].map(c => c.textContent)])",
    )
    assert len(shown) == len(assignment) > 50  # the demo branch has 104 technicians
    for technician_id, cells in shown:
        assert cells == [shift or "rest" for shift in assignment[technician_id]], technician_id
    assert sum(cells.count("rest") for _, cells in shown) >= len(shown)  # rest days are visible
    assert page.locator("#roster-grid tr.coverage").count() >= 1
    page.screenshot(path=str(SCREENSHOT_DIR / "fieldcrew-console-roster.png"))
    page.click("#roster-publish")
    page.wait_for_selector("#roster-view[data-status=published]")
    assert page.is_hidden("#roster-publish")
    # a sick call: the technician working on the first day is off that day in a new draft version
    sick = next(t for t, cells in shown if cells[0] != "rest")
    published_id = site.roster_id
    page.fill("#reroster-form input[name=technician_id]", sick)
    page.fill("#reroster-form input[name=start]", ROSTER_START)
    page.fill("#reroster-form input[name=end]", ROSTER_START)
    page.fill("#reroster-form input[name=seconds]", "3")
    page.click("#reroster-form button[type=submit]")
    page.wait_for_selector("#reroster-changes:has-text('New draft version 2')", timeout=120_000)
    assert page.input_value("#roster-load input[name=roster_id]") != published_id
    first_cell = page.locator(f"#roster-grid tr[data-technician='{sick}'] td.cell").first
    assert first_cell.text_content() == "rest" and "changed" in (first_cell.get_attribute("class") or "")
    assert "draft" in page.text_content("#roster-meta")
    page.screenshot(path=str(SCREENSHOT_DIR / "fieldcrew-console-reroster.png"))
    page.click("nav button[data-tab=jobs]")
    page.wait_for_selector("#jobs tbody tr td:has-text('roster.solve')")


def test_technician_sees_only_own_roster_row_and_payslips(page: Any, site: Site) -> None:
    """A technician's roster grid has one row (their own) and the payroll tab is not offered."""
    rid = roster_id(site)
    with site.api("tech") as client:
        me = client.get("/users/me").json()["technician_id"]
    page.goto(site.url + "/#roster=" + rid)
    key_sign_in(page, site.keys["tech"])
    page.wait_for_selector("#roster-grid tr[data-technician]")
    rows = page.locator("#roster-grid tr[data-technician]")
    assert rows.count() == 1 and rows.first.get_attribute("data-technician") == me
    assert page.is_hidden("nav button[data-tab=payroll]") and page.is_hidden("nav button[data-tab=planning]")
    assert page.is_hidden("#roster-solve")
    page.click("nav button[data-tab=mypay]")
    page.wait_for_selector("#mypayslips tbody tr")
    page.click("nav button[data-tab=jobs]")
    page.wait_for_selector("#jobs tbody td:has-text('no jobs yet')")  # the dispatcher's jobs are not shown
    # someone else's payslips with the same key are refused by the API, and the console says why
    page.evaluate("getJson('/payroll/technicians/NOT-ME/payslips').catch(showError)")
    page.wait_for_selector("#error:not([hidden])")
    assert "a technician may only see their own records" in page.text_content("#error")


def test_hr_bad_month_shows_the_api_error_then_runs_payroll_and_reads_a_payslip(
    page: Any, site: Site
) -> None:
    """A malformed month shows the problem+json field error; a good one runs as a job; a payslip opens."""
    sign_in(page, site, "hr")
    page.wait_for_selector("#tab-payroll:not([hidden])")
    page.fill("#payroll-run input[name=month]", "2026-6")
    page.click("#payroll-run button[type=submit]")
    page.wait_for_selector("#error:not([hidden])")
    error = page.text_content("#error")
    assert "Invalid request" in error and "body.month" in error and "month must be YYYY-MM" in error
    page.fill("#payroll-run input[name=month]", "2026-06")
    page.click("#payroll-run button[type=submit]")
    page.wait_for_selector("#runs tbody tr td:has-text('2026-06')", timeout=120_000)
    assert page.is_hidden("#error")
    page.locator("#runs tbody tr").first.locator("button").click()
    page.wait_for_selector("#payslip-form:not([hidden])")
    page.click("#payslip-form button[type=submit]")
    page.wait_for_selector("#payslip-hr table.payslip-lines tbody tr")
    assert "post wage" in page.text_content("#payslip-hr")
    net = page.locator("#payslip-hr tfoot tr.net").text_content().strip()
    assert net.startswith("Take-home pay") and "¥" in net  # ¥ with thousands separators, 2 decimals
    page.screenshot(path=str(SCREENSHOT_DIR / "fieldcrew-console-payslip.png"), full_page=True)


def test_planner_sizes_a_team_and_sees_a_field_error(page: Any, site: Site) -> None:
    """Erlang C sizing answers; an impossible service level shows the API's field error; quotas and a
    what-if (two rest days a week) are tabled."""
    sign_in(page, site, "planner")
    page.wait_for_selector("#tab-planning:not([hidden])")
    page.click("#erlang-form button[type=submit]")
    page.wait_for_selector("#erlang-out .result")
    assert "technicians" in page.text_content("#erlang-out")
    page.fill("#erlang-form input[name=target_service_level]", "1.5")
    page.click("#erlang-form button[type=submit]")
    page.wait_for_selector("#error:not([hidden])")
    assert "target_service_level" in page.text_content("#error")
    page.screenshot(path=str(SCREENSHOT_DIR / "fieldcrew-console-error.png"))
    page.fill("#quota-form input[name=start]", ROSTER_START)
    page.fill("#quota-form input[name=days]", "3")
    page.click("#quota-form button[type=submit]")
    page.wait_for_selector("#quota-out table tbody tr")
    assert page.is_hidden("#error")  # a successful request clears the previous error
    assert page.locator("#quota-out thead th").count() == 4  # group + three days
    page.fill("#whatif-form input[name=start]", ROSTER_START)
    page.select_option("#whatif-form select[name=rest_days_per_week]", "2")
    page.click("#whatif-form button[type=submit]")
    page.wait_for_selector("#whatif-out table tbody tr")
    assert "delta_heads" in page.text_content("#whatif-out thead")


def test_dispatcher_plans_a_day_and_sees_the_board(page: Any, site: Site) -> None:
    """No plan yet: the API's 404 is shown; planning the day (a job) then shows timelines with ETAs."""
    with site.api("dispatcher") as client:  # the demo month's orders are closed: open three for the day
        area = client.get("/areas", params={"limit": 1}).json()[0]
        for i in range(3):
            order = {"id": f"WO-OPEN-{i}", "order_type": "repair", "difficulty": 1, "area_id": area["id"],
                     "location": area["centroid"], "customer_grade": "ordinary",
                     "line_type": "broadband", "created": f"2026-06-23T07:0{i}:00",
                     "deadline": "2026-06-24T07:00:00", "required_skills": ["broadband"]}
            response = client.post("/orders", json=order)
            assert response.status_code == 201, response.text
    sign_in(page, site, "dispatcher")
    page.click("nav button[data-tab=dispatch]")
    page.fill("#board-form input[name=day]", "2026-06-23")
    page.click("#board-form button[type=submit]")
    page.wait_for_selector("#error:not([hidden])")
    assert "not found" in page.text_content("#error").lower()
    page.fill("#board-form input[name=seconds]", "2")
    page.click("#board-plan")
    page.wait_for_selector("#board-view p.idle", timeout=120_000)
    assert page.is_hidden("#error")
    assert page.get_attribute("#board-job", "data-status") == "succeeded"
    assert "Plan version" in page.text_content("#board-view")
    stops = page.locator("#board-view table.board tbody tr")
    assert stops.count() + page.locator("#board-view li:has-text('WO-OPEN')").count() >= 3
    assert "WO-OPEN-0" in page.text_content("#board-view")
    page.screenshot(path=str(SCREENSHOT_DIR / "fieldcrew-console-board.png"))


def test_technician_reads_own_payslip_and_signs_out(page: Any, site: Site) -> None:
    """A technician lists their own payslips, opens one with its lines, and signing out forgets the key."""
    payroll_run(site)
    sign_in(page, site, "tech")
    page.click("nav button[data-tab=mypay]")
    page.locator("#mypayslips tbody tr").first.locator("button").click()
    page.wait_for_selector("#payslip-mine table.payslip-lines tbody tr")
    with site.api("tech") as client:
        me = client.get("/users/me").json()["technician_id"]
    assert f"Payslip {me}, 2026-06" in page.text_content("#payslip-mine h3")
    page.click("#logout")
    page.wait_for_selector("#login:not([hidden])")
    assert page.evaluate("sessionStorage.getItem('fieldcrew-key')") is None
    page.reload()
    page.wait_for_selector("#login:not([hidden])")
    assert page.is_hidden("#tabs")


def my_day_orders(site: Site, day: str) -> dict[str, list[str]]:
    """Plan ``day`` with the signed-in technician and a colleague on duty and six open orders in the
    technician's home area; return each on-duty technician's planned order ids."""
    deadline = (dt.date.fromisoformat(day) + dt.timedelta(days=1)).isoformat()
    with site.api("tech") as client:
        me = client.get("/users/me").json()["technician_id"]
    with site.api("dispatcher") as client:
        techs = client.get("/technicians", params={"limit": 1000}).json()
        tech = next(t for t in techs if t["id"] == me)
        colleague = next(
            t["id"] for t in techs
            if t["id"] != me and t["region_group_id"] == tech["region_group_id"]
            and set(tech["skills"]) & set(t["skills"])
        )
        skill = sorted(set(tech["skills"]) & set(next(t for t in techs if t["id"] == colleague)["skills"]))[0]
        areas = client.get("/areas", params={"limit": 1000}).json()
        area = next(a for a in areas if a["id"] == tech["home_area_id"])
        for i in range(6):
            order = {"id": f"WO-{day[5:7]}{day[8:]}-{i}", "order_type": "repair", "difficulty": 1,
                     "area_id": area["id"], "location": area["centroid"],
                     "customer_grade": ["vip", "gold", "ordinary"][i % 3],
                     "line_type": "broadband", "created": f"{day}T07:0{i}:00",
                     "deadline": f"{deadline}T07:00:00", "required_skills": [skill]}
            if i == 0:
                order["appointment"] = {"start": f"{day}T10:00:00", "end": f"{day}T12:00:00"}
            if client.get(f"/orders/{order['id']}").status_code == 404:
                response = client.post("/orders", json=order)
                assert response.status_code == 201, response.text
        response = client.post(f"/dispatch/plans/{tech['branch_id']}/{day}",
                               json={"on_duty": [me, colleague], "seconds": 3})
        assert response.status_code == 202, response.text
        for _ in range(1200):
            job = client.get(response.headers["Location"]).json()
            if job["status"] in ("succeeded", "failed", "cancelled"):
                break
            time.sleep(0.1)
        assert job["status"] == "succeeded", job
        board = client.get(f"/dispatch/plans/{tech['branch_id']}/{day}/board").json()
    planned = {r["technician_id"]: [s["order_id"] for s in r["stops"]] for r in board["routes"]}
    assert len(planned.get(me, [])) >= 2, planned
    return planned


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_technician_works_his_day_on_a_phone(browser: Any, site: Site, lang: str) -> None:
    """On a 390 × 844 phone a technician signs in with his password, sees his own stops in order
    (none of his colleague's), starts one and completes it; the order table says completed."""
    day, weekday = MY_DAYS[lang]
    planned = my_day_orders(site, day)
    with site.api("tech") as client:
        me = client.get("/users/me").json()["technician_id"]
        mine = client.get("/dispatch/my-day", params={"day": day}).json()
    others = {o for t, orders in planned.items() if t != me for o in orders}
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                  device_scale_factor=2)
    context.add_init_script(f"localStorage.setItem('fieldcrew-lang', '{lang}')")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(site.url + "/")
        assert page.text_content("#login-form button") == ("登录" if lang == "zh-CN" else "Sign in")
        page.fill("#username", "tech")
        page.fill("#password", TECH_PASSWORD)
        page.click("#login-form button[type=submit]")
        page.wait_for_selector("body[data-ready]", state="attached")
        assert page.is_visible("#tab-myday")
        page.fill("#myday-form input[name=day]", day)
        page.click("#myday-form button[type=submit]")
        page.wait_for_selector("#myday-stops li.stop")
        shown = page.eval_on_selector_all("#myday-stops li.stop", "items => items.map(i => i.dataset.order)")
        assert shown == [s["order_id"] for s in mine["stops"]] and len(shown) >= 2
        assert not set(shown) & others
        first = page.locator("#myday-stops li.stop").first
        text, meta = first.text_content(), page.text_content("#myday-meta")
        if lang == "zh-CN":
            assert "客户等级" in text and "时限" in text and weekday in meta
        else:
            assert "Customer grade" in text and "Deadline" in text and weekday in meta
        assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
        order = page.eval_on_selector(
            "#myday-stops li.stop[data-status=dispatched]", "li => li.dataset.order"
        )
        card = f"#myday-stops li.stop[data-order='{order}']"
        page.click(f"{card} button[data-action=start]")
        page.wait_for_selector(f"{card}[data-status=started]")
        page.click(f"{card} button[data-action=complete]")
        page.check(f"{card} .complete-form input[name=fixed][value=yes]")
        page.click(f"{card} .complete-form button[type=submit]")
        page.wait_for_selector(f"{card}[data-status=completed]")
        assert page.is_hidden("#error")
        page.screenshot(path=str(SCREENSHOT_DIR / f"fieldcrew-console-myday-{lang}.png"), full_page=True)
        with site.api("dispatcher") as client:
            assert client.get(f"/orders/{order}").json()["status"] == "completed"
        with site.api("tech") as client:
            after = client.get("/dispatch/my-day", params={"day": day}).json()
        assert {s["order_id"]: s["status"] for s in after["stops"]}[order] == "completed"
        page.click("#logout")
        page.wait_for_selector("#login:not([hidden])")
        with httpx.Client(base_url=site.url) as anonymous:  # the session cookie ended with sign-out
            assert anonymous.get("/users/me").status_code == 401
    finally:
        page.screenshot(path=str(SCREENSHOT_DIR / f"fieldcrew-console-myday-last-{lang}.png"), full_page=True)
        context.close()
    assert not errors, f"script errors in the console: {errors}"
