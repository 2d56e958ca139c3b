"""Errors of the LLM layer; each message is fit to show a user (in Chinese)."""

from __future__ import annotations


class LLMError(RuntimeError):
    """Any failure of the LLM layer; its message is fit to show a user (in Chinese)."""


class LLMBusyError(LLMError):
    """Another answer is being generated in this process."""


class LLMTimeoutError(LLMError):
    """The endpoint did not answer within `llm_timeout_s`."""


class LLMConnectionError(LLMError):
    """The endpoint could not be reached."""


class LLMResponseError(LLMError):
    """The endpoint answered with an error status or with something unreadable."""


class ModelFileError(LLMError):
    """The local model file cannot be assembled (a part package missing, a size or hash mismatch)."""


class LLMServerError(LLMError):
    """The in-process local model server failed to start or to become ready."""
