"""The permission matrix: every URL of the URL conf × every persona × objects in their own grid
and community, a sibling community and another street × every verb. Zero leaks.

Generated from the URL conf: a URL name missing from ``SPECS`` fails the suite, so a new page or
endpoint cannot land without saying who may see it. What we check per request:

- a *leak*: the expectation says "not for this persona" but the answer is not a denial
  (404, 401, 403 or a redirect to the login page); 405 (method not allowed) carries no data;
- an *over-denial* (GET only): the expectation says "allowed" but the answer is a denial;
- in every body: no full ID number, and no name of a person the persona may not see.

Writes (issue 11, finding 4): a URL that writes residents' data declares its ``write`` (a valid
body); :func:`test_writes` POSTs it as every persona in every placement and asserts the allowed
writes as well as the refusals: the community's workers and the grid's coordinator write (and
the registry changes), the street reviewer and the district administrator get 403 on their own
jurisdiction's objects, everyone else 404, and nothing changes. :func:`test_no_undeclared_writes`
POSTs every write body to every other URL as the writers: a new write URL without its ``write``
fails there.

Each request runs inside a transaction that is rolled back, so a POST that changes something
(a deletion, say) cannot change what the next persona meets.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.conftest import make_id

PERSONAS = [
    "worker_a",
    "worker_b",
    "grid_a1",
    "street",
    "district",
    "sysadmin",
    "secadmin",
    "auditor",
    "nobody",
    "anonymous",
]
DATA_ROLES = {"worker_a", "worker_b", "grid_a1", "street", "district"}
# Placements of the test objects: grid A1 of community A, community A outside any grid,
# sibling community B (same street), community C (other street).
PLACEMENTS = ["A1", "A", "B", "C"]
SEES = {  # persona → placements whose personal data it may see
    "worker_a": {"A1", "A"},
    "worker_b": {"B"},
    "grid_a1": {"A1"},
    "street": {"A1", "A", "B"},
    "district": {"A1", "A", "B", "C"},
}
# Placements whose residents' data a persona may write (issue 11, finding 4): the workers of the
# community, the coordinator of the grid; the street and the district read and review.
WRITES = {
    "worker_a": {"A1", "A"},
    "worker_b": {"B"},
    "grid_a1": {"A1"},
}
REVIEWERS = {"street", "district"}
# Placements whose employers' data (postings) a persona keeps (``jobs.permissions``): the
# community's workers, the street and the district; not a grid coordinator (issue 16).
KEEPS = {
    "worker_a": {"A1", "A"},
    "worker_b": {"B"},
    "street": {"A1", "A", "B"},
    "district": set(PLACEMENTS),
}
# Non-personal unit data follows membership alone (the three administrators sit at district).
SEES_UNITS = {
    **SEES,
    "sysadmin": set(PLACEMENTS),
    "secadmin": set(PLACEMENTS),
    "auditor": set(PLACEMENTS),
}
NAMES = {p: f"矩阵{p}居民" for p in PLACEMENTS}


@dataclass(frozen=True)
class Write:
    """A POST that writes residents' data: its body (from the placement's objects), and what to
    make true first, inside the request's rolled-back transaction (``setup``)."""

    data: Callable[[dict[str, Any]], dict[str, Any]]
    setup: Callable[[dict[str, Any]], None] | None = None


@dataclass(frozen=True)
class Spec:
    """Who may use a URL. ``kind``: public | any | authenticated | auditor | two_factor |
    personal (object in a placement) | unit (non-personal unit in a placement) |
    owner (an object of worker_a's own, e.g. an import job) |
    write (a page or action that only writes residents' data: the writers of the placement) |
    writer (no object, for the roles that write residents' data: the ledger upload) |
    keeper (no object, for those who keep employers' data: a new posting) |
    importer (no object: the writers and the keepers, the ledger upload) |
    keep (an employer's object in a placement, for those who keep it: a posting's forms) |
    district (no object, for the district's users only: the yearly re-check run).
    ``kwargs`` builds the URL arguments from the placement's objects; ``write`` makes a POST
    that writes (required for kind ``write``, and given for a page that reads and writes)."""

    kind: str
    kwargs: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    api: bool = False
    placements: tuple[str, ...] = tuple(PLACEMENTS)
    query: str = ""  # required query parameters, so the request reaches the scope check
    write: Write | None = None
    # An API POST's JSON body, so the request gets past parsing to the scope check (without
    # one it would stop at 400 for everyone, which says nothing about the scope).
    json: dict[str, Any] | None = None


def person(o: dict[str, Any]) -> dict[str, Any]:
    return {"pk": o["person"].pk}


def household(o: dict[str, Any]) -> dict[str, Any]:
    return {"pk": o["household"].pk}


def posting(o: dict[str, Any]) -> dict[str, Any]:
    return {"pk": o["posting"].pk}


def account(o: dict[str, Any]) -> dict[str, Any]:
    """An account for the administration screens: worker_b's (any other than the admins')."""
    from jiuye.accounts.models import User

    return {"pk": User.objects.get(username="worker_b").pk}


def account_unit(o: dict[str, Any]) -> dict[str, Any]:
    from jiuye.accounts.models import Membership

    membership = Membership.objects.filter(user__username="worker_b").first()
    assert membership is not None
    return {"pk": membership.user_id, "unit_pk": membership.unit_id}


UNIT_PLACEMENTS = ("A", "B", "C")  # evaluations are per community, not per grid


def application(o: dict[str, Any]) -> dict[str, Any]:
    """The placement's community's certification application (issue 14)."""
    return {"pk": o["application"].pk}


def evidence(o: dict[str, Any]) -> dict[str, Any]:
    return {"pk": o["evidence"].pk}


def warning(o: dict[str, Any]) -> dict[str, Any]:
    """The placement's community's early warning, naming its resident (issue 15)."""
    return {"pk": o["warning"].pk}


