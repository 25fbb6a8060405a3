"""Greedy answers from llama.cpp for prompts given as token ids, several sequences at a time.

Decoding one token reads every weight once, so on a CPU it is bound by memory, not arithmetic:
a batch of k sequences costs little more per step than one. Prefilling is the opposite (bound by
the two cores' arithmetic), so no prompt token is computed twice:

- one KV cache shared by every sequence (`kv_unified`): the prefix all prompts start with (the
  system turn) is decoded once on sequence 0 and copied to each row's sequence (one more id on
  the same cells), and its state kept in memory and on disk (`state_dir`) for the next run, keyed
  by the model file, the adapter file, the library's version and the prefix ids;
- each row's own part of the prompt is prefilled alone, then all rows decode together, greedy
  (argmax of the logits, first on ties, as torch's argmax), each row until EOS, the budget, or
  `finished(ids)`: per step one token each, plus the draft tokens `drafts.Drafter` guesses and
  the model confirms (the answer is the same; the steps are fewer).

Called through `bot.scoring.llamacpp.load`; llama_cpp is imported in functions only.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from review_forge.bot.errors import EngineUnavailable
from review_forge.bot.scoring.llamacpp.drafts import MOST, Drafter

BATCH_TOKENS = 512  # tokens per llama_decode call while prefilling
_CELL_STEP = 256  # the KV cache grows in steps of this many cells
_GGML_F32 = 0  # ggml_type
_FLASH_ATTENTION_OFF = 0  # llama_flash_attn_type
_GGML_ERROR = 4  # ggml_log_level: NONE, DEBUG, INFO, WARN, ERROR, CONT
_ERRORS: list[str] = []  # llama.cpp's first error lines, for the message when loading fails
_CALLBACK: list[Any] = []  # keeps the ctypes callback alive while llama.cpp may call it


def quiet_logs() -> None:
    """Route llama.cpp's log to `_ERRORS` (emptied here), errors only: it reports every tensor
    it loads, and llama-cpp-python's own filter maps this ggml's levels one off."""
    _ERRORS.clear()
    if _CALLBACK:
        return
    import llama_cpp

    @llama_cpp.llama_log_callback
    def keep_errors(level: int, text: bytes, user_data: Any) -> None:
        if level == _GGML_ERROR and len(_ERRORS) < 5:
            _ERRORS.append(text.decode("utf-8", "replace").strip())

    _CALLBACK.append(keep_errors)
    llama_cpp.llama_log_set(keep_errors, ctypes.c_void_p(0))


def llama_error() -> str:
    """': ' and llama.cpp's first (most specific) error line since `quiet_logs`, or ''."""
    return f": {_ERRORS[0]}" if _ERRORS else ""


