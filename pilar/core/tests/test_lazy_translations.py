"""No text is translated when its module is imported: a label built with `gettext` at module
level (a dict of column names, a list of headers) is frozen in whatever language was active
when the module was first imported — English in one run, Indonesian in another — and every
page after shows it so. Module-level texts use `gettext_lazy`; `gettext` belongs in functions.
"""

import ast
from pathlib import Path

import pilar

EAGER = {"gettext", "ngettext", "pgettext", "npgettext"}
ROOT = Path(pilar.__file__).parent


def eager_names(tree: ast.Module) -> set[str]:
    names = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation":
            names |= {a.asname or a.name for a in node.names if a.name in EAGER}
    return names


def calls_at_import(node: ast.AST, names: set[str], at_import: bool = True):
    """The calls of `names` that run when the module is imported (module and class bodies,
    default values and decorators), not those inside functions."""
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        for part in [*node.args.defaults, *node.args.kw_defaults, *node.decorator_list]:
            if part is not None:
                yield from calls_at_import(part, names, at_import)
        for child in node.body:
            yield from calls_at_import(child, names, False)
        return
    if isinstance(node, ast.Lambda):
        return
    if (
        at_import
        and isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in names
    ):
        yield node.lineno
    for child in ast.iter_child_nodes(node):
        yield from calls_at_import(child, names, at_import)


def test_no_module_translates_at_import():
    frozen = []
    for path in sorted(ROOT.rglob("*.py")):
        if {"tests", "migrations"} & set(path.relative_to(ROOT).parts):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = eager_names(tree)
        frozen += [f"{path.relative_to(ROOT)}:{line}" for line in calls_at_import(tree, names)]
    assert not frozen, f"gettext at import time (use gettext_lazy): {frozen}"


def test_the_check_finds_a_label_translated_at_import():
    source = (
        "from django.utils.translation import gettext as _\n"
        "LABELS = {'a': _('address')}\n"
        "class Form:\n    title = _('Title')\n"
        "def page(label=_('default')):\n    return _('fine inside')\n"
    )
    tree = ast.parse(source)
    assert list(calls_at_import(tree, eager_names(tree))) == [2, 4, 5]


def test_translation_functions_keep_names_makemessages_knows():
    """`makemessages` finds texts in calls of `_`, `gettext`, `gettext_lazy`, `ngettext`…: a
    function imported under another name (`gettext_lazy as _lazy`) hides its texts from the
    catalogue, and they show in English on Indonesian pages."""
    renamed = []
    for path in sorted(ROOT.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation":
                renamed += [
                    f"{path.relative_to(ROOT)}: {a.name} as {a.asname}"
                    for a in node.names
                    if "gettext" in a.name and a.asname not in (None, "_")
                ]
    assert not renamed, renamed
