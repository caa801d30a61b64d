"""The scheduler: which jobs run when, and the lock that keeps one copy of each running.

Production runs it as its own process (`servicedesk scheduler`, a BlockingScheduler);
the local mode runs it inside `servicedesk run` (a BackgroundScheduler). Gunicorn
workers never start it: APScheduler's FAQ is explicit that a job store cannot be
shared by several processes, so every worker would run every job again.

Jobs live in a MemoryJobStore and are rebuilt from `JOBS` at every start: nothing
about them is persisted, and nothing needs to be, because each job is idempotent
and works from the database's state ("every clock whose breach instant has
passed and has no breach event"), not from "what happened since my last run".
A missed run, a restart or a second scheduler process changes timing only.

Several scheduler processes may run (a restart overlapping the old one, two
hosts configured alike). On PostgreSQL each job runs under a transaction-level
advisory lock, `pg_try_advisory_xact_lock(key)`, key a stable int64 of the job
id: the process that gets it runs the job; the others skip this turn silently.
The lock belongs to the job's transaction and is released by its commit or
rollback, so a crashed process cannot leave it held. It is an economy, not the
guarantee: unique constraints (an SLA event per clock and kind, the outbox's
dedup key) make a duplicate run harmless. SQLite has no such lock: there jobs
just run, and `sqlite_scheduler_lock` keeps a second process from scheduling at
all (an exclusive `flock` on a file beside the database).

Adding a job is one line in `JOBS`:

    JobSpec("sla-sweep", sweep_job, {"trigger": "interval", "seconds": 60}),

where `sweep_job(app, sess)` does its work in `sess` (the session that holds
the lock) and only flushes; `run_exclusively` commits once, which also releases
the lock.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import IO, Any, Literal
from zoneinfo import ZoneInfo

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalog.agreements.reminders import agreement_reminders_job
from servicedesk import db
from servicedesk.mail.imap import imap_poll_job
from servicedesk.notifications.sender import send_outbox_job
from servicedesk.public.rollup import REFRESH_SECONDS, public_figures_job
from servicedesk.reports.monthly import monthly_reports_job
from sla.jobs import auto_close_job, sweep_job

log = logging.getLogger("servicedesk.scheduler")

#: Cron triggers ("07:00 every weekday") mean Helsinki time, whatever the host's zone.
SCHEDULER_TIMEZONE = ZoneInfo("Europe/Helsinki")
#: A run that starts this late (a busy pool, a suspended laptop) still runs; later, the
#: turn is skipped (coalesce: missed turns are one run, never a burst of them).
DEFAULT_MISFIRE_GRACE_SECONDS = 60

JobFunc = Callable[[Flask, Session], None]
Outcome = Literal["ran", "skipped", "failed"]


@dataclass(frozen=True)
class JobSpec:
    """A scheduled job.

    `func(app, sess)` runs inside `run_exclusively`: `sess` holds the job's lock;
    the function adds and flushes, never commits (the runner commits once).
    `trigger` is APScheduler's trigger keywords, e.g. {"trigger": "interval",
    "seconds": 60} or {"trigger": "cron", "hour": 7, "minute": 0}.
    """

    id: str
    func: JobFunc
    trigger: dict[str, Any] = field(hash=False)
    misfire_grace_time: int = DEFAULT_MISFIRE_GRACE_SECONDS
    #: Interval jobs first run at start-up (catching up after downtime), not one interval later.
    run_at_start: bool = True
    #: Whether the job applies to this configuration (e.g. the IMAP poll needs IMAP_HOST).
    enabled: Callable[[Any], bool] | None = field(default=None, hash=False)

    def applies(self, app: Flask) -> bool:
        return self.enabled is None or bool(self.enabled(app.config["SETTINGS"]))


#: Every job of the scheduler, in the order `--once` runs them.
JOBS: list[JobSpec] = [
    JobSpec("sla-sweep", sweep_job, {"trigger": "interval", "seconds": 60}),
    JobSpec("send-outbox", send_outbox_job, {"trigger": "interval", "seconds": 15}),
    JobSpec("auto-close", auto_close_job, {"trigger": "interval", "minutes": 15}),
    # Daily at 07:00 Helsinki: the agreement reminders due today, each exactly once.
    JobSpec(
        "renewal-reminders", agreement_reminders_job, {"trigger": "cron", "hour": 7, "minute": 0}
    ),
    # Hourly from 07:00 Helsinki: the job itself knows when a month's reports are due (the
    # first business day, catching up on the next two) and delivers each one exactly once.
    JobSpec(
        "monthly-reports", monthly_reports_job, {"trigger": "cron", "hour": "7-22", "minute": 0}
    ),
    JobSpec(
        "imap-poll",
        imap_poll_job,
        {"trigger": "interval", "seconds": 60},
        enabled=lambda settings: bool(settings.imap_host),
    ),
    # The public page's figures, counted into `public_figures` (and at start-up, so a
    # restarted scheduler serves fresh ones at once).
    JobSpec(
        "public-figures", public_figures_job, {"trigger": "interval", "seconds": REFRESH_SECONDS}
    ),
]


def lock_key(job_id: str) -> int:
    """A stable signed 64-bit advisory lock key for a job id (same in every process)."""
    digest = hashlib.blake2b(f"servicedesk.scheduler:{job_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def run_exclusively(app: Flask, job_id: str, work: Callable[[Session], None]) -> bool:
    """Run `work(sess)` in one transaction, unless another process runs this job now.

    On PostgreSQL the transaction first takes `pg_try_advisory_xact_lock(lock_key(job_id))`;
    without it, nothing runs and False is answered (logged at debug: it is normal
    with several schedulers). `work` flushes; this commits once, which releases
    the lock; an exception rolls back (also releasing it) and propagates.
    On SQLite `work` just runs; no statement is issued before it, so a job that
    leaves `sess` unused opens no transaction (and takes no write lock).
    """
    sess = db.new_session(app)
    try:
        if sess.get_bind().dialect.name == "postgresql":
            got = sess.scalar(select(func.pg_try_advisory_xact_lock(lock_key(job_id))))
            if not got:
                log.debug("job %s: running in another process; skipped", job_id)
                sess.rollback()
                return False
        work(sess)
        sess.commit()
        return True
    except BaseException:
        sess.rollback()
        raise
    finally:
        sess.close()


def run_job(app: Flask, spec: JobSpec) -> Outcome:
    """One turn of a job, as the scheduler calls it: errors are logged, never raised."""
    started = time.monotonic()
    try:
        ran = run_exclusively(app, spec.id, partial(spec.func, app))
    except Exception:
        log.exception("job %s failed", spec.id)
        return "failed"
    if ran:
        log.debug("job %s done in %.0f ms", spec.id, (time.monotonic() - started) * 1000)
    return "ran" if ran else "skipped"


def run_all_once(app: Flask, jobs: Sequence[JobSpec] | None = None) -> dict[str, Outcome]:
    """Every job once, in order (`servicedesk scheduler --once`: cron, tests)."""
    specs = JOBS if jobs is None else jobs
    return {spec.id: run_job(app, spec) for spec in specs if spec.applies(app)}


def build_scheduler(
    app: Flask, *, blocking: bool, jobs: Sequence[JobSpec] | None = None
) -> BaseScheduler:
    """A scheduler (not started) with every job of `JOBS` registered.

    `blocking=True`: a BlockingScheduler for `servicedesk scheduler` (its `start()`
    blocks); `False`: a BackgroundScheduler for the in-process local mode.
    """
    # APScheduler logs two INFO lines per run (5 760 a day each for a 15-second job);
    # `run_job` logs what matters (failures) itself.
    logging.getLogger("apscheduler.executors").setLevel(logging.WARNING)
    cls = BlockingScheduler if blocking else BackgroundScheduler
    scheduler = cls(
        jobstores={"default": MemoryJobStore()},
        executors={"default": ThreadPoolExecutor(max_workers=4)},
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": DEFAULT_MISFIRE_GRACE_SECONDS,
        },
        timezone=SCHEDULER_TIMEZONE,
    )
    for spec in JOBS if jobs is None else jobs:
        if not spec.applies(app):
            continue
        options: dict[str, Any] = dict(spec.trigger)
        if spec.run_at_start and options.get("trigger") == "interval":
            options.setdefault("next_run_time", datetime.now(UTC))
        scheduler.add_job(
            run_job,
            args=(app, spec),
            id=spec.id,
            name=spec.id,
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=spec.misfire_grace_time,
            **options,
        )
    return scheduler


class SchedulerLock:
    """An exclusive lock on `<database>.scheduler.lock`, held while this process schedules.

    The kernel releases a `flock` when its process dies, so a crashed run leaves
    nothing to clean up; the file itself stays (it is empty).
    """

    def __init__(self, path: Path, handle: IO[str]) -> None:
        self.path = path
        self._handle = handle

    def release(self) -> None:
        fcntl.flock(self._handle, fcntl.LOCK_UN)
        self._handle.close()


def sqlite_lock_path(app: Flask) -> Path | None:
    """The lock file of the app's SQLite database file; None for PostgreSQL or in-memory."""
    url = db.engine_of(app).url
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database).resolve().with_name(Path(url.database).name + ".scheduler.lock")


def sqlite_scheduler_lock(app: Flask) -> SchedulerLock | Literal[False] | None:
    """Take the SQLite database's scheduler lock: the lock, None when another process holds
    it, False when no lock is needed (PostgreSQL's advisory locks do the job there)."""
    path = sqlite_lock_path(app)
    if path is None:
        return False
    handle = path.open("a")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    return SchedulerLock(path, handle)
