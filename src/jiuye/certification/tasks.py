"""Background work of certification: the yearly re-check evaluates every certified unit of a
rule set, which over a district takes longer than a page may (DESIGN.md: django-tasks, the
database backend and ``db_worker``; the tests run tasks where they are enqueued)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django_tasks import task

from jiuye.accounts.models import User
from jiuye.certification import services
from jiuye.standards.rulesets import ruleset_get


@task()
def recheck_task(user_id: int, ruleset: str, on: str) -> dict[str, Any]:
    """Run the re-check of ``ruleset`` as of ``on`` (an ISO date) as the user who asked for it.
    The user is read again here: one deactivated (or moved out of the district) since the
    request is refused by the service as they would be on the page."""
    actor = User.objects.get(pk=user_id, is_active=True)
    run = services.recheck_run(actor=actor, ruleset=ruleset_get(ruleset), on=date.fromisoformat(on))
    return {
        "ruleset": run.ruleset,
        "on": run.on.isoformat(),
        "kept": len(run.kept),
        "revoked": len(run.revoked),
        "already": run.already,
    }
