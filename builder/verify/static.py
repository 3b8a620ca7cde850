"""Verify level 2: the archive against the target profile, without running its code.

- ``main.py`` parses (for the profile's Python) and the Kaggle loader is emulated on the
  AST: ``exec(code, {})`` then the LAST callable value of the namespace (insertion
  order, so a rebound name keeps its first place) is the agent.
- ``main.py`` never reads ``__file__`` (it has none under the loader); no module of the agent
  appends to ``sys.path`` (the loader pops the last entry); ``lib/`` is put on it with
  ``insert``.
- Every package in ``lib/`` has wheel metadata whose tags fit the profile, its files
  match the wheel's RECORD, and none is a package the profile provides (shadowed).
- Every ELF file resolves its NEEDED libraries inside the archive ($ORIGIN RUNPATH, and
  only $ORIGIN-relative entries) or from the profile's system libraries, needs no newer
  glibc/libstdc++, imports only symbols (with their versions) that the provided library
  it binds to exports (the profile's export lists), and a CUDA library carries a kernel
  for the profile's GPU (:func:`builder.wheels.native_checks.check_elfs`).
"""

from __future__ import annotations

import ast
import base64
import csv
import io
import json
import posixpath
from collections.abc import Mapping
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from typing import Literal

from packaging.tags import Tag, parse_tag
from packaging.utils import canonicalize_name

from ..profile import Profile
from ..wheels.native_checks import check_elfs, needs_gpu_driver
from .scan import ArchiveScan

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


@dataclass(frozen=True, slots=True, kw_only=True)
class StaticFindings:
    problems: tuple[str, ...]
    notes: tuple[str, ...]
    details: Mapping[str, object]
    gpu_libraries: tuple[str, ...]


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
    for st in body:
        line = st.lineno
        text = _short(src, st)

        def bind(name: str, kind: Kind, *, _line: int = line, _text: str = text) -> None:
            ns.bind(Binding(name=name, kind=kind, line=_line, text=_text))

        if isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef)):
            bind(st.name, "function")
        elif isinstance(st, ast.ClassDef):
            bind(st.name, "class")
        elif isinstance(st, ast.Import):
            for alias in st.names:
                bind(alias.asname or alias.name.split(".")[0], "module")
        elif isinstance(st, ast.ImportFrom):
            for alias in st.names:
                if alias.name == "*":
                    bind(f"* from {st.module}", "star")
                else:
                    bind(alias.asname or alias.name, "imported")
        elif isinstance(st, ast.Assign):
            kind = _value_kind(st.value, ns)
            for target in st.targets:
                names = _target_names(target)
                for n in names:
                    bind(n, kind if isinstance(target, ast.Name) else "unknown")
        elif isinstance(st, ast.AnnAssign) and st.value is not None:
            for n in _target_names(st.target):
                bind(n, _value_kind(st.value, ns))
        elif isinstance(st, ast.AugAssign):
            for n in _target_names(st.target):
                bind(n, "unknown")
        elif isinstance(st, ast.Delete):
            for target in st.targets:
                for n in _target_names(target):
                    ns.delete(n)
        elif isinstance(st, (ast.For, ast.AsyncFor)):
            for n in _target_names(st.target):
                bind(n, "unknown")
            _walk_module(st.body, src, ns)
            _walk_module(st.orelse, src, ns)
        elif isinstance(st, (ast.With, ast.AsyncWith)):
            for item in st.items:
                if item.optional_vars is not None:
                    for n in _target_names(item.optional_vars):
                        bind(n, "unknown")
            _walk_module(st.body, src, ns)
        elif isinstance(st, (ast.If, ast.While)):
            _walk_module(st.body, src, ns)
            _walk_module(st.orelse, src, ns)
        elif isinstance(st, ast.Try):
            _walk_module(st.body, src, ns)
            for handler in st.handlers:
                _walk_module(handler.body, src, ns)
            _walk_module(st.orelse, src, ns)
            _walk_module(st.finalbody, src, ns)
        elif isinstance(st, ast.Match):
            for case in st.cases:
                _walk_module(case.body, src, ns)


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


