# LLM 20 Questions agent entry point.
# kaggle-environments runs this file with exec(code, {}): there is no __file__ and no
# __name__, and the agent is the LAST callable bound at module level, so this file binds
# modules and non-callable objects, then the function `agent` - nothing after it.
from __future__ import annotations

import os as _os
import sys as _sys

if "__file__" in globals():
    _AGENT_DIR = _os.path.dirname(_os.path.abspath(__file__))
elif _os.path.isdir("/kaggle_simulations/agent"):
    _AGENT_DIR = "/kaggle_simulations/agent"
else:
    _AGENT_DIR = _os.path.abspath(_sys.path[-1])  # the loader appends this file's folder

# Insert (never remove or append: the loader pops the LAST sys.path entry after exec).
for _p in (_AGENT_DIR, _os.path.join(_AGENT_DIR, "lib")):  # lib ends up first
    if _p not in _sys.path[:-1]:
        _sys.path.insert(0, _p)

import agent20q as _agent20q  # noqa: E402

_AGENT = _agent20q.Agent(_AGENT_DIR)


def agent(obs: object, cfg: object = None) -> str:
    move: str = _AGENT.act(obs, cfg)
    return move
