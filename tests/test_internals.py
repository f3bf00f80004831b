"""The parts of libraries the service relies on though they are not their public
API (reports/internals.py lists them): each is checked against the installed
version, what the code calls and what it relies on it to do, so that a new
version that changes one fails here. No other module touches a library's
private name, and where a public API replaced one, it still does that job."""

import ast
import configparser
import gc
import importlib
import inspect
import json
import pkgutil
import socket
import threading
import warnings
import zipfile
from importlib.metadata import version
from pathlib import Path

import flask_babel
import openpyxl
import pytest
import xlsxwriter
from flask.json.provider import DefaultJSONProvider
from openpyxl.reader.excel import ExcelReader
from openpyxl.worksheet._read_only import ReadOnlyWorksheet
from packaging.requirements import Requirement
from packaging.version import Version
from waitress import create_server, wasyncore
from waitress.adjustments import Adjustments
from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer, MultiSocketServer
from waitress.task import ErrorTask, ThreadedTaskDispatcher
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

import reports
from reports import internals, languages, serve, workbook
from reports.internals import DOCUMENTED, INTERNALS

PACKAGE = Path(reports.__file__).parent
REPO = PACKAGE.parent


# Each part that reports/internals.py lists, as the code relies on it ---------


def check_xlsxwriter_closes_a_sheets_rows_file(app, tmp_path):
    assert list(inspect.signature(Worksheet._opt_close).parameters) == ["self"]
    # What a workbook's close() does to each sheet once it has written them.
    assert "worksheet._opt_close()" in inspect.getsource(Workbook.close)

    def given_up(close):
        """The ResourceWarnings of a workbook given up after its first row."""
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ResourceWarning)
            with open(tmp_path / "given-up.xlsx", "wb") as file:
                options = {"constant_memory": True, "tmpdir": str(tmp_path)}
                book = xlsxwriter.Workbook(file, options)
                sheet = book.add_worksheet("Reports")
                sheet.write_row(0, 0, ["report_id", "mentor_notes"])
                if close:
                    internals.close_rows_file(sheet)
                    internals.close_rows_file(sheet)  # a second time does nothing
                del book, sheet
            gc.collect()
        return [warning for warning in caught if warning.category is ResourceWarning]

    assert given_up(close=False), "the rows file is no longer left open: is this check stale?"
    assert given_up(close=True) == []


def check_openpyxl_reads_a_sheet_through_what_it_is_given(app, tmp_path):
    assert list(inspect.signature(ReadOnlyWorksheet._get_source).parameters) == ["self"]
    path = tmp_path / "rows.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Reports")
    rows = [[f"report {number}", number, "Møte om helse"] for number in range(20_000)]
    for number, values in enumerate(rows):
        sheet.write_row(number, 0, values)
    book.close()
    with zipfile.ZipFile(path) as archive:
        xml_size = archive.getinfo("xl/worksheets/sheet1.xml").file_size

    class Recorder:
        def __init__(self, source):
            self.source, self.read_bytes = source, 0
            self.entered = self.closed = False

        def read(self, size=-1):
            chunk = self.source.read(workbook.READ_BYTES if size < 0 else size)
            self.read_bytes += len(chunk)
            return chunk

        def close(self):
            self.closed = True
            self.source.close()

        def __enter__(self):
            self.entered = True
            return self

        def __exit__(self, *exc_info):
            self.close()

    with open(path, "rb") as file:
        book = openpyxl.load_workbook(file, read_only=True, data_only=True)
        try:
            sheet = book["Reports"]
            sheet.reset_dimensions()
            recorder = internals.read_sheet_through(sheet, Recorder)
            read = sheet.iter_rows(values_only=True)
            assert list(next(read)) == rows[0]
            # The XML is read a chunk at a time, as the rows are taken.
            assert recorder.entered and 0 < recorder.read_bytes < xml_size / 4
            assert [list(row) for row in read] == rows[1:]
            assert recorder.read_bytes == xml_size and recorder.closed
        finally:
            book.close()


