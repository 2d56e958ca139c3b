"""Gazette Assistant: answers questions from the municipal gazette, with verified citations.

This package's public API is what it exports here; the UI, the eval, the CLI and any other
front end import only these names (an import contract in pyproject.toml checks it)::

    from assistant import Assistant
    bot = Assistant.load()
    ans = bot.ask("问题", history=[])      # -> Answer
    for event in bot.stream("问题"):       # text deltas, then the final Answer
        ...
    docs = bot.as_retriever(k=5).invoke("问题")   # LangChain Documents with citation metadata

Importing the package loads no model and opens no index.
"""

from assistant import present
from assistant.access import api_key_ok, hash_token, is_staff, staff_configured
from assistant.chat import Assistant
from assistant.feedback import RATINGS, FeedbackRecord, FeedbackStore, csv_safe, mask_personal, question_hash
from assistant.feedback_server import ServerFeedbackStore, open_feedback
from assistant.history import Event as HistoryEvent
from assistant.inputs import QuestionError
from assistant.langchain import GazetteRetriever
from assistant.llm import LLMBusyError, LLMError
from assistant.navigator import DISCLAIMER as NAVIGATOR_DISCLAIMER
from assistant.navigator import FLOOR as NAVIGATOR_FLOOR
from assistant.navigator import NOTE as NAVIGATOR_NOTE
from assistant.navigator import TAGS as CONDITION_TAGS
from assistant.navigator import (
    Benefit,
    Navigation,
    Profile,
    conditions_in,
    navigate,
    navigation_answer,
    profile_from_question,
    summary_text,
)
from core.schema import NOT_IN_GAZETTE, Answer, Chunk, Citation, DocInfo, Passage
from core.settings import REPO_ROOT, Settings, get_settings
from core.textnorm import fold
from store.index import IndexMismatchError, IndexMissingError, IndexUnavailableError, index_manifest

__all__ = [
    "api_key_ok",
    "NAVIGATOR_DISCLAIMER",
    "NAVIGATOR_FLOOR",
    "NAVIGATOR_NOTE",
    "NOT_IN_GAZETTE",
    "RATINGS",
    "REPO_ROOT",
    "CONDITION_TAGS",
    "Answer",
    "Assistant",
    "Benefit",
    "Chunk",
    "Citation",
    "DocInfo",
    "FeedbackRecord",
    "FeedbackStore",
    "GazetteRetriever",
    "HistoryEvent",
    "IndexMismatchError",
    "IndexMissingError",
    "IndexUnavailableError",
    "LLMBusyError",
    "LLMError",
    "Navigation",
    "Passage",
    "Profile",
    "QuestionError",
    "ServerFeedbackStore",
    "Settings",
    "conditions_in",
    "csv_safe",
    "fold",
    "get_settings",
    "hash_token",
    "index_manifest",
    "is_staff",
    "mask_personal",
    "navigate",
    "open_feedback",
    "navigation_answer",
    "present",
    "profile_from_question",
    "question_hash",
    "staff_configured",
    "summary_text",
]
