"""A LangChain chat model over llama-cpp-python: a local GGUF file, in this process.

A small adapter rather than `langchain-community`'s `ChatLlamaCpp`: that package pulls in a
large dependency tree for one class. Install the runtime with `pip install .[llamacpp]`.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage, SystemMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict, Field, PrivateAttr

_MODELS: dict[tuple[str, int, str | None], Any] = {}
# Chat formats with no system role: the system message is folded into the first user turn,
# as those models' own templates do.
_NO_SYSTEM_ROLE = frozenset({"gemma"})
_LOAD_LOCK = threading.Lock()


def load_llama(path: Path, context_tokens: int, chat_format: str | None = None) -> Any:
    """The `llama_cpp.Llama` for a GGUF file, loaded once per process."""
    key = (str(path), context_tokens, chat_format)
    with _LOAD_LOCK:
        if key not in _MODELS:
            from llama_cpp import Llama

            _MODELS[key] = Llama(model_path=str(path), n_ctx=context_tokens, n_threads=os.cpu_count() or 1,
                                 chat_format=chat_format, verbose=False)
        return _MODELS[key]


def _role(message: BaseMessage) -> str:
    if isinstance(message, SystemMessage):
        return "system"
    if isinstance(message, AIMessage):
        return "assistant"
    if isinstance(message, HumanMessage):
        return "user"
    raise ValueError(f"llama.cpp chat takes system, human and AI messages, not {message.type}")


class LlamaCppChat(BaseChatModel):
    """Chat completions from a GGUF model run by llama-cpp-python (its chat template applies).

    Args:
        model_path: The GGUF file.
        context_tokens: The context window to allocate.
        temperature: Sampling temperature (0: greedy, reproducible).
        max_tokens: Longest completion.
        chat_format: A llama-cpp-python chat format ("gemma", "chatml"...) for a GGUF file
            without a chat template; None: the file's own template.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    model_path: Path
    context_tokens: int = Field(4096, ge=256)
    temperature: float = 0.0
    max_tokens: int = 400
    chat_format: str | None = None
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)  # one generation at a time

    @property
    def _llm_type(self) -> str:
        return "llamacpp"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_path": str(self.model_path), "temperature": self.temperature}

    def _request(self, messages: list[BaseMessage], stop: list[str] | None) -> dict[str, Any]:
        turns = [{"role": _role(m), "content": m.text} for m in messages]
        if self.chat_format in _NO_SYSTEM_ROLE:
            system = "\n\n".join(t["content"] for t in turns if t["role"] == "system")
            turns = [t for t in turns if t["role"] != "system"]
            if system and turns and turns[0]["role"] == "user":
                turns[0] = {"role": "user", "content": f"{system}\n\n{turns[0]['content']}"}
        return {"messages": turns, "temperature": self.temperature, "max_tokens": self.max_tokens,
                "stop": stop or []}

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> ChatResult:
        llama = load_llama(self.model_path, self.context_tokens, self.chat_format)
        with self._lock:
            reply = llama.create_chat_completion(**self._request(messages, stop))
        choice = reply["choices"][0]
        message = AIMessage(content=choice["message"].get("content") or "",
                            response_metadata={"finish_reason": choice.get("finish_reason")})
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(self, messages: list[BaseMessage], stop: list[str] | None = None,
                run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        llama = load_llama(self.model_path, self.context_tokens, self.chat_format)
        with self._lock:
            for part in llama.create_chat_completion(**self._request(messages, stop), stream=True):
                text = part["choices"][0].get("delta", {}).get("content") or ""
                if not text:
                    continue
                chunk = ChatGenerationChunk(message=AIMessageChunk(content=text))
                if run_manager:
                    run_manager.on_llm_new_token(text, chunk=chunk)
                yield chunk
