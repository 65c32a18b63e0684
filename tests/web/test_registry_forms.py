"""The registry's write pages (issue 13): each form saves through its service (an audit row by
the user), a foreign household or person is 404, a reviewer is refused (403), a bad ID number
is a located error, and no full ID or phone number is shown except the input the user typed."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from jiuye.audit.models import AuditEntry
from jiuye.lib.masking import mask_phone
from jiuye.registry.derive import person_derived_fields
from jiuye.registry.models import DifficultyRecognition, Household, Person
from tests.conftest import make_id
from tests.web.conftest import ready_to_use

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(ready_to_use(user), backend=MODEL_BACKEND)
    return client


def field_block(html: str, field: str) -> str:
    """The text of a form field's block (``data-field``) in a rendered page."""
    start = html.index(f'data-field="{field}"')
    end = html.find("data-field=", start + 10)
    return html[start : end if end > 0 else len(html)]


def audited(action: str, actor: Any) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action, actor=actor))


def bad_checksum(number: str) -> str:
    return number[:-1] + ("0" if number[-1] != "0" else "1")


@pytest.fixture
def worker(personas: dict[str, Any]) -> Client:
    return client_for(personas["worker_a"])


# ---- 新增户 ----


def test_household_new_saves_through_the_service(
    worker: Client, personas: dict[str, Any], tree: dict[str, Any]
) -> None:
    page = worker.get(reverse("household_new")).content.decode()
    assert tree["a1"].name in page and tree["b"].name not in page  # the jurisdiction's units
    response = worker.post(
        reverse("household_new"),
        {"number": "A-0100", "unit": tree["a1"].pk, "hukou_type": "urban", "dibao": "on"},
    )
    household = Household.objects.get(number="A-0100")
    assert response.status_code == 302
    assert response["Location"] == reverse("household_detail", args=[household.pk])
    assert household.grid == tree["a1"] and household.community == tree["a"] and household.dibao
    assert len(audited("household.create", personas["worker_a"])) == 1


def test_household_new_refuses_a_foreign_unit_and_a_duplicate(
    worker: Client, people: dict[str, Any], tree: dict[str, Any]
) -> None:
    foreign = worker.post(
        reverse("household_new"), {"number": "X-1", "unit": tree["b"].pk, "hukou_type": "urban"}
    )
    assert foreign.status_code == 200 and "unit" in foreign.context["form"].errors
    duplicate = worker.post(
        reverse("household_new"),
        {"number": "A-0001", "unit": tree["a"].pk, "hukou_type": "urban"},
    )
    assert "已存在" in field_block(duplicate.content.decode(), "number")
    assert not Household.objects.filter(number="X-1").exists()


def test_household_new_is_linked_for_writers_only(personas: dict[str, Any]) -> None:
    url = reverse("household_new")
    assert url in client_for(personas["worker_a"]).get(reverse("home")).content.decode()
    assert url in client_for(personas["worker_a"]).get(reverse("household_list")).content.decode()
    street = client_for(personas["street"])
    assert url not in street.get(reverse("home")).content.decode()
    assert street.get(url).status_code == 403
    assert (
        street.post(url, {"number": "S-1", "unit": "1", "hukou_type": "urban"}).status_code == 403
    )


# ---- 新增成员 and the ID check ----


def test_person_new_saves_through_the_service(
    worker: Client, people: dict[str, Any], personas: dict[str, Any]
) -> None:
    hh = people["hh_a"]
    number = make_id(date(1992, 3, 4), male=False)
    detail = worker.get(reverse("household_detail", args=[hh.pk])).content.decode()
    assert reverse("person_new", args=[hh.pk]) in detail
    response = worker.post(
        reverse("person_new", args=[hh.pk]),
        {"id_number": number, "name": "孙丽", "able": "on", "willing": "on", "female_base": "50"},
    )
    person = Person.objects.get(id_number=number)
    assert response["Location"] == reverse("person_detail", args=[person.pk])
    assert person.household == hh and person.birth_date == date(1992, 3, 4)
    assert person.sex == "F" and person.female_base == 50 and person.hukou_type == "urban"
    assert len(audited("person.create", personas["worker_a"])) == 1
    # The page it lands on shows the number masked.
    assert number not in worker.get(response["Location"]).content.decode()


