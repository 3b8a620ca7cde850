"""Verify levels 3 and 4, inside the target interpreter (stdlib only, Python 3.10).

Run as ``python -I -B .../verify/child {import|play} REQUEST.json RESULT.json`` (a folder:
Python puts it first on ``sys.path`` even with ``-I``).  The builder reads RESULT.json;
this process never decides pass/fail, it reports what happened (shapes:
``verify_protocol``; a request that does not fit its type is refused as a crash).  Its
own folder is taken off ``sys.path`` before any code of the archive runs, and its modules
have names no agent uses.

- ``import`` (:mod:`verify_import`): import the modules the target preloads, load
  ``main.py`` exactly like kaggle-environments' ``agent.py`` (:mod:`kaggle_loader`), then
  ``import llama_cpp`` when ``lib/`` vendors it, then every top-level module of every
  distribution in ``lib/``.
- ``play`` (:mod:`verify_play`): ``env.run(lineup)`` of ``llm_20_questions`` per episode
  (the host's line-ups: ``main.py`` or a built-in agent in each seat), every seat's moves,
  and which of our moves wrote which ``GGUF_AGENT_REPORT`` line.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from typing import Any

_HERE = sys.path[0]  # this folder (Python put it first)
from verify_common import tail  # noqa: E402
from verify_import import do_import  # noqa: E402
from verify_play import do_play  # noqa: E402
from verify_protocol import Crash, ImportRequest, PlayRequest, shape_problems  # noqa: E402

sys.path.remove(_HERE)  # nothing more of the verifier is importable by the agent

#: mode -> the request's type and what answers it
MODES: dict[str, tuple[Any, Any]] = {"import": (ImportRequest, do_import), "play": (PlayRequest, do_play)}


def main(argv: list[str]) -> int:
    mode, req_path, res_path = argv[1:4]
    with open(req_path, encoding="utf-8") as fh:
        req = json.load(fh)
    res: Any
    try:
        kind, answer = MODES[mode]
        problems = shape_problems(req, kind)
        if problems:
            raise ValueError(f"the {mode} request does not fit {kind.__name__}: {'; '.join(problems)}")
        res = answer(req)
    except BaseException:
        crash: Crash = {"crash": tail(traceback.format_exc())}
        res = crash
    tmp = res_path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(res, fh)
    os.replace(tmp, res_path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
