"""Pages under concurrent users: the real login form, gunicorn, locust, on the seeded scenario.

Four benchmarks (plug-in of ``bench/run.py``, registered ``last``: they write to the data, and
want the aggregates the standards benchmarks build):

- ``pages_uncontended`` (district and city): each page of each role alone, through gunicorn,
  ``SOLO_REQUESTS`` times after a warm-up: median, max, response size, and the memory one
  request adds to the gunicorn worker process that served it (its peak RSS during the request
  over its RSS before: ``/proc/<pid>/clear_refs`` resets the peak, ``VmHWM`` reads it);
- ``pages_load`` (district and city): locust, headless, ``LOAD_SECONDS`` s, 40 community
  workers (each on a community of their own), 8 street reviewers, 2 district admins, think
  time 1-2 s; each logs in once through the login form (the district admins with their TOTP
  second factor), then loops over their role's pages; p50/p95/p99 per role and page;
- ``pages_writers`` (district): 20 community workers of 20 communities record services through
  the web form at once (the form page, then the POST); the POST's time alone first, then the 20
  together, while ``pg_stat_activity`` is sampled every 100 ms for lock waits; then
  ``jiuye audit verify``;
- ``pages_import`` (district): ``jiuye import`` of a 10-person workbook into an existing
  community, timed end to end (the process included); whether the evaluations are fresh
  after it, and one HD-2012 evaluation of the district right after.

The accounts are made by the project's own services (``accounts.services.user_create``; the
district admins' authenticator by ``otp_device_confirm`` with a key the bench keeps), in every
fresh database. gunicorn runs ``jiuye.wsgi`` with ``JIUYE_ENV=production`` on a loopback port
(production's ``jiuye.gunicorn_conf``: 4 processes × 2 threads, gthread; the static files
collected into ``bench/work/pages/var`` first): production's settings unchanged, the clients say
``X-Forwarded-Proto: https`` as the TLS proxy in front of it would, and send its Secure cookies
over the loopback (``trust_loopback``). Static files are not among the pages.

The client code (accounts, pages, login, the service form) is shared with
``bench/locustfile.py``, which imports it from here: nothing at this module's top imports
Django or locust.
"""

from __future__ import annotations

import contextlib
import csv
import http.cookiejar
import json
import os
import random
import re
import resource
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / "work" / "pages"
LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"

PASSWORD = "Jy-Load-Bench-2026"
WORKERS, STREETS, DISTRICTS, WRITERS = 40, 8, 2, 20
RULESETS = ("HD-2012", "CQ-2007", "QG-2016")
BEHIND_RULESET = "HD-2012"
TIMEOUT = 120  # seconds a request may take before it counts as an error
THINK = (1.0, 2.0)  # locust's between(1, 2)
LOAD_SECONDS = 60
WRITE_SECONDS = 30
SPAWN_RATE = 10  # users started per second
SOLO_REQUESTS = 5  # timed requests per page, after one warm-up
SOLO_SLOW = 10.0  # a warm-up slower than this: only SOLO_FEW timed requests
SOLO_FEW = 2
SOLO_WRITES = 20
IMPORT_PERSONS = 10
MIB = 1024 * 1024
TZ = ZoneInfo("Asia/Shanghai")  # settings.TIME_ZONE: the server's "today"

# The targets: p95 per role under 50 users (district 1M, city 10M), every page alone
# and the memory one request may add.
LOAD_TARGETS = {"district": {"worker": 0.2, "street": 1.0, "district": 1.0}}
LOAD_TARGETS["city"] = {"worker": 0.5, "street": 2.0, "district": 2.0}
SOLO_TARGET = 1.0
MEMORY_TARGET_MIB = 50
IMPORT_TARGET = 2.0
WRITE_RATIO_TARGET = 3.0


@dataclass
class Result:
    seconds: float
    cpu_seconds: float
    note: str = ""
    details: str = ""


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# ---- the client side (shared with locustfile.py) --------------------------------------------


@dataclass
class Account:
    username: str
    role: str  # worker, street, district (the label in the stats)
    unit: str  # the code of the account's unit
    password: str = PASSWORD
    totp_key: str = ""  # hex: a district admin's authenticator
    persons: list[int] = field(default_factory=list)  # a writer's persons


@dataclass(frozen=True)
class Page:
    label: str  # the same for every user of a role ("<own>" for the unit's code)
    path: str
    headers: dict[str, str] = field(default_factory=dict)


HTMX_STATS = {"HX-Request": "true", "HX-Target": "stats"}


def role_pages(unit: str) -> list[Page]:
    """The pages every role opens (each for its own unit): home, the home's HTMX numbers, the
    worklist, the two lists, the certification queue (issue 14), the employers and postings
    (issue 16), the policy catalog, one of its counted cells and a worklist of a policy (issue
    17), the unit's evaluation under
    each rule set, the persons behind its employment rate."""
    own = f"/standards/units/{unit}/"
    pages = [
        Page("/", "/"),
        Page("/stats/ (home's htmx)", "/stats/", HTMX_STATS),
        Page("/work/", "/work/"),
        Page("/persons/", "/persons/"),
        Page("/households/", "/households/"),
        Page("/certification/", "/certification/"),
        Page("/jobs/ (employers)", "/jobs/"),
        Page("/jobs/postings/", "/jobs/postings/"),
        Page("/policies/ (catalog)", "/policies/"),
        Page(
            "/policies/<id>/counts/ (a catalog cell, htmx)", "/policies/HD18-DIFFICULT-UNIT/counts/"
        ),
        Page("/policies/<id>/?unpaid=1 (worklist)", "/policies/HD18-FLEX-SI/?unpaid=1"),
    ]
    pages += [Page(f"/standards/units/<own>/?ruleset={r}", f"{own}?ruleset={r}") for r in RULESETS]
    pages.append(
        Page(
            f"/standards/units/<own>/indicators/employment_rate/?ruleset={BEHIND_RULESET}",
            f"{own}indicators/employment_rate/?ruleset={BEHIND_RULESET}",
        )
    )
    return pages