def _panel(o: dict[str, Any], community: str = "ranking") -> str:
    """A dashboard panel of the placement's unit (issue 15): a grid has only its own."""
    return "grid" if o["unit"].level == "grid" else community


DAY = "2026-03-10"  # after the fixture's records, before today


def _close_case(o: dict[str, Any]) -> None:
    """assistance_open needs a person without an open case."""
    from jiuye.casework.models import AssistanceCase

    AssistanceCase.objects.filter(pk=o["case"].pk).update(closed_on=date(2026, 3, 5))


# Issue 11, finding 4: the write pages were "personal" (every reader of the person could POST);
# they are for the writers of the placement now, and each says how it writes.
SERVICE = Write(lambda o: {"kind": "guidance", "on": DAY, "note": "矩阵"})
PROFILE = Write(lambda o: {"family_situation": "三口之家", "training_need": "电工"})
EMPLOYMENT = Write(lambda o: {"status": "unit", "since": DAY, "employer": "矩阵公司"})
ASSISTANCE_OPEN = Write(lambda o: {"on": DAY}, setup=_close_case)
DELETE = Write(lambda o: {"reason": "录入错误"})


def _second_household(o: dict[str, Any]) -> None:
    """person_move needs a household to move to, in the same placement."""
    from jiuye.registry import services

    services.household_create(
        actor=None, number=f"MV-{o['unit'].code}", unit=o["unit"], hukou_type="urban"
    )


def _recognition(o: dict[str, Any]) -> dict[str, Any]:
    """The placement's person's one recognition (made by the ``objects`` fixture)."""
    return {"pk": o["person"].recognitions.get().pk}


# Issue 13: the registry's write pages.
PERSON_NEW = Write(lambda o: {"id_number": make_id(date(1991, 4, 5)), "name": "矩阵新成员"})
PERSON_EDIT = Write(lambda o: {"name": "矩阵改名", "hukou_type": "urban", "education": "大专"})
MOVE = Write(lambda o: {"number": f"MV-{o['unit'].code}"}, setup=_second_household)
RECOGNITION = Write(lambda o: {"category": "other", "recognized_on": DAY, "note": "矩阵"})
RECOGNITION_END = Write(lambda o: {"ended_on": DAY})
HEAD = Write(lambda o: {})  # 设为户主: the person becomes their household's head
ASSISTANCE_STEP = Write(lambda o: {"on": DAY, "note": "已核实"})
# Issue 16: a hire reported on the employer's page sets the person's status (a resident's data);
# the employer's other forms write employers' data, kept by its community, street and district
# (``jobs.permissions``): for those who see the employer, like a "personal" page.
HIRE = Write(lambda o: {"id_number": o["person"].id_number, "on": DAY})


def employer(o: dict[str, Any]) -> dict[str, Any]:
    return {"pk": o["employer"].pk}


def api_employer(o: dict[str, Any]) -> dict[str, Any]:
    return {"employer_id": o["employer"].pk}


EMPLOYER_JSON = {"uscc": "91350100M000100Y43", "name": "矩阵公司", "unit": "110108001001"}


# Issue 16: postings and referrals (``posting`` above).
def referral(o: dict[str, Any]) -> dict[str, Any]:
    return {"pk": o["referral"].pk}


OUTCOME = Write(lambda o: {"outcome": "hired", "on": DAY})


# Issue 17: policy money (``_policies_objects``).
def policy_id(o: dict[str, Any]) -> dict[str, Any]:
    return {"policy_id": "HD18-FLEX-SI"}


def policy_application(o: dict[str, Any]) -> dict[str, Any]:
    return {"pk": o["policy_application"].pk}


def policy_evidence(o: dict[str, Any]) -> dict[str, Any]:
    return {"pk": o["policy_evidence"].pk}


def policy_entitlement(o: dict[str, Any]) -> dict[str, Any]:
    return {"pk": o["policy_entitlement"].pk}


def policy_payment(o: dict[str, Any]) -> dict[str, Any]:
    return {"pk": o["policy_payment"].pk}


def a_policy(o: dict[str, Any]) -> dict[str, Any]:
    return policy_id(o)


# Issue 17: escalation (托底).
def escalation_case(o: dict[str, Any]) -> dict[str, Any]:
    return {"pk": o["escalation"].pk}