def analyze_source(source: bytes, path: str, python: tuple[int, int], *, is_main: bool) -> SourceFindings:
    """AST checks of one of the agent's modules; ``is_main`` adds the loader emulation."""
    problems: list[str] = []
    notes: list[str] = []
    try:
        src = source.decode("utf-8")
        tree = ast.parse(src, filename=path, feature_version=python)
    except (UnicodeDecodeError, SyntaxError, ValueError) as exc:
        return SourceFindings(
            problems=(f"{path}: does not parse for Python {python[0]}.{python[1]}: {exc}",),
            notes=(),
            agent=None,
            inserts_path=False,
        )
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


def _lib_top(path: str) -> str | None:
    parts = path.split("/")
    return parts[1] if len(parts) >= 2 and parts[0] == "lib" else None


def _b64_sha256(hexdigest: str) -> str:
    return base64.urlsafe_b64encode(bytes.fromhex(hexdigest)).rstrip(b"=").decode()


def _target_desc(profile: Profile) -> str:
    return f"cp{''.join(map(str, profile.python_tuple))}, glibc {profile.glibc}, {profile.machine}"


def _wheel_tag_problems(base: str, wheel_raw: bytes, profile: Profile) -> list[str]:
    """The ``WHEEL`` file's tags against the target."""
    problems: list[str] = []
    tag_lines = BytesHeaderParser().parsebytes(wheel_raw).get_all("Tag") or []
    tags: set[Tag] = set()
    for line in tag_lines:
        try:
            tags |= set(parse_tag(line.strip()))
        except ValueError:
            problems.append(f"{base}/WHEEL: bad Tag line {line!r:.100}")
    if not tag_lines:
        problems.append(f"{base}/WHEEL: no Tag lines")
    elif tags and not tags & set(profile.supported_tags()):
        problems.append(
            f"{base}: wheel tags {', '.join(sorted(map(str, tags)))} do not fit the target ({_target_desc(profile)})"
        )
    return problems


def _record_problems(di: str, record_raw: bytes, scan: ArchiveScan, owned: set[str]) -> list[str]:
    """Files of ``lib/`` that differ from their wheel's RECORD; adds the tops it owns to ``owned``."""
    problems: list[str] = []
    for row in csv.reader(io.StringIO(record_raw.decode("utf-8", "replace"))):
        if not row or not row[0]:
            continue
        rel = posixpath.normpath(row[0])
        if rel.startswith("../"):
            continue
        owned.add(rel.split("/")[0])
        got = scan.files.get(f"lib/{rel}")
        if got is not None and len(row) > 1 and row[1].startswith("sha256="):
            if row[1][len("sha256=") :] != _b64_sha256(got.sha256):
                problems.append(f"lib/{rel}: differs from its wheel's RECORD ({di})")
    return problems


def _check_dist(
    di: str, scan: ArchiveScan, profile: Profile, owned: set[str], shadowed: set[str]
) -> tuple[str, list[str]]:
    """One ``lib/*.dist-info``: its 'name==version' and its problems."""
    base = f"lib/{di}"
    raw = {n: scan.texts.get(f"{base}/{n}") for n in ("METADATA", "WHEEL", "RECORD", "top_level.txt")}
    problems: list[str] = []
    missing = [n for n in ("METADATA", "WHEEL", "RECORD") if raw[n] is None]
    if missing:
        problems.append(f"{base}: missing {', '.join(missing)} (not installed from a wheel?)")
    stem = di[: -len(".dist-info")]
    name, version = stem.rsplit("-", 1)[0], stem.rsplit("-", 1)[-1]
    meta_raw = raw["METADATA"]
    if meta_raw is not None:
        meta = BytesHeaderParser().parsebytes(meta_raw)
        name, version = meta.get("Name", name), meta.get("Version", version)
    provided = profile.provided_by_name(name)
    if provided is not None:
        shadowed.add(provided.name)
        problems.append(_shadow_message(base, name, version, provided.pin, profile))
    wheel_raw, record_raw, top_level = raw["WHEEL"], raw["RECORD"], raw["top_level.txt"]
    if wheel_raw is not None:
        problems += _wheel_tag_problems(base, wheel_raw, profile)
    if record_raw is not None:
        problems += _record_problems(di, record_raw, scan, owned)
    if top_level:
        owned |= {t.strip() for t in top_level.decode("utf-8", "replace").splitlines() if t.strip()}
    return f"{canonicalize_name(name)}=={version}", problems


