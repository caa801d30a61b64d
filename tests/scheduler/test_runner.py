"""The scheduler runner: job registration, --once, and one running copy of each job."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import threading
import time
from typing import Any

import pytest
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from servicedesk import cli, db
from servicedesk.notifications.models import OutboxMessage
from servicedesk.notifications.operations import enqueue
from sla import scheduler as runner
from sla.scheduler import JOBS, JobSpec, build_scheduler, lock_key, run_all_once, run_exclusively
from tests.scheduler.conftest import needs_postgres


def outbox_count(app: Flask, kind: str | None = None) -> int:
    with db.unit_of_work(app) as sess:
        query = select(func.count()).select_from(OutboxMessage)
        if kind is not None:
            query = query.where(OutboxMessage.kind == kind)
        return int(sess.scalar(query) or 0)


def recording_job(calls: list[str], name: str, *, sleep: float = 0.0) -> Any:
    """A job that records its run in a list and, in its transaction, an outbox row."""

    def job(app: Flask, sess: Session) -> None:
        calls.append(name)
        enqueue(sess, kind="test", recipient=f"{name}@kpk.fi", subject=name, body="")
        time.sleep(sleep)

    return job


# --- registration ----------------------------------------------------------------------------


def test_the_outbox_sender_is_a_registered_job_every_fifteen_seconds():
    spec = next(s for s in JOBS if s.id == "send-outbox")
    assert spec.trigger == {"trigger": "interval", "seconds": 15}
    assert len({s.id for s in JOBS}) == len(JOBS)


@pytest.mark.parametrize(
    ("blocking", "cls"),
    [(True, BlockingScheduler), (False, BackgroundScheduler)],
    ids=["blocking", "background"],
)
def test_every_job_is_registered_with_its_id_and_the_required_options(app, blocking, cls):
    scheduler = build_scheduler(app, blocking=blocking)
    assert type(scheduler) is cls
    jobs = {job.id: job for job in scheduler.get_jobs()}
    applying = [spec for spec in JOBS if spec.applies(app)]
    assert set(jobs) == {spec.id for spec in applying}
    for spec in applying:
        job = jobs[spec.id]
        assert job.name == spec.id
        assert job.coalesce is True
        assert job.max_instances == 1
        assert job.misfire_grace_time == spec.misfire_grace_time == 60
        assert job.args == (app, spec)
    sending = jobs["send-outbox"]
    assert isinstance(sending.trigger, IntervalTrigger)
    assert sending.trigger.interval.total_seconds() == 15
    assert str(scheduler.timezone) == "Europe/Helsinki"


def test_the_jobs_live_in_memory_and_a_repeated_id_replaces_the_job(app):
    calls: list[str] = []
    first = JobSpec("same", recording_job(calls, "first"), {"trigger": "interval", "seconds": 60})
    second = JobSpec("same", recording_job(calls, "second"), {"trigger": "interval", "seconds": 30})
    scheduler = build_scheduler(app, blocking=False, jobs=[first, second])
    scheduler.start(paused=True)
    try:
        assert isinstance(scheduler._lookup_jobstore("default"), MemoryJobStore)
        (job,) = scheduler.get_jobs()
        assert job.args == (app, second)
    finally:
        scheduler.shutdown(wait=False)


def test_adding_a_job_is_one_line_in_the_registry(app, monkeypatch):
    calls: list[str] = []
    monkeypatch.setattr(runner, "JOBS", [*JOBS])
    runner.JOBS.append(
        JobSpec("extra-job", recording_job(calls, "extra"), {"trigger": "interval", "seconds": 60})
    )
    scheduler = build_scheduler(app, blocking=True)
    applying = {spec.id for spec in JOBS if spec.applies(app)}
    assert {job.id for job in scheduler.get_jobs()} == applying | {"extra-job"}
    outcomes = run_all_once(app)
    assert outcomes["extra-job"] == "ran"
    assert set(outcomes.values()) == {"ran"}
    assert calls == ["extra"]


def test_the_registry_holds_every_job():
    assert [spec.id for spec in JOBS] == [
        "sla-sweep",
        "send-outbox",
        "auto-close",
        "renewal-reminders",
        "monthly-reports",
        "imap-poll",
        "public-figures",
    ]


def test_the_imap_poll_applies_only_when_imap_host_is_set(app, monkeypatch):
    import dataclasses

    spec = next(s for s in JOBS if s.id == "imap-poll")
    assert spec.trigger == {"trigger": "interval", "seconds": 60}
    settings = app.config["SETTINGS"]
    monkeypatch.setitem(app.config, "SETTINGS", dataclasses.replace(settings, imap_host=""))
    assert not spec.applies(app)
    assert "imap-poll" not in {job.id for job in build_scheduler(app, blocking=False).get_jobs()}
    assert "imap-poll" not in run_all_once(app, [spec])
    monkeypatch.setitem(
        app.config, "SETTINGS", dataclasses.replace(settings, imap_host="imap.kpk.example")
    )
    assert spec.applies(app)
    assert "imap-poll" in {job.id for job in build_scheduler(app, blocking=False).get_jobs()}


def test_a_background_scheduler_runs_its_jobs_at_start_and_on_schedule(app):
    calls: list[str] = []
    ran = threading.Event()

    def job(app: Flask, sess: Session) -> None:
        calls.append("tick")
        if len(calls) >= 2:
            ran.set()

    scheduler = build_scheduler(
        app, blocking=False, jobs=[JobSpec("tick", job, {"trigger": "interval", "seconds": 1})]
    )
    scheduler.start()
    try:
        assert ran.wait(10), calls
    finally:
        scheduler.shutdown(wait=True)


# --- running ---------------------------------------------------------------------------------


def test_run_all_once_runs_each_job_once_and_commits_its_work(app):
    calls: list[str] = []
    jobs = [
        JobSpec(name, recording_job(calls, name), {"trigger": "interval", "seconds": 60})
        for name in ("one", "two", "three")
    ]
    assert run_all_once(app, jobs) == {"one": "ran", "two": "ran", "three": "ran"}
    assert calls == ["one", "two", "three"]
    assert outbox_count(app, "test") == 3


def test_a_failing_job_is_rolled_back_and_the_others_still_run(app, caplog):
    calls: list[str] = []

    def broken(app: Flask, sess: Session) -> None:
        enqueue(sess, kind="test", recipient="broken@kpk.fi", subject="x", body="")
        raise RuntimeError("boom")

    jobs = [
        JobSpec("broken", broken, {"trigger": "interval", "seconds": 60}),
        JobSpec("fine", recording_job(calls, "fine"), {"trigger": "interval", "seconds": 60}),
    ]
    assert run_all_once(app, jobs) == {"broken": "failed", "fine": "ran"}
    assert outbox_count(app, "test") == 1  # only the fine job's row
    assert "job broken failed" in caplog.text


def test_the_work_of_a_job_commits_once_at_the_end(app):
    commits: list[str] = []

    def job(sess: Session) -> None:
        event.listen(sess, "after_commit", lambda s: commits.append("commit"))
        enqueue(sess, kind="test", recipient="a@kpk.fi", subject="x", body="")
        assert sess.in_transaction() and commits == []

    assert run_exclusively(app, "commit-once", job) is True
    assert commits == ["commit"]
    assert outbox_count(app, "test") == 1


def test_scheduler_once_command_runs_every_job_and_sends_the_outbox(app, monkeypatch):
    monkeypatch.setattr(cli, "_app", lambda: app)
    with db.unit_of_work(app) as sess:
        enqueue(
            sess,
            kind="escalation",
            recipient="am@kpk.fi",
            subject="Eskalointi: Åbo",
            body="Sopimusrikkomus.",
        )
    result = CliRunner().invoke(cli.main, ["scheduler", "--once"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [f"{spec.id}: ran" for spec in JOBS if spec.applies(app)]
    with open(app.config["SETTINGS"].mail_file, encoding="utf-8") as fh:
        assert "Subject: Eskalointi: Åbo" in fh.read()
    with db.unit_of_work(app) as sess:
        assert sess.scalars(select(OutboxMessage.status)).all() == ["sent"]


def test_scheduler_once_exits_non_zero_when_a_job_failed(app, monkeypatch):
    def broken(app: Flask, sess: Session) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(cli, "_app", lambda: app)
    monkeypatch.setattr(
        runner, "JOBS", [JobSpec("broken", broken, {"trigger": "interval", "seconds": 60})]
    )
    result = CliRunner().invoke(cli.main, ["scheduler", "--once"])
    assert result.exit_code == 1
    assert "broken: failed" in result.output


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_the_scheduler_process_stops_cleanly_on_ctrl_c_and_sigterm(app, tmp_path, stop):
    env = {
        **os.environ,
        "SERVICEDESK_MODE": "test",
        "MAIL_TRANSPORT": "file",
        "DATABASE_URL": db.engine_of(app).url.render_as_string(hide_password=False),
        "MAIL_FILE": str(tmp_path / "mail.log"),
    }
    proc = subprocess.Popen(
        [sys.executable, "-c", "from servicedesk.cli import main; main()", "scheduler"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert proc.stdout is not None
        seen = []
        for line in proc.stdout:  # log lines (stderr) come first
            seen.append(line)
            if line.startswith("Scheduler running:"):
                break
        else:
            pytest.fail("".join(seen))
        time.sleep(0.5)  # let the first run of the jobs start
        proc.send_signal(stop)
        output, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, output
    assert "Scheduler stopped." in output
    assert "Traceback" not in output


# --- one running copy ------------------------------------------------------------------------


def test_lock_keys_are_stable_signed_64_bit_and_distinct():
    assert lock_key("send-outbox") == lock_key("send-outbox")
    keys = {
        lock_key(spec_id)
        for spec_id in ("send-outbox", "sla-sweep", "auto-close", "renewal-reminders")
    }
    assert len(keys) == 4
    assert all(-(2**63) <= key < 2**63 for key in keys)
    # The same in every process and release: it must never depend on hash() seeding.
    digest = hashlib.blake2b(b"servicedesk.scheduler:send-outbox", digest_size=8).digest()
    assert lock_key("send-outbox") == int.from_bytes(digest, "big", signed=True)


def _race(app: Flask, job_ids: tuple[str, str]) -> tuple[list[str], list[bool]]:
    """Two run_exclusively calls; the second starts while the first holds its lock."""
    calls: list[str] = []
    inside = threading.Event()
    outcomes: list[bool] = [False, False]
    errors: list[BaseException] = []

    def slow(sess: Session) -> None:
        enqueue(sess, kind="test", recipient="first@kpk.fi", subject="first", body="")
        calls.append("first")
        inside.set()
        time.sleep(0.5)

    def quick(sess: Session) -> None:
        enqueue(sess, kind="test", recipient="second@kpk.fi", subject="second", body="")
        calls.append("second")

    def call(n: int, job_id: str, work: Any) -> None:
        try:
            outcomes[n] = run_exclusively(app, job_id, work)
        except BaseException as exc:
            errors.append(exc)

    first = threading.Thread(target=call, args=(0, job_ids[0], slow))
    first.start()
    assert inside.wait(10)
    second = threading.Thread(target=call, args=(1, job_ids[1], quick))
    second.start()
    second.join(10)
    first.join(10)
    assert errors == []
    return calls, outcomes


@pytest.mark.postgres
@needs_postgres
def test_two_processes_running_the_same_job_at_once_run_it_once(app, caplog):
    with caplog.at_level("DEBUG", logger="servicedesk.scheduler"):
        calls, outcomes = _race(app, ("sla-sweep", "sla-sweep"))
    assert calls == ["first"]
    assert outcomes == [True, False]
    assert outbox_count(app, "test") == 1
    assert "job sla-sweep: running in another process; skipped" in caplog.text
    # The lock went with the first run's commit: the next turn runs.
    assert run_exclusively(app, "sla-sweep", lambda sess: None) is True


@pytest.mark.postgres
@needs_postgres
def test_different_jobs_do_not_wait_for_each_other(app):
    calls, outcomes = _race(app, ("sla-sweep", "auto-close"))
    assert sorted(calls) == ["first", "second"]
    assert outcomes == [True, True]
    assert outbox_count(app, "test") == 2


@pytest.mark.postgres
@needs_postgres
def test_a_failed_run_releases_its_lock(app):
    def broken(sess: Session) -> None:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        run_exclusively(app, "auto-close", broken)
    assert run_exclusively(app, "auto-close", lambda sess: None) is True


@pytest.mark.postgres
@needs_postgres
def test_two_schedulers_running_once_at_the_same_time_send_each_mail_once(app):
    with db.unit_of_work(app) as sess:
        for n in range(20):
            enqueue(sess, kind="ticket_update", recipient=f"a{n}@kpk.fi", subject=f"{n}", body="")
    barrier = threading.Barrier(2)
    outcomes: list[dict[str, str]] = []

    def scheduler_once() -> None:
        barrier.wait()
        outcomes.append(run_all_once(app))

    threads = [threading.Thread(target=scheduler_once) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(o["send-outbox"] for o in outcomes) in (["ran", "skipped"], ["ran", "ran"])
    with open(app.config["SETTINGS"].mail_file, encoding="utf-8") as fh:
        text = fh.read()
    for n in range(20):
        assert text.count(f"To: a{n}@kpk.fi\n") == 1
