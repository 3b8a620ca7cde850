"""The host <-> child protocol of verify levels 3 and 4, typed once and checked both ways.

The builder (the host) writes a request (:class:`ImportRequest`, :class:`PlayRequest`) as
JSON, runs ``python -I -B .../child MODE REQUEST RESULT`` with the target interpreter, and
reads the result (:class:`ImportResult`, :class:`PlayResult`, or :class:`Crash`).  These
``TypedDict``s are the shape of both files, and each side checks what it reads against
them (:func:`shape_problems`): a result that does not fit is the level's failure, said in
words, never a ``KeyError``; keys a type marks as always there are read as such.  The
child imports this as a plain module (stdlib only, Python 3.10), the host as
``builder.verify.child.verify_protocol``.
"""

from __future__ import annotations

import functools
import types
from collections.abc import Callable
from typing import Any, TypedDict, Union, get_args, get_origin, get_type_hints, is_typeddict


class PreloadReport(TypedDict):
    """What importing the target's preloaded packages did: module -> file, and errors."""

    modules: dict[str, str]
    errors: list[str]


class NativeStub(TypedDict):
    """A GPU library the archive needs, with the stub the host built for it when this
    machine lacks it ("" when the host found the real one)."""

    soname: str
    path: str


class NativeReport(TypedDict):
    """What the child loaded for the provided GPU libraries before main.py."""

    stubs: list[str]  # SONAMEs loaded from the host's stubs
    real: dict[str, str]  # SONAME -> the file the loader found instead (its stub was not used)
    errors: list[str]


class ChildRequest(TypedDict):
    """What both levels ask of the child: the unpacked archive, what to import first."""

    agent_dir: str  # .../kaggle_simulations/agent
    main: str  # its main.py
    preload: list[str]  # distributions the target imports before main.py
    stubs: list[NativeStub]  # the GPU libraries to load first (real, else the stub)


class ImportRequest(ChildRequest):
    llama_cpp: bool  # lib/ vendors llama_cpp: import it, then load the model with it


class AgentInfo(TypedDict):
    name: str
    module: str | None
    argcount: int | None
    is_function: bool


class LlamaInfo(TypedDict):
    file: str
    version: str | None
    gpu_offload: bool


class _ProbeAlways(TypedDict):
    model: str | None  # the GGUF's name; None: the archive has none
    error: str  # "" when it loaded and evaluated


class ModelProbe(_ProbeAlways, total=False):
    """Level 3's direct load of the archive's model with its own llama_cpp (verify_model)."""

    load_s: float
    prompt_tokens: int
    prompt_tps: float
    generated_tokens: int
    generate_tps: float
    finite_logits: bool
    gpu_offload_supported: bool
    n_gpu_layers: int
    offloaded: str  # "X/Y" layers, from llama.cpp's log
    cuda_init: str  # llama.cpp's ggml_cuda_init line, when it has one
    log_errors: list[str]


#: The environment variable naming the file an agent appends a line per move to (the
#: template's report; see agent20q.agent.REPORT_ENV).
REPORT_VARIABLE = "GGUF_AGENT_REPORT"


class AgentTurn(TypedDict, total=False):
    """One line an agent wrote through the ``GGUF_AGENT_REPORT`` channel (the template does):
    the agent's own words, so every key may be missing; a line whose keys have other types
    is counted as unreadable (the keys that fit are kept)."""

    agent: str
    turn: str
    round: int
    latency_s: float
    decided_by: str  # "rules" | "model" | "protocol" | "fallback"
    fallback: str  # "" | "time" | "error" | "output"
    error: str  # why inference failed, or (fallback "output") why the model's text was unusable
    detail: str  # the agent's own words on the move ("empty", "repeat", "calibration skipped: time")
    budget_s: float  # the seconds the turn had (actTimeout less a margin, plus overage less a reserve)
    load_error: str | None
    load_s: float | None


class TurnReport(TypedDict):
    """The ``GGUF_AGENT_REPORT`` file, read back bounded: its lines (each attached to the move
    of ours that wrote it, :class:`Move`), those that did not parse or fit, and those
    written outside any move of ours."""

    lines: int
    bad_lines: int
    unattributed: int


class ChildResult(TypedDict):
    """What both levels' results open with: what was loaded before main.py."""

    native: NativeReport
    preload: PreloadReport


class _ImportAlways(ChildResult):
    load_s: float  # loading main.py (the agent), whether it raised or not
    sys_path_head: list[str]


class ImportResult(_ImportAlways, total=False):
    agent: AgentInfo  # main.py loaded; else load_error
    load_error: str
    llama_cpp: LlamaInfo  # when asked for: imported; else llama_cpp_error
    llama_cpp_error: str
    vendored: PreloadReport  # every module of lib/ imported (when main.py loaded)
    model: ModelProbe  # the GGUF loaded by the archive's llama_cpp (when it imported)


#: A seat of a line-up played by the archive's agent (the path of its main.py, as Kaggle runs it).
OURS = "main.py"
#: The engine's own agents a line-up may seat beside it.
BUILTINS = ("random_guesser", "random_answerer")


class PlayRequest(ChildRequest):
    shims: str  # the import shims' folder, appended after site-packages
    #: one line-up per episode: four seats (guesser, answerer of team 1, then of team 2),
    #: each :data:`OURS` or one of :data:`BUILTINS`
    lineups: list[list[str]]
    seed: int


class AgentReport(TypedDict):
    index: int  # the agent's place in the line-up
    status: str
    reward: float | None
    role: str
    durations: list[float]
    overage_left: float
    stderr: str