SPECS: dict[str, Spec] = {
    # web
    "home": Spec("authenticated"),
    "home_stats": Spec("authenticated"),
    "person_list": Spec("authenticated"),
    "person_detail": Spec("personal", person),
    "person_reveal": Spec("personal", person),
    "household_list": Spec("authenticated"),
    "household_detail": Spec("personal", household),
    # registry writes (issue 13); a new household has no object: for the writers, like an upload
    "household_new": Spec("writer"),
    "idcheck": Spec("writer"),
    "person_new": Spec("write", household, write=PERSON_NEW),
    "person_edit": Spec("write", person, write=PERSON_EDIT),
    "person_move": Spec("write", person, write=MOVE),
    "household_head": Spec("write", person, write=HEAD),
    "recognition_new": Spec("write", person, write=RECOGNITION),
    "recognition_end": Spec("write", _recognition, write=RECOGNITION_END),
    "unit_tree": Spec("authenticated"),
    # One row per community the persona sees whole (a grid coordinator: none, an empty page).
    "community_summary": Spec("authenticated"),
    "set_language": Spec("public"),
    # accounts and audit
    "login": Spec("public"),
    "logout": Spec("any"),
    "password_change": Spec("authenticated"),
    "otp_setup": Spec("two_factor"),
    "otp_verify": Spec("two_factor"),
    "audit_log": Spec("auditor"),
    "audit_verify": Spec("auditor"),
    "audit_export": Spec("auditor"),
    "user_list": Spec("admins"),
    "user_create": Spec("sysadmin"),
    "user_detail": Spec("admins", account, placements=("A",)),
    "user_active": Spec("sysadmin", account, placements=("A",)),
    "user_role": Spec("sysadmin", account, placements=("A",)),
    "user_membership_add": Spec("sysadmin", account, placements=("A",)),
    "user_membership_remove": Spec("sysadmin", account_unit, placements=("A",)),
    "user_password_reset": Spec("sysadmin", account, placements=("A",)),
    "user_reveal": Spec("secadmin", account, placements=("A",)),
    "user_unlock": Spec("secadmin", account, placements=("A",)),
    "user_otp_reset": Spec("secadmin", account, placements=("A",)),
    # casework
    "casework:worklist": Spec("authenticated"),
    "casework:rule": Spec("authenticated", lambda o: {"rule_id": "CQ-4"}),
    "casework:person": Spec("personal", person),
    "casework:service_new": Spec("write", person, write=SERVICE),
    "casework:profile": Spec("write", person, write=PROFILE),
    "casework:employment": Spec("write", person, write=EMPLOYMENT),
    "casework:assistance_open": Spec("write", person, write=ASSISTANCE_OPEN),
    "casework:service_delete": Spec("write", lambda o: {"pk": o["service"].pk}, write=DELETE),
    "casework:status_withdraw": Spec(
        "write", lambda o: {"pk": o["person"].status_events.get().pk}, write=DELETE
    ),
    # The case page is read by everyone who sees the person; its step form writes.
    "casework:assistance": Spec("personal", lambda o: {"pk": o["case"].pk}, write=ASSISTANCE_STEP),
    "casework:household": Spec("personal", household),
    "casework:zero_families": Spec("authenticated"),
    "casework:ten_clears": Spec("authenticated"),
    "casework:ledger": Spec("authenticated", lambda o: {"name": "services"}),
    # employers and jobs (issue 16): an employer sits in a community (a grid coordinator sees
    # none); its pages are for those who see it, its forms for those who keep it (the same
    # personas); the hire form writes the person's status: for the writers of the person.
    "jobs:index": Spec("authenticated"),
    "jobs:employer_new": Spec("keeper"),
    "jobs:employer_detail": Spec("personal", employer, placements=UNIT_PLACEMENTS),
    "jobs:employer_edit": Spec("personal", employer, placements=UNIT_PLACEMENTS),
    "jobs:employer_staff": Spec("personal", employer, placements=UNIT_PLACEMENTS),
    "jobs:employer_contract": Spec("personal", employer, placements=UNIT_PLACEMENTS),
    "jobs:employer_layoff": Spec("personal", employer, placements=UNIT_PLACEMENTS),
    "jobs:employer_hire": Spec("write", employer, placements=UNIT_PLACEMENTS, write=HIRE),
    # standards
    "standards:index": Spec("authenticated"),
    "standards:unit": Spec(
        "personal", lambda o: {"code": o["unit"].code}, placements=UNIT_PLACEMENTS
    ),
    "standards:behind": Spec(
        "personal",
        lambda o: {"code": o["unit"].code, "indicator": "employment_rate"},
        placements=UNIT_PLACEMENTS,
    ),
    "standards:tick": Spec(
        "personal", lambda o: {"code": o["unit"].code}, placements=UNIT_PLACEMENTS
    ),
    # certification programme (issue 14): counts and lists of units, no resident's data; each
    # within the persona's jurisdiction (a worker without a unit: empty pages)
    "certification:campaigns": Spec("authenticated"),
    "certification:rewards": Spec("authenticated"),
    "certification:certified": Spec("authenticated"),
    "certification:certified_xlsx": Spec("authenticated"),
    # the public notice boards (公示牌, issue 14): anyone, counts only, no person in the body
    "board:board": Spec("public", lambda o: {"code": o["unit"].code}, placements=UNIT_PLACEMENTS),
    "board:pdf": Spec("public", lambda o: {"code": o["unit"].code}, placements=UNIT_PLACEMENTS),
    # certification (issue 14): an application holds its evaluation's snapshots, with the
    # persons behind each shortfall: for those who see the unit's residents, like an evaluation.
    # The steps are services' own decisions (who may review, accept), said on the page.
    "certification:index": Spec("authenticated"),
    "certification:apply": Spec("authenticated"),
    "certification:application": Spec("personal", application, placements=UNIT_PLACEMENTS),
    "certification:step": Spec("personal", application, placements=UNIT_PLACEMENTS),
    "certification:report": Spec("personal", application, placements=UNIT_PLACEMENTS),
    "certification:evidence_upload": Spec("personal", application, placements=UNIT_PLACEMENTS),
    "certification:evidence": Spec("personal", evidence, placements=UNIT_PLACEMENTS),
    "certification:rechecks": Spec("authenticated"),
    "certification:recheck_run": Spec("district"),
    # early warnings (issue 15): the lists are scoped (the auditor's is empty); a warning
    # names the residents behind it, so it is personal, like an evaluation; acknowledging and
    # closing it are for those who see all of its unit (refusals: tests/monitoring/); the
    # run is the district's; the rule book holds no resident's data.
    "warnings:list": Spec("authenticated"),
    "warnings:xlsx": Spec("authenticated"),
    "warnings:rules": Spec("authenticated"),
    "warnings:run": Spec("district"),
    "warnings:detail": Spec("personal", warning, placements=UNIT_PLACEMENTS),
    "warnings:acknowledge": Spec("personal", warning, placements=UNIT_PLACEMENTS),
    "warnings:close": Spec("personal", warning, placements=UNIT_PLACEMENTS),
    # monitoring dashboards (issue 15): counts of a unit's residents, for the data roles that
    # see the unit (as its evaluation); a grid's dashboard is its live counts. The panel and
    # workbook a placement's unit has: a grid's own, a community's grid ranking (the page) and
    # standing (the workbook: it needs no roll-ups, which this test does not build).
    "monitoring:index": Spec("authenticated"),
    "monitoring:unit": Spec("personal", lambda o: {"code": o["unit"].code}),
    "monitoring:panel": Spec("personal", lambda o: {"code": o["unit"].code, "name": _panel(o)}),
    "monitoring:panel_xlsx": Spec(
        "personal", lambda o: {"code": o["unit"].code, "name": _panel(o, "standing")}
    ),
    # the district's big screen (大屏): its administrator only
    "monitoring:screen": Spec("district"),
    "monitoring:screen_body": Spec("district"),
    # ledger workbook (an import job belongs to the user who uploaded it)
    "ledger:home": Spec("authenticated"),
    # A check is the first step of an import: the writers only (issue 11, finding 4).
    # The street and the district upload the employers' sheets only (issue 16): the check
    # refuses a registry sheet of theirs (tests/ledger/test_who_imports.py).
    "ledger:upload": Spec("importer"),
    "ledger:template": Spec("authenticated"),
    "ledger:export": Spec("authenticated"),
    "ledger:job": Spec("owner", lambda o: {"pk": o["job"].pk}, placements=("A",)),
    "ledger:job_progress": Spec("owner", lambda o: {"pk": o["job"].pk}, placements=("A",)),
    "ledger:job_confirm": Spec("owner", lambda o: {"pk": o["job"].pk}, placements=("A",)),
    "ledger:job_errors": Spec("owner", lambda o: {"pk": o["job"].pk}, placements=("A",)),
    # an export belongs to the user who asked for it (issue 12)
    "ledger:export_job": Spec("owner", lambda o: {"pk": o["export"].pk}, placements=("A",)),
    "ledger:export_progress": Spec("owner", lambda o: {"pk": o["export"].pk}, placements=("A",)),
    "ledger:export_download": Spec("owner", lambda o: {"pk": o["export"].pk}, placements=("A",)),
    # postings and referrals (issue 16): a posting is no resident's data (every member of a unit
    # over its work place or its employer sees it); its forms are for those who keep its
    # employer; a referral names its resident (personal) and its outcome writes the person's
    # status; the board is public (postings only).
    "jobs:posting_list": Spec("authenticated"),
    "jobs:posting_detail": Spec("unit", posting),
    "jobs:posting_new": Spec("keeper"),
    "jobs:posting_edit": Spec("keep", posting),
    "jobs:posting_close": Spec("keep", posting),
    "jobs:referral_new": Spec("writer"),
    "jobs:referral_detail": Spec("personal", referral, write=OUTCOME),
    "jobs:placements": Spec("authenticated"),
    "jobs:board": Spec("public", lambda o: {"code": o["unit"].code}, placements=UNIT_PLACEMENTS),
    # REST API
    "api:api-root": Spec("any", api=True),
    "api:openapi-json": Spec("public", api=True),
    "api:openapi-view": Spec("public", api=True),
    "api:me": Spec("authenticated", api=True),
    "api:unit_list": Spec("authenticated", api=True),
    "api:unit_detail": Spec("unit", lambda o: {"code": o["unit"].code}, api=True),
    "api:person_list": Spec("authenticated", api=True),
    "api:person_detail": Spec("personal", lambda o: {"person_id": o["person"].pk}, api=True),
    "api:household_list": Spec("authenticated", api=True),
    "api:household_detail": Spec(
        "personal", lambda o: {"household_id": o["household"].pk}, api=True
    ),
    "api:list_rulesets": Spec("authenticated", api=True),
    "api:unit_evaluation": Spec(
        "personal",
        lambda o: {"code": o["unit"].code},
        api=True,
        query="ruleset=HD-2012",
        placements=UNIT_PLACEMENTS,
    ),
    "api:unit_evaluations": Spec(
        "personal",
        lambda o: {"code": o["unit"].code},
        api=True,
        query="ruleset=HD-2012",
        placements=UNIT_PLACEMENTS,
    ),
    "api:indicator_behind": Spec(
        "personal",
        lambda o: {"code": o["unit"].code, "indicator": "employment_rate"},
        api=True,
        placements=UNIT_PLACEMENTS,
    ),
    # certification (issue 14): the list is scoped (anyone signed in gets their own, maybe
    # none); one application with its snapshots, like an evaluation, for the data roles that
    # see its unit; the POSTs take steps (their refusals: tests/certification/test_api.py).
    "api:application_list": Spec("authenticated", api=True),
    # The same path's POST (apply): who may apply for which unit is the service's check.
    "api:application_create": Spec("authenticated", api=True),
    "api:application_detail": Spec("personal", application, api=True, placements=UNIT_PLACEMENTS),
    "api:application_step": Spec(
        "personal", application, api=True, placements=UNIT_PLACEMENTS, json={"step": "submit"}
    ),
    # early warnings (issue 15), as on the pages
    "api:warning_list": Spec("authenticated", api=True),
    "api:warning_detail": Spec("personal", warning, api=True, placements=UNIT_PLACEMENTS),
    "api:warning_acknowledge": Spec(
        "personal", warning, api=True, placements=UNIT_PLACEMENTS, json={"note": "矩阵"}
    ),
    "api:warning_close": Spec(
        "personal", warning, api=True, placements=UNIT_PLACEMENTS, json={"note": "矩阵"}
    ),
    "api:warnings_run": Spec("district", api=True, json={"date": DAY}),
    "api:rule_list": Spec("authenticated", api=True),
    # postings and referrals (issue 16), as on the pages; who may write is the services' check
    "api:posting_list": Spec("authenticated", api=True),
    "api:posting_create": Spec("authenticated", api=True),
    "api:posting_detail": Spec("unit", lambda o: {"pk": o["posting"].pk}, api=True),
    "api:posting_update": Spec("unit", lambda o: {"pk": o["posting"].pk}, api=True),
    "api:posting_close": Spec(
        "unit", lambda o: {"pk": o["posting"].pk}, api=True, json={"date": DAY}
    ),
    "api:referral_list": Spec("authenticated", api=True),
    "api:referral_create": Spec("authenticated", api=True),
    "api:referral_outcome": Spec(
        "personal", referral, api=True, json={"outcome": "interviewed", "date": DAY}
    ),
    "api:placements_report": Spec("authenticated", api=True),
    # employers (issue 16), as on the pages; the POSTs' refusals: tests/jobs/test_employers_api.py
    "api:employer_list": Spec("authenticated", api=True),
    "api:employer_create": Spec("authenticated", api=True, json=EMPLOYER_JSON),
    "api:employer_detail": Spec("personal", api_employer, api=True, placements=UNIT_PLACEMENTS),
    "api:employer_update": Spec("personal", api_employer, api=True, placements=UNIT_PLACEMENTS),
    "api:employer_staff": Spec(
        "personal",
        api_employer,
        api=True,
        placements=UNIT_PLACEMENTS,
        json={"on": DAY, "staff": 12},
    ),
    "api:employer_contract": Spec(
        "personal",
        api_employer,
        api=True,
        placements=UNIT_PLACEMENTS,
        json={"id_number": make_id(date(1990, 1, 2)), "kind": "ended", "on": DAY},
    ),
    "api:employer_layoff": Spec(
        "personal",
        api_employer,
        api=True,
        placements=UNIT_PLACEMENTS,
        json={"on": DAY, "count": 2, "reason": "停产"},
    ),
    # The same path's GET (the list); its POST is the report above.
    "api:employer_layoffs": Spec(
        "personal",
        api_employer,
        api=True,
        placements=UNIT_PLACEMENTS,
        json={"on": DAY, "count": 2, "reason": "停产"},
    ),
    "api:employer_hire": Spec(
        "personal",
        api_employer,
        api=True,
        placements=UNIT_PLACEMENTS,
        json={"id_number": make_id(date(1990, 1, 3)), "on": DAY},
    ),
    # Issue 16: matching. A person's matches are personal; a posting's candidates are the
    # persons the reader may see, for a posting in their jurisdiction.
    "jobs:match_person": Spec("personal", person),
    "jobs:match_posting": Spec("personal", posting),
    "api:match_person": Spec("personal", lambda o: {"person_id": o["person"].pk}, api=True),
    "api:match_posting": Spec("personal", lambda o: {"posting_id": o["posting"].pk}, api=True),
    # Issue 17: policies and money (the API). The catalog and the lists are scoped (anyone
    # signed in gets their own, maybe none); an application, entitlement or payment is for the
    # data roles that see its beneficiary; who may approve, pay or reverse is the services'
    # check (tests/policies/test_api.py).
    "api:policies_catalog": Spec("authenticated", api=True),
    "api:policies_eligible": Spec("authenticated", a_policy, api=True),
    "api:policies_explain": Spec("authenticated", a_policy, api=True),
    "api:policies_applications": Spec("authenticated", api=True),
    "api:policies_application_create": Spec("authenticated", api=True),
    "api:policies_application": Spec(
        "personal", policy_application, api=True, placements=UNIT_PLACEMENTS
    ),
    "api:policies_evidence_add": Spec(
        "personal", policy_application, api=True, placements=UNIT_PLACEMENTS, json={}
    ),
    "api:policies_application_approve": Spec(
        "personal", policy_application, api=True, placements=UNIT_PLACEMENTS, json={"note": "矩阵"}
    ),
    "api:policies_application_reject": Spec(
        "personal", policy_application, api=True, placements=UNIT_PLACEMENTS, json={"note": "矩阵"}
    ),
    "api:policies_entitlements": Spec("authenticated", api=True),
    "api:policies_entitlement_pay": Spec(
        "personal", policy_entitlement, api=True, placements=UNIT_PLACEMENTS, json={"date": DAY}
    ),
    "api:policies_payments": Spec("authenticated", api=True),
    "api:policies_payment_reverse": Spec(
        "personal",
        policy_payment,
        api=True,
        placements=UNIT_PLACEMENTS,
        json={"date": DAY, "note": "矩阵"},
    ),
    "api:policies_budgets": Spec("authenticated", api=True),
    "api:policies_budget_set": Spec("authenticated", api=True),
    # Escalation (托底, issue 17): the lists are scoped (the auditor's are empty); a case names
    # its resident (personal); handing over and a case's forms are for those who see the
    # person: the community's writers and the street's and district's professional assistance
    # (who may act, and the refusals: tests/policies/test_escalation*.py).
    "policies:escalation_list": Spec("authenticated"),
    "policies:escalation_open": Spec("personal", person),
    "policies:escalation_detail": Spec("personal", escalation_case),
    "api:escalation_candidates": Spec("authenticated", api=True),
    "api:escalation_list": Spec("authenticated", api=True),
    # The same path's POST (hand over): who may is the service's check.
    "api:escalation_open": Spec("authenticated", api=True),
    "api:escalation_detail": Spec("personal", escalation_case, api=True),
    "api:escalation_step": Spec(
        "personal", escalation_case, api=True, json={"kind": "diagnosis", "date": DAY}
    ),
    "api:escalation_offer": Spec(
        "personal", escalation_case, api=True, json={"posting": 1, "date": DAY}
    ),
    "api:escalation_close": Spec(
        "personal",
        escalation_case,
        api=True,
        json={"placed": False, "date": DAY, "note": "矩阵"},
    ),
    # policies (web), issue 17: the pages for the data roles with a unit; the application form
    # for the makers (a community's workers, the street, the district: like the keepers); an
    # application, entitlement, payment or evidence file sits in its beneficiary's community.
    "policies:index": Spec("authenticated"),
    "policies:policy": Spec("authenticated", policy_id, placements=("A",)),
    "policies:counts": Spec("authenticated", policy_id, placements=("A",)),
    "policies:apply": Spec("keeper", policy_id, placements=("A",)),
    # POST only (405 to a GET); who may is the services' check (tests/policies/test_views.py).
    "policies:apply_all": Spec("keeper", policy_id, placements=("A",)),
    "policies:approve_many": Spec("authenticated"),
    "policies:applications": Spec("authenticated"),
    "policies:application": Spec("personal", policy_application, placements=UNIT_PLACEMENTS),
    "policies:evidence": Spec("personal", policy_evidence, placements=UNIT_PLACEMENTS),
    "policies:entitlements": Spec("authenticated"),
    "policies:entitlement": Spec("personal", policy_entitlement, placements=UNIT_PLACEMENTS),
    "policies:payments": Spec("authenticated"),
    "policies:payment_reverse": Spec("personal", policy_payment, placements=UNIT_PLACEMENTS),
    "policies:budgets": Spec("authenticated"),
}


