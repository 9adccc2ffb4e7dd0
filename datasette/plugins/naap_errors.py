"""Client mistakes answered as 400, not 500.

Datasette 0.65 raises its sort errors (`_sort` or `_sort_desc` on a column the table lacks,
or both at once) with DatasetteError's default status, 500, where its other parameter errors
(`_col`, `_nocol`, `_size`) say 400. This hook runs before Datasette's own exception handler,
which renders the error with the status set here.
"""

from datasette import hookimpl
from datasette.views.base import DatasetteError

# The messages of the sort errors in datasette/views/table.py.
CLIENT_ERRORS = ("Cannot sort table by ", "Cannot use _sort and _sort_desc at the same time")


@hookimpl
def handle_exception(exception: Exception) -> None:
    client_error = isinstance(exception, DatasetteError) and str(exception.message).startswith(CLIENT_ERRORS)
    if client_error and exception.status == 500:
        exception.status = 400
