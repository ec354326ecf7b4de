"""No module of pilar imports itself back, however long the loop (docs/ARCHITECTURE.md).

`.importlinter` checks the layers and, inside each app, that no two modules import each other;
`accounts`, `regions` and `audit` share a layer and may import each other, so a loop running
through two of them (accounts.x -> audit.y -> accounts.x) is seen only here. An import inside a
function counts as much as one at the top of a file: it closes the loop all the same. Tests stand
outside the rule (they may import anything).
"""

import grimp


def _application_imports() -> dict[str, set[str]]:
    graph = grimp.build_graph("pilar", cache_dir=None)

    def is_test(module: str) -> bool:
        return ".tests" in module or module in ("pilar.conftest", "pilar.tests_support")

    return {
        module: {m for m in graph.find_modules_directly_imported_by(module) if not is_test(m)}
        for module in graph.modules
        if not is_test(module)
    }


def _loops(imports: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm, written
    without recursion): each is a set of modules that reach one another through imports."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    loops = []
    for root in sorted(imports):
        if root in index:
            continue
        work = [(root, iter(sorted(imports[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            module, following = work[-1]
            for imported in following:
                if imported not in index:
                    index[imported] = low[imported] = len(index)
                    stack.append(imported)
                    on_stack.add(imported)
                    work.append((imported, iter(sorted(imports[imported]))))
                    break
                if imported in on_stack:
                    low[module] = min(low[module], index[imported])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[module])
                if low[module] == index[module]:
                    loop = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        loop.append(member)
                        if member == module:
                            break
                    if len(loop) > 1:
                        loops.append(sorted(loop))
    return loops


def test_the_loop_finder_finds_a_loop_and_only_a_loop():
    imports = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert _loops(imports) == [["a", "b", "c"]]


def test_no_module_of_pilar_imports_itself_back():
    assert _loops(_application_imports()) == []
