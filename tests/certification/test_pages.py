"""The certification pages (issue 14): a worker applies and self-assesses, the street reviewer
returns (a new revision; the old one kept under ``<details>``) and later passes, the district
accepts; every refusal is said on the page and changes nothing; foreign applications and
files are 404; evidence files up and down; the snapshot shown is the stored one; the re-check
page and its run."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from jiuye.audit.models import AuditEntry
from jiuye.certification import services as cert
from jiuye.certification.models import Application, EvidenceFile, Recheck, State, Step
from jiuye.standards import services as std
from jiuye.standards.models import ChecklistTick
from jiuye.standards.rulesets import ruleset_get
from tests.conftest import _user

D = date
TODAY = timezone.localdate()
YEAR = TODAY.year


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _messages(response: Any) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def _steps(application: Application) -> list[tuple[int, str, str]]:
    return [(s.revision, s.step, s.decision) for s in application.steps.order_by("id")]


@pytest.fixture
def street2(tree: dict[str, Any]) -> Any:
    return _user("street_s2", "street", [tree["s2"]])


@pytest.fixture
def a_passes(person: Callable[..., Any]) -> list[Any]:
    """Community A: three employed in one household (HD-C passes)."""
    hh = None
    people = []
    for i in range(3):
        p = person("a1", statuses=((D(2020, 1, 1), "unit"),), hh=hh, name=f"在岗{i}")
        hh = p.household
        people.append(p)
    return people


@pytest.fixture
def a_fails(person: Callable[..., Any]) -> list[Any]:
    """Community A: 1 of 3 employed (HD-C1 fails)."""
    hh = None
    people = []
    for i in range(3):
        status = (D(2020, 1, 1), "unit") if i == 0 else (D(2020, 1, 1), "unemployed", True)
        p = person("a1", statuses=(status,), hh=hh, name=f"失业者{i}")
        hh = p.household
        people.append(p)
    return people


def _apply(client: Client, level: str = "", year: int = YEAR, ruleset: str = "HD-2012") -> Any:
    return client.post(
        reverse("certification:apply"),
        {"unit": "110108001001", "ruleset": ruleset, "level": level, "year": year, "note": "申请"},
        follow=True,
    )


def _step(client: Client, application: Application, action: str, note: str = "") -> Any:
    return client.post(
        reverse("certification:step", args=[application.pk]),
        {"action": action, "note": note},
        follow=True,
    )


def test_apply_submit_return_pass_accept_through_the_pages(
    tree: dict[str, Any], personas: dict[str, Any], a_passes: list[Any]
) -> None:
    worker = _client(personas["worker_a"])
    street = _client(personas["street"])
    district = _client(personas["district"])

    index = worker.get(reverse("certification:index"))
    assert index.status_code == 200
    assert 'class="card card-body py-2 mb-2 apply-form" data-unit="110108001001"' in (
        index.content.decode()
    )
    response = _apply(worker)
    app = Application.objects.get()
    assert response.redirect_chain[-1][0] == reverse("certification:application", args=[app.pk])
    assert (app.state, app.level, app.year) == (State.APPLIED, "community", YEAR)
    html = response.content.decode()
    assert 'id="step-form" data-step="submit"' in html

    response = _step(worker, app, "submit", "自评达标")
    app.refresh_from_db()
    assert app.state == State.SUBMITTED
    assert "已提交自评。" in _messages(response)
    assert 'id="step-form"' not in response.content.decode()  # not the worker's step now

    # The street's queue shows it; a return without a note is refused and changes nothing.
    queue = street.get(reverse("certification:index")).content.decode()
    assert f'data-application="{app.pk}"' in queue.split('id="queue"')[1].split("</table>")[0]
    page = street.get(reverse("certification:application", args=[app.pk])).content.decode()
    assert 'id="step-form" data-step="review"' in page
    response = _step(street, app, "return_review")
    assert any("理由" in m for m in _messages(response))
    app.refresh_from_db()
    assert (app.state, app.revision) == (State.SUBMITTED, 1)
    assert _steps(app) == [(1, "apply", "submit"), (1, "submit", "submit")]

    response = _step(street, app, "return_review", "台账不全，请补充")
    app.refresh_from_db()
    assert (app.state, app.revision) == (State.RETURNED, 2)
    html = response.content.decode()
    # The new revision is the open one; the old one is kept under <details>.
    assert 'id="revision-2" data-revision="2"' in html
    current, old = html.index('id="revision-2"'), html.index('id="revision-1"')
    assert current < old  # newest first
    assert html[:old].rstrip().endswith('<details class="mb-3 revision revision-old"')
    assert "台账不全，请补充" in html[old:] and "台账不全，请补充" not in html[current:old]
    notices = worker.get(reverse("certification:index")).content.decode()
    assert "台账不全，请补充" in notices.split('id="notices"')[1]

    _step(worker, app, "submit")
    response = _step(street, app, "review", "同意")
    app.refresh_from_db()
    assert app.state == State.REVIEWED
    # Taking the same step again: the state moved on, said on the page, nothing written.
    before = Step.objects.count()
    response = _step(street, app, "review")
    assert any("状态" in m for m in _messages(response))
    assert Step.objects.count() == before

    response = _step(district, app, "accept", "同意认定")
    app.refresh_from_db()
    assert app.state == State.CERTIFIED and app.certification is not None
    html = response.content.decode()
    assert 'id="application-state" data-state="certified"' in html and "已认定" in html
    assert 'id="step-form"' not in html
    assert _steps(app) == [
        (1, "apply", "submit"),
        (1, "submit", "submit"),
        (1, "review", "return"),
        (2, "submit", "submit"),
        (2, "review", "pass"),
        (2, "accept", "pass"),
    ]


def test_refusals_are_messages_and_change_nothing(
    tree: dict[str, Any], personas: dict[str, Any], a_fails: list[Any]
) -> None:
    worker = _client(personas["worker_a"])
    street = _client(personas["street"])
    _apply(worker)
    app = Application.objects.get()
    # Once a year per level; a year not begun; an unknown rule set: messages, no new row.
    assert any("已提出申请" in m for m in _messages(_apply(worker)))
    assert _messages(_apply(worker, year=YEAR + 1))
    assert _messages(_apply(worker, ruleset="XX-0000"))
    assert _messages(_apply(worker, level="street"))
    assert Application.objects.count() == 1
    # The street may not review before the self-assessment.
    before = _steps(app)
    assert any("状态" in m for m in _messages(_step(street, app, "review")))
    # The worker may not review; an unknown action.
    _step(worker, app, "submit")
    assert any("无权" in m for m in _messages(_step(worker, app, "review")))
    assert _messages(_step(worker, app, "destroy"))
    # Failing criteria: the review cannot pass (only a return can).
    response = _step(street, app, "review", "通过")
    assert any("HD-C1" in m for m in _messages(response))
    assert response.status_code == 200
    app.refresh_from_db()
    assert app.state == State.SUBMITTED
    assert _steps(app) == [*before, (1, "submit", "submit")]
    # A note longer than the service allows is a form error, not a server error.
    assert _messages(_step(street, app, "return_review", "长" * 3000))
    app.refresh_from_db()
    assert app.state == State.SUBMITTED


def test_a_foreign_application_is_not_found(
    tree: dict[str, Any], personas: dict[str, Any], street2: Any, a_passes: list[Any]
) -> None:
    app = cert.certification_apply(
        actor=personas["worker_a"], unit=tree["a"], ruleset=ruleset_get("HD-2012"), year=YEAR
    )
    cert.certification_submit(actor=personas["worker_a"], application=app)
    for user in (personas["worker_b"], street2, personas["grid_a1"], personas["sysadmin"]):
        client = _client(user)
        assert client.get(reverse("certification:application", args=[app.pk])).status_code == 404
        response = client.post(
            reverse("certification:step", args=[app.pk]), {"action": "review", "note": "x"}
        )
        assert response.status_code == 404
        index = client.get(reverse("certification:index"))
        assert index.status_code == 404 or f'data-application="{app.pk}"' not in (
            index.content.decode()
        )
    app.refresh_from_db()
    assert app.state == State.SUBMITTED
    # Nor does worker B see A's apply form, nor may they apply for A.
    worker_b = _client(personas["worker_b"])
    assert (
        'data-unit="110108001001"'
        not in worker_b.get(reverse("certification:index")).content.decode()
    )
    assert (
        worker_b.post(
            reverse("certification:apply"),
            {"unit": "110108001001", "ruleset": "HD-2012", "year": YEAR},
        ).status_code
        == 404
    )


def test_admins_and_the_auditor_get_404_and_visitors_the_login(
    tree: dict[str, Any], personas: dict[str, Any]
) -> None:
    for who in ("sysadmin", "secadmin", "auditor"):
        client = _client(personas[who])
        for name in ("certification:index", "certification:rechecks"):
            assert client.get(reverse(name)).status_code == 404
    response = Client().get(reverse("certification:index"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def _demonstration(personas: dict[str, Any], tree: dict[str, Any]) -> Application:
    return cert.certification_apply(
        actor=personas["worker_a"],
        unit=tree["a"],
        ruleset=ruleset_get("HD-2012"),
        year=YEAR,
        level_key="demonstration",
    )


def _upload(client: Client, app: Application, name: str, data: bytes, role: str = "self") -> Any:
    return client.post(
        reverse("certification:evidence_upload", args=[app.pk]),
        {"item": "HD-D1", "role": role, "file": SimpleUploadedFile(name, data)},
        follow=True,
    )


def test_evidence_upload_and_download(
    tree: dict[str, Any], personas: dict[str, Any], a_passes: list[Any]
) -> None:
    app = _demonstration(personas, tree)
    worker = _client(personas["worker_a"])
    page = worker.get(reverse("certification:application", args=[app.pk])).content.decode()
    assert (
        'id="checklist-table"' in page
        and 'class="d-flex flex-wrap gap-1 mt-1 evidence-form"' in page
    )

    content = b"%PDF-1.4 minutes of the staff meeting"
    response = _upload(worker, app, "劳动关系记录.pdf", content)
    assert any("劳动关系记录.pdf" in m for m in _messages(response))
    evidence = EvidenceFile.objects.get()
    assert (evidence.item, evidence.role, evidence.size) == ("HD-D1", "self", len(content))
    assert f'data-evidence="{evidence.pk}"' in response.content.decode()

    # Refused: the wrong type, an empty file, a column not the worker's, an unknown item.
    assert any("只接受" in m for m in _messages(_upload(worker, app, "run.exe", b"MZ")))
    assert any("空" in m for m in _messages(_upload(worker, app, "empty.pdf", b"")))
    assert any("无权" in m for m in _messages(_upload(worker, app, "a.pdf", b"x", "street")))
    response = worker.post(
        reverse("certification:evidence_upload", args=[app.pk]),
        {"item": "NOPE", "role": "self", "file": SimpleUploadedFile("a.pdf", b"x")},
        follow=True,
    )
    assert _messages(response)
    assert _messages(
        worker.post(reverse("certification:evidence_upload", args=[app.pk]), {}, follow=True)
    )
    big = b"%PDF" + b"0" * (10 * 1024 * 1024)
    assert any("10 MB" in m for m in _messages(_upload(worker, app, "big.pdf", big)))
    assert EvidenceFile.objects.count() == 1
    # A number in a file's name is masked on the pages (the file keeps its name).
    id_number = a_passes[0].id_number
    html = _upload(worker, app, f"{id_number}身份证.pdf", b"%PDF-1.4 card").content.decode()
    assert id_number not in html and "身份证.pdf" in html
    EvidenceFile.objects.filter(name__startswith=id_number).delete()

    url = reverse("certification:evidence", args=[evidence.pk])
    download = worker.get(url)
    assert download.status_code == 200 and download.content == content
    assert download["Content-Type"] == "application/pdf"
    disposition = download["Content-Disposition"]
    assert disposition.startswith(
        "attachment"
    ) and f"filename*=utf-8''{quote('劳动关系记录.pdf')}" in (disposition)
    assert AuditEntry.objects.filter(
        action="read.certification.evidence", object_id=str(evidence.pk)
    ).exists()
    # Inside the jurisdiction: the street and the district; outside: 404.
    assert _client(personas["street"]).get(url).status_code == 200
    assert _client(personas["district"]).get(url).status_code == 200
    for who in ("worker_b", "grid_a1", "sysadmin", "auditor"):
        assert _client(personas[who]).get(url).status_code == 404, who
    assert (
        _client(personas["worker_b"])
        .post(
            reverse("certification:evidence_upload", args=[app.pk]),
            {"item": "HD-D1", "role": "self", "file": SimpleUploadedFile("b.pdf", b"x")},
        )
        .status_code
        == 404
    )


def test_live_checklist_ticks_come_back_to_the_application(
    tree: dict[str, Any], personas: dict[str, Any], a_passes: list[Any]
) -> None:
    app = _demonstration(personas, tree)
    page_url = reverse("certification:application", args=[app.pk])
    worker = _client(personas["worker_a"])
    page = worker.get(page_url).content.decode()
    assert f'name="next" value="{page_url}#checklist"' in page
    tick = reverse("standards:tick", args=["110108001001"]) + f"?ruleset=HD-2012&date={YEAR}-01-02"
    form = {"item": "HD-D1", "role": "self", "ticked": "on", "note": "稳定", "next": page_url}
    response = worker.post(tick, form)
    assert response.status_code == 302 and response["Location"] == page_url
    assert ChecklistTick.objects.get(item="HD-D1", role="self", year=YEAR).ticked
    # Another host is never a redirect target: back to the standards page instead.
    response = worker.post(tick, {**form, "next": "https://evil.example/"})
    assert response["Location"].startswith(reverse("standards:unit", args=["110108001001"]))
    response = worker.post(tick, {**form, "next": "//evil.example/x"})
    assert "evil" not in response["Location"]
    # The street's column is the street's: the worker gets no form there.
    street_page = _client(personas["street"]).get(page_url).content.decode()
    assert "t-street-HD-D1" in street_page and "t-street-HD-D1" not in page


def test_the_snapshot_shown_is_the_stored_one(
    tree: dict[str, Any], personas: dict[str, Any], a_passes: list[Any], person: Callable
) -> None:
    worker = _client(personas["worker_a"])
    _apply(worker)
    app = Application.objects.get()
    page = worker.get(reverse("certification:application", args=[app.pk])).content.decode()
    assert "3/3" in page and "100%" in page
    # New data after the step: two more persons, one unemployed.
    person("a1", statuses=((D(2020, 1, 1), "unit"),), name="后来在岗")
    person("a1", statuses=((D(2020, 1, 1), "unemployed", True),), name="后来失业")
    page = worker.get(reverse("certification:application", args=[app.pk])).content.decode()
    steps = page[page.index('id="steps"') :]
    assert "3/3" in steps and "4/5" not in steps and "后来失业" not in steps
    # The next step sees the new data, and lists who is behind the shortfall (names only).
    _step(worker, app, "submit")
    page = worker.get(reverse("certification:application", args=[app.pk])).content.decode()
    assert "4/5" in page and "80%" in page and "后来失业" in page
    for p in a_passes:
        assert p.id_number not in page


def test_street_application_shows_its_children(
    tree: dict[str, Any], personas: dict[str, Any], street2: Any
) -> None:
    hd = ruleset_get("HD-2012")
    app = cert.certification_apply(actor=None, unit=tree["c"], ruleset=hd, year=YEAR)
    cert.certification_submit(actor=None, application=app)
    cert.certification_review(actor=None, application=app, passed=True)
    cert.certification_accept(actor=personas["district"], application=app, passed=True)
    client = _client(street2)
    response = _client(street2).post(
        reverse("certification:apply"),
        {"unit": "110108002", "ruleset": "HD-2012", "level": "", "year": YEAR},
        follow=True,
    )
    s2 = Application.objects.get(unit=tree["s2"])
    assert s2.level == "street"
    response = _step(client, s2, "submit")
    html = response.content.decode()
    assert 'data-unit="110108002001" data-certified="true"' in html
    assert 'id="step-form"' not in html  # the district accepts a street directly
    district = _client(personas["district"]).get(reverse("certification:application", args=[s2.pk]))
    assert 'id="step-form" data-step="accept"' in district.content.decode()


def test_qg_score_columns_in_the_snapshot(tree: dict[str, Any], personas: dict[str, Any]) -> None:
    qg = ruleset_get("QG-2016")
    app = cert.certification_apply(
        actor=personas["worker_b"], unit=tree["b"], ruleset=qg, year=YEAR
    )
    scored = qg.levels["community"].score.checklist_ids()
    for item in scored:
        std.checklist_tick_set(
            actor=personas["worker_b"],
            unit=tree["b"],
            ruleset=qg,
            item=item,
            year=YEAR,
            role="self",
            ticked=True,
        )
    cert.certification_submit(actor=personas["worker_b"], application=app)
    html = (
        _client(personas["street"])
        .get(reverse("certification:application", args=[app.pk]))
        .content.decode()
    )
    submit = html[html.index('<article class="card mb-2 step" data-step="submit"') :]
    table = submit[submit.index("snapshot-score") :]
    table = table[: table.index("</table>")]
    assert 'data-total="self"' in table and 'data-total="street"' in table
    assert 'data-total="assessor"' in table
    self_total = re.search(r'data-total="self">(\d+)<', table)
    street_total = re.search(r'data-total="street">(\d+)<', table)
    assert self_total and street_total and int(self_total.group(1)) > int(street_total.group(1))


def test_index_filters_and_paging_never_fail(
    tree: dict[str, Any], personas: dict[str, Any], a_passes: list[Any]
) -> None:
    hd = ruleset_get("HD-2012")
    cert.certification_apply(actor=None, unit=tree["a"], ruleset=hd, year=YEAR)
    cert.certification_apply(actor=None, unit=tree["b"], ruleset=hd, year=YEAR - 1)
    street = _client(personas["street"])
    url = reverse("certification:index")
    this_year = street.get(url, {"year": YEAR}).content.decode()
    assert 'data-unit="110108001001" data-state="applied"' in this_year
    assert 'data-unit="110108001002"' not in this_year
    returned = street.get(url, {"state": "returned"}).content.decode()
    assert 'id="applications-empty"' in returned
    for query in (
        {"year": "abc"},
        {"state": "zzz"},
        {"page": "-1"},
        {"page": "9" * 30},
        {"year": "99999999999999999999"},
    ):
        assert street.get(url, query).status_code == 200, query
    # Nothing waits for the street yet (applied, not submitted); the worker's queue has A.
    assert 'id="queue-empty"' in street.get(url).content.decode()
    worker_page = _client(personas["worker_a"]).get(url).content.decode()
    assert 'id="queue-total">1<' in worker_page


def test_home_card(tree: dict[str, Any], personas: dict[str, Any], a_passes: list[Any]) -> None:
    app = cert.certification_apply(
        actor=personas["worker_a"], unit=tree["a"], ruleset=ruleset_get("HD-2012"), year=YEAR
    )
    cert.certification_submit(actor=personas["worker_a"], application=app)
    cert.certification_review(
        actor=personas["street"], application=app, passed=False, note="请补充台账"
    )
    worker = _client(personas["worker_a"]).get(reverse("home")).content.decode()
    card = worker[worker.index('id="certification-card"') :]
    assert "1 项申请等待您办理" in card and "请补充台账" in card
    for who in ("grid_a1", "sysadmin", "auditor"):
        html = _client(personas[who]).get(reverse("home")).content.decode()
        assert 'id="certification-card"' not in html, who


@pytest.fixture
def certified_last_year(tree: dict[str, Any], a_passes: list[Any]) -> Any:
    from jiuye.standards.services import certification_create

    return certification_create(
        actor=None,
        unit=tree["a"],
        ruleset=ruleset_get("HD-2012"),
        level="community",
        year=YEAR - 2,
        certified_on=D(YEAR - 2, 12, 20),
    )


def test_recheck_page_and_run(
    tree: dict[str, Any], personas: dict[str, Any], certified_last_year: Any
) -> None:
    district = _client(personas["district"])
    url = reverse("certification:rechecks")
    page = district.get(url).content.decode()
    assert 'id="recheck-run-form"' in page and 'id="rechecks-empty"' in page
    on = min(D(YEAR, 1, 15), TODAY)  # a run is never dated after today
    response = district.post(
        reverse("certification:recheck_run"),
        {"ruleset": "HD-2012", "on": on.isoformat()},
        follow=True,
    )
    assert any("保持 1 个" in m for m in _messages(response)), _messages(response)
    recheck = Recheck.objects.get()
    assert recheck.kept and recheck.year == YEAR
    html = response.content.decode()
    assert f'data-recheck="{recheck.pk}" data-unit="110108001001" data-kept="true"' in html
    # Again: nothing new (the re-check is once a year).
    response = district.post(
        reverse("certification:recheck_run"),
        {"ruleset": "HD-2012", "on": on.isoformat()},
        follow=True,
    )
    assert any("此前已复核 1 个" in m for m in _messages(response))
    assert Recheck.objects.count() == 1
    # Wrong input is said, never a server error; a rule set without a re-check is no choice.
    for body in (
        {"ruleset": "HD-2012", "on": "2026-13-45"},
        {"ruleset": "HD-2012", "on": (TODAY + timedelta(days=1)).isoformat()},
        {"ruleset": "NOPE", "on": on.isoformat()},
        {},
    ):
        response = district.post(reverse("certification:recheck_run"), body, follow=True)
        assert response.status_code == 200 and _messages(response), body
    assert Recheck.objects.count() == 1
    # Filters.
    assert f'data-recheck="{recheck.pk}"' in district.get(url, {"year": YEAR}).content.decode()
    assert 'id="rechecks-empty"' in district.get(url, {"year": YEAR - 1}).content.decode()
    assert district.get(url, {"year": "x", "ruleset": "<b>", "page": "y"}).status_code == 200
    # The worker sees the unit's re-checks but may not run one.
    worker = _client(personas["worker_a"])
    page = worker.get(url).content.decode()
    assert f'data-recheck="{recheck.pk}"' in page and 'id="recheck-run-form"' not in page
    response = worker.post(reverse("certification:recheck_run"), {"ruleset": "HD-2012"})
    assert response.status_code == 403
    assert _client(personas["street"]).post(reverse("certification:recheck_run")).status_code == 403
    assert _client(personas["sysadmin"]).get(url).status_code == 404
    assert (
        f'data-recheck="{recheck.pk}"'
        not in _client(personas["worker_b"]).get(url).content.decode()
    )


def test_the_pages_in_english(
    tree: dict[str, Any], personas: dict[str, Any], a_passes: list[Any]
) -> None:
    app = _demonstration(personas, tree)
    cert.certification_submit(actor=personas["worker_a"], application=app)
    street = _client(personas["street"])
    url = reverse("certification:application", args=[app.pk])
    # override: restores the language the middleware activates (the next tests read Chinese)
    with translation.override("en"):
        page = street.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        index = street.get(reverse("certification:index"), HTTP_ACCEPT_LANGUAGE="en")
        response = street.post(
            reverse("certification:step", args=[app.pk]),
            {"action": "return_review"},
            HTTP_ACCEPT_LANGUAGE="en",
            follow=True,
        )
    assert "Self-assessed, awaiting review" in page and "Pass the street review" in page
    assert "Checklist (" in page and "Steps taken" in page and "Revision 1" in page
    html = index.content.decode()
    assert "Applications in your jurisdiction" in html and "Waiting since" in html
    assert "A return needs a reason" in _messages(response)


def test_acceptance_report_from_the_application_page(
    tree: dict[str, Any], personas: dict[str, Any], a_fails: list[Any]
) -> None:
    """The page links the report; the PDF is the stored snapshots' (counts, never names),
    for whoever sees the application, and recorded as read."""
    from tests.certification.test_report import pdf_text

    app = cert.certification_apply(
        actor=personas["worker_a"], unit=tree["a"], ruleset=ruleset_get("HD-2012"), year=YEAR
    )
    url = reverse("certification:report", args=[app.pk])
    page = _client(personas["street"]).get(reverse("certification:application", args=[app.pk]))
    assert f'href="{url}"' in page.content.decode()
    response = _client(personas["street"]).get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "filename*=utf-8''" in response["Content-Disposition"]
    text = pdf_text(response.content)
    assert "翠微社区" in text and "HD-C1" in text
    assert not any(p.name in text for p in a_fails)
    assert not re.search(r"\d{17}[\dXx]", text)
    assert AuditEntry.objects.filter(action="read.certification.report").exists()
    assert _client(personas["worker_b"]).get(url).status_code == 404