def url_names() -> list[str]:
    """Every named URL in the URL conf, with its namespace."""
    names: list[str] = []

    def walk(patterns: list[Any], namespace: str | None) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = pattern.namespace
                ns = f"{namespace}:{inner}" if namespace and inner else (inner or namespace)
                walk(pattern.url_patterns, ns)
            elif isinstance(pattern, URLPattern):
                assert pattern.name, f"unnamed URL pattern {pattern.pattern} cannot be checked"
                names.append(f"{namespace}:{pattern.name}" if namespace else pattern.name)

    walk(get_resolver().url_patterns, None)
    return sorted(set(names))


def test_every_url_has_a_spec() -> None:
    missing = [name for name in url_names() if name not in SPECS]
    assert not missing, f"add these URLs to the permission matrix: {missing}"
    stale = [name for name in SPECS if name not in url_names()]
    assert not stale, f"these URLs no longer exist: {stale}"


@pytest.fixture
def objects(tree: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A household, person, service record and assistance case in each placement."""
    from jiuye.casework import services as casework
    from jiuye.registry import services as registry
    from jiuye.registry.models import Status

    units = {"A1": tree["a1"], "A": tree["a"], "B": tree["b"], "C": tree["c"]}
    out: dict[str, dict[str, Any]] = {}
    for place, unit in units.items():
        hh = registry.household_create(
            actor=None, number=f"M-{place}", unit=unit, hukou_type="urban"
        )
        who = registry.person_create(
            actor=None,
            id_number=make_id(date(1980, 1, 15)),
            name=NAMES[place],
            household=hh,
            phone="139" + "0000" + f"{len(out):04d}",
        )
        registry.person_change_status(
            actor=None,
            person=who,
            status=Status.UNEMPLOYED,
            since=date(2026, 3, 2),
            registered=True,
        )
        service = casework.service_record_create(
            actor=None, person=who, kind="guidance", on=date(2026, 3, 3)
        )
        case = casework.assistance_open(actor=None, person=who, on=date(2026, 3, 4))
        registry.recognition_create(
            actor=None, person=who, category="other", recognized_on=date(2026, 3, 2), note="矩阵"
        )
        out[place] = {
            "unit": unit,
            "household": hh,
            "person": who,
            "service": service,
            "case": case,
        }
    _certification_objects(out)
    _warning_objects(out)
    _jobs_objects(out)
    _escalation_objects(out)
    _policies_objects(out)
    return out


def _policies_objects(out: dict[str, dict[str, Any]]) -> None:
    """In each community's placement, an application for its person (prepared by a maker of
    no unit), one of evidence, an approved application's entitlement and its payment
    (issue 17)."""
    from decimal import Decimal

    from jiuye.accounts.models import User
    from jiuye.policies.models import Application, ApplicationEvidence, Entitlement, Payment

    maker = User.objects.create_user(username="matrix_maker", password="x", role="worker")
    for place in UNIT_PLACEMENTS:
        o = out[place]
        rows = {
            "kind": "person",
            "person": o["person"],
            "place": o["unit"],
            "policy": "HD18-FLEX-SI",
            "policy_version": 1,
            "on": date(2026, 3, 10),
            "amount": Decimal(600),
        }
        o["policy_application"] = Application.objects.create(
            **rows, period="2026-03", prepared_by=maker
        )
        o["policy_evidence"] = ApplicationEvidence.objects.create(
            application=o["policy_application"],
            name="矩阵证明.pdf",
            content_type="application/pdf",
            size=4,
            sha256="0" * 64,
            data=b"%PDF",
            by=maker,
        )
        granted = Application.objects.create(
            **rows, period="2026-02", prepared_by=maker, state="approved"
        )
        o["policy_entitlement"] = Entitlement.objects.create(
            **rows,
            period="2026-02",
            application=granted,
            year=2026,
            budget_line="矩阵",
            approved_by=maker,
        )
        o["policy_payment"] = Payment.objects.create(
            entitlement=o["policy_entitlement"],
            kind="payment",
            amount=Decimal(600),
            on=date(2026, 3, 11),
            by=maker,
        )


def _jobs_objects(out: dict[str, dict[str, Any]]) -> None:
    """An employer of each community, a posting in each placement (work place: the placement's
    unit) and a referral of the placement's person to it (issue 16)."""
    from stdnum.cn import uscc

    from jiuye.jobs import postings, services

    employers = {}
    for n, place in enumerate(UNIT_PLACEMENTS):
        body = f"9111010800000000{n}"
        employers[place] = services.employer_create(
            actor=None,
            uscc=body + uscc.calc_check_digit(body),
            name=f"矩阵单位{place}",
            unit=out[place]["unit"],
        )
        # The employer's page shows a contract of its community's person (and hires).
        services.contract_record(
            actor=None,
            employer=employers[place],
            id_number=out[place]["person"].id_number,
            kind="signed",
            on=date(2026, 3, 3),
            term_months=12,
        )
        out[place]["employer"] = employers[place]
    for place, o in out.items():
        o["posting"] = postings.posting_create(
            actor=None,
            employer=employers[place.rstrip("1")],
            title="矩阵岗位",
            vacancies=3,
            unit=o["unit"],
            opens_on=date(2026, 3, 1),
        )
        o["referral"] = postings.referral_create(
            actor=None, person=o["person"], posting=o["posting"], on=date(2026, 3, 10)
        )


