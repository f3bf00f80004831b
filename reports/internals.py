"""The parts of libraries that the service relies on though they are not their
public API, each listed here once: the library, the part, what the service
relies on it for, and where. tests/test_internals.py checks each of them
against the installed version (it is there, it takes what the code passes, it
does what the code relies on), and setup.cfg keeps each of these libraries
below its next minor version, to be checked before the bound is raised.

The two private attributes the code touches are touched here alone, by the
functions below; a test fails when another module uses a library's private
name. Where a public API does the job, the code uses it: the arguments of a
JSON answer are taken as Flask documents them (reports/json_provider.py), not with
JSONProvider._prepare_response_obj, and the serve loop runs on the socket map
it gives waitress's create_server (reports/serve.py), not on the server's _map.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Internal:
    library: str
    part: str
    relied_on: str
    used_in: str


INTERNALS = (
    Internal(
        "xlsxwriter",
        "Worksheet._opt_close()",
        "In constant_memory mode each worksheet keeps its rows in a temporary file, which "
        "Workbook.close() closes with _opt_close() once it has written the workbook. A workbook "
        "given up before it is whole (too many rows, no room left, an error) has its sheet's "
        "file closed the same way. Its close() would first write out and zip the rows written "
        "so far: some 180 MiB and 2 s for a sheet's million rows, on a disk short of room.",
        "reports/workbook.py, _write",
    ),
    Internal(
        "openpyxl",
        "ReadOnlyWorksheet._get_source()",
        "A read-only worksheet opens its XML with _get_source(), looked up on the sheet each time "
        "its rows are read, uses it as a context manager and reads it a chunk at a time as its "
        "rows are taken. An import gives it the XML through a reader that refuses a row too "
        "large before it is parsed.",
        "reports/workbook.py, read_sheet",
    ),
    Internal(
        "openpyxl",
        "ExcelReader.read_strings()",
        "openpyxl reads the shared strings, all at once, from the first part that "
        "[Content_Types].xml names as such (its Manifest's find(SHARED_STRINGS)): an import "
        "measures that same part before openpyxl opens the workbook.",
        "reports/workbook.py, _shared_strings",
    ),
    Internal(
        "waitress",
        "the serve loop, run by hand",
        "wasyncore.loop (timeout, map, use_poll, count), close_all, and dispatcher.close, which "
        "closes a listener's socket and not the trigger its server's close() would; a server's "
        "task_dispatcher (active_count, queue, shutdown), effective_host and effective_port, or "
        "a MultiSocketServer's effective_listen; each channel's request, requests, "
        "total_outbufs_len, last_activity (time.time()) and handle_close, which wakes the task "
        "thread writing to it.",
        "reports/serve.py, serve_until_stopped, Watchdog, listen_addresses",
    ),
    Internal(
        "waitress",
        "BaseWSGIServer.channel_class, HTTPChannel.error_task_class, ErrorTask",
        "A listener makes each connection's channel of its channel_class, and a channel answers "
        "a request it does not hand to the app with its error_task_class: ProblemChannel's "
        "ProblemErrorTask, whose execute() writes problem+json from the request's error (code, "
        "reason, body) and the limit in channel.server.adj, with the task's status, "
        "response_headers, content_length, set_close_on_finish() and write().",
        "reports/serve.py, listen, ProblemChannel, ProblemErrorTask",
    ),
    Internal(
        "flask-babel",
        "Babel.domain_instance, Domain.get_translations(), speaklater.LazyString",
        "Flask-Babel looks every text up through its Babel's domain_instance, whose "
        "get_translations() gives the request's translations: the app's domain compiles each "
        "language's catalogue from its .po file. A lazy text is a speaklater.LazyString, which "
        "a template takes as markup (its __html__): the pages' lazy texts subclass it to be "
        "escaped.",
        "reports/languages.py, Languages, Catalogues; reports/web/messages.py, Lazy",
    ),
)

# Names that start with _ but that their library documents for use: the
# checks of tests/test_internals.py let them pass.
DOCUMENTED = {
    "_get_current_object": "Werkzeug's LocalProxy (session, current_app): the object behind it",
    "_app": "Flask's JSONProvider keeps its app as _app, for its subclasses",
    "_serialize": "marshmallow: what a custom field implements",
    "_deserialize": "marshmallow: what a custom field implements",
}


def close_rows_file(sheet):
    """Close the temporary file of a constant_memory XlsxWriter worksheet's
    rows, as its workbook's close() would, for a workbook given up."""
    sheet._opt_close()


def read_sheet_through(sheet, reader):
    """Have an openpyxl read-only worksheet read its XML through
    `reader(its source)`, which is returned: a file-like object with read(size)
    that is also a context manager, closing the source on its way out."""
    through = reader(sheet._get_source())
    sheet._get_source = lambda: through
    return through
