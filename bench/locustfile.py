"""The users of ``bench/bench_pages.py``'s load runs (locust, headless).

``JIUYE_BENCH_ACCOUNTS`` names the accounts file the bench writes (``bench_pages.Account``
rows): the community workers, street reviewers and district admins of ``pages_load`` (classes
``Worker``, ``Street``, ``District``), or the writers of ``pages_writers`` (``Writer``). Each
user takes an account of its role, logs in once through the login form (a district admin also
through the TOTP form), then loops: a reader opens its role's pages in turn, a writer records a
service to one of its community's persons through the web form. Every request is named
"<role> <page>" so the stats come per role and page; a non-200 page (a redirect to the login
included) or a timeout is a failure.

Run by ``bench_pages.run_locust``; by hand: ``JIUYE_BENCH_ACCOUNTS=bench/work/pages/load-district/
accounts.json locust -f bench/locustfile.py --host http://127.0.0.1:PORT Worker Street
District``.
"""

from __future__ import annotations

import itertools
import os
import random
import sys
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import gevent
from gevent.event import Event
from locust import HttpUser, between, events, task
from locust.env import Environment
from locust.exception import StopUser

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_pages import (  # the bench directory (on the path above) is not a package
    FORWARDED,
    THINK,
    TIMEOUT,
    Account,
    ClientError,
    login,
    read_accounts,
    role_pages,
    saved,
    trust_loopback,
    write_service,
)

trust_loopback()

_ACCOUNTS = os.environ.get("JIUYE_BENCH_ACCOUNTS", "")
if not _ACCOUNTS:
    raise SystemExit("JIUYE_BENCH_ACCOUNTS: the accounts file bench_pages.py writes")
_BY_ROLE: dict[str, list[Account]] = defaultdict(list)
for _account in read_accounts(_ACCOUNTS):
    _BY_ROLE[_account.role].append(_account)
# A writer is a community worker with persons to write to (the pages_writers file).
_WRITERS = [a for a in _BY_ROLE["worker"] if a.persons]
_NEXT: dict[str, Iterator[Account]] = {
    "worker": iter(_BY_ROLE["worker"]),
    "street": iter(_BY_ROLE["street"]),
    "district": iter(_BY_ROLE["district"]),
    "writer": iter(_WRITERS),
}


# Every user logs in first; the pages (or writes) start when the last login is done, and run
# for JIUYE_BENCH_SECONDS from then: the burst of 50 logins at once (each an Argon2 hash) is
# measured as the logins', not as the pages'.
_SECONDS = float(os.environ.get("JIUYE_BENCH_SECONDS", "60"))
_ALL_IN = Event()
_LOGINS = {"expected": 0, "done": 0}
_LOGIN_CAP = 600.0  # seconds: start the pages even if some login never comes back


@events.test_start.add_listener
def _expect(environment: Environment, **kwargs: object) -> None:
    _LOGINS["expected"] = sum(getattr(c, "fixed_count", 0) for c in environment.user_classes)

    def release() -> None:
        _ALL_IN.wait(timeout=_LOGIN_CAP)
        _ALL_IN.set()
        if environment.runner is not None:
            gevent.spawn_later(_SECONDS, environment.runner.quit)

    gevent.spawn(release)


def _logged_in() -> None:
    _LOGINS["done"] += 1
    if _LOGINS["done"] >= _LOGINS["expected"]:
        _ALL_IN.set()


class BenchUser(HttpUser):
    abstract = True
    wait_time = between(*THINK)
    role: ClassVar[str] = ""

    def on_start(self) -> None:
        account = next(_NEXT[self.role], None)
        if account is None:
            _logged_in()
            raise StopUser()
        self.account = account
        self.client.headers.update(FORWARDED)
        try:
            login(self.client, account, self.host)
        except ClientError as error:
            _logged_in()
            # Recorded as a failure of the login (the requests themselves may have been 200s).
            self.environment.events.request.fire(
                request_type="LOGIN",
                name=f"{account.role} login",
                response_time=0,
                response_length=0,
                exception=error,
                context={},
            )
            raise StopUser() from None
        _logged_in()
        _ALL_IN.wait()
        gevent.sleep(random.uniform(*THINK))  # not all at the same instant


class Reader(BenchUser):
    abstract = True

    def on_start(self) -> None:
        super().on_start()
        pages = role_pages(self.account.unit)
        start = random.randrange(len(pages))  # the users do not all open the same page at once
        self.pages = itertools.cycle(pages[start:] + pages[:start])

    @task
    def page(self) -> None:
        page = next(self.pages)
        with self.client.request(
            "GET",
            page.path,
            name=f"{self.account.role} {page.label}",
            headers=page.headers,
            allow_redirects=False,
            timeout=TIMEOUT,
            catch_response=True,
        ) as response:
            if response.error is not None:  # no answer: a timeout, a dropped connection
                response.failure(f"{type(response.error).__name__}: {response.error}")
            elif response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")


class Worker(Reader):
    role = "worker"
    fixed_count = len(_BY_ROLE["worker"])


class Street(Reader):
    role = "street"
    fixed_count = len(_BY_ROLE["street"])


class District(Reader):
    role = "district"
    fixed_count = len(_BY_ROLE["district"])


class Writer(BenchUser):
    role = "writer"
    fixed_count = len(_WRITERS)

    def on_start(self) -> None:
        super().on_start()
        self.count = 0

    @task
    def write(self) -> None:
        account = self.account
        person = account.persons[self.count % len(account.persons)]
        self.count += 1
        try:
            response = write_service(self.client, account, person, self.count, self.host)
        except ClientError as error:
            self.environment.events.request.fire(
                request_type="POST",
                name="writer service POST",
                response_time=0,
                response_length=0,
                exception=error,
                context={},
            )
            return
        if not saved(response, person):
            self.environment.events.request.fire(
                request_type="CHECK",
                name="writer service saved",
                response_time=0,
                response_length=0,
                exception=ClientError(f"not saved: HTTP {response.status_code}"),
                context={},
            )