def _escalation_objects(out: dict[str, dict[str, Any]]) -> None:
    """An open escalation case (托底) of each placement's person (issue 17)."""
    from jiuye.accounts.models import User
    from jiuye.policies.models import EscalationCase

    opener = User.objects.create_user(username="matrix_escalation", role="worker")
    for o in out.values():
        o["escalation"] = EscalationCase.objects.create(
            person=o["person"], opened_on=date(2026, 3, 10), opened_by=opener, services=3
        )


def _certification_objects(out: dict[str, dict[str, Any]]) -> None:
    """An application (with its snapshot naming the unemployed behind HD-C1) and an evidence
    file in each community's placement."""
    from jiuye.certification import services as certification
    from jiuye.standards.rulesets import ruleset_get

    hd = ruleset_get("HD-2012")
    for place in UNIT_PLACEMENTS:
        unit = out[place]["unit"]
        out[place]["application"] = certification.certification_apply(
            actor=None, unit=unit, ruleset=hd, year=2026, on=date(2026, 3, 10)
        )
        out[place]["evidence"] = certification.evidence_add(
            actor=None,
            unit=unit,
            ruleset=hd,
            year=2026,
            item="HD-D1",
            role="self",
            name="矩阵佐证.pdf",
            data=b"%PDF-1.4 matrix",
        )