def check_openpyxl_reads_the_shared_strings_the_import_measures(app, tmp_path):
    assert "find(SHARED_STRINGS)" in inspect.getsource(ExcelReader.read_strings)
    written = tmp_path / "written.xlsx"
    book = xlsxwriter.Workbook(str(written))
    book.add_worksheet("Reports").write_string(0, 0, "one")
    book.close()
    # The same workbook, with [Content_Types].xml naming another part as its
    # shared strings, one that holds "two"; the workbook's relationships still
    # name the first, which holds "one".
    moved = tmp_path / "moved.xlsx"
    with zipfile.ZipFile(written) as source, zipfile.ZipFile(moved, "w") as target:
        for part in source.infolist():
            data = source.read(part)
            if part.filename == "[Content_Types].xml":
                data = data.replace(b'"/xl/sharedStrings.xml"', b'"/xl/moved.xml"')
            target.writestr(part, data)
            if part.filename == "xl/sharedStrings.xml":
                target.writestr("xl/moved.xml", data.replace(b">one<", b">two<"))

    with zipfile.ZipFile(moved) as archive:
        assert workbook._shared_strings(archive).filename == "xl/moved.xml"
    book = openpyxl.load_workbook(moved, read_only=True)
    try:
        assert [list(row) for row in book["Reports"].iter_rows(values_only=True)] == [["two"]]
    finally:
        book.close()


def check_waitress_runs_under_the_hand_run_serve_loop(app, tmp_path):
    loop_parameters = set(inspect.signature(wasyncore.loop).parameters)
    assert {"timeout", "map", "use_poll", "count"} <= loop_parameters
    assert callable(wasyncore.close_all) and callable(wasyncore.dispatcher.close)
    for name in ("connection_limit", "max_request_body_size", "threads", "host", "port"):
        assert name in dict(Adjustments._params), name
    # close() of a server closes its trigger as well: serve.py closes only the socket.
    assert "self.trigger.close()" in inspect.getsource(BaseWSGIServer.close)
    # Listening on several addresses (a host name), the server is a MultiSocketServer.
    several = inspect.getsource(MultiSocketServer.__init__)
    for name in ("effective_listen", "task_dispatcher"):
        assert f"self.{name} = " in several, name

    socket_map = {}
    server = create_server(
        lambda environ, start: [], map=socket_map, host="127.0.0.1", port=0, threads=1
    )
    try:
        assert isinstance(server.task_dispatcher, ThreadedTaskDispatcher)
        assert isinstance(server.task_dispatcher.active_count, int)
        assert len(server.task_dispatcher.queue) == 0
        assert callable(server.task_dispatcher.shutdown)
        assert server in socket_map.values() and isinstance(server.active_channels, dict)
        assert isinstance(server.trigger, wasyncore.dispatcher)
        assert server.effective_host == "127.0.0.1" and int(server.effective_port) > 0
    finally:
        server.task_dispatcher.shutdown()
        wasyncore.close_all(socket_map)

    for name in ("request", "requests", "total_outbufs_len", "last_activity", "connected"):
        assert name in vars(HTTPChannel) or name in inspect.getsource(HTTPChannel.__init__), name
    # Closing a channel wakes a task thread waiting in write_soon, which then gives up.
    assert "self.outbuf_lock.notify()" in inspect.getsource(HTTPChannel.handle_close)
    assert "raise ClientDisconnected" in inspect.getsource(HTTPChannel.write_soon)
    assert "self.last_activity = time.time()" in inspect.getsource(HTTPChannel._flush_some)