def trust_loopback() -> None:
    """Production marks its cookies Secure (TLS ends at a proxy in front of gunicorn); this
    client talks plain HTTP to gunicorn on the loopback and must send them back all the same.
    (``requests`` copies the session's cookies into a new jar per request, with a new policy:
    the class's method is the one that counts.)"""

    def return_ok_secure(self: Any, cookie: Any, request: Any) -> bool:
        return True

    http.cookiejar.DefaultCookiePolicy.return_ok_secure = return_ok_secure  # type: ignore[method-assign]


FORWARDED = {"X-Forwarded-Proto": "https"}  # what the TLS proxy says to gunicorn

_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class ClientError(Exception):
    pass


def csrf_token(html: str) -> str:
    found = _CSRF.search(html)
    if found is None:
        raise ClientError("no CSRF token in the form")
    return found.group(1)


def origin(base_url: str) -> str:
    """The Origin a browser sends through the TLS proxy: https, the same host and port."""
    return "https://" + base_url.split("://", 1)[1].rstrip("/")


def totp_token(key_hex: str, at: float | None = None) -> str:
    from django_otp.oath import TOTP

    totp = TOTP(bytes.fromhex(key_hex), step=30, t0=0, digits=6)
    totp.time = time.time() if at is None else at
    return f"{totp.token():06d}"


def login(client: Any, account: Account, base_url: str, *, record: Any = None) -> None:
    """Sign in through the login form (and, for a district admin, the TOTP form).

    ``client.request(method, path, name=..., **kwargs)`` (locust's HttpSession, or
    ``BaseUrlSession``). ``record(name, fn)`` wraps each POST (the memory probe); raises
    ``ClientError`` if the server does not let the account in."""
    record = record or (lambda _name, fn: fn())
    prefix = account.role
    post_headers = {"Origin": origin(base_url)}
    page = client.request("GET", "/accounts/login/", name=f"{prefix} login form", timeout=TIMEOUT)
    data = {
        "username": account.username,
        "password": account.password,
        "csrfmiddlewaretoken": csrf_token(page.text),
    }
    done = record(
        "login (POST)",
        lambda: client.request(
            "POST",
            "/accounts/login/",
            name=f"{prefix} login POST",
            data=data,
            headers=post_headers,
            allow_redirects=False,
            timeout=TIMEOUT,
        ),
    )
    if done.status_code != 302 or "login" in done.headers.get("Location", ""):
        raise ClientError(f"{account.username}: login answered {done.status_code}")
    if not account.totp_key:
        return
    for attempt in range(3):  # a token is good once: a second login in the same 30 s waits
        form = client.request(
            "GET", "/accounts/2fa/verify/", name=f"{prefix} 2fa form", timeout=TIMEOUT
        )
        data = {"token": totp_token(account.totp_key), "csrfmiddlewaretoken": csrf_token(form.text)}
        done = record(
            "2fa (POST)",
            lambda data=data: client.request(
                "POST",
                "/accounts/2fa/verify/",
                name=f"{prefix} 2fa POST",
                data=data,
                headers=post_headers,
                allow_redirects=False,
                timeout=TIMEOUT,
            ),
        )
        if done.status_code == 302:
            return
        if attempt < 2:
            time.sleep(31 - time.time() % 30)
    raise ClientError(f"{account.username}: the second factor answered {done.status_code}")


SERVICE_KINDS = (
    {"kind": "guidance"},
    {"kind": "training", "training_mode": "post", "enrolled": "on"},
    {"kind": "survey", "outcome": "satisfied"},
    {"kind": "visit"},
)


def service_form(n: int) -> dict[str, str]:
    """The n-th service a writer records (guidance, training, survey, visit in turn), today."""
    today = datetime.now(TZ).date().isoformat()
    return {**SERVICE_KINDS[n % len(SERVICE_KINDS)], "on": today, "note": "bench"}


def write_service(
    client: Any, account: Account, person: int, n: int, base_url: str, *, timed: Any = None
) -> Any:
    """Open the service-record form of ``person``, then post it: the POST's response (a
    redirect to the person's page when saved). ``timed(fn)`` wraps the POST."""
    path = f"/work/persons/{person}/services/new/"
    form = client.request("GET", path, name="writer service form", timeout=TIMEOUT)
    if form.status_code != 200:
        raise ClientError(f"the service form answered {form.status_code}")
    data = {**service_form(n), "csrfmiddlewaretoken": csrf_token(form.text)}

    def post() -> Any:
        return client.request(
            "POST",
            path,
            name="writer service POST",
            data=data,
            headers={"Origin": origin(base_url)},
            allow_redirects=False,
            timeout=TIMEOUT,
        )

    return (timed or (lambda fn: fn()))(post)


def saved(response: Any, person: int) -> bool:
    return response.status_code == 302 and response.headers.get("Location", "").endswith(
        f"/work/persons/{person}/"
    )


# ---- the accounts ---------------------------------------------------------------------------


