"""The LLM layer for the `local` and `openai` answer modes, in three parts:

- ``modelfiles``: the local model file, joined from its part packages and checked;
- ``runtime``: the in-process llama.cpp server that serves it on loopback;
- ``backend``: a LangChain chat model (ChatOpenAI for both modes, pointed at that server or at
  any OpenAI-compatible endpoint), one generation at a time, errors as LLMError.

So one code path is tested for both modes, and pointing the product at vLLM or Ollama is a
settings change.
"""

from assistant.llm.backend import (
    ChatBackend,
    local_chat_model,
    make_backend,
    make_chat_backend,
    make_chat_model,
    openai_chat_model,
)
from assistant.llm.errors import (
    LLMBusyError,
    LLMConnectionError,
    LLMError,
    LLMResponseError,
    LLMServerError,
    LLMTimeoutError,
    ModelFileError,
)

__all__ = [
    "ChatBackend",
    "LLMBusyError",
    "LLMConnectionError",
    "LLMError",
    "LLMResponseError",
    "LLMServerError",
    "LLMTimeoutError",
    "ModelFileError",
    "local_chat_model",
    "make_backend",
    "make_chat_backend",
    "make_chat_model",
    "openai_chat_model",
]
