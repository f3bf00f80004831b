"""The package's layout: the pages go one way (each page module imports the
shared display helpers, never another page module), hold no SQL, and no
module of `reports` imports one that imports it back."""

import ast
from pathlib import Path

import reports

PACKAGE = Path(reports.__file__).parent
# The modules of reports/web a page module may import: the package itself
# (the blueprint) and the helpers the pages share.
SHARED = {"reports.web", "reports.web.display", "reports.web.messages", "reports.web.sessions"}
# The packages that hold the SQL and the connections; a module of either is one too.
DATA_LAYER = ("reports.queries", "reports.db")


def in_data_layer(name):
    return any(name == layer or name.startswith(f"{layer}.") for layer in DATA_LAYER)


def module_name(path):
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _is_type_checking(test):
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _nodes(tree):
    """Every node of `tree` but those under an `if TYPE_CHECKING:`."""
    todo = [tree]
    while todo:
        node = todo.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child.test):
                todo.extend(child.orelse)
            else:
                todo.append(child)


def _tree(name):
    return ast.parse(MODULES[name].read_text(encoding="utf-8"))


def imports_of(name):
    """The modules of `reports` that module `name` imports, at its top or in a
    function: `from a import b` counts as a.b where a.b is a module, else as a."""
    package = name if MODULES[name].name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in _nodes(_tree(name)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                whole = f"{base}.{alias.name}"
                found.add(whole if whole in MODULES else base)
    return {each for each in found if each in MODULES and each != name}


WEB = sorted(name for name in MODULES if name.startswith("reports.web."))
PAGES = sorted(name for name in WEB if name not in SHARED)


def test_the_pages_hold_no_sql():
    offending = {}
    for name in ["reports.web", *WEB]:
        wrong = sorted(each for each in imports_of(name) if in_data_layer(each))
        calls = any(
            isinstance(node, ast.Name | ast.Attribute)
            and getattr(node, "id", getattr(node, "attr", None)) == "get_db"
            for node in _nodes(_tree(name))
        )
        if wrong or calls:
            offending[name] = wrong + (["get_db"] if calls else [])
    assert offending == {}


def test_the_data_layer_is_its_two_packages_and_their_modules():
    assert {"reports.queries", "reports.queries.report_rows", "reports.db.connections"} <= {
        name for name in MODULES if in_data_layer(name)
    }
    assert not in_data_layer("reports.dbx") and not in_data_layer("reports.service")


def test_no_page_module_imports_another():
    assert PAGES, "reports/web has no page modules"
    offending = {
        name: sorted(imported)
        for name in PAGES
        if (imported := {each for each in imports_of(name) if each in PAGES})
    }
    assert offending == {}


def _cycle(graph):
    """A cycle of `graph` as a list of its modules (the first again at its end), or None."""
    state = {}

    def visit(node, path):
        state[node] = "open"
        path.append(node)
        for after in sorted(graph[node]):
            if state.get(after) == "open":
                return path[path.index(after) :] + [after]
            if after not in state and (found := visit(after, path)):
                return found
        path.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node, [])):
            return found
    return None


def test_the_package_has_no_import_cycle():
    graph = {name: imports_of(name) for name in MODULES}
    # A package imports its own modules to run them (reports.web registers its
    # pages): that edge from a package to what is in it is not a cycle.
    for name, imported in graph.items():
        imported -= {each for each in imported if each.startswith(f"{name}.")}
    assert _cycle(graph) is None


def test_the_cycle_finder_finds_one():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None