def _spread(items: list[Any], n: int) -> list[Any]:
    """n items evenly over the list (its order: the unit paths, so over streets and districts);
    fewer items than n: each used in turn again."""
    if not items:
        raise RuntimeError("no units to give the bench accounts")
    if len(items) >= n:
        return [items[i * len(items) // n] for i in range(n)]
    return [items[i % len(items)] for i in range(n)]


@dataclass
class Accounts:
    load: list[Account]  # 40 workers, 8 street reviewers, 2 district admins
    solo: dict[str, Account]  # one per role, alone (the biggest community and street)
    note: str = ""

    @property
    def writers(self) -> list[Account]:
        return [a for a in self.load if a.role == "worker"][:WRITERS]


def _user(username: str, role: str, unit: Any, full_name: str) -> Account:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from jiuye.accounts.models import Role, User
    from jiuye.accounts.services import otp_device_confirm, user_create

    user = User.objects.filter(username=username).first()
    if user is None:
        user = user_create(
            actor=None,
            username=username,
            password=PASSWORD,
            role=role,
            units=[unit],
            full_name=full_name,
        )
    key = ""
    if role == Role.DISTRICT:
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name="bench", confirmed=False)
            otp_device_confirm(user=user, device=device)
        key = device.key
    label = {"worker": "worker", "street": "street", "district": "district"}[str(role)]
    return Account(username, label, unit.code, totp_key=key)


def ensure_accounts() -> Accounts:
    """The bench's accounts in this database (made once per database, found afterwards)."""
    from django.db.models import Count

    from jiuye.accounts.models import Role
    from jiuye.registry.models import Person
    from jiuye.units.models import Level, Unit

    def units(*levels: str) -> list[Any]:
        return list(Unit.objects.filter(level__in=levels).order_by("path"))

    communities = units(Level.COMMUNITY, Level.VILLAGE)
    streets = units(Level.STREET, Level.TOWN)
    districts = list(Unit.objects.filter(level=Level.DISTRICT).order_by("path"))
    per_community = Person.objects.values("community_id").annotate(n=Count("id"))
    sizes = dict(per_community.values_list("community_id", "n"))
    biggest = max(communities, key=lambda u: sizes.get(u.pk, 0))
    street_size: Counter[int] = Counter()
    for c in communities:
        street_size[c.parent_id] += sizes.get(c.pk, 0)
    biggest_street = max(streets, key=lambda u: street_size.get(u.pk, 0))
    load: list[Account] = []
    for role, name, pool, count, full_name in (
        (Role.WORKER, "worker", communities, WORKERS, "社区工作者（压测）"),
        (Role.STREET, "street", streets, STREETS, "街道审核员（压测）"),
        (Role.DISTRICT, "district", districts, DISTRICTS, "区级管理员（压测）"),
    ):
        for i, unit in enumerate(_spread(pool, count), 1):
            load.append(_user(f"bench_load_{name}_{i:02d}", role, unit, full_name))
    solo = {
        "worker": _user("bench_solo_worker", Role.WORKER, biggest, "社区工作者（单测）"),
        "street": _user("bench_solo_street", Role.STREET, biggest_street, "街道审核员（单测）"),
        "district": _user("bench_solo_district", Role.DISTRICT, districts[0], "区级管理员（单测）"),
    }
    for account in load[:WRITERS]:
        community = Unit.objects.get(code=account.unit)
        account.persons = list(
            Person.objects.filter(community=community)
            .order_by("pk")
            .values_list("pk", flat=True)[:50]
        )
    distinct = {
        "communities": len({a.unit for a in load if a.role == "worker"}),
        "streets": len({a.unit for a in load if a.role == "street"}),
        "districts": len({a.unit for a in load if a.role == "district"}),
    }
    note = (
        f"distinct units: {distinct['communities']} communities, {distinct['streets']} "
        f"streets, {distinct['districts']} district(s); alone: {biggest.name} "
        f"({sizes.get(biggest.pk, 0):,} persons), {biggest_street.name} "
        f"({street_size[biggest_street.pk]:,}), {districts[0].name}"
    )
    return Accounts(load, solo, note)


def write_accounts(accounts: list[Account], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text(json.dumps([asdict(a) for a in accounts], ensure_ascii=False), "utf-8")


def read_accounts(path: str | Path) -> list[Account]:
    return [Account(**row) for row in json.loads(Path(path).read_text("utf-8"))]


# ---- the server -----------------------------------------------------------------------------


def database_url() -> str:
    """The URL of the database Django uses now (run.py switches it per scenario)."""
    from django.db import connection

    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def child_env(**extra: str) -> dict[str, str]:
    """The environment of gunicorn and the ``jiuye`` commands: this database, this process's
    audit key (the chain they append to must verify with it)."""
    from django.conf import settings

    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "JIUYE_AUDIT_KEY": settings.JIUYE_AUDIT_KEY,
        "JIUYE_VAR_DIR": str(WORK / "var"),
        "DJANGO_SETTINGS_MODULE": "jiuye.settings",
    }
    src = str(ROOT / "src")
    if src not in env.get("PYTHONPATH", "").split(os.pathsep):  # this tree's code, not the venv's
        env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH", "")) if p)
    env.update(extra)
    return env


def _bin(name: str) -> str:
    return str(Path(sys.executable).parent / name)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


CONFIG = ROOT / "src" / "jiuye" / "gunicorn_conf.py"  # production's (scripts/serve.sh)
_STATIC_DONE: list[bool] = []


def server_env() -> dict[str, str]:
    """Production's settings, with the secrets a bench may make up."""
    env = child_env(
        JIUYE_ENV="production",
        JIUYE_SECRET_KEY=secrets.token_urlsafe(50),
        JIUYE_ALLOWED_HOSTS="127.0.0.1",
    )
    env.pop("JIUYE_DEBUG", None)
    env.pop("JIUYE_DEMO", None)
    return env


def collectstatic() -> None:
    """Production's pages name the static files by their hashed names: the manifest must exist
    (in bench/work/pages/var/static; once per bench run, incremental after the first)."""
    if not _STATIC_DONE:
        subprocess.run(
            [_bin("jiuye"), "collectstatic", "--noinput", "--verbosity", "0"],
            env=server_env(),
            check=True,
            timeout=1800,
        )
        _STATIC_DONE.append(True)


class Gunicorn:
    """gunicorn serving ``jiuye.wsgi`` on a free loopback port: production's configuration
    (``jiuye.gunicorn_conf``: 4 processes × 2 threads, gthread) where the tree has it, else
    ``-w 4 --threads 2 -k gthread`` on the command line."""

    def __init__(self) -> None:
        WORK.mkdir(parents=True, exist_ok=True)
        collectstatic()
        self.port = _free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        env = server_env()
        env["JIUYE_BIND"] = f"127.0.0.1:{self.port}"
        if CONFIG.exists():
            command = [_bin("gunicorn"), "--config", "python:jiuye.gunicorn_conf", "jiuye.wsgi"]
            self.described = "`jiuye.gunicorn_conf`: 4 processes × 2 threads, gthread"
        else:
            command = [
                *(_bin("gunicorn"), "jiuye.wsgi", "-w", "4", "--threads", "2", "-k", "gthread"),
                *("-b", env["JIUYE_BIND"], "--keep-alive", "5", "--timeout", str(TIMEOUT + 60)),
            ]
            self.described = "`-w 4 --threads 2 -k gthread`"
        self.log = (WORK / "gunicorn.log").open("ab")
        self.process = subprocess.Popen(
            command, env=env, cwd=WORK, stdout=self.log, stderr=self.log
        )
        self._wait_ready()

    def _wait_ready(self) -> None:
        import requests

        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                code = self.process.returncode
                raise RuntimeError(f"gunicorn exited ({code}): see {self.log.name}")
            try:
                r = requests.get(f"{self.base_url}/accounts/login/", headers=FORWARDED, timeout=5)
                if r.status_code == 200 and len(self.workers()) == 4:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.5)
        raise RuntimeError("gunicorn did not answer within 120 s")

    def workers(self) -> list[int]:
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return [int(pid) for pid in path.read_text().split()]
        except OSError:
            return []

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