class _MoveAlways(TypedDict):
    step: int  # the engine's step (1-60) that recorded it
    seat: int
    turn: str  # the seat's turnType: "ask" | "answer" | "guess"
    text: str  # the action (a non-string: its repr), cut to MOVE_CHARS
    length: int  # its length before the cut
    status: str  # the seat's status after the step
    correct: bool  # a question or guess that names the keyword (the engine's own keyword_guessed)


class Move(_MoveAlways, total=False):
    """One seat's move in one step, as the engine recorded it."""

    report: AgentTurn  # ours: the (last) line the agent wrote through GGUF_AGENT_REPORT during it
    reports: int  # ours: how many lines it wrote during it (the template: one)


#: The longest move text kept (a question's limit is 750 characters; a longer one is a violation).
MOVE_CHARS = 800


class RoundReport(TypedDict):
    round: int  # 1-20
    moves: list[Move]  # in the engine's order: by step, then by seat


class EpisodeReport(TypedDict):
    lineup: list[str]  # OURS or a built-in agent, by seat
    agents: list[AgentReport]  # ours only
    violations: list[str]
    steps: int
    keyword: str
    category: str
    seconds: float
    rewards: list[float | None]  # by seat
    statuses: list[str]  # by seat, at the end
    rounds: list[RoundReport]


class Latency(TypedDict):
    first_step_max_s: float | None
    turn_median_s: float | None
    turn_max_s: float | None
    turns: int


class _PlayAlways(ChildResult):
    kaggle_environments: str  # its version
    episodes: list[EpisodeReport]
    latency: Latency
    agent_turns: TurnReport


class PlayResult(_PlayAlways, total=False):
    gpu_offload: bool  # when an agent imported llama_cpp; else gpu_offload_error, or neither
    gpu_offload_error: str


class Crash(TypedDict):
    """What the child writes when it failed itself (a bug, or an agent that broke it)."""

    crash: str


# ------------------------------------------------------------------- checked both ways

#: Problems one check reports at most (what does not fit usually does not fit everywhere).
MAX_PROBLEMS = 5


def shape_problems(value: object, kind: Any, where: str = "") -> list[str]:
    """Where ``value`` (parsed JSON) does not fit ``kind``: a ``TypedDict`` of this module,
    or the type of one of its keys (``str``, ``int``, ``float``, ``bool``, ``None``,
    ``list[X]``, ``dict[str, X]``, ``X | Y``).  Empty when it fits; at most
    :data:`MAX_PROBLEMS`, each naming the key's path (``episodes[0].agents[1].status``)."""
    simple = _SIMPLE.get(kind)
    if simple is not None:
        return [] if simple(value) else [f"{where or 'the message'}: {_shown(value)} is not {_type_name(kind)}"]
    if is_typeddict(kind):
        return _object_problems(value, kind, where)
    origin, args = get_origin(kind), get_args(kind)
    if origin in (Union, types.UnionType):
        fits = any(not shape_problems(value, arm, where) for arm in args)
        return [] if fits else [f"{where or 'the message'}: {_shown(value)} is not {_type_name(kind)}"]
    if origin is list or origin is dict:
        return _container_problems(value, origin, args, where)
    raise TypeError(f"{kind!r} is not a type of the protocol")


#: The JSON scalars: what fits each (an int is a float too, a bool is neither).
_SIMPLE: dict[Any, Callable[[object], bool]] = {
    str: lambda v: isinstance(v, str),
    bool: lambda v: isinstance(v, bool),
    int: lambda v: isinstance(v, int) and not isinstance(v, bool),
    float: lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    None: lambda v: v is None,
    type(None): lambda v: v is None,
}


def _object_problems(value: object, kind: Any, where: str) -> list[str]:
    if not isinstance(value, dict):
        return [f"{where or 'the message'}: {_shown(value)} is not an object ({kind.__name__})"]
    hints = _hints(kind)
    problems = [f"{_key(where, key)}: missing" for key in sorted(kind.__required_keys__) if key not in value]
    for key, item in value.items():
        if len(problems) >= MAX_PROBLEMS:
            break
        if key not in hints:
            problems.append(f"{_key(where, key)}: not a key of {kind.__name__}")
        else:
            problems += shape_problems(item, hints[key], _key(where, key))
    return problems[:MAX_PROBLEMS]


def _container_problems(value: object, origin: Any, args: tuple[Any, ...], where: str) -> list[str]:
    if not isinstance(value, origin):
        return [f"{where or 'the message'}: {_shown(value)} is not a {'list' if origin is list else 'object'}"]
    problems: list[str] = []
    if origin is list:
        for i, item in enumerate(value):
            problems += shape_problems(item, args[0], f"{where}[{i}]")
            if len(problems) >= MAX_PROBLEMS:
                break
    else:
        for key, item in value.items():
            problems += shape_problems(key, args[0], f"{where} (a key)")
            problems += shape_problems(item, args[1], _key(where, key))
            if len(problems) >= MAX_PROBLEMS:
                break
    return problems[:MAX_PROBLEMS]


def _key(where: str, key: object) -> str:
    name = str(key)[:60]
    return f"{where}.{name}" if where else name


@functools.cache
def _hints(kind: Any) -> dict[str, Any]:
    return get_type_hints(kind)


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _type_name(kind: Any) -> str:
    if kind is None or kind is type(None):
        return "null"
    if get_origin(kind) in (Union, types.UnionType):
        return " or ".join(_type_name(a) for a in get_args(kind))
    return getattr(kind, "__name__", str(kind))