def _warning_objects(out: dict[str, dict[str, Any]]) -> None:
    """An early warning of each community's placement, with its person and household behind
    it (issue 15)."""
    from jiuye.monitoring.models import EarlyWarning, WarningRecord

    for place in UNIT_PLACEMENTS:
        unit = out[place]["unit"]
        made = EarlyWarning.objects.create(
            rule_id="W-ZERO-OPEN",
            rule_version="2026.12",
            kind="zero_family_overdue",
            unit=unit,
            period="2026-03",
            level="II",
            fired_on=date(2026, 3, 10),
            summary=f"{unit.name}有 1 户零就业家庭超期未消除",
            records_total=2,
        )
        WarningRecord.objects.create(warning=made, person=out[place]["person"], detail="矩阵")
        WarningRecord.objects.create(warning=made, household=out[place]["household"], detail="矩阵")
        out[place]["warning"] = made


@pytest.fixture
def job(personas: dict[str, Any], objects: dict[str, dict[str, Any]]) -> Any:
    from jiuye.ledger.models import ExportJob, ImportJob

    made = ImportJob.objects.create(
        user=personas["worker_a"],
        file_name="台账.xlsx",
        stored="none.xlsx",
        sha256="0" * 64,
        mode="all",
        status="done",
        issues=[
            {
                "sheet": "人员",
                "row": 2,
                "column": "姓名",
                "value": "",
                "code": "required",
                "message_zh": "必填",
                "message_en": "required",
            }
        ],
        issue_count=1,
    )
    objects["A"]["job"] = made
    objects["A"]["export"] = ExportJob.objects.create(
        user=personas["worker_a"],
        unit=objects["A"]["unit"],
        on=date(2026, 3, 10),
        stored="none.xlsx",
        status="done",
    )
    return made