@contextlib.contextmanager
def gunicorn() -> Iterator[Gunicorn]:
    server = Gunicorn()
    try:
        yield server
    finally:
        server.stop()


def _proc_kib(pid: int, key: str) -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


class MemoryProbe:
    """The memory a request adds to the worker that serves it: every worker's peak is reset
    before (``clear_refs`` 5), and the largest rise of a peak over that worker's RSS before is
    the request's."""

    def __init__(self, server: Gunicorn) -> None:
        self.server = server

    def __call__(self, fn: Callable[[], Any]) -> tuple[Any, float, int]:
        """(fn's result, wall seconds, rise in bytes)."""
        before = {}
        for pid in self.server.workers():
            with contextlib.suppress(OSError):
                Path(f"/proc/{pid}/clear_refs").write_text("5")
                before[pid] = _proc_kib(pid, "VmRSS")
        start = time.perf_counter()
        result = fn()
        seconds = time.perf_counter() - start
        rise = 0
        for pid, rss in before.items():
            with contextlib.suppress(OSError):
                rise = max(rise, _proc_kib(pid, "VmHWM") - rss)
        return result, seconds, rise * 1024


def _session(base_url: str) -> Any:
    import requests

    class BaseUrlSession(requests.Session):
        """A requests session with locust's calling convention (a path and a stats name)."""

        def request(self, method: str, url: str, *args: Any, name: str = "", **kw: Any) -> Any:
            return super().request(method, base_url + url, *args, **kw)

    trust_loopback()
    session = BaseUrlSession()
    session.headers.update(FORWARDED)
    return session


# ---- pages_uncontended ----------------------------------------------------------------------


@dataclass
class Solo:
    role: str
    label: str
    times: list[float] = field(default_factory=list)
    rises: list[int] = field(default_factory=list)
    first_rise: int = 0
    size: int = 0
    errors: list[str] = field(default_factory=list)


def _ms(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds * 1000:,.0f}"


def _mib(n: float) -> str:
    return f"{n / MIB:.1f}"


def _mark(ok: bool) -> str:
    return "✓" if ok else "✗"


def _solo_role(server: Gunicorn, account: Account) -> list[Solo]:
    import requests

    probe = MemoryProbe(server)
    client = _session(server.base_url)
    rows: list[Solo] = []
    logins: dict[str, Solo] = {}

    def record(label: str, fn: Callable[[], Any]) -> Any:
        response, seconds, rise = probe(fn)
        row = logins.setdefault(label, Solo(account.role, label))
        row.times.append(seconds)
        row.rises.append(rise)
        row.size = len(response.content)
        return response

    try:
        login(client, account, server.base_url, record=record)
    except (ClientError, requests.RequestException) as error:
        row = Solo(account.role, "login", errors=[str(error)])
        return [row]
    rows += logins.values()
    for page in role_pages(account.unit):
        row = Solo(account.role, page.label)
        rows.append(row)

        def get(page: Page = page) -> Any:
            return client.request(
                "GET", page.path, headers=page.headers, allow_redirects=False, timeout=TIMEOUT
            )

        count = SOLO_REQUESTS
        for i in range(count + 1):
            try:
                response, seconds, rise = probe(get)
            except requests.RequestException as error:
                row.errors.append(type(error).__name__)
                break  # a timeout: the next ones would time out too
            if response.status_code != 200:
                row.errors.append(f"HTTP {response.status_code}")
            row.size = len(response.content)
            if i == 0:
                row.first_rise = rise
                count = SOLO_FEW if seconds > SOLO_SLOW else SOLO_REQUESTS
                continue
            row.times.append(seconds)
            row.rises.append(rise)
            if i >= count:
                break
    return rows


