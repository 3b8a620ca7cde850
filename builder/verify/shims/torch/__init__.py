"""Import shim for ``torch``, used only by ``python -m builder verify``.

kaggle-environments 1.14.15 imports ``torch`` and ``transformers`` at the top of
``envs/llm_20_questions/llm_20_questions.py`` only for its built-in flan-t5 agents, which
verify never uses.  Without the names ``make("llm_20_questions")`` fails ("Unknown
Environment Specification").  This folder is appended to ``sys.path`` AFTER
site-packages, so a real torch wins whenever it is installed.  Any use raises.
"""

__version__ = "0+verify.shim"
VERIFY_SHIM = True


def __getattr__(name: str) -> object:
    raise ImportError(f"torch.{name}: this is verify's import shim, not torch")
