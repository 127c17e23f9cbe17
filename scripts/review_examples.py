"""Regenerate the example design reviews in docs/review/ (MariaDB and PostgreSQL).

    uv run python scripts/review_examples.py [--learners 20] [--days 60] [--out docs/review]

For each engine it starts a throwaway server (never the shared 3306/5432)
configured with dbtier's own parameter design for the profile (TLS settings
left out: the local server has no certificate, which the review then shows
as drift), migrates nippo, writes `--days` days of reports for `--learners`
learners through the API, backdates their timestamps to the report dates (as
if written daily), replays a read mix with every statement logged (session
`long_query_time = 0` / `log_min_duration_statement = 0`, so the global
design values stay as designed), takes a backup and runs the restore drill,
synthesizes the stack for that engine, and writes `nippo-<engine>.md/.html`
with `dbtier review`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from rich.console import Console
from sqlalchemy import create_engine, event, text
from sqlalchemy.orm import Session

from dbtier.backup import restore_drill, take_backup
from dbtier.config import Settings
from dbtier.db import make_engine
from dbtier.dbusers.grants import ensure_app_user
from dbtier.params import design, load_profile, to_conf
from dbtier.review import build_review, gather, to_html, to_markdown
from dbtier.schema import er
from dbtier.testing.servers import ThrowawayMariaDB, ThrowawayPostgres, ThrowawayServer
from dbtier.testing.unhurried import unhurried_settings
from nippo.app import create_app
from nippo.migrations import upgrade_to_head
from nippo.service.users import create_user

REPO = Path(__file__).resolve().parents[1]
ENGINES: dict[str, tuple[type[ThrowawayServer], str, list[str]]] = {
    "mariadb": (ThrowawayMariaDB, "examples/workloads/nippo-mariadb.yaml", []),
    "postgres": (
        ThrowawayPostgres,
        "examples/workloads/nippo-postgres.yaml",
        ["-c", "engine=postgres"],
    ),
}
# The local server has no certificate: these stay out of its configuration.
LEFT_OUT = {"require_secure_transport", "ssl", "rds.force_ssl"}
console = Console(stderr=True)


def server_config(profile_path: Path) -> list[str]:
    """The design's configuration lines for a self-managed server, without TLS."""
    designed = design(load_profile(profile_path))
    values = {p.name: p.value for p in designed.parameters if p.name not in LEFT_OUT}
    return [
        line
        for line in to_conf(designed.engine, values).splitlines()
        if line.strip() and not line.startswith(("[", "#"))
    ]


def load(client: TestClient, tokens: list[str], days: int, rng: random.Random) -> None:
    """`days` reports per learner, two or three tasks each, through the API."""
    today = dt.date.today()
    for token in tokens:
        for back in range(days, 0, -1):
            tasks = [
                {"title": f"task {i}", "minutes": rng.choice([30, 45, 60, 90, 120])}
                for i in range(rng.choice([2, 3]))
            ]
            body = {
                "date": (today - dt.timedelta(days=back)).isoformat(),
                "title": "日報",
                "tasks": tasks,
                "sections": [
                    {"kind": "learned", "heading": "学んだこと", "notes": [{"text": "x"}]}
                ],
            }
            response = client.post("/api/v1/reports", json=body, headers=_auth(token))
            response.raise_for_status()


def backdate(engine: Any) -> None:
    """Reports written on their own date in the evening; users since the first report."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("UPDATE reports SET created_at = report_date + time '12:00'"))
        else:
            conn.execute(text("UPDATE reports SET created_at = TIMESTAMP(report_date, '12:00:00')"))
        conn.execute(text("UPDATE reports SET updated_at = created_at"))
        conn.execute(text("UPDATE users SET created_at = (SELECT MIN(created_at) FROM reports)"))


def replay(client: TestClient, tokens: list[str], ids: list[int], rounds: int) -> None:
    """The read mix: study time, a report, a month of reports, a report's Markdown."""
    rng = random.Random(7)  # noqa: S311  (a reproducible request mix)
    for _ in range(rounds):
        token_index = rng.randrange(len(tokens))
        token, learner = tokens[token_index], ids[token_index]
        client.get(
            f"/api/v1/learners/{learner}/study-time",
            params={"date": dt.date.today().isoformat()},
            headers=_auth(token),
        )
        month_ago = (dt.date.today() - dt.timedelta(days=30)).isoformat()
        listing = client.get(
            f"/api/v1/learners/{learner}/reports",
            params={"from": month_ago, "to": dt.date.today().isoformat()},
            headers=_auth(token),
        )
        reports = listing.json()
        if reports:
            report = rng.choice(reports)["id"]
            client.get(f"/api/v1/reports/{report}", headers=_auth(token))
            client.get(f"/api/v1/reports/{report}/markdown", headers=_auth(token))


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def log_every_statement(engine: Any) -> None:
    """Session-level on MariaDB: every statement of the replay reaches the slow log.

    (PostgreSQL: `app_user` sets it on the application role instead, since only a
    superuser may set log_min_duration_statement in a session.)
    """
    if engine.dialect.name == "postgresql":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("SET SESSION long_query_time = 0")
        cursor.close()


