"""Level 2, the agent's own modules: ``main.py`` and the modules beside it, read as ASTs.

- ``main.py`` parses (for the profile's Python) and the Kaggle loader is emulated on the
  AST: ``exec(code, {})`` then the LAST callable value of the namespace (insertion
  order, so a rebound name keeps its first place) is the agent.
- ``main.py`` never reads ``__file__`` (it has none under the loader); no module of the agent
  appends to ``sys.path`` (the loader pops the last entry); ``lib/`` is put on it with
  ``insert``.

A syntax tree costs up to ~1 KB a token (a 4 MiB ``main.py`` holding a list of 2,000,000
numbers took 1.9 GB to parse), so a module is parsed only when it has at most
:data:`MAX_TOKENS` tokens, counted first by the tokenizer without building anything; one
nested too deeply for the compiler is a problem, as it would be on the target.
"""

from __future__ import annotations

import ast
import io
import tokenize
from dataclasses import dataclass
from typing import Literal

#: Tokens of one module parsed into a syntax tree (~500 KB of code; the template's largest
#: module has ~5,000): at most ~80 MB of tree.
MAX_TOKENS = 100_000

Kind = Literal["function", "class", "lambda", "imported", "star", "module", "value", "unknown"]
_DEFINITE = ("function", "class", "lambda")


@dataclass(frozen=True, slots=True, kw_only=True)
class Binding:
    name: str
    kind: Kind
    line: int
    text: str  # the statement, shortened, for messages


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceFindings:
    """What the AST of one of the agent's modules (main.py or a module beside it) says."""

    problems: tuple[str, ...]
    notes: tuple[str, ...]
    agent: str | None
    inserts_path: bool


class _Namespace:
    """The exec namespace, emulated: name -> latest binding, in first-insertion order."""

    def __init__(self) -> None:
        self.order: dict[str, Binding] = {}

    def bind(self, b: Binding) -> None:
        self.order[b.name] = b  # dict keeps the first position of a rebound key

    def delete(self, name: str) -> None:
        self.order.pop(name, None)

    def kind_of(self, name: str) -> Kind:
        b = self.order.get(name)
        return b.kind if b else "unknown"


def _value_kind(node: ast.expr, ns: _Namespace) -> Kind:
    if isinstance(node, ast.Lambda):
        return "lambda"
    if isinstance(node, ast.Name):
        return ns.kind_of(node.id)
    if isinstance(
        node,
        (
            ast.Constant,
            ast.List,
            ast.Tuple,
            ast.Dict,
            ast.Set,
            ast.JoinedStr,
            ast.BinOp,
            ast.BoolOp,
            ast.Compare,
            ast.ListComp,
            ast.DictComp,
            ast.SetComp,
            ast.GeneratorExp,
            ast.UnaryOp,
        ),
    ):
        return "value"
    return "unknown"


def _short(src: str, node: ast.stmt) -> str:
    text = (ast.get_source_segment(src, node) or type(node).__name__).splitlines()[0]
    return text if len(text) <= 60 else text[:57] + "..."


def _target_names(target: ast.expr) -> list[str]:
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, (ast.Tuple, ast.List)):
        return [n for elt in target.elts for n in _target_names(elt)]
    if isinstance(target, ast.Starred):
        return _target_names(target.value)
    return []


def _walk_module(body: list[ast.stmt], src: str, ns: _Namespace) -> None:
    """Bind what each statement of ``body`` binds at module level, in order, nested bodies
    (``if``, ``for``, ``try``, ...) included: they run at import time too."""
    for st in body:
        if isinstance(st, ast.Delete):
            for target in st.targets:
                for n in _target_names(target):
                    ns.delete(n)
            continue
        text = _short(src, st)
        for name, kind in _bound(st, ns):
            ns.bind(Binding(name=name, kind=kind, line=st.lineno, text=text))
        for nested in _nested_bodies(st):
            _walk_module(nested, src, ns)