def check_waitress_gives_its_own_answers_through_the_service_classes(app, tmp_path):
    assert "channel_class" in vars(BaseWSGIServer)
    assert "self.channel_class(" in inspect.getsource(BaseWSGIServer.handle_accept)
    assert "error_task_class" in vars(HTTPChannel)
    assert "self.error_task_class(" in inspect.getsource(HTTPChannel.service)
    assert "to_response" in inspect.getsource(ErrorTask.execute)

    app.config["PORT"] = 0
    server, socket_map = serve.listen(app)
    stopping = threading.Event()

    def run():
        while not stopping.is_set():
            wasyncore.loop(timeout=0.05, map=socket_map, use_poll=True, count=1)

    loop = threading.Thread(target=run)
    loop.start()
    too_large = serve.BODY_SIZE_FACTOR * app.config["MAX_CONTENT_LENGTH"] + 1
    try:
        for head, status in (
            ("GET /healthz HTTP/1.1\r\nContent-Length: many\r\n\r\n", 400),
            (f"POST /api/v1/reports HTTP/1.1\r\nContent-Length: {too_large}\r\n\r\n", 413),
        ):
            answer = _answer_to(server, head.encode())
            answer_head, body = answer.split(b"\r\n\r\n", 1)
            assert answer_head.startswith(f"HTTP/1.1 {status} ".encode()), answer
            assert b"\r\nContent-Type: application/problem+json" in answer_head, answer
            assert json.loads(body)["status"] == status
    finally:
        stopping.set()
        loop.join()
        server.task_dispatcher.shutdown()
        wasyncore.close_all(socket_map)


def _answer_to(server, request):
    """All that a server sends back to `request` until it closes the connection."""
    with socket.create_connection((server.effective_host, server.effective_port), 5) as client:
        client.sendall(request)
        answer = b""
        while chunk := client.recv(65536):
            answer += chunk
    return answer


def check_flask_babel_looks_texts_up_through_the_apps_domain(app, tmp_path):
    from flask import render_template_string
    from flask_babel import gettext
    from flask_babel.speaklater import LazyString

    from reports.web.messages import _l

    with app.test_request_context("/login?lang=nb"):
        assert flask_babel.get_babel(app).instance.domain_instance is languages.catalogues(app)
        assert gettext("Sign in") == "Logg inn"
        assert hasattr(LazyString, "__html__")
        shown = render_template_string("{{ text }}", text=_l("%(name)s", name="<b>"))
        assert shown == "&lt;b&gt;"


CHECKS = {
    "Babel.domain_instance, Domain.get_translations(), speaklater.LazyString": (
        check_flask_babel_looks_texts_up_through_the_apps_domain
    ),
    "Worksheet._opt_close()": check_xlsxwriter_closes_a_sheets_rows_file,
    "ReadOnlyWorksheet._get_source()": check_openpyxl_reads_a_sheet_through_what_it_is_given,
    "ExcelReader.read_strings()": check_openpyxl_reads_the_shared_strings_the_import_measures,
    "the serve loop, run by hand": check_waitress_runs_under_the_hand_run_serve_loop,
    "BaseWSGIServer.channel_class, HTTPChannel.error_task_class, ErrorTask": (
        check_waitress_gives_its_own_answers_through_the_service_classes
    ),
}


@pytest.mark.parametrize("internal", INTERNALS, ids=lambda internal: internal.part)
def test_each_listed_internal_is_as_the_code_relies_on(internal, app, tmp_path):
    assert internal.part in CHECKS, f"{internal.part} is listed but nothing checks it"
    CHECKS[internal.part](app, tmp_path)


def test_each_library_relied_on_is_bounded_below_its_next_minor_version():
    """The installed version is one that setup.cfg allows, and setup.cfg allows
    none past the next minor version, which may change what the checks above check."""
    config = configparser.ConfigParser()
    config.read(REPO / "setup.cfg")
    requires = [Requirement(line) for line in config["options"]["install_requires"].split()]
    specifiers = {requirement.name.lower(): requirement.specifier for requirement in requires}

    for library in sorted({internal.library for internal in INTERNALS}):
        installed = Version(version(library))
        assert installed in specifiers[library], (library, installed, specifiers[library])
        upper = [Version(bound.version) for bound in specifiers[library] if bound.operator == "<"]
        assert upper, f"setup.cfg: {library} has no upper bound"
        assert upper[0] <= Version(f"{installed.major}.{installed.minor + 1}"), library


