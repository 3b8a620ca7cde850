"""Level 3 in the target interpreter: preload, load main.py like Kaggle, import lib/."""

from __future__ import annotations

import os
import sys
import time
import traceback

from kaggle_loader import load_like_kaggle
from verify_common import import_vendored, load_natives, preload, tail
from verify_model import probe_model
from verify_protocol import AgentInfo, ImportRequest, ImportResult


def _text(value: object) -> str | None:
    """An attribute of the archive's code, as the protocol's ``str | None``."""
    return None if value is None else value if isinstance(value, str) else repr(value)


def _agent_info(agent: object) -> AgentInfo:
    argcount = getattr(getattr(agent, "__code__", None), "co_argcount", None)
    return {
        "name": _text(getattr(agent, "__qualname__", None)) or repr(agent),
        "module": _text(getattr(agent, "__module__", None)),
        "argcount": argcount if isinstance(argcount, int) else None,
        "is_function": hasattr(agent, "__code__"),
    }


def do_import(req: ImportRequest) -> ImportResult:
    agent_dir = req["agent_dir"]
    native = load_natives(req["stubs"])
    preloaded = preload(req["preload"], agent_dir)
    start = time.perf_counter()
    agent: AgentInfo | None = None
    load_error = ""
    try:
        agent = _agent_info(load_like_kaggle(req["main"]))
    except BaseException:
        load_error = tail(traceback.format_exc())
    res: ImportResult = {"native": native, "preload": preloaded, "load_s": time.perf_counter() - start,
                         "sys_path_head": sys.path[:3]}
    if agent is not None:
        res["agent"] = agent
    else:
        res["load_error"] = load_error
    if req["llama_cpp"]:
        try:
            import llama_cpp

            res["llama_cpp"] = {
                "file": _text(getattr(llama_cpp, "__file__", None)) or "",
                "version": _text(getattr(llama_cpp, "__version__", None)),
                "gpu_offload": bool(llama_cpp.llama_supports_gpu_offload()),
            }
        except BaseException:
            res["llama_cpp_error"] = tail(traceback.format_exc())
    lib = os.path.join(agent_dir, "lib")
    if agent is not None and os.path.isdir(lib):
        res["vendored"] = import_vendored(lib)
    if "llama_cpp" in res:
        res["model"] = probe_model(agent_dir)
    return res
