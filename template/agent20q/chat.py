"""Chat formatting: messages -> prompt text with the model's own chat template.

Prompts are rendered with the GGUF ``tokenizer.chat_template`` through llama-cpp-python's
Jinja2 formatter (imported only when a template is given).  Templates without a system
role (Gemma) get the system prompt folded into the first user message; no template at all
gives a plain fallback format.
"""

from __future__ import annotations

from typing import Any

_PLAIN_ROLE = {"system": "System", "user": "User", "assistant": "Assistant"}


class ChatFormat:
    """Messages -> prompt text with the model's chat template.

    ``mode`` is ``"jinja"`` (template with system role), ``"jinja-fold"`` (system prompt
    folded into the first user message) or ``"plain"`` (no usable template).
    """

    def __init__(self, template: str | None, bos_token: str, eos_token: str) -> None:
        self.bos_token = bos_token
        self.eos_token = eos_token
        self.mode = "plain"
        self._formatter: Any = None
        if template:
            try:
                from llama_cpp.llama_chat_format import Jinja2ChatFormatter

                self._formatter = Jinja2ChatFormatter(template=template, eos_token=eos_token, bos_token=bos_token)
                self.mode = self._probe()
            except Exception:
                self._formatter = None
                self.mode = "plain"

    def _jinja(self, messages: list[dict[str, str]]) -> str:
        return str(self._formatter(messages=messages).prompt)

    def _probe(self) -> str:
        marker = "SYSTEM-MARKER-7431"
        try:
            text = self._jinja([{"role": "system", "content": marker}, {"role": "user", "content": "Hi?"}])
            if marker in text:
                return "jinja"
        except Exception:
            pass
        try:  # the template must at least render a user turn
            self._jinja([{"role": "user", "content": "Hi?"}])
            return "jinja-fold"
        except Exception:
            return "plain"

    @staticmethod
    def fold_system(messages: list[dict[str, str]]) -> list[dict[str, str]]:
        if not messages or messages[0]["role"] != "system":
            return messages
        system, rest = messages[0]["content"], [dict(m) for m in messages[1:]]
        if rest and rest[0]["role"] == "user":
            rest[0]["content"] = system + "\n\n" + rest[0]["content"]
            return rest
        return [{"role": "user", "content": system}, *rest]

    def render(self, messages: list[dict[str, str]]) -> str:
        if self.mode == "jinja":
            return self._jinja(messages)
        if self.mode == "jinja-fold":
            return self._jinja(self.fold_system(messages))
        parts = [f"### {_PLAIN_ROLE.get(m['role'], m['role'])}:\n{m['content']}\n\n" for m in messages]
        return "".join(parts) + "### Assistant:\n"
