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


class ModelProbe(TypedDict, total=False):
    """Level 3's direct load of the archive's model with its own llama_cpp (verify_model)."""

    model: str | None
    error: str  # "" when it loaded and evaluated
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


class AgentTurn(TypedDict, total=False):
    """One line an agent wrote through the ``GGUF_AGENT_REPORT`` channel (the template does)."""

    agent: str
    turn: str
    round: int
    latency_s: float
    decided_by: str  # "rules" | "model" | "protocol" | "fallback"
    fallback: str  # "" | "time" | "error" | "output"
    error: str
    load_error: str | None
    load_s: float | None


class TurnReport(TypedDict):
    """What the agents said of their turns, read back bounded."""

    turns: list[AgentTurn]
    lines: int
    bad_lines: int


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
    model: ModelProbe
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
    index: int  # the agent's place in the line-up
    status: str
    reward: float | None
    role: str
    durations: list[float]
    overage_left: float
    stderr: str


class EpisodeReport(TypedDict, total=False):
    lineup: list[str]  # "main.py" or a built-in agent of the engine
    agents: list[AgentReport]  # ours only
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
    agent_turns: TurnReport
    crash: str
