"""Import shim for ``transformers``, used only by ``python -m builder verify``.

kaggle-environments 1.14.15 imports ``torch`` and ``transformers`` at the top of
``envs/llm_20_questions/llm_20_questions.py`` only for its built-in flan-t5 agents, which
verify never uses.  Without the names ``make("llm_20_questions")`` fails ("Unknown
Environment Specification").  This folder is appended to ``sys.path`` AFTER
site-packages, so a real transformers wins whenever it is installed.  Any use raises.
"""

__version__ = "0+verify.shim"
VERIFY_SHIM = True


class _Unavailable:
    @classmethod
    def from_pretrained(cls, *args: object, **kwargs: object) -> object:
        raise ImportError("transformers: this is verify's import shim")


T5Tokenizer = T5ForConditionalGeneration = _Unavailable