def test_invalid_id_number_is_a_located_error(worker: Client, people: dict[str, Any]) -> None:
    url = reverse("person_new", args=[people["hh_a"].pk])
    number = bad_checksum(make_id(date(1992, 3, 4)))
    html = worker.post(url, {"id_number": number, "name": "错号"}).content.decode()
    assert "校验位错误" in field_block(html, "id_number")
    short = worker.post(url, {"id_number": "11010819", "name": "错号"}).content.decode()
    assert "应为18位" in field_block(short, "id_number")
    duplicate = worker.post(url, {"id_number": people["wang"].id_number, "name": "重号"})
    assert "已登记" in field_block(duplicate.content.decode(), "id_number")
    male = worker.post(
        url, {"id_number": make_id(date(1970, 1, 1)), "name": "男", "female_base": "50"}
    )
    assert "女性" in field_block(male.content.decode(), "female_base")
    assert not Person.objects.filter(name__in=["错号", "重号", "男"]).exists()


def test_the_typed_number_is_echoed_only_in_its_input(
    worker: Client, people: dict[str, Any]
) -> None:
    """Decided: a form shown again after an error keeps what the user typed in the input (so
    they can correct it), once, and nowhere else on the page; it is never cached."""
    number = make_id(date(1992, 3, 4))
    response = worker.post(
        reverse("person_new", args=[people["hh_a"].pk]), {"id_number": number, "name": ""}
    )
    html = response.content.decode()
    assert html.count(number) == 1 and f'value="{number}"' in html
    assert response["Cache-Control"] == "no-store"


def test_person_new_foreign_household_is_404_and_reviewer_403(
    people: dict[str, Any], personas: dict[str, Any]
) -> None:
    body = {"id_number": make_id(date(1990, 1, 1)), "name": "越权"}
    worker = client_for(personas["worker_a"])
    assert worker.get(reverse("person_new", args=[people["hh_b"].pk])).status_code == 404
    assert worker.post(reverse("person_new", args=[people["hh_b"].pk]), body).status_code == 404
    street = client_for(personas["street"])
    assert street.get(reverse("person_new", args=[people["hh_a"].pk])).status_code == 403
    assert street.post(reverse("person_new", args=[people["hh_a"].pk]), body).status_code == 403
    assert not Person.objects.filter(name="越权").exists()


def test_idcheck_derives_without_echoing_the_number(worker: Client, db: Any) -> None:
    number = make_id(date(1975, 6, 30), male=False)
    html = worker.post(
        reverse("idcheck"), {"id_number": number, "female_base": "50"}
    ).content.decode()
    assert 'data-idcheck="valid"' in html and "1975-06-30" in html and "女" in html
    retire_on = person_derived_fields(number, 50)["retire_on"]  # the cohorts, not restated
    assert retire_on.isoformat() in html
    assert number not in html and number[-6:] not in html
    bad = worker.post(reverse("idcheck"), {"id_number": bad_checksum(number)}).content.decode()
    assert 'data-idcheck="invalid"' in bad and "校验位错误" in bad
    assert bad_checksum(number) not in bad
    assert worker.get(reverse("idcheck"), {"id_number": number}).status_code == 405


def test_idcheck_is_for_writers(personas: dict[str, Any]) -> None:
    body = {"id_number": make_id(date(1975, 6, 30))}
    assert client_for(personas["street"]).post(reverse("idcheck"), body).status_code == 403
    assert client_for(personas["auditor"]).post(reverse("idcheck"), body).status_code == 403
    assert Client().post(reverse("idcheck"), body).status_code == 302  # to the login page


# ---- edit ----