@pytest.fixture
def clients(personas: dict[str, Any]) -> dict[str, Client]:
    out = {"anonymous": Client()}
    for key in PERSONAS[:-1]:
        client = Client()
        client.force_login(personas[key])
        out[key] = client
    return out


def expected_allowed(spec: Spec, persona: str, place: str | None) -> bool | None:
    """True/False, or None where the matrix does not insist (no over-denial check)."""
    anonymous = persona == "anonymous"
    if spec.kind in ("public", "any"):
        return None if spec.kind == "any" else True
    if anonymous:
        return False
    if spec.kind == "authenticated":
        return True if persona in DATA_ROLES else None
    if spec.kind == "auditor":
        return persona == "auditor"
    if spec.kind in ("sysadmin", "secadmin"):  # the administration screens (三权分立)
        return persona == spec.kind
    if spec.kind == "admins":
        return persona in ("sysadmin", "secadmin")
    if spec.kind == "two_factor":
        return persona in ("district", "sysadmin", "secadmin", "auditor")  # issue 11, finding 6
    if spec.kind == "personal":
        return place in SEES.get(persona, set())
    if spec.kind == "write":
        return place in WRITES.get(persona, set())
    if spec.kind == "writer":  # "nobody" is a worker without a unit: nowhere to write
        return True if persona in WRITES else None if persona == "nobody" else False
    if spec.kind == "unit":
        return place in SEES_UNITS.get(persona, set())
    if spec.kind == "keeper":
        return True if persona in KEEPS else None if persona == "nobody" else False
    if spec.kind == "importer":  # writers of residents' data, keepers of employers' data
        if persona in WRITES or persona in KEEPS:
            return True
        return None if persona == "nobody" else False
    if spec.kind == "keep":
        return place in KEEPS.get(persona, set())
    if spec.kind == "owner":  # the fixture's import job was uploaded by worker_a
        return persona == "worker_a"
    if spec.kind == "district":
        return persona == "district"
    raise AssertionError(spec.kind)


def is_denial(response: Any) -> bool:
    if response.status_code in (401, 403, 404):
        return True
    return response.status_code == 302 and response["Location"].startswith(reverse("login"))


def cases(spec: Spec) -> Iterator[str | None]:
    yield from (spec.placements if spec.kwargs else [None])


