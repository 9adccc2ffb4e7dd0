"""The five paged endpoints: `{data, pagination, meta}` with keyset cursors (api-contract.md §1.2-1.3).

Rows come newest first; rows of one time are ordered by the other cursor keys ascending, the last
of which is unique within a time, so a page resumes strictly after its last row whatever was
published in between. One row more than the limit is read to know whether another page exists.
"""

from dataclasses import dataclass

from ingest.api import cursor
from ingest.api.params import mart_time, page_limit, reject_retired_paging, time_range
from ingest.api.query import ApiRequest


@dataclass(frozen=True)
class Paged:
    source: str  # a select of raw mart columns, the time column and every key among them
    fields: str  # the response row, selected from `source`
    time: str  # the sort time, raw (text the marts order by)
    keys: tuple[str, ...]  # the other cursor keys, as named in `source` and in the response
    hourly: bool  # the time is an hour start (whole seconds), else a moment with milliseconds


async def page(request: ApiRequest, paged: Paged) -> dict:
    reject_retired_paging(request.args)
    start, end = time_range(request.args, request.clock)
    limit = page_limit(request.args)
    after = cursor.decode(request.args.get("cursor") or "", len(paged.keys), paged.hourly)
    params: dict = {"start": mart_time(start), "end": mart_time(end), "limit": limit + 1}
    resume = ""
    if after:
        time_text, keys = after
        params["after_time"] = time_text
        params |= {f"after_{i}": key for i, key in enumerate(keys)}
        columns = ", ".join(f"source.{key}" for key in paged.keys)
        values = ", ".join(f":after_{i}" for i in range(len(keys)))
        at = f"source.{paged.time}"
        resume = f"and ({at} < :after_time or ({at} = :after_time and ({columns}) > ({values})))"
    # Qualified: a response field may reuse a source column's name (`window_start || 'Z' as
    # window_start`), and SQLite would order by that field, sorting every row of the range
    # instead of walking the time index.
    order = ", ".join((f"source.{paged.time} desc", *(f"source.{key}" for key in paged.keys)))
    sql = f"""
        select {paged.fields}, source.{paged.time} as _sort_time
        from ({paged.source}) as source
        where source.{paged.time} >= :start and source.{paged.time} < :end {resume}
        order by {order}
        limit :limit
    """
    rows = await request.rows(sql, params)
    next_cursor = ""
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = cursor.encode(last["_sort_time"], [str(last[k]) for k in paged.keys])
    for row in rows:
        del row["_sort_time"]
    return {
        "data": rows,
        "pagination": {"next_cursor": next_cursor, "has_more": bool(next_cursor), "page_size": len(rows)},
        "meta": {"generated_at": cursor.now_rfc3339(), "request_id": request.request_id},
    }
