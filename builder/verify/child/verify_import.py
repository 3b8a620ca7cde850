"""Level 3 in the target interpreter: preload, load main.py like Kaggle, import lib/."""

from __future__ import annotations

import os
import sys
import time
import traceback

from kaggle_loader import load_like_kaggle
from verify_common import import_vendored, load_natives, preload, tail
from verify_model import probe_model
from verify_protocol import ImportRequest, ImportResult


def do_import(req: ImportRequest) -> ImportResult:
    agent_dir = req["agent_dir"]
    res: ImportResult = {"native": load_natives(req.get("stubs", []))}
    res["preload"] = preload(req["preload"], agent_dir)
    start = time.perf_counter()
    try:
        agent = load_like_kaggle(req["main"])
        res["agent"] = {
            "name": getattr(agent, "__qualname__", repr(agent)),
            "module": getattr(agent, "__module__", None),
            "argcount": getattr(getattr(agent, "__code__", None), "co_argcount", None),
            "is_function": hasattr(agent, "__code__"),
        }
    except BaseException:
        res["load_error"] = tail(traceback.format_exc())
    res["load_s"] = time.perf_counter() - start
    res["sys_path_head"] = sys.path[:3]
    if req.get("llama_cpp"):
        try:
            import llama_cpp

            res["llama_cpp"] = {
                "file": llama_cpp.__file__,
                "version": getattr(llama_cpp, "__version__", None),
                "gpu_offload": bool(llama_cpp.llama_supports_gpu_offload()),
            }
        except BaseException:
            res["llama_cpp_error"] = tail(traceback.format_exc())
    lib = os.path.join(agent_dir, "lib")
    if "load_error" not in res and os.path.isdir(lib):
        res["vendored"] = import_vendored(lib)
    if "llama_cpp" in res:
        res["model"] = probe_model(agent_dir)
    return res