def bench_uncontended(ctx: Any = None) -> Result:
    accounts = _prepare()
    cpu = _cpu()
    rows: list[Solo] = []
    with gunicorn() as server:
        peaks_start = {pid: _proc_kib(pid, "VmHWM") for pid in server.workers()}
        for role in ("worker", "street", "district"):
            rows += _solo_role(server, accounts.solo[role])
        peaks_end = {pid: _proc_kib(pid, "VmRSS") for pid in server.workers()}
        described = server.described
    lines = [
        f"Each page alone through gunicorn ({described}, production settings), "
        f"{SOLO_REQUESTS} requests after a warm-up ({SOLO_FEW} when the warm-up took "
        f"over {SOLO_SLOW:.0f} s); accounts: {accounts.note}. Memory: the most one request "
        "raised the serving worker's peak RSS over its RSS before the request (in brackets: "
        "the warm-up request's). Targets: every page ≤ 1 s alone (at 10M), ≤ 50 MiB per request.",
        "",
        "| role | page | requests | median (ms) | max (ms) | size (KiB) | memory rise (MiB) "
        "| errors | ≤ 1 s, ≤ 50 MiB |",
        "|---|---|---:|---:|---:|---:|---:|---|---|",
    ]
    slowest: tuple[float, str] = (0.0, "")
    biggest: tuple[int, str] = (0, "")
    failing = 0
    errors = 0
    for row in rows:
        median = statistics.median(row.times) if row.times else None
        top = max(row.times) if row.times else None
        rise = max(row.rises) if row.rises else 0
        name = f"{row.role} {row.label}"
        if median is not None and median > slowest[0] and row.label.startswith("/"):
            slowest = (median, name)
        if rise > biggest[0]:
            biggest = (rise, name)
        ok = (
            not row.errors
            and median is not None
            and median <= SOLO_TARGET
            and rise <= MEMORY_TARGET_MIB * MIB
        )
        failing += not ok
        errors += len(row.errors)
        first = f" ({_mib(row.first_rise)})" if row.first_rise and row.label[0] == "/" else ""
        lines.append(
            f"| {row.role} | `{row.label}` | {len(row.times)} | {_ms(median)} | {_ms(top)} | "
            f"{row.size / 1024:,.0f} | {_mib(rise)}{first} | {'; '.join(row.errors) or '—'} | "
            f"{_mark(ok)} |"
        )
    lines += [
        "",
        "Worker processes' peak RSS (VmHWM) when the first page was asked for, and RSS at the "
        "end (MiB): "
        + ", ".join(
            f"{_mib(peaks_start[pid] * 1024)} → {_mib(peaks_end.get(pid, 0) * 1024)}"
            for pid in peaks_start
        ),
    ]
    note = (
        f"slowest median: {slowest[1]} {slowest[0]:.2f} s; {failing}/{len(rows)} pages over "
        f"1 s or 50 MiB or failing; {errors} errors; most memory one request added: "
        f"{_mib(biggest[0])} MiB ({biggest[1]})"
    )
    return Result(slowest[0], _cpu() - cpu, note, "\n".join(lines))


# ---- locust ---------------------------------------------------------------------------------


@dataclass
class Stat:
    name: str
    requests: int
    failures: int
    p50: float | None
    p95: float | None
    p99: float | None
    max: float | None
    size: float
    rps: float


