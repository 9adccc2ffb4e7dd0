"""Client mistakes answered as 400, not 500.

Datasette 0.65 raises its sort errors (`_sort` or `_sort_desc` on a column the table lacks,
or both at once) with DatasetteError's default status, 500, where its other parameter errors
(`_col`, `_nocol`, `_size`) say 400. This hook runs before Datasette's own exception handler,
which renders the error with the status set here.

A filter on a column with a unit (`?duration_s__gt=abc`, or `=5 meter` on seconds) fails in pint,
whose frozen exceptions then break Python's own traceback bookkeeping: what reaches this hook is
a FrozenInstanceError with the pint error as its context. That is answered by Datasette's own
handler as the 400 it is.
"""

from datasette import hookimpl
from datasette.handle_exception import handle_exception as datasette_handle_exception
from datasette.utils.asgi import BadRequest
from datasette.vendored.pint.errors import PintError
from datasette.views.base import DatasetteError

# The messages of the sort errors in datasette/views/table.py.
CLIENT_ERRORS = ("Cannot sort table by ", "Cannot use _sort and _sort_desc at the same time")


@hookimpl
def handle_exception(datasette, request, exception: Exception):
    client_error = isinstance(exception, DatasetteError) and str(exception.message).startswith(CLIENT_ERRORS)
    if client_error and exception.status == 500:
        exception.status = 400
    unit_error = next((e for e in (exception, exception.__context__) if isinstance(e, PintError)), None)
    if unit_error is not None:
        bad_value = BadRequest(f"A filter value is not a number in the column's unit: {unit_error}")
        return datasette_handle_exception(datasette, request, bad_value)
    return None
