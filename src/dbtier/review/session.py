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


DML = frozenset({"SELECT", "INSERT", "UPDATE", "DELETE"})


def database_users(engine: Engine) -> dict[str, set[str]]:
    """Users/roles with privileges on this database's tables or schema, and those privileges."""
    backend = engine.url.get_backend_name()
    found: dict[str, set[str]] = {}
    with engine.connect() as conn:
        if backend == "sqlite":
            return {}
        if backend == "postgresql":
            rows: list[tuple[Any, Any]] = [
                (g, p)
                for g, p in conn.exec_driver_sql(
                    "SELECT grantee, privilege_type FROM information_schema.role_table_grants "
                    "WHERE table_schema = current_schema() AND grantee <> 'PUBLIC'"
                )
            ]
            rows += [
                (owner, "OWNER")
                for (owner,) in conn.exec_driver_sql(
                    "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = current_schema()"
                )
            ]
            rows += [
                (role, "CREATE")
                for (role,) in conn.exec_driver_sql(
                    "SELECT rolname FROM pg_roles WHERE rolcanlogin AND NOT rolsuper "
                    "AND has_schema_privilege(rolname, current_schema(), 'CREATE')"
                )
            ]
        else:
            rows = [
                (g, p)
                for g, p in conn.exec_driver_sql(
                    "SELECT GRANTEE, PRIVILEGE_TYPE FROM information_schema.SCHEMA_PRIVILEGES "
                    "WHERE TABLE_SCHEMA = DATABASE() UNION "
                    "SELECT GRANTEE, PRIVILEGE_TYPE FROM information_schema.TABLE_PRIVILEGES "
                    "WHERE TABLE_SCHEMA = DATABASE()"
                )
            ]
    for grantee, privilege in rows:
        found.setdefault(str(grantee).replace("'", ""), set()).add(str(privilege).upper())
    return found


__all__ = ["DML", "database_users", "session_facts"]
