"""The employers' services of the foundation (DOMAIN §8): an employer in a community, its reports
recorded once, and a hire that sets the person's status with the employer in one step, once."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from jiuye.jobs import services
from jiuye.jobs.models import ContractEvent, Hire, Layoff, Posting, StaffReport
from jiuye.registry.models import StatusEvent
from tests.conftest import make_id

USCC = "91110108551385082Q"
OTHER = "91110108MA01ABCD1E"
TODAY = date(2026, 12, 4)


@pytest.fixture
def employer(tree: dict[str, Any]) -> Any:
    return services.employer_create(
        actor=None,
        uscc=USCC,
        name="翠微商贸有限公司",
        unit=tree["a"],
        staff=20,
        on=date(2026, 1, 5),
    )


def _posting(employer: Any, unit: Any, *, vacancies: int = 1, public: bool = False) -> Posting:
    return Posting.objects.create(
        number=f"GW{Posting.objects.count() + 1:04d}",
        employer=employer,
        title="保洁员",
        vacancies=vacancies,
        unit=unit,
        public_welfare=public,
        opens_on=date(2026, 1, 1),
    )


@pytest.mark.django_db
class TestEmployer:
    def test_created_with_its_first_staff_report(self, employer: Any) -> None:
        assert employer.uscc == USCC
        report = StaffReport.objects.get(employer=employer)
        assert (report.on, report.staff) == (date(2026, 1, 5), 20)

    @pytest.mark.parametrize(
        "code, ok",
        [
            (USCC, True),
            (" 91110108551385082q ", True),  # spaces and a lower-case check character
            ("91110108551385082A", False),  # wrong check character
            ("9111010855138508", False),  # too short
            ("", False),
        ],
    )
    def test_uscc_checked(self, tree: dict[str, Any], code: str, ok: bool) -> None:
        if ok:
            made = services.employer_create(actor=None, uscc=code, name="甲", unit=tree["a"])
            assert made.uscc == USCC
        else:
            with pytest.raises(ValidationError) as caught:
                services.employer_create(actor=None, uscc=code, name="甲", unit=tree["a"])
            assert caught.value.code == "uscc_invalid"

    def test_a_code_registered_once(self, tree: dict[str, Any], employer: Any) -> None:
        with pytest.raises(ValidationError) as caught:
            services.employer_create(actor=None, uscc=USCC, name="乙", unit=tree["b"])
        assert caught.value.code == "uscc_taken"

    def test_a_grid_places_it_in_its_community_and_a_street_is_refused(
        self, tree: dict[str, Any]
    ) -> None:
        made = services.employer_create(actor=None, uscc=OTHER, name="甲", unit=tree["a1"])
        assert made.unit == tree["a"]
        with pytest.raises(ValidationError) as caught:
            services.employer_create(actor=None, uscc=USCC, name="甲", unit=tree["s1"])
        assert caught.value.code == "employer_unit"

    def test_who_keeps_it(self, tree: dict[str, Any], personas: dict[str, Any]) -> None:
        for name in ("worker_a", "street", "district"):
            services.employer_create(
                actor=personas[name], uscc=USCC, name=name, unit=tree["a"]
            ).delete()
        for name in ("worker_b", "grid_a1", "auditor", "sysadmin", "nobody"):
            with pytest.raises(PermissionDenied):
                services.employer_create(actor=personas[name], uscc=USCC, name="x", unit=tree["a"])


@pytest.mark.django_db
class TestReports:
    def test_a_contract_keeps_no_full_number_and_is_recorded_once(self, employer: Any) -> None:
        number = make_id(date(1990, 3, 1))
        for _ in range(2):
            services.contract_record(
                actor=None,
                employer=employer,
                id_number=number,
                kind="signed",
                on=date(2026, 2, 1),
                term_months=12,
                today=TODAY,
            )
        event = ContractEvent.objects.get()
        assert number not in (event.employee_key, event.employee_masked)
        assert event.employee_masked.startswith(number[:2]) and "*" in event.employee_masked
        assert event.person is None  # not in the registry

    @pytest.mark.parametrize(
        "kind, term, code",
        [
            ("signed", None, "term_required"),
            ("ended", 12, "term_not_applicable"),
            ("renewed", 0, "term_required"),
            ("续订", 12, "contract_kind_unknown"),
        ],
    )
    def test_contract_checks(self, employer: Any, kind: str, term: Any, code: str) -> None:
        with pytest.raises(ValidationError) as caught:
            services.contract_record(
                actor=None,
                employer=employer,
                id_number=make_id(date(1990, 3, 1)),
                kind=kind,
                on=date(2026, 2, 1),
                term_months=term,
                today=TODAY,
            )
        assert caught.value.code == code

    def test_a_future_layoff_is_refused_and_a_repeat_changes_nothing(self, employer: Any) -> None:
        with pytest.raises(ValidationError) as caught:
            services.layoff_record(
                actor=None,
                employer=employer,
                on=date(2026, 12, 5),
                count=3,
                reason="停产",
                today=TODAY,
            )
        assert caught.value.code == "future"
        for _ in range(2):
            services.layoff_record(
                actor=None,
                employer=employer,
                on=date(2026, 11, 5),
                count=3,
                reason="停产",
                today=TODAY,
            )
        assert Layoff.objects.count() == 1


@pytest.mark.django_db
class TestHire:
    def test_a_hire_sets_the_status_with_the_employer_once(
        self, tree: dict[str, Any], employer: Any, registered: Any, personas: dict[str, Any]
    ) -> None:
        seeker = registered(date(2026, 3, 1), unit="a")
        posting = _posting(employer, tree["a"], vacancies=2)
        services.hire_record(
            actor=personas["worker_a"],
            employer=employer,
            person=seeker,
            on=date(2026, 6, 1),
            posting=posting,
            today=TODAY,
        )
        seeker.refresh_from_db()
        assert seeker.current_status == "unit"
        event = StatusEvent.objects.get(person=seeker, since=date(2026, 6, 1))
        assert event.employer == employer.name
        with pytest.raises(ValidationError) as caught:
            services.hire_record(
                actor=personas["worker_a"],
                employer=employer,
                person=seeker,
                on=date(2026, 6, 1),
                posting=posting,
                today=TODAY,
            )
        assert caught.value.code == "already_hired"
        posting.refresh_from_db()
        assert posting.filled == 1 and Hire.objects.count() == 1

    def test_a_public_welfare_post_sets_public_post(
        self, tree: dict[str, Any], employer: Any, registered: Any
    ) -> None:
        seeker = registered(date(2026, 3, 1), unit="a")
        services.hire_record(
            actor=None,
            employer=employer,
            person=seeker,
            on=date(2026, 6, 1),
            posting=_posting(employer, tree["a"], public=True),
            today=TODAY,
        )
        seeker.refresh_from_db()
        assert seeker.current_status == "public_post"

    def test_a_full_posting_is_refused_and_nothing_changes(
        self, tree: dict[str, Any], employer: Any, registered: Any
    ) -> None:
        posting = _posting(employer, tree["a"], vacancies=1)
        first, second = registered(date(2026, 3, 1), unit="a"), registered(date(2026, 3, 1))
        services.hire_record(
            actor=None,
            employer=employer,
            person=first,
            on=date(2026, 6, 1),
            posting=posting,
            today=TODAY,
        )
        with pytest.raises(ValidationError) as caught:
            services.hire_record(
                actor=None,
                employer=employer,
                person=second,
                on=date(2026, 6, 2),
                posting=posting,
                today=TODAY,
            )
        assert caught.value.code == "posting_full"
        second.refresh_from_db()
        assert second.current_status == "unemployed"
        assert Hire.objects.filter(person=second).count() == 0

    def test_a_sibling_worker_cannot_hire_and_a_future_date_is_refused(
        self, employer: Any, registered: Any, personas: dict[str, Any]
    ) -> None:
        seeker = registered(date(2026, 3, 1), unit="a")
        with pytest.raises(PermissionDenied):
            services.hire_record(
                actor=personas["worker_b"],
                employer=employer,
                person=seeker,
                on=date(2026, 6, 1),
                today=TODAY,
            )
        with pytest.raises(ValidationError) as caught:
            services.hire_record(
                actor=None, employer=employer, person=seeker, on=date(2026, 12, 5), today=TODAY
            )
        assert caught.value.code == "future"
        assert Hire.objects.count() == 0