def app_user(url: Any) -> Any:
    """Create the DML-only application user on `url`'s database; its URL."""
    created: dict[str, str] = {}

    def publish(user: str, password: str) -> None:
        created.update(user=user, password=password)

    admin = create_engine(url)
    try:
        with admin.connect() as conn:
            ensure_app_user(conn, "nippo_app", publish=publish)
            conn.commit()
        if admin.dialect.name == "postgresql":
            with admin.begin() as conn:
                conn.execute(text("ALTER ROLE nippo_app SET log_min_duration_statement = 0"))
                # Read-only monitoring: lets params check see every setting (as RDS's
                # rds_superuser-granted pg_monitor would), no data or DDL rights.
                conn.execute(text("GRANT pg_read_all_settings TO nippo_app"))
    finally:
        admin.dispose()
    return url.set(username=created["user"], password=created["password"])


def synthesize(context: list[str], out: Path) -> Path:
    subprocess.run(  # noqa: S603  (this interpreter running dbtier's own CLI)
        [sys.executable, "-m", "dbtier", "infra", "synth", "--out", str(out), *context],
        check=True,
        capture_output=True,
    )
    return out


def example(name: str, args: argparse.Namespace, work: Path) -> None:
    server_class, profile_name, context = ENGINES[name]
    profile = REPO / profile_name
    with server_class(config=server_config(profile)) as server:
        console.log(f"{name}: server on port {server.port}")
        server.execute("CREATE DATABASE nippo")
        url = server.url(database="nippo")
        upgrade_to_head(url)
        # The service's own user, as `dbtier up --admin-url` and the migration job keep it:
        # DML only. The service and the review connect as it, not as the superuser.
        app_url = app_user(url)
        settings = Settings(database_url=app_url.render_as_string(hide_password=False))
        engine = make_engine(settings)
        log_every_statement(engine)
        rng = random.Random(1)  # noqa: S311  (reproducible example data, not secrets)
        with Session(engine) as session:
            people = [create_user(session, f"learner{i}", "learner") for i in range(args.learners)]
            create_user(
                session, "mentor", "mentor", mentor_of=[f"learner{i}" for i in range(args.learners)]
            )
        # Example data, not a timing: the service's deadlines stay out of the way on a busy host.
        with TestClient(
            create_app(unhurried_settings(database_url=settings.database_url), engine=engine)
        ) as client:
            console.log(f"{name}: writing {args.learners} × {args.days} reports")
            load(client, [p.token for p in people], args.days, rng)
            backdate(engine)
            console.log(f"{name}: replaying the read mix")
            replay(client, [p.token for p in people], [p.id for p in people], args.rounds)
        engine.dispose()
        if name == "postgres":  # the review's own session keeps the design's value
            server.execute("ALTER ROLE nippo_app RESET log_min_duration_statement", "nippo")
        backups = work / name / "backups"
        take_backup(url, backups)  # backups and drills run as the server's admin
        drill = restore_drill(url, backups)
        console.log(f"{name}: restore drill passed={drill.passed}")
        console.log(f"{name}: synthesizing the stack")
        template = synthesize(context, work / name / "synth")
        log = server.base / "slow.log" if name == "mariadb" else server.log_path
        review_engine = make_engine(settings)
        try:
            evidence = gather(
                profile_path=Path(profile_name),
                engine=review_engine,
                template_path=template,
                slow_logs=[log],
                backup_dir=backups,
            )
        finally:
            review_engine.dispose()
        review = build_review(evidence, f"nippo on {name}: database design review")
        review.inputs["database"] = (
            f"throwaway {name} server, database nippo, as the DML-only user nippo_app "
            "(see scripts/review_examples.py)"
        )
        review.inputs["slow logs"] = f"{log.name}: every statement of the load and the replay"
        review.inputs["backups"] = "a backup and restore drill taken by the script"
        review.inputs["template"] = f"dbtier infra synth {' '.join(context)}".strip()
        out = args.out
        out.mkdir(parents=True, exist_ok=True)
        (out / f"nippo-{name}.md").write_text(to_markdown(review), encoding="utf-8")
        diagram = er.dot(evidence.schema.facts) if evidence.schema is not None else None
        (out / f"nippo-{name}.html").write_text(to_html(review, diagram), encoding="utf-8")
        console.log(
            f"{name}: {out}/nippo-{name}.md: {review.count('fail')} fail, "
            f"{review.count('warn')} warn, {review.count('pass')} pass"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--learners", type=int, default=20)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--engines", default="mariadb,postgres")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "review")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dbtier-review-") as work:
        for name in args.engines.split(","):
            example(name, args, Path(work))


if __name__ == "__main__":
    main()