def _check_lib(scan: ArchiveScan, profile: Profile, problems: list[str], notes: list[str]) -> list[str]:
    """Vendored distributions; returns their 'name==version' list."""
    tops = {top for p in [*scan.files, *scan.dirs, *scan.symlinks] if (top := _lib_top(p))}
    owned: set[str] = set()
    shadowed: set[str] = set()
    dists: list[str] = []
    for di in sorted(t for t in tops if t.endswith(".dist-info")):
        dist, found = _check_dist(di, scan, profile, owned, shadowed)
        dists.append(dist)
        problems += found
    for top in sorted(tops):
        if top.endswith(".dist-info") or top == "__pycache__":
            continue
        module = top[:-3] if top.endswith(".py") else top
        provided = profile.provided_by_name(module)
        if provided is not None and provided.name not in shadowed:
            shadowed.add(provided.name)
            problems.append(_shadow_message(f"lib/{top}", module, "?", provided.pin, profile))
        if top not in owned and module not in owned:
            problems.append(f"lib/{top}: no wheel metadata (no lib/*.dist-info/RECORD lists it)")
    if dists:
        notes.append("vendored: " + ", ".join(dists))
    return dists


def _shadow_message(where: str, name: str, version: str, pin: str, profile: Profile) -> str:
    return (
        f"{where}: {canonicalize_name(name)} {version} is shadowed: profile '{profile.name}' provides "
        f"{pin}, imported before main.py runs; drop it from the lock (the target uses {pin})"
    )


def _check_settings(scan: ArchiveScan, problems: list[str]) -> str | None:
    raw = scan.texts.get("agent_settings.json")
    if raw is None:
        problems.append("agent_settings.json: missing at the archive root")
        return None
    try:
        doc = json.loads(raw)
        model = doc["model_file"]
        if not isinstance(model, str):
            raise TypeError("model_file is not a string")
    except (ValueError, KeyError, TypeError) as exc:
        problems.append(f"agent_settings.json: no usable 'model_file' ({exc!r:.80})")
        return None
    rec = scan.files.get(model)
    if "/" in model or rec is None:
        problems.append(f"agent_settings.json: model_file {model!r} is not a file at the archive root")
    elif not rec.head.startswith(b"GGUF"):
        problems.append(f"{model}: not a GGUF file (magic {rec.head[:4]!r})")
    if scan.manifest is not None and scan.manifest.get("model_file") != model:
        problems.append(
            f"agent_settings.json: model_file {model!r} differs from MANIFEST.json "
            f"({scan.manifest.get('model_file')!r})"
        )
    return model


def check_static(scan: ArchiveScan, profile: Profile) -> StaticFindings:
    problems: list[str] = []
    notes: list[str] = []
    py = profile.python_tuple
    agent: str | None = None
    inserts = False
    for path in sorted(p for p in scan.texts if p.endswith(".py") and not p.startswith("lib/")):
        found = analyze_source(scan.texts[path], path, py, is_main=path == "main.py")
        problems += found.problems
        notes += found.notes
        inserts = inserts or found.inserts_path
        if path == "main.py":
            agent = found.agent
    if "main.py" in scan.files and "main.py" not in scan.texts:
        problems.append("main.py: larger than 16 MiB; not analysed")
    has_lib = any(p.startswith("lib/") for p in scan.files)
    if has_lib and not inserts:
        problems.append("lib/ is never put on sys.path: no sys.path.insert(0, ...) in main.py or a module of the agent")
    model = _check_settings(scan, problems)
    dists = _check_lib(scan, profile, problems, notes)
    available: dict[str, set[str]] = {}
    for p in [*scan.files, *scan.symlinks]:
        available.setdefault(posixpath.dirname(p), set()).add(posixpath.basename(p))
    elf = check_elfs(scan.elfs, profile, available)
    problems += elf.problems
    notes += elf.notes
    problems += scan.elf_problems
    gpu = needs_gpu_driver(scan.elfs, profile)
    if gpu:
        notes.append(f"GPU build: needs {', '.join(gpu)} (from profile '{profile.name}')")
    details: dict[str, object] = {
        "agent": agent,
        "model_file": model,
        "vendored": dists,
        "elf_files": len(scan.elfs),
        "gpu_libraries": list(gpu),
        "symbols_checked": dict(elf.bound),
        "cuda_kernels": dict(elf.kernels),
    }
    return StaticFindings(problems=tuple(problems), notes=tuple(notes), details=details, gpu_libraries=gpu)