@pytest.mark.parametrize("name", sorted(SPECS))
def test_matrix(name: str, objects: dict[str, Any], job: Any, clients: dict[str, Client]) -> None:
    spec = SPECS[name]
    verbs = ["get", "post", "put", "delete"] if spec.api else ["get", "post"]
    full_ids = {o["person"].id_number for o in objects.values()}
    problems: list[str] = []
    for place in cases(spec):
        url = reverse(name, kwargs=spec.kwargs(objects[place]) if spec.kwargs and place else None)
        url += f"?{spec.query}" if spec.query else ""
        for persona in PERSONAS:
            expected = expected_allowed(spec, persona, place)
            for verb in verbs:
                with transaction.atomic():
                    if spec.json is not None and verb == "post":
                        response = clients[persona].post(
                            url, spec.json, content_type="application/json"
                        )
                    else:
                        response = getattr(clients[persona], verb)(url)
                    transaction.set_rollback(True)
                where = f"{verb.upper()} {url} as {persona} ({place or '-'})"
                status = response.status_code
                if status >= 500:
                    problems.append(f"{where}: server error {status}")
                    continue
                denied = is_denial(response)
                if expected is False and not denied and status != 405:
                    problems.append(f"{where}: LEAK, answered {status}")
                if expected is True and verb == "get" and denied:
                    problems.append(f"{where}: denied with {status}, expected allowed")
                body = getattr(response, "content", b"").decode("utf-8", "replace")
                for full in full_ids:
                    if full in body:
                        problems.append(f"{where}: full ID number in the body")
                # The auditor reads the audit log, which names the residents whose records
                # changed (numbers stay masked there): see docs/decisions.md.
                sees = set(PLACEMENTS) if spec.kind == "auditor" else SEES.get(persona, set())
                for other, person_name in NAMES.items():
                    if other not in sees and person_name in body:
                        problems.append(f"{where}: shows {person_name} of {other}")
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------------------------------------
# Writes (issue 11, finding 4)
# ---------------------------------------------------------------------------------------------


def resident_rows() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of residents' data (registry and casework), to tell whether a request wrote."""
    from jiuye.casework.models import (
        AssistanceCase,
        AssistanceStep,
        ServiceRecord,
        UnemployedProfile,
        ZeroFamilyCase,
    )
    from jiuye.registry.models import DifficultyRecognition, Household, Person, StatusEvent

    models = (
        Household,
        Person,
        StatusEvent,
        DifficultyRecognition,
        ServiceRecord,
        UnemployedProfile,
        AssistanceCase,
        AssistanceStep,
        ZeroFamilyCase,
    )
    return {m.__name__: list(m.objects.order_by("pk").values_list()) for m in models}


WRITE_SPECS = sorted(name for name, spec in SPECS.items() if spec.write is not None)


def test_write_urls_say_how_they_write() -> None:
    missing = [n for n, spec in SPECS.items() if spec.kind == "write" and spec.write is None]
    assert not missing, f"a write URL needs its Write (body) in the matrix: {missing}"
    assert WRITE_SPECS, "the matrix declares no write"


@pytest.mark.parametrize("name", WRITE_SPECS)
def test_writes(name: str, objects: dict[str, Any], job: Any, clients: dict[str, Client]) -> None:
    """The allowed writes happen and change the data; every refusal changes nothing: 403 for a
    reviewer on an object of their jurisdiction, 404 (not found) for anyone else."""
    spec = SPECS[name]
    write = spec.write
    assert write is not None and spec.kwargs is not None
    problems: list[str] = []
    for place in spec.placements:
        url = reverse(name, kwargs=spec.kwargs(objects[place]))
        for persona in PERSONAS:
            with transaction.atomic():
                if write.setup is not None:
                    write.setup(objects[place])
                before = resident_rows()
                response = clients[persona].post(url, write.data(objects[place]))
                changed = resident_rows() != before
                transaction.set_rollback(True)
            where = f"POST {url} as {persona} ({place})"
            status = response.status_code
            if place in WRITES.get(persona, set()):
                if status not in (200, 302) or not changed:
                    problems.append(f"{where}: allowed write answered {status}, changed={changed}")
                continue
            if changed:
                problems.append(f"{where}: REFUSED WRITE CHANGED THE DATA ({status})")
            if persona in REVIEWERS and place in SEES[persona]:
                expected = 403  # their own jurisdiction: a reviewer reads, never writes
            elif persona == "anonymous":
                expected = 302  # to the login page
            else:
                expected = 404  # not theirs: not found
            if status != expected:
                problems.append(f"{where}: answered {status}, expected {expected}")
            if expected == 302 and not is_denial(response):
                problems.append(f"{where}: not sent to the login page")
    assert not problems, "\n".join(problems)


def _all_write_bodies(o: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for spec in SPECS.values():
        if spec.write is not None:
            body.update(spec.write.data(o))
    return body


@pytest.mark.parametrize("name", sorted(n for n in SPECS if SPECS[n].write is None))
def test_no_undeclared_writes(
    name: str, objects: dict[str, Any], job: Any, clients: dict[str, Client]
) -> None:
    """POST every declared write's body to a URL that declares none, as the writers on their own
    objects: residents' data must not change (else the URL writes and must say so)."""
    spec = SPECS[name]
    problems: list[str] = []
    for persona, places in WRITES.items():
        for place in sorted(places & set(spec.placements)) if spec.kwargs else ["A"]:
            url = reverse(name, kwargs=spec.kwargs(objects[place]) if spec.kwargs else None)
            url += f"?{spec.query}" if spec.query else ""
            with transaction.atomic():
                before = resident_rows()
                clients[persona].post(url, _all_write_bodies(objects[place]))
                changed = resident_rows() != before
                transaction.set_rollback(True)
            if changed:
                problems.append(f"POST {url} as {persona} wrote residents' data: declare a Write")
    assert not problems, "\n".join(problems)