def _bound(st: ast.stmt, ns: _Namespace) -> list[tuple[str, Kind]]:
    """The names one statement binds itself (not in its nested bodies), and what they are."""
    if isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return [(st.name, "function")]
    if isinstance(st, ast.ClassDef):
        return [(st.name, "class")]
    if isinstance(st, ast.Import):
        return [(alias.asname or alias.name.split(".")[0], "module") for alias in st.names]
    if isinstance(st, ast.ImportFrom):
        return [(f"* from {st.module}", "star") if alias.name == "*" else (alias.asname or alias.name, "imported")
                for alias in st.names]
    if isinstance(st, ast.Assign):
        kind = _value_kind(st.value, ns)
        return [(n, kind if isinstance(target, ast.Name) else "unknown")
                for target in st.targets for n in _target_names(target)]
    if isinstance(st, ast.AnnAssign) and st.value is not None:
        return [(n, _value_kind(st.value, ns)) for n in _target_names(st.target)]
    if isinstance(st, (ast.AugAssign, ast.For, ast.AsyncFor)):
        return [(n, "unknown") for n in _target_names(st.target)]
    if isinstance(st, (ast.With, ast.AsyncWith)):
        return [(n, "unknown") for item in st.items if item.optional_vars is not None
                for n in _target_names(item.optional_vars)]
    return []


def _nested_bodies(st: ast.stmt) -> list[list[ast.stmt]]:
    """The statement lists a compound statement may run at import time."""
    if isinstance(st, (ast.For, ast.AsyncFor, ast.If, ast.While)):
        return [st.body, st.orelse]
    if isinstance(st, (ast.With, ast.AsyncWith)):
        return [st.body]
    if isinstance(st, ast.Try):
        return [st.body, *(handler.body for handler in st.handlers), st.orelse, st.finalbody]
    if isinstance(st, ast.Match):
        return [case.body for case in st.cases]
    return []


def _sys_path_calls(tree: ast.Module) -> tuple[list[tuple[int, str]], bool]:
    """(appending uses with line, whether some sys.path insert exists)."""
    sys_names = {"sys"}
    path_names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "sys" and alias.asname:
                    sys_names.add(alias.asname)
        elif isinstance(node, ast.ImportFrom) and node.module == "sys":
            for alias in node.names:
                if alias.name == "path":
                    path_names.add(alias.asname or "path")

    def is_sys_path(e: ast.expr) -> bool:
        if isinstance(e, ast.Attribute) and e.attr == "path":
            return isinstance(e.value, ast.Name) and e.value.id in sys_names
        return isinstance(e, ast.Name) and e.id in path_names

    appends: list[tuple[int, str]] = []
    inserts = False
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            f = node.func
            if is_sys_path(f.value):
                if f.attr in ("append", "extend"):
                    appends.append((node.lineno, f"sys.path.{f.attr}(...)"))
                elif f.attr == "insert":
                    inserts = True
            elif f.attr == "addsitedir" and isinstance(f.value, ast.Name) and f.value.id == "site":
                appends.append((node.lineno, "site.addsitedir(...) (it appends)"))
        elif isinstance(node, ast.AugAssign) and is_sys_path(node.target):
            appends.append((node.lineno, "sys.path += ..."))
        elif isinstance(node, ast.Assign):
            for t in node.targets:
                if isinstance(t, ast.Subscript) and is_sys_path(t.value):
                    inserts = True
    return appends, inserts


def _guards_file(node: ast.stmt) -> bool:
    """An ``if`` testing for "__file__" (e.g. ``"__file__" in globals()``) or a ``try`` catching NameError."""
    if isinstance(node, ast.If):
        return any(isinstance(n, ast.Constant) and n.value == "__file__" for n in ast.walk(node.test))
    if isinstance(node, ast.Try):
        for handler in node.handlers:
            names = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
            if any(isinstance(n, ast.Name) and n.id in ("NameError", "Exception", "BaseException") for n in names):
                return True
    return False


