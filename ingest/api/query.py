"""What a handler works with: the request's parameters, the data clock, and SQL on Datasette's
read-only connections under the API's time limit."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from datasette.database import Database, QueryInterrupted

from ingest.api.params import mart_time
from ingest.api.problems import Problem


@dataclass(frozen=True)
class ApiRequest:
    args: Any  # Datasette's MultiParams: get(), getlist(), `in`
    clock: datetime  # the data clock of the publication: the anchor of every relative window
    db: Database
    time_limit_ms: int
    request_id: str = ""

    @property
    def now(self) -> str:
        return mart_time(self.clock)

    async def rows(self, sql: str, params: dict | None = None) -> list[dict]:
        try:
            results = await self.db.execute(sql, params or {}, custom_time_limit=self.time_limit_ms)
        except QueryInterrupted:
            raise Problem(
                503,
                f"the query took longer than {self.time_limit_ms} ms; narrow the time range",
                {"Retry-After": "1"},
            ) from None
        columns = [d[0] for d in results.description]
        return [dict(zip(columns, row, strict=True)) for row in results.rows]

    async def row(self, sql: str, params: dict | None = None) -> dict:
        rows = await self.rows(sql, params)
        return rows[0] if rows else {}


def as_bool(value: Any) -> bool | None:
    return None if value is None else bool(value)