# Nothing else touches a library's private name ----------------------------------


def _is_private(name):
    return name.startswith("_") and not name.endswith("__")


def _sources():
    return [path for path in sorted(PACKAGE.rglob("*.py")) if path.name != "internals.py"]


def _names_the_package_defines(trees):
    """Every name the package gives a function, class or variable of its own,
    or an attribute of its own objects (self.x = ..., cls.x = ...)."""
    names = set()
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.add(node.name)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
            elif (
                isinstance(node, ast.Attribute)
                and isinstance(node.ctx, ast.Store)
                and isinstance(node.value, ast.Name)
                and node.value.id in ("self", "cls")
            ):
                names.add(node.attr)
    return names


def test_no_module_but_internals_touches_a_librarys_private_name():
    trees = {path: ast.parse(path.read_text(), str(path)) for path in _sources()}
    own = _names_the_package_defines(trees.values())

    touched = [
        f"{path.relative_to(REPO)}:{node.lineno} .{node.attr}"
        for path, tree in trees.items()
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and _is_private(node.attr)
        and node.attr not in own
        and node.attr not in DOCUMENTED
    ]

    assert touched == [], "list it in reports/internals.py, and reach it through there"


def _is_method(value):
    return inspect.isfunction(getattr(value, "__func__", value)) or isinstance(value, property)


def test_no_class_overrides_a_librarys_private_method_but_the_documented_ones():
    modules = [
        importlib.import_module(found.name)
        for found in pkgutil.walk_packages(reports.__path__, "reports.")
        if found.name != "reports.__main__"
    ]
    overrides = [
        f"{cls.__module__}.{cls.__qualname__}.{name} ({base.__module__}.{base.__qualname__})"
        for module in modules
        for cls in vars(module).values()
        if isinstance(cls, type) and cls.__module__ == module.__name__
        for name, value in vars(cls).items()
        if _is_private(name) and name not in DOCUMENTED and _is_method(value)
        for base in cls.__mro__[1:]
        if not base.__module__.startswith("reports") and name in vars(base)
    ]

    assert overrides == [], "list it in reports/internals.py"


# Public APIs that replaced private ones, still doing their job ----------------


ARGUMENTS = [((), {}), ((None,), {}), (({"b": [1, "é"], "a": None},), {}), ((1, "two"), {})]


@pytest.mark.parametrize("args, kwargs", [*ARGUMENTS, ((), {"a": 1, "b": None})])
def test_a_json_answer_takes_its_arguments_as_flasks_own_provider_does(app, args, kwargs):
    """reports/json_provider.py takes them as Flask documents (not with its private
    JSONProvider._prepare_response_obj)."""
    with app.app_context():
        ours = app.json.response(*args, **kwargs)
        flasks = DefaultJSONProvider(app).response(*args, **kwargs)

    assert json.loads(ours.get_data()) == json.loads(flasks.get_data())
    assert ours.mimetype == flasks.mimetype == "application/json"


def test_a_json_answer_of_both_values_and_names_is_refused_as_by_flask(app):
    with app.app_context():
        for provider in (app.json, DefaultJSONProvider(app)):
            with pytest.raises(TypeError, match="either args or kwargs"):
                provider.response(1, a=2)


def test_the_socket_map_given_to_waitress_holds_every_listener():
    """reports/serve.py runs its loop on the map it gives create_server (not on
    the server's private _map), listening on one address or several."""
    for listen in ("127.0.0.1:0", "127.0.0.1:0 127.0.0.1:0"):
        socket_map = {}
        server = create_server(lambda environ, start: [], map=socket_map, listen=listen, threads=1)
        try:
            listening = [d for d in socket_map.values() if isinstance(d, BaseWSGIServer)]
            assert len(listening) == len(listen.split())
            assert {(d.effective_host, d.effective_port) for d in listening} == set(
                serve.listen_addresses(server)
            )
        finally:
            server.task_dispatcher.shutdown()
            wasyncore.close_all(socket_map)
