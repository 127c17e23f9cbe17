"""Who the review is connected as, and whether the connection is encrypted."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Engine


def session_facts(engine: Engine) -> dict[str, Any]:
    """`user`, `superuser` (all privileges) and `tls` (the cipher, or None) of one connection."""
    backend = engine.url.get_backend_name()
    with engine.connect() as conn:
        if backend == "sqlite":
            return {}
        if backend == "postgresql":
            user, superuser = conn.exec_driver_sql(
                "SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user"
            ).one()
            cipher = conn.exec_driver_sql(
                "SELECT cipher FROM pg_stat_ssl WHERE pid = pg_backend_pid()"
            ).scalar()
            return {"user": str(user), "superuser": bool(superuser), "tls": cipher}
        user = str(conn.exec_driver_sql("SELECT CURRENT_USER()").scalar())
        grants = " ".join(str(g[0]) for g in conn.exec_driver_sql("SHOW GRANTS"))
        cipher = conn.exec_driver_sql("SHOW SESSION STATUS LIKE 'Ssl_cipher'").one()[1]
        return {
            "user": user,
            "superuser": "ALL PRIVILEGES ON *.*" in grants,
            "tls": cipher or None,
        }


__all__ = ["session_facts"]