def test_person_edit_keeps_the_masked_phone(
    worker: Client, people: dict[str, Any], personas: dict[str, Any]
) -> None:
    zhang = people["zhang"]
    url = reverse("person_edit", args=[zhang.pk])
    html = worker.get(url).content.decode()
    assert zhang.phone not in html and zhang.id_number not in html
    assert mask_phone(zhang.phone) in html
    response = worker.post(
        url,
        {
            "name": zhang.name,
            "relation": "户主",
            "hukou_type": "urban",
            "phone": mask_phone(zhang.phone),
            "able": "on",
            "willing": "on",
            "education": "大专",
        },
    )
    assert response.status_code == 302
    zhang.refresh_from_db()
    assert zhang.education == "大专" and zhang.phone == people["zhang"].phone
    [entry] = audited("person.update", personas["worker_a"])
    assert set(entry.changes) == {"education"}


def test_person_edit_refuses_a_bad_phone_in_the_importers_words(
    worker: Client, people: dict[str, Any]
) -> None:
    li = people["li"]
    html = worker.post(
        reverse("person_edit", args=[li.pk]),
        {"name": li.name, "hukou_type": "urban", "phone": "电话abc"},
    ).content.decode()
    assert "联系电话只能包含数字" in field_block(html, "phone")


def test_person_edit_foreign_404_reviewer_403(
    people: dict[str, Any], personas: dict[str, Any]
) -> None:
    assert (
        client_for(personas["worker_a"])
        .get(reverse("person_edit", args=[people["wang"].pk]))
        .status_code
        == 404
    )
    street = client_for(personas["street"])
    assert street.get(reverse("person_edit", args=[people["zhang"].pk])).status_code == 403
    detail = street.get(reverse("person_detail", args=[people["zhang"].pk])).content.decode()
    assert reverse("person_edit", args=[people["zhang"].pk]) not in detail


# ---- move ----


def test_person_move_by_number_inside_the_jurisdiction(
    worker: Client, people: dict[str, Any], personas: dict[str, Any], tree: dict[str, Any]
) -> None:
    from jiuye.registry import services

    target = services.household_create(
        actor=None, number="A-0200", unit=tree["a"], hukou_type="urban"
    )
    li = people["li"]
    url = reverse("person_move", args=[li.pk])
    foreign = worker.post(url, {"number": "B-0001"})
    assert "没有户编号为 B-0001" in field_block(foreign.content.decode(), "number")
    missing = worker.post(url, {"number": "NO-SUCH"})
    assert missing.status_code == 200 and "number" in missing.context["form"].errors
    li.refresh_from_db()
    assert li.household == people["hh_a"]
    assert worker.post(url, {"number": "A-0200"}).status_code == 302
    li.refresh_from_db()
    assert li.household == target and li.grid is None
    assert len(audited("person.move", personas["worker_a"])) == 1
    assert worker.get(reverse("person_move", args=[people["wang"].pk])).status_code == 404


def test_move_search_offers_the_jurisdictions_households(
    worker: Client, people: dict[str, Any], tree: dict[str, Any]
) -> None:
    from jiuye.registry import services

    services.household_create(actor=None, number="A-0300", unit=tree["a"], hukou_type="urban")
    li = people["li"]
    url = reverse("person_move", args=[li.pk])
    html = worker.post(url, {"search": "1", "number": "A-0"}).content.decode()
    assert 'value="A-0300"' in html and 'value="A-0001"' not in html  # not its own household
    assert "B-0001" not in worker.post(url, {"search": "1", "number": "B-"}).content.decode()
    li.refresh_from_db()
    assert li.household == people["hh_a"]  # a search moves nobody
    assert worker.post(url, {"number": "", "choose": "A-0300"}).status_code == 302
    li.refresh_from_db()
    assert li.household.number == "A-0300"


# ---- difficulty recognitions ----