class LlamaEngine:
    """A GGUF model (and LoRA adapter) loaded in llama.cpp; see the module's doc."""

    def __init__(
        self,
        model_file: Path,
        lora_file: Path | None,
        threads: int,
        state_dir: Path | None,
        exact: bool = False,
    ) -> None:
        import llama_cpp

        quiet_logs()
        self.lib = llama_cpp
        self.threads = threads
        # For F32 weights: float32 attention end to end. llama.cpp's default KV cache is F16 and
        # its CPU flash attention rounds through F16; with both, a noisy model's answer parted
        # from torch float32's after 20 tokens, without them it matched all 148.
        self.exact = exact
        self.state_dir = state_dir
        # What the prefix's KV state depends on: the files, the KV cache's type, the library.
        lora = lora_file.name if lora_file else ""
        self.state_key = f"{model_file.name}|{lora}|{exact}|{llama_cpp.__version__}"
        llama_cpp.llama_backend_init()
        self.model = llama_cpp.llama_model_load_from_file(
            str(model_file).encode(), llama_cpp.llama_model_default_params()
        )
        if not self.model:
            raise EngineUnavailable(f"llama.cpp cannot load {model_file}{llama_error()}")
        self.lora = None
        if lora_file is not None:
            self.lora = llama_cpp.llama_adapter_lora_init(self.model, str(lora_file).encode())
            if not self.lora:
                raise EngineUnavailable(
                    f"llama.cpp cannot apply the adapter {lora_file} to {model_file}{llama_error()}"
                )
        vocab = llama_cpp.llama_model_get_vocab(self.model)
        self.vocab_size = llama_cpp.llama_vocab_n_tokens(vocab)
        self.ctx: Any = None
        self.cells = 0
        self.sequences = 0
        self.prefix: list[int] = []  # what sequence 0 of the context holds
        self.saved: tuple[list[int], bytes] | None = None  # a prefix and its KV state
        self.steps = 0  # decoding steps (llama_decode calls after the prompts), for tests

    def generate(
        self,
        prompts: list[list[int]],
        prefix: list[int],
        budget: int,
        eos: int | None,
        finished: Callable[[list[int]], bool],
        drafts: list[list[int]],
    ) -> list[list[int]]:
        """Greedy answer ids for each prompt (with the EOS token when one was written), each
        row's decoding helped by its draft text (`drafts.Drafter`; [] for none)."""
        shared = [
            len(prefix) if prefix and len(p) > len(prefix) and p[: len(prefix)] == prefix else 0
            for p in prompts
        ]
        cells = len(prefix) + sum(len(p) - s + budget for p, s in zip(prompts, shared, strict=True))
        self._ready(cells, len(prompts) + 1, prefix)
        memory = self.lib.llama_get_memory(self.ctx)
        batch = self.lib.llama_batch_init(max(BATCH_TOKENS, len(prompts) * (MOST + 1)), 0, 1)
        try:
            tokens = []
            for seq, (ids, start) in enumerate(zip(prompts, shared, strict=True), start=1):
                if start:
                    self.lib.llama_memory_seq_cp(memory, 0, seq, -1, -1)
                self._feed(batch, seq, ids[start:], start, logits=True)
                tokens.append(self._argmax(-1))
            return self._decode(batch, prompts, tokens, budget, eos, finished, drafts)
        finally:
            self.lib.llama_batch_free(batch)
            for seq in range(1, len(prompts) + 1):
                self.lib.llama_memory_seq_rm(memory, seq, -1, -1)

    def _ready(self, cells: int, sequences: int, prefix: list[int]) -> None:
        """A context with room for `cells` and `sequences`, holding `prefix` on sequence 0."""
        if self.ctx is None or cells > self.cells or sequences > self.sequences:
            if self.ctx is not None:
                self.lib.llama_free(self.ctx)
            self.cells = max(self.cells, -(-cells // _CELL_STEP) * _CELL_STEP)
            self.sequences = max(self.sequences, sequences)
            self.ctx = self._new_context()
            self.prefix = []
        if prefix != self.prefix:
            self.lib.llama_memory_seq_rm(self.lib.llama_get_memory(self.ctx), 0, -1, -1)
            self._load_prefix(prefix)
            self.prefix = prefix

    def _new_context(self) -> Any:
        lib = self.lib
        params = lib.llama_context_default_params()
        params.n_ctx = self.cells
        params.n_batch = params.n_ubatch = BATCH_TOKENS
        params.n_seq_max = self.sequences
        params.n_threads = params.n_threads_batch = self.threads
        params.kv_unified = True
        if self.exact:
            params.type_k = params.type_v = _GGML_F32
            params.flash_attn_type = _FLASH_ATTENTION_OFF
        params.no_perf = True
        ctx = lib.llama_init_from_model(self.model, params)
        if not ctx:
            raise EngineUnavailable(f"llama.cpp cannot make a context of {self.cells} tokens")
        if self.lora is not None:
            adapters = (lib.llama_adapter_lora_p_ctypes * 1)(self.lora)
            scales = (ctypes.c_float * 1)(1.0)
            if lib.llama_set_adapters_lora(ctx, adapters, 1, scales):
                raise EngineUnavailable("llama.cpp refused to apply the adapter to its context")
        return ctx

    def _load_prefix(self, prefix: list[int]) -> None:
        """The prefix on sequence 0: from memory, from the state file, or decoded (and saved)."""
        if not prefix:
            return
        file = self._state_file(prefix)
        state = self.saved[1] if self.saved and self.saved[0] == prefix else None
        if state is None and file is not None and file.is_file():
            state = file.read_bytes()
        if state is not None:
            data = (ctypes.c_uint8 * len(state)).from_buffer_copy(state)
            if self.lib.llama_state_seq_set_data(self.ctx, data, len(state), 0) == len(state):
                self.saved = (prefix, state)
                return
            self.lib.llama_memory_seq_rm(self.lib.llama_get_memory(self.ctx), 0, -1, -1)
        batch = self.lib.llama_batch_init(BATCH_TOKENS, 0, 1)
        try:
            self._feed(batch, 0, prefix, 0, logits=False)
        finally:
            self.lib.llama_batch_free(batch)
        size = self.lib.llama_state_seq_get_size(self.ctx, 0)
        data = (ctypes.c_uint8 * size)()
        self.lib.llama_state_seq_get_data(self.ctx, data, size, 0)
        self.saved = (prefix, bytes(data))
        if file is not None:
            file.parent.mkdir(parents=True, exist_ok=True)
            tmp = file.with_name(f".{file.name}.{os.getpid()}.tmp")
            tmp.write_bytes(self.saved[1])
            os.replace(tmp, file)

    def _state_file(self, prefix: list[int]) -> Path | None:
        if self.state_dir is None:
            return None
        digest = hashlib.sha256(f"{self.state_key}|{prefix}".encode()).hexdigest()[:16]
        return self.state_dir / f"prefix-{digest}.state"

    def _feed(self, batch: Any, seq: int, ids: list[int], offset: int, logits: bool) -> None:
        """Decode `ids` on `seq` from position `offset`, in chunks; logits for the last one
        when `logits` (read with `_argmax(-1)`)."""
        for chunk in range(0, len(ids), BATCH_TOKENS):
            part = ids[chunk : chunk + BATCH_TOKENS]
            last = chunk + len(part) == len(ids)
            entries = [
                (token, offset + chunk + i, seq, logits and last and i == len(part) - 1)
                for i, token in enumerate(part)
            ]
            self._run(batch, entries)

    def _decode(
        self,
        batch: Any,
        prompts: list[list[int]],
        tokens: list[int],
        budget: int,
        eos: int | None,
        finished: Callable[[list[int]], bool],
        drafts: list[list[int]],
    ) -> list[list[int]]:
        """Every row decodes together: per step, each active row feeds its next token and the
        draft tokens `Drafter` guesses after it; the guesses its argmax agrees with are kept."""
        answers: list[list[int]] = [[] for _ in prompts]
        drafters = [Drafter(draft) for draft in drafts]
        memory = self.lib.llama_get_memory(self.ctx)
        pending = {row: [token] for row, token in enumerate(tokens)}  # written, not yet fed
        while pending:
            for row, new in list(pending.items()):
                for token in new:
                    answers[row].append(token)
                    if token == eos or len(answers[row]) >= budget or finished(answers[row]):
                        del pending[row]
                        break
            if not pending:
                break
            step, guesses = [], {}
            for row in pending:
                room = budget - len(answers[row]) - 1
                guesses[row] = drafters[row].propose(answers[row], room)
                start = len(prompts[row]) + len(answers[row]) - 1
                fed = [answers[row][-1], *guesses[row]]
                step += [(t, start + i, row + 1, True) for i, t in enumerate(fed)]
            self._run(batch, step)
            self.steps += 1
            index = 0
            for row in pending:
                wanted = [self._argmax(index + i) for i in range(len(guesses[row]) + 1)]
                kept = 0
                while kept < len(guesses[row]) and wanted[kept] == guesses[row][kept]:
                    kept += 1
                drafters[row].accepted(len(guesses[row]), kept)
                if kept < len(guesses[row]):  # the missed guesses leave the KV cache
                    first = len(prompts[row]) + len(answers[row]) + kept
                    self.lib.llama_memory_seq_rm(memory, row + 1, first, -1)
                pending[row] = [*guesses[row][:kept], wanted[kept]]
                index += len(guesses[row]) + 1
        return answers

    def _run(self, batch: Any, entries: list[tuple[int, int, int, bool]]) -> None:
        """One llama_decode of (token, position, sequence, wants logits) entries."""
        for index, (token, position, seq, wants) in enumerate(entries):
            batch.token[index] = token
            batch.pos[index] = position
            batch.n_seq_id[index] = 1
            batch.seq_id[index][0] = seq
            batch.logits[index] = wants
        batch.n_tokens = len(entries)
        code = self.lib.llama_decode(self.ctx, batch)
        if code != 0:
            raise EngineUnavailable(f"llama.cpp failed to decode a batch (code {code})")

    def _argmax(self, index: int) -> int:
        logits = self.lib.llama_get_logits_ith(self.ctx, index)
        return int(np.argmax(np.ctypeslib.as_array(logits, shape=(self.vocab_size,))))

    def close(self) -> None:
        """Free the context, the adapter and the model."""
        if self.ctx is not None:
            self.lib.llama_free(self.ctx)
            self.ctx = None
        if self.lora is not None:
            self.lib.llama_adapter_lora_free(self.lora)
            self.lora = None
        if self.model:
            self.lib.llama_model_free(self.model)
            self.model = None
