"""Tenant-scoped data access: the base of every domain's repository.

A domain repository subclasses ``TenantRepository[Row]`` and builds its queries from ``_select()``,
``_update()``, ``_delete()`` and the ``_core_*`` helpers, which all carry ``tenant_id = <the tenant>``.
The domain packages do not import SQLAlchemy's statement builders at all (tests/service/store/
test_repository.py checks it), so a query that forgets the tenant cannot be written by accident: it has
to go through ``SystemQueries``, whose name says that it reads every tenant.

The few operations that really span tenants (the start-up sweep of upload folders, finding an API key by
its public prefix, the operator's key list) are methods named ``all_tenants_*`` on a ``SystemQueries``
subclass in the domain's repository module.
"""

from __future__ import annotations

from typing import Any, ClassVar, Generic, TypeVar, cast

from sqlalchemy import ColumnElement, Delete, Insert, Select, Table, Update, bindparam, delete, func, insert, select, update
from sqlalchemy.engine import CursorResult, Engine, RowMapping
from sqlalchemy.orm import Session

from service.store import cursors, driver
from service.store.immediate import ImmediateWriter
from service.store.models import Base

Row = TypeVar("Row", bound=Base)


class TenantRepository(Generic[Row]):
    """Reads and writes of one table, always for one tenant. The caller's service owns the transaction (commit)."""

    row: type[Row]
    key: ClassVar[str] = "id"  # the column get() and delete() look a row up by

    # Core statements built once per subclass, with the tenant as a parameter: the hot paths skip the ORM's
    # unit of work (identity map, flush, change tracking), which costs more than the query itself.
    _core_get: ClassVar[Select[Any]]
    _core_set: ClassVar[Update]
    _core_set_unchanged: ClassVar[Update | None]  # _core_set only while updated_at is still the one read
    _core_add: ClassVar[Insert]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        model = cls.__dict__.get("row")
        if model is None:
            return
        table = cast(Table, model.__table__)
        if "tenant_id" not in table.c or cls.key not in table.c:
            raise TypeError(f"{cls.__name__}: {table.name} needs a tenant_id and a {cls.key} column")
        where = (table.c[cls.key] == bindparam("scope_key")) & (table.c.tenant_id == bindparam("scope_tenant"))
        cls._core_get = select(table).where(where)
        cls._core_set = update(table).where(where)
        unchanged = where & (table.c.updated_at == bindparam("scope_read")) if "updated_at" in table.c else None
        cls._core_set_unchanged = None if unchanged is None else update(table).where(unchanged)
        cls._core_add = insert(table)

    def __init__(self, session: Session, tenant_id: str) -> None:
        if not isinstance(tenant_id, str) or not tenant_id.strip():
            raise ValueError(f"{type(self).__name__} needs the tenant it serves, got {tenant_id!r}")
        if not hasattr(type(self), "row"):
            raise TypeError(f"{type(self).__name__} does not name its row class")
        self.session = session
        self.tenant_id = tenant_id

    @property
    def _table(self) -> Table:
        return cast(Table, self.row.__table__)

    def _scope(self) -> ColumnElement[bool]:
        return self._table.c.tenant_id == self.tenant_id

    def _select(self, *columns: Any) -> Select[Any]:
        """``SELECT <columns or the row> ... WHERE tenant_id = <tenant>``; add more conditions with ``.where``."""
        return select(*(columns or (self.row,))).where(self._scope())

    def _update(self) -> Update:
        return update(self.row).where(self._scope())

    def _delete(self) -> Delete:
        return delete(self.row).where(self._scope())

    def get(self, key: Any) -> Row | None:
        return self.session.scalars(self._select().where(self._table.c[self.key] == key)).first()

    def rows(self, *order_by: Any, limit: int | None = None) -> list[Row]:
        """This tenant's rows, in the given order."""
        query = self._select().order_by(*order_by)
        return list(self.session.scalars(query if limit is None else query.limit(limit)))

    def total(self, column: Any) -> int:
        """The sum of ``column`` over this tenant's rows (0 when it has none)."""
        return int(self.session.scalar(self._select(func.coalesce(func.sum(column), 0))) or 0)

    def newest_page(self, kind: str, limit: int, cursor: str | None) -> tuple[list[Row], str | None]:
        """This tenant's rows newest first, by (created_at, key); ``cursor`` (service/store/cursors.py) continues
        after the previous page, whatever was added or deleted since."""
        created, key = self._table.c.created_at, self._table.c[self.key]
        query = self._select()
        if cursor is not None:
            at, last = cursors.decode(kind, self.tenant_id, cursor)
            query = query.where((created < at) | ((created == at) & (key < last)))
        rows = list(self.session.scalars(query.order_by(created.desc(), key.desc()).limit(limit + 1)))
        return self._cut(kind, rows, limit)

    def _cut(self, kind: str, rows: list[Row], limit: int) -> tuple[list[Row], str | None]:
        """The first ``limit`` rows, and the cursor after the last of them when more follow."""
        if len(rows) <= limit:
            return rows, None
        last = rows[limit - 1]
        return rows[:limit], cursors.encode(kind, self.tenant_id, last.created_at, getattr(last, self.key))  # type: ignore[attr-defined]

    def add(self, row: Row) -> Row:
        """Stage a new row of this tenant (a row naming another tenant is refused, not silently moved)."""
        owner = getattr(row, "tenant_id", None)
        if owner is None:
            row.tenant_id = self.tenant_id  # type: ignore[attr-defined]
        elif owner != self.tenant_id:
            raise ValueError(f"{type(self).__name__} of {self.tenant_id!r} cannot add a row of {owner!r}")
        self.session.add(row)
        return row

    def delete(self, key: Any) -> bool:
        """Delete this tenant's row; False when the tenant has none with that key (another tenant's is untouched)."""
        result = self.session.execute(self._delete().where(self._table.c[self.key] == key))
        return bool(getattr(result, "rowcount", 0))

    def _core_one(self, key: Any) -> RowMapping | None:
        """One row as a mapping, through the prebuilt statement."""
        params = {"scope_key": key, "scope_tenant": self.tenant_id}
        return self.session.execute(self._core_get, params).mappings().first()

    def _core_insert(self, values: dict[str, Any]) -> None:
        self.session.execute(self._core_add, {**values, "tenant_id": self.tenant_id})

    def _driver_insert(self, values: dict[str, Any]) -> None:
        """``_core_insert`` through SQLite's driver where it can (service/store/driver.py): for the hottest write. On
        SQLite, as the transaction's first write it commits at once; call it last, just before the commit."""
        row = {**values, "tenant_id": self.tenant_id}
        if not driver.insert_row(self.session.connection(), self._table, row):
            self.session.execute(self._core_add, row)

    @classmethod
    def insert_committed(cls, engine: Engine, tenant_id: str, values: dict[str, Any]) -> bool:
        """One row of ``tenant_id`` inserted and committed at once, through SQLite's driver on a pooled connection of its
        own (no session: for a request that reads nothing else, ADR 0019). False when the engine is not one the driver
        serves (PostgreSQL, cursor events), and nothing was done: use a session then."""
        if not isinstance(tenant_id, str) or not tenant_id.strip():
            raise ValueError(f"{cls.__name__} needs the tenant it serves, got {tenant_id!r}")
        return driver.insert_committed(engine, cast(Table, cls.row.__table__), {**values, "tenant_id": tenant_id})

    @classmethod
    async def insert_soon(cls, writer: ImmediateWriter, tenant_id: str, values: dict[str, Any]) -> bool:
        """``insert_committed`` on the event loop's own connection, only if SQLite takes it without waiting, and in one
        transaction with the rows other requests hand in during the same turn of the loop (service/store/immediate.py,
        ADR 0023, 0038). False when nothing was written: insert it from a thread then."""
        if not isinstance(tenant_id, str) or not tenant_id.strip():
            raise ValueError(f"{cls.__name__} needs the tenant it serves, got {tenant_id!r}")
        return await writer.insert_soon(cast(Table, cls.row.__table__), {**values, "tenant_id": tenant_id})

    def _core_update(self, key: Any, values: dict[str, Any]) -> None:
        self.session.execute(self._core_set, self._update_params(key, values))

    def _core_update_unchanged(self, key: Any, values: dict[str, Any], read: Any) -> bool:
        """``_core_update`` only if the row's ``updated_at`` is still ``read`` (a compare-and-set): whether it wrote.
        ``values`` must set a new ``updated_at``, or a later writer that read this one would not see the change."""
        if self._core_set_unchanged is None or "updated_at" not in values:
            raise TypeError(f"{type(self).__name__}: a compare-and-set needs an updated_at column and a new value for it")
        params = {**self._update_params(key, values), "scope_read": read}
        result = cast(CursorResult[Any], self.session.execute(self._core_set_unchanged, params))
        return result.rowcount == 1

    def _update_params(self, key: Any, values: dict[str, Any]) -> dict[str, Any]:
        """The parameters of an update of this tenant's row ``key`` (``scope_key``, ``scope_tenant``) to ``values``."""
        if "tenant_id" in values or self.key in values:
            raise ValueError("an update cannot move a row to another tenant or key")
        return {"scope_key": key, "scope_tenant": self.tenant_id, **values}


class SystemQueries:
    """Queries across every tenant, for system work only; each method is named ``all_tenants_*``.

    Today: the start-up sweep of upload folders no row names, the sweep of abandoned datasets (past their TTL,
    named by no tuning job), the API-key lookup by public prefix (the key is what tells the tenant), and the
    operator's ``advisor keys list | revoke``.
    """

    def __init__(self, session: Session) -> None:
        self.session = session

    def _select_all_tenants(self, *columns: Any) -> Select[Any]:
        return select(*columns)

    def _update_all_tenants(self, model: type[Base]) -> Update:
        return update(model)

    def _delete_all_tenants(self, model: type[Base]) -> Delete:
        return delete(model)
