"""A tenant's quota lock: a check of what the tenant holds and the insert that adds to it happen as one step.

Without it two simultaneous uploads each count the tenant's datasets (or queued jobs), each see room for
one more, and both insert: the quota is exceeded by one. Under the lock the second one counts after the
first has committed. PostgreSQL takes a transaction-scoped advisory lock keyed by the tenant, so tenants
do not wait for each other; SQLite takes its one write lock (``BEGIN IMMEDIATE``) before the count is
read, which is what its single writer does anyway. Both are released when the session commits or rolls back.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

QUOTA_LOCK_SPACE = 7_331_002  # the first key of PostgreSQL's two-key advisory locks (migrations use the one-key form)


class LockAfterWrite(RuntimeError):
    """The session wrote before it locked: the lock would come too late to guard that write's check."""


def lock_tenant(session: Session, tenant_id: str) -> None:
    """Hold ``tenant_id``'s quota lock until ``session`` commits or rolls back; count and insert after this."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        lock = text("SELECT pg_advisory_xact_lock(CAST(:space AS integer), hashtext(CAST(:tenant AS text)))")
        connection.execute(lock, {"space": QUOTA_LOCK_SPACE, "tenant": tenant_id})
        return
    if connection.dialect.name == "sqlite":
        driver = connection.connection.driver_connection
        if getattr(driver, "in_transaction", False):
            raise LockAfterWrite("lock_tenant must come before the session's first write")
        # pysqlite begins a transaction only at the first write; reads before it see each commit as it lands.
        connection.exec_driver_sql("BEGIN IMMEDIATE")
