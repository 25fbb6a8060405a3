"""The base model's own tokenizer without transformers: `tokenizer.json` and its chat template.

Importing transformers imports torch: 6-9 s and 0.7-1 GB on a 2-core runner before the first
token, more than the llama.cpp engine needs to score a comment. The prompt is built by the same
code either way (`bot.scoring.prompted`), which asks its tokenizer for only this much: the chat
template rendered as text, ids for a text, text for ids, the BOS and EOS tokens and the longest
input. `ChatTokenizer` answers those from the files with `tokenizers` and `jinja2` (what
transformers itself uses underneath), and `same_as` checks it against transformers' tokenizer on
sample prompts once per base model, when the base is converted, so a tokenizer this class would
read differently is never used (`bot.scoring.llamacpp.load` then keeps transformers').
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

_SPECIAL = ("bos_token", "eos_token", "unk_token", "pad_token")


class ChatTokenizer:
    """The subset of a transformers fast tokenizer that prompting and decoding use."""

    def __init__(self, backend: Any, config: dict[str, Any], chat_template: str) -> None:
        from jinja2.sandbox import ImmutableSandboxedEnvironment

        self.backend = backend
        self.special = {name: _content(config.get(name)) for name in _SPECIAL}
        self.bos_token = self.special["bos_token"]
        eos = self.special["eos_token"]
        self.eos_token_id = backend.token_to_id(eos) if eos else None
        self.model_max_length = config.get("model_max_length")
        environment = ImmutableSandboxedEnvironment(
            trim_blocks=True, lstrip_blocks=True, extensions=["jinja2.ext.loopcontrols"]
        )
        environment.globals["raise_exception"] = _raise
        environment.filters["tojson"] = lambda value, indent=None: json.dumps(
            value, ensure_ascii=False, indent=indent
        )
        self.template = environment.from_string(chat_template)

    @classmethod
    def from_folder(cls, folder: Path) -> ChatTokenizer | None:
        """The folder's tokenizer, or None when it has settings this class does not read."""
        from tokenizers import Tokenizer

        try:
            config = json.loads((folder / "tokenizer_config.json").read_text(encoding="utf-8"))
            template_file = folder / "chat_template.jinja"
            template = (
                template_file.read_text(encoding="utf-8")
                if template_file.is_file()
                else config.get("chat_template")
            )
            backend = Tokenizer.from_file(str(folder / "tokenizer.json"))
        except Exception:  # OSError, ValueError, or the plain Exception tokenizers raises
            return None
        if not isinstance(template, str) or config.get("clean_up_tokenization_spaces"):
            return None
        return cls(backend, config, template)

    def apply_chat_template(
        self,
        messages: list[dict[str, str]],
        tokenize: bool = False,
        add_generation_prompt: bool = True,
    ) -> str:
        if tokenize:
            raise ValueError("ChatTokenizer renders text only: call it on the text for ids")
        return self.template.render(
            messages=messages, add_generation_prompt=add_generation_prompt, **self.special
        )

    def __call__(
        self, text: str, add_special_tokens: bool = True, verbose: bool = False
    ) -> dict[str, list[int]]:
        return {"input_ids": self.backend.encode(text, add_special_tokens=add_special_tokens).ids}

    def decode(self, ids: Sequence[int], skip_special_tokens: bool = True) -> str:
        return self.backend.decode(list(ids), skip_special_tokens=skip_special_tokens)

    def batch_decode(
        self, rows: Sequence[Sequence[int]], skip_special_tokens: bool = True
    ) -> list[str]:
        return [self.decode(row, skip_special_tokens) for row in rows]


def same_as(ours: ChatTokenizer, theirs: Any, samples: Sequence[list[dict[str, str]]]) -> bool:
    """Whether `ours` renders, encodes and decodes every sample chat exactly as `theirs` (a
    transformers tokenizer) does."""
    for messages in samples:
        texts = [
            t.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
            for t in (ours, theirs)
        ]
        if texts[0] != texts[1]:
            return False
        for special in (True, False):
            ids = ours(texts[0], add_special_tokens=special)["input_ids"]
            if ids != list(theirs(texts[0], add_special_tokens=special)["input_ids"]):
                return False
            if ours.decode(ids) != theirs.decode(ids, skip_special_tokens=True):
                return False
    return ours.eos_token_id == theirs.eos_token_id and ours.bos_token == theirs.bos_token


def _content(value: Any) -> str | None:
    """A special token as tokenizer_config.json writes it: a string or {"content": ...}."""
    return value.get("content") if isinstance(value, dict) else value


def _raise(message: str) -> None:
    from jinja2.exceptions import TemplateError

    raise TemplateError(message)