def test_recognition_new_and_end(
    worker: Client, people: dict[str, Any], personas: dict[str, Any]
) -> None:
    li = people["li"]
    url = reverse("recognition_new", args=[li.pk])
    refused = worker.post(url, {"category": "disabled", "recognized_on": "2026-01-05"})
    assert "未标记残疾" in field_block(refused.content.decode(), "category")
    no_note = worker.post(url, {"category": "other", "recognized_on": "2026-01-05"})
    assert "须在备注中说明" in field_block(no_note.content.decode(), "note")
    assert not DifficultyRecognition.objects.filter(person=li).exists()
    saved = worker.post(
        url, {"category": "other", "recognized_on": "2026-01-05", "note": "家庭困难"}
    )
    assert saved.status_code == 302
    recognition = DifficultyRecognition.objects.get(person=li)
    assert len(audited("recognition.create", personas["worker_a"])) == 1

    end = reverse("recognition_end", args=[recognition.pk])
    assert end in worker.get(reverse("person_detail", args=[li.pk])).content.decode()
    early = worker.post(end, {"ended_on": "2025-12-31"})
    assert "早于认定日期" in field_block(early.content.decode(), "ended_on")
    assert worker.post(end, {"ended_on": "2026-03-01"}).status_code == 302
    recognition.refresh_from_db()
    assert recognition.ended_on == date(2026, 3, 1)
    assert len(audited("recognition.end", personas["worker_a"])) == 1


def test_recognition_foreign_404_reviewer_403(
    people: dict[str, Any], personas: dict[str, Any]
) -> None:
    worker_b = client_for(personas["worker_b"])
    zhang = people["zhang"]
    recognition = DifficultyRecognition.objects.get(person=zhang)
    assert worker_b.get(reverse("recognition_new", args=[zhang.pk])).status_code == 404
    assert (
        worker_b.post(
            reverse("recognition_end", args=[recognition.pk]), {"ended_on": "2026-03-01"}
        ).status_code
        == 404
    )
    street = client_for(personas["street"])
    assert (
        street.post(
            reverse("recognition_end", args=[recognition.pk]), {"ended_on": "2026-03-01"}
        ).status_code
        == 403
    )
    recognition.refresh_from_db()
    assert recognition.ended_on is None


@pytest.mark.parametrize("name", ["person_edit", "person_move", "recognition_new", "person_detail"])
def test_no_full_numbers_on_the_pages(name: str, worker: Client, people: dict[str, Any]) -> None:
    zhang = people["zhang"]
    html = worker.get(reverse(name, args=[zhang.pk])).content.decode()
    assert zhang.id_number not in html and zhang.phone not in html


# ---- the head of a household ----


def test_a_member_made_head_and_the_former_heads_relation_to_fill_in(
    worker: Client, people: dict[str, Any], personas: dict[str, Any]
) -> None:
    from jiuye.registry.models import Person
    from jiuye.registry.services import HEAD

    household = people["hh_a"]
    members = list(Person.objects.filter(household=household).order_by("pk"))
    assert len(members) >= 2
    first, second = members[0], members[1]
    Person.objects.filter(pk=first.pk).update(relation=HEAD)
    Person.objects.filter(pk=second.pk).update(relation="配偶")
    page = worker.get(reverse("household_detail", args=[household.pk])).content.decode()
    assert f'data-head-form="{second.pk}"' in page and f'data-head-form="{first.pk}"' not in page

    response = worker.post(reverse("household_head", args=[second.pk]), follow=True)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (second.relation, first.relation) == (HEAD, "")
    assert "请填写" in response.content.decode()
    assert len(audited("person.update", personas["worker_a"])) == 2
    # Again: nothing to change.
    worker.post(reverse("household_head", args=[second.pk]))
    assert len(audited("person.update", personas["worker_a"])) == 2
    # Only by POST; a foreign person is 404; a reviewer may not.
    assert worker.get(reverse("household_head", args=[second.pk])).status_code == 405
    assert worker.post(reverse("household_head", args=[people["wang"].pk])).status_code == 404
    street = client_for(personas["street"])
    assert street.post(reverse("household_head", args=[first.pk])).status_code == 403