def _number(text: str) -> float | None:
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def run_locust(
    server: Gunicorn,
    accounts: list[Account],
    classes: list[str],
    users: int,
    seconds: int,
    tag: str,
) -> tuple[list[Stat], list[tuple[str, str, int]], str]:
    """Run locust headless against ``server``: its stats per name, its failures (name, error,
    count), and a line on the CPU locust took from the shared machine."""
    out = WORK / tag
    out.mkdir(parents=True, exist_ok=True)
    users_file = out / "accounts.json"
    write_accounts(accounts, users_file)
    prefix = out / "locust"
    log = out / "locust.log"
    command = [
        _bin("locust"),
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "-u",
        str(users),
        "-r",
        str(min(users, SPAWN_RATE) if users > WRITERS else users),
        "--stop-timeout",
        str(TIMEOUT + 10),
        "--host",
        server.base_url,
        "--csv",
        str(prefix),
        "--only-summary",
        "--exit-code-on-error",
        "0",
        "--loglevel",
        "WARNING",
        "--logfile",
        str(log),
        *classes,
    ]
    # The locustfile runs the pages for ``seconds`` after the last login (no -t).
    env = {
        **os.environ,
        "JIUYE_BENCH_ACCOUNTS": str(users_file),
        "JIUYE_BENCH_SECONDS": str(seconds),
    }
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(
        command,
        env=env,
        cwd=out,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=(out / "locust.stderr").open("wb"),
        timeout=seconds + 2 * TIMEOUT + 900,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    locust_cpu = after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime
    stats: list[Stat] = []
    with open(f"{prefix}_stats.csv", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["Name"] == "Aggregated":
                continue
            stats.append(
                Stat(
                    row["Name"],
                    int(row["Request Count"]),
                    int(row["Failure Count"]),
                    *(
                        None if v is None else v / 1000
                        for v in (
                            _number(row["50%"]),
                            _number(row["95%"]),
                            _number(row["99%"]),
                            _number(row["Max Response Time"]),
                        )
                    ),
                    size=_number(row["Average Content Size"]) or 0.0,
                    rps=_number(row["Requests/s"]) or 0.0,
                )
            )
    failures: list[tuple[str, str, int]] = []
    with open(f"{prefix}_failures.csv", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            failures.append((row["Name"], row["Error"], int(row["Occurrences"])))
    with open(f"{prefix}_exceptions.csv", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            failures.append(("(exception)", row["Message"], int(row["Count"])))
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    cost = f"locust itself used {locust_cpu:.0f} CPU seconds; load {load} at the end"
    return stats, failures, cost


def _failure_lines(failures: list[tuple[str, str, int]]) -> list[str]:
    if not failures:
        return []
    lines = ["", "Failures:", "", "| request | error | count |", "|---|---|---:|"]
    for name, error, count in failures:
        text = " ".join(error.split()).replace("|", "\\|")[:200]
        lines.append(f"| {name} | {text} | {count} |")
    return lines


def bench_load(ctx: Any = None) -> Result:
    scenario = getattr(ctx, "scenario", "district")
    targets = LOAD_TARGETS.get(scenario, LOAD_TARGETS["district"])
    accounts = _prepare()
    cpu = _cpu()
    with gunicorn() as server:
        peaks_before = {pid: _proc_kib(pid, "VmHWM") for pid in server.workers()}
        stats, failures, cost = run_locust(
            server,
            accounts.load,
            ["Worker", "Street", "District"],
            WORKERS + STREETS + DISTRICTS,
            LOAD_SECONDS,
            f"load-{scenario}",
        )
        peaks_after = {pid: _proc_kib(pid, "VmHWM") for pid in server.workers()}
    lines = [
        f"locust, headless, {LOAD_SECONDS} s, {WORKERS + STREETS + DISTRICTS} users started "
        f"{SPAWN_RATE}/s: {WORKERS} community workers (each on a community of their own), "
        f"{STREETS} street reviewers, {DISTRICTS} district admins ({accounts.note}); think time "
        f"{THINK[0]:g}–{THINK[1]:g} s; each logs in once through the login form (all 50 "
        f"first: the pages start when the last login is done and run {LOAD_SECONDS} s from "
        "then), then opens its role's pages in turn. Request timeout "
        f"{TIMEOUT} s (a timeout is a failure); {cost}. "
        f"Targets ({scenario}): community-worker pages p95 ≤ {targets['worker'] * 1000:.0f} ms, "
        f"street and district pages p95 ≤ {targets['street']:g} s, no errors.",
        "",
        "| role and page | requests | failures | p50 (ms) | p95 (ms) | p99 (ms) | max (ms) "
        "| size (KiB) | target p95 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    worst: dict[str, tuple[float, str]] = {}
    total = errors = 0
    over = 0
    for s in sorted(stats, key=lambda s: s.name):
        role = s.name.split(" ", 1)[0]
        target = targets.get(role)
        page = " login" not in s.name and " 2fa" not in s.name
        verdict = ""
        if target is not None and page and s.p95 is not None:
            ok = s.p95 <= target and not s.failures
            over += not ok
            verdict = f"≤ {target * 1000:,.0f} ms {_mark(ok)}"
            if s.p95 > worst.get(role, (0.0, ""))[0]:
                worst[role] = (s.p95, s.name)
        total += s.requests
        errors += s.failures
        lines.append(
            f"| `{s.name}` | {s.requests} | {s.failures} | {_ms(s.p50)} | {_ms(s.p95)} | "
            f"{_ms(s.p99)} | {_ms(s.max)} | {s.size / 1024:,.0f} | {verdict} |"
        )
    lines += _failure_lines(failures)
    lines += [
        "",
        "Worker processes' peak RSS (VmHWM, MiB) before and after the run: "
        + ", ".join(
            f"{_mib(peaks_before[pid] * 1024)} → {_mib(peaks_after.get(pid, 0) * 1024)}"
            for pid in peaks_before
        ),
    ]
    worst_p95 = max((w[0] for w in worst.values()), default=0.0)
    note = (
        f"{total:,} requests, {errors} failures; {over} role pages over their p95 target; worst "
        "p95: "
        + ", ".join(
            f"{role} {w[0] * 1000:,.0f} ms (`{w[1].split(' ', 1)[1]}`, target "
            f"{targets[role] * 1000:,.0f} ms)"
            for role, w in sorted(worst.items())
        )
    )
    return Result(worst_p95, _cpu() - cpu, note, "\n".join(lines))


# ---- pages_writers --------------------------------------------------------------------------


class LockSampler(threading.Thread):
    """Every 100 ms: the backends of this database waiting for a lock."""

    SQL = (
        "SELECT pid, wait_event, left(regexp_replace(query, '\\s+', ' ', 'g'), 160) "
        "FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.stop_event = threading.Event()
        self.samples = 0
        self.with_waits = 0
        self.max_waiting = 0
        self.queries: Counter[str] = Counter()
        self.error = ""

    def run(self) -> None:
        import psycopg
        from django.db import connection

        s = connection.settings_dict
        try:
            with psycopg.connect(
                host=s["HOST"] or "127.0.0.1",
                port=s["PORT"] or 5432,
                user=s["USER"],
                password=s.get("PASSWORD") or None,
                dbname=s["NAME"],
                autocommit=True,
            ) as conn:
                while not self.stop_event.is_set():
                    rows = conn.execute(self.SQL).fetchall()
                    self.samples += 1
                    if rows:
                        self.with_waits += 1
                        self.max_waiting = max(self.max_waiting, len(rows))
                        for _pid, event, query in rows:
                            self.queries[f"{event}: {query}"] += 1
                    self.stop_event.wait(0.1)
        except Exception as error:  # reported, not raised: the writers' numbers still count
            self.error = f"{type(error).__name__}: {error}"

    def stop(self) -> None:
        self.stop_event.set()
        self.join(10)


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def audit_verify() -> tuple[bool, str]:
    done = subprocess.run(
        [_bin("jiuye"), "audit", "verify"],
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=3600,
    )
    text = " ".join((done.stdout + done.stderr).split())
    return done.returncode == 0, text[:300]


def bench_writers(ctx: Any = None) -> Result:
    import requests

    accounts = _prepare()
    writers = accounts.writers
    cpu = _cpu()
    alone: list[float] = []
    problems: list[str] = []
    with gunicorn() as server:
        # Alone: the first writer, one write after another (after one warm-up).
        account = writers[0]
        client = _session(server.base_url)
        login(client, account, server.base_url)
        for n in range(SOLO_WRITES + 1):
            person = account.persons[n % len(account.persons)]
            took: list[float] = []

            def timed(fn: Callable[[], Any], took: list[float] = took) -> Any:
                start = time.perf_counter()
                response = fn()
                took.append(time.perf_counter() - start)
                return response

            try:
                response = write_service(client, account, person, n, server.base_url, timed=timed)
            except (ClientError, requests.RequestException) as error:
                problems.append(str(error))
                continue
            if not saved(response, person):
                problems.append(f"HTTP {response.status_code}")
            elif n:
                alone.append(took[0])
        # Together: 20 writers of 20 communities, locust, while the lock waits are sampled.
        sampler = LockSampler()
        sampler.start()
        try:
            stats, failures, cost = run_locust(
                server, writers, ["Writer"], len(writers), WRITE_SECONDS, "writers"
            )
        finally:
            sampler.stop()
    passed, verify_text = audit_verify()
    post = next((s for s in stats if s.name == "writer service POST"), None)
    form = next((s for s in stats if s.name == "writer service form"), None)
    alone_p = {q: _percentile(alone, q) for q in (0.5, 0.95, 0.99)}
    ratio = (post.p95 / alone_p[0.95]) if post and post.p95 and alone_p[0.95] else None
    lines = [
        f"{len(writers)} community workers of {len({w.unit for w in writers})} communities record "
        "services (guidance, training, survey, visit in turn) through the web form: the form "
        "page, then the POST (a redirect to the person when saved). Alone: one of them, "
        f"{SOLO_WRITES} POSTs one after another after a warm-up. Together: locust, "
        f"{len(writers)} users, {WRITE_SECONDS} s after the last of them logged in, think time "
        f"{THINK[0]:g}–{THINK[1]:g} s, while `pg_stat_activity` is sampled every 100 ms for "
        f"backends waiting on a lock (`wait_event_type = 'Lock'`); {cost}. Targets: no lock "
        "waits, p95 ≤ 3× alone, `jiuye audit verify` passes.",
        "",
        "| | requests | failures | p50 (ms) | p95 (ms) | p99 (ms) | writes/s |",
        "|---|---:|---:|---:|---:|---:|---:|",
        f"| POST alone | {len(alone)} | {len(problems)} | {_ms(alone_p[0.5])} | "
        f"{_ms(alone_p[0.95])} | {_ms(alone_p[0.99])} | "
        f"{len(alone) / sum(alone) if alone else 0:.1f} |",
    ]
    for label, s in (("POST, 20 writers", post), ("form page, 20 writers", form)):
        if s is not None:
            lines.append(
                f"| {label} | {s.requests} | {s.failures} | {_ms(s.p50)} | {_ms(s.p95)} | "
                f"{_ms(s.p99)} | {s.requests / WRITE_SECONDS:.1f} |"
            )
    lines += [
        "",
        f"Lock waits: {sampler.with_waits} of {sampler.samples} samples had a backend waiting "
        f"for a lock (at most {sampler.max_waiting} at once)"
        + (f"; sampler error: {sampler.error}" if sampler.error else "")
        + ".",
    ]
    if sampler.queries:
        lines += ["", "| waiting on | samples |", "|---|---:|"]
        for query, count in sampler.queries.most_common(8):
            lines.append(f"| `{query.replace('|', '/')}` | {count} |")
    lines += _failure_lines(failures)
    lines += ["", f"`jiuye audit verify`: {'passed' if passed else 'FAILED'} ({verify_text})."]
    ok = (
        sampler.with_waits == 0
        and ratio is not None
        and ratio <= WRITE_RATIO_TARGET
        and passed
        and not (post and post.failures)
    )
    note = (
        f"POST p95 alone {_ms(alone_p[0.95])} ms, 20 writers {_ms(post.p95 if post else None)} "
        f"ms ({ratio or 0:.1f}×, target ≤ 3×), {post.requests / WRITE_SECONDS if post else 0:.1f} "
        "writes/s, "
        f"{post.failures if post else '?'} failures; lock waits in {sampler.with_waits}/"
        f"{sampler.samples} samples (max {sampler.max_waiting}); audit verify "
        f"{'passed' if passed else 'FAILED'}; {_mark(ok)}"
    )
    return Result(post.p95 if post and post.p95 else 0.0, _cpu() - cpu, note, "\n".join(lines))


# ---- pages_import ---------------------------------------------------------------------------


def import_workbook(path: Path, community: Any, count: int = IMPORT_PERSONS) -> list[str]:
    """A workbook of ``count`` new persons in new households of ``community``, on the sheets
    and headers of the contract (``ledger.columns``); their ID numbers."""
    from openpyxl import Workbook

    from jiuye.ledger.columns import HOUSEHOLDS, PERSONS, STATUSES
    from jiuye.lib.idcard import make
    from jiuye.registry.models import Household, Person

    rng = random.Random(20261203)
    ids: list[str] = []
    while len(ids) < count:
        birth = date(1975, 1, 1) + timedelta(days=rng.randrange(20 * 365))
        number = make("110108", birth, rng.randrange(900, 999))
        if number not in ids and not Person.objects.filter(id_number=number).exists():
            ids.append(number)
    stamp = datetime.now(TZ).strftime("%H%M%S")
    households = [f"{community.code}B{stamp}{i}" for i in range(1, 5)]
    assert not Household.objects.filter(number__in=households).exists()
    book = Workbook()
    book.remove(book.active)

    def sheet(spec: Any, rows: list[dict[str, str]]) -> None:
        ws = book.create_sheet(spec.zh)
        ws.append([c.zh for c in spec.columns])
        for row in rows:
            ws.append([row.get(c.zh, "") for c in spec.columns])

    sheet(
        HOUSEHOLDS,
        [{"户编号": h, "单位代码": community.code, "户籍性质": "城镇"} for h in households],
    )
    names = "赵钱孙李周吴郑王冯陈"
    sheet(
        PERSONS,
        [
            {
                "公民身份号码": number,
                "姓名": f"{names[i % 10]}压测{i + 1}",
                "户编号": households[i % len(households)],
                "与户主关系": "户主" if i < len(households) else "子女",
            }
            for i, number in enumerate(ids)
        ],
    )
    since = date(datetime.now(TZ).year, 1, 5).isoformat()
    statuses = ["单位就业", "灵活就业", "失业", "单位就业", "自主创业"]
    sheet(
        STATUSES,
        [
            {
                "公民身份号码": number,
                "状态": statuses[i % len(statuses)],
                "起始日期": since,
                "登记失业": "是" if statuses[i % len(statuses)] == "失业" else "",
            }
            for i, number in enumerate(ids)
        ],
    )
    book.save(path)
    return ids


def bench_import(ctx: Any = None) -> Result:
    from django.db import connections

    from jiuye.registry.models import Person
    from jiuye.standards.aggregates import aggregates_freshness
    from jiuye.standards.evaluation import evaluate_unit
    from jiuye.standards.rulesets import ruleset_get
    from jiuye.units.models import Level, Unit

    accounts = _prepare()
    worker = next(a for a in accounts.load if a.role == "worker")
    community = Unit.objects.get(code=worker.unit)
    WORK.mkdir(parents=True, exist_ok=True)
    path = WORK / "import-10.xlsx"
    ids = import_workbook(path, community)
    # Process start-up alone (Django set up, the command loaded): the floor of any CLI call.
    start = time.perf_counter()
    subprocess.run(
        [_bin("jiuye"), "import", "--help"], env=child_env(), capture_output=True, check=True
    )
    startup = time.perf_counter() - start
    connections.close_all()
    cpu = _cpu()
    start = time.perf_counter()
    done = subprocess.run(
        [_bin("jiuye"), "import", str(path), "--no-progress"],
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=3600,
    )
    seconds = time.perf_counter() - start
    output = " ".join((done.stdout + done.stderr).split())
    own = re.search(r"导入完成（([\d.]+) 秒）", output)
    rebuilt = re.search(r"汇总已重建（([\d.]+) 秒）", output)
    inside = (
        f"the import itself {own.group(1) if own else '?'} s, then the aggregates rebuilt in "
        f"{rebuilt.group(1)} s"
        if rebuilt
        else f"the import itself {own.group(1) if own else '?'} s, no aggregates rebuild"
    )
    imported = Person.objects.filter(id_number__in=ids).count()
    freshness = aggregates_freshness()
    district = Unit.objects.filter(level=Level.DISTRICT).order_by("path").first()
    assert district is not None
    today = datetime.now(TZ).date()
    start = time.perf_counter()
    evaluation = evaluate_unit(unit=district, ruleset=ruleset_get("HD-2012"), on=today)
    evaluation_seconds = time.perf_counter() - start
    ok = done.returncode == 0 and imported == len(ids) and seconds <= IMPORT_TARGET
    ok = ok and freshness.fresh
    lines = [
        f"`jiuye import` of a workbook of {len(ids)} new persons in 4 new households of "
        f"{community.name} ({community.code}) with their employment status (sheets 户, 人员, "
        f"就业状态 of the contract), timed as a process from start to exit; a process that "
        f"only starts (`jiuye import --help`) takes {startup:.2f} s of it. Targets: ≤ "
        f"{IMPORT_TARGET:g} s, evaluations fresh after.",
        "",
        "| | |",
        "|---|---|",
        f"| exit code | {done.returncode} |",
        f"| persons in the registry after | {imported}/{len(ids)} |",
        f"| wall time (process) | {seconds:.2f} s {_mark(seconds <= IMPORT_TARGET)} |",
        f"| the command's output | {output[:400].replace('|', '/')} |",
        f"| aggregates fresh after | {freshness.fresh} {freshness.reason} |",
        f"| HD-2012 evaluation of {district.name} right after | {evaluation_seconds:.2f} s "
        f"(passed: {evaluation.passed}) |",
    ]
    note = (
        f"{imported}/{len(ids)} persons imported in {seconds:.2f} s ({inside}; process start "
        f"alone {startup:.2f} s; target ≤ {IMPORT_TARGET:g} s), aggregates "
        f"{'fresh' if freshness.fresh else 'NOT fresh: ' + freshness.reason} after; HD-2012 "
        f"evaluation of the district {evaluation_seconds:.2f} s; {_mark(ok)}"
    )
    return Result(seconds, _cpu() - cpu, note, "\n".join(lines))


# ---- common ---------------------------------------------------------------------------------


def _prepare() -> Accounts:
    """The aggregates built (the pages read them; the seed bypasses them), today's deadline
    items stored (what the task worker does on a day's first read, done here so the timed
    requests do not race it) and the accounts."""
    from django.utils import timezone

    from jiuye.casework.deadlines import store
    from jiuye.casework.models import DeadlineStore
    from jiuye.standards.aggregates import aggregates_fresh
    from jiuye.standards.services import aggregates_rebuild

    if not aggregates_fresh():
        aggregates_rebuild(actor=None)
    today = timezone.localdate()
    if not DeadlineStore.objects.filter(as_of=today, ready=True).exists():
        store.store_build(on=today)
    return ensure_accounts()


# (name, title, function, run.py's options)
BENCHMARKS: list[tuple[str, str, Callable[[Any], Result], dict[str, Any]]] = [
    (
        "pages_uncontended",
        "pages: each page of each role alone through gunicorn, slowest median (seconds)",
        bench_uncontended,
        {"city": True, "target": f"every page ≤ {SOLO_TARGET:g} s, ≤ 50 MiB per request"},
    ),
    (
        "pages_load",
        "pages: 50 users for 60 s (locust), the worst p95 of a role's page (seconds)",
        bench_load,
        {
            "city": True,
            "target": "workers' pages p95 ≤ 200 ms, street and district ≤ 1 s (1M); "
            "≤ 500 ms and ≤ 2 s (10M); no errors",
        },
    ),
    (
        "pages_writers",
        "pages: 20 writers of 20 communities recording services at once, POST p95 (seconds)",
        bench_writers,
        {},
    ),
    (
        "pages_import",
        "pages: `jiuye import` of a 10-person workbook, then fresh evaluations (seconds)",
        bench_import,
        {},
    ),
]


def register(benchmark: Callable[..., Callable[[Any], Any]]) -> None:
    """Register the page benchmarks with run.py's ``@benchmark(name, title, ...)``."""
    for name, title, fn, options in BENCHMARKS:
        benchmark(name, title, last=True, **options)(fn)