def _unguarded_nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node except the guarded branch of a statement for which ``_guards_file`` holds."""
    out: list[ast.AST] = []
    todo: list[ast.AST] = [tree]
    while todo:
        node = todo.pop()
        out.append(node)
        if isinstance(node, (ast.If, ast.Try)) and _guards_file(node):
            guarded = node.body
            rest = [n for n in ast.iter_child_nodes(node) if not any(n is g for g in guarded)]
            todo.extend(rest)
        else:
            todo.extend(ast.iter_child_nodes(node))
    return out


def too_many_tokens(source: bytes, limit: int) -> bool:
    """Whether ``source`` has more than ``limit`` tokens, counted without building a tree
    and no further than that (an f-string, one token before Python 3.12, counts as many as
    it has characters: its expressions become nodes too).  A tokenizer error ends the
    count: the parser reports it."""
    if len(source) * 2 <= limit:  # at most two tokens a byte (a DEDENT and the rest)
        return False
    count = 0
    try:
        for tok in tokenize.tokenize(io.BytesIO(source).readline):
            prefix = tok.string[:3].lower().split('"')[0].split("'")[0] if tok.type == tokenize.STRING else ""
            count += len(tok.string) if "f" in prefix else 1
            if count > limit:
                return True
    except (tokenize.TokenError, SyntaxError):
        pass
    return False


def _refused(path: str, problem: str | None, note: str | None = None) -> SourceFindings:
    return SourceFindings(problems=(problem,) if problem else (), notes=(note,) if note else (), agent=None,
                          inserts_path=False)


def analyze_source(source: bytes, path: str, python: tuple[int, int], *, is_main: bool) -> SourceFindings:
    """AST checks of one of the agent's modules; ``is_main`` adds the loader emulation."""
    problems: list[str] = []
    notes: list[str] = []
    if too_many_tokens(source, MAX_TOKENS):
        why = f"{path}: more than {MAX_TOKENS:,} tokens: too large to analyse (a syntax tree costs up to 1 KB a token)"
        if is_main:
            return _refused(path, f"{why}; keep main.py small and load data from a file")
        return _refused(path, None, f"{why}; its use of sys.path is not checked")
    try:
        src = source.decode("utf-8")
        tree = ast.parse(src, filename=path, feature_version=python)
    except (UnicodeDecodeError, SyntaxError, ValueError) as exc:
        return _refused(path, f"{path}: does not parse for Python {python[0]}.{python[1]}: {exc}")
    except (RecursionError, MemoryError):  # the parser's own limits: compile() on the target fails alike
        return _refused(path, f"{path}: nested too deeply for Python's compiler (RecursionError while parsing)")
    try:  # Python 3.10 parses "1+1+...+1" 20,000 deep but fails to compile it, as the loader's exec would
        compile(tree, path, "exec", dont_inherit=True)
    except (RecursionError, MemoryError):
        return _refused(path, f"{path}: nested too deeply for Python's compiler (RecursionError while compiling)")
    except (SyntaxError, ValueError) as exc:
        return _refused(path, f"{path}: does not compile for Python {python[0]}.{python[1]}: {exc}")
    appends, inserts = _sys_path_calls(tree)
    for line, what in appends:
        problems.append(
            f"{path}:{line}: {what}: the loader pops the last sys.path entry after exec; use sys.path.insert(0, ...)"
        )
    agent: str | None = None
    if is_main:
        for node in _unguarded_nodes(tree):
            if isinstance(node, ast.Name) and node.id == "__file__":
                problems.append(
                    f"{path}:{node.lineno}: reads __file__, which the Kaggle loader does not set "
                    "(exec(code, {})); use '/kaggle_simulations/agent' or sys.path[-1] at top level"
                )
        ns = _Namespace()
        _walk_module(tree.body, src, ns)
        agent = _judge_agent(path, ns, problems, notes)
    return SourceFindings(problems=tuple(problems), notes=tuple(notes), agent=agent, inserts_path=inserts)


def _judge_agent(path: str, ns: _Namespace, problems: list[str], notes: list[str]) -> str | None:
    bindings = list(ns.order.values())
    functions = [i for i, b in enumerate(bindings) if b.kind == "function"]
    definite = [i for i, b in enumerate(bindings) if b.kind in _DEFINITE]
    if not definite:
        problems.append(f"{path}: no function is bound at module level; the Kaggle loader takes the last callable")
        return None
    last = bindings[definite[-1]]
    if last.kind != "function" and functions:
        agent_fn = bindings[functions[-1]]
        problems.append(
            f"{path}:{last.line}: '{last.text}' binds the {last.kind} {last.name!r} after the agent "
            f"function {agent_fn.name!r} (line {agent_fn.line}); the loader takes the LAST callable, "
            "so it would become the agent"
        )
    elif last.kind == "class":
        problems.append(f"{path}:{last.line}: the last callable is the class {last.name!r}, not a function")
    anchor = definite[-1] if last.kind == "function" or not functions else functions[-1]
    agent = bindings[anchor]
    for b in bindings[anchor + 1 :]:
        if b.kind in ("imported", "star"):
            problems.append(
                f"{path}:{b.line}: '{b.text}' binds {b.name!r} after the agent {agent.name!r} "
                f"(line {agent.line}); if callable it becomes the agent (the loader takes the last "
                "callable): move the import above the agent"
            )
        elif b.kind == "unknown":
            notes.append(
                f"{path}:{b.line}: cannot tell statically whether {b.name!r} is callable; if it is, "
                "it becomes the agent"
            )
    return agent.name
