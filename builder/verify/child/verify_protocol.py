"""The host <-> child protocol of verify levels 3 and 4, typed once.

The builder (the host) writes a request as JSON, runs ``python -I -B .../child MODE
REQUEST RESULT`` with the target interpreter, and reads the result JSON.  These
``TypedDict``s are the shape of both files; the child imports them as a plain module
(stdlib only, Python 3.10), the host as ``builder.verify.child.verify_protocol``.
"""

from __future__ import annotations

from typing import TypedDict


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


class ImportRequest(TypedDict):
    agent_dir: str
    main: str
    preload: list[str]
    llama_cpp: bool
    stubs: list[NativeStub]


class AgentInfo(TypedDict):
    name: str
    module: str | None
    argcount: int | None
    is_function: bool


class LlamaInfo(TypedDict):
    file: str
    version: str | None
    gpu_offload: bool


class ImportResult(TypedDict, total=False):
    native: NativeReport
    preload: PreloadReport
    agent: AgentInfo
    load_error: str
    load_s: float
    sys_path_head: list[str]
    llama_cpp: LlamaInfo
    llama_cpp_error: str
    vendored: PreloadReport
    crash: str


class PlayRequest(TypedDict):
    agent_dir: str
    main: str
    preload: list[str]
    shims: str
    episodes: int
    seed: int
    stubs: list[NativeStub]


class AgentReport(TypedDict):
    status: str
    reward: float | None
    role: str
    durations: list[float]
    overage_left: float
    stderr: str


class EpisodeReport(TypedDict, total=False):
    agents: list[AgentReport]
    violations: list[str]
    steps: int
    keyword: str
    category: str
    seconds: float


class Latency(TypedDict):
    first_step_max_s: float | None
    turn_median_s: float | None
    turn_max_s: float | None
    turns: int


class PlayResult(TypedDict, total=False):
    native: NativeReport
    preload: PreloadReport
    kaggle_environments: str
    episodes: list[EpisodeReport]
    gpu_offload: bool
    gpu_offload_error: str
    latency: Latency
    crash: str
