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
from assistant.chat import Assistant
from assistant.feedback import RATINGS, FeedbackRecord, FeedbackStore, question_hash
from assistant.inputs import QuestionError
from assistant.langchain import GazetteRetriever
from assistant.llm import LLMBusyError, LLMError
from core.schema import NOT_IN_GAZETTE, Answer, Chunk, Citation, DocInfo, Passage
from core.settings import REPO_ROOT, Settings, get_settings
from core.textnorm import fold
from store.index import IndexMismatchError, IndexMissingError, IndexUnavailableError, index_manifest

__all__ = [
    "NOT_IN_GAZETTE",
    "RATINGS",
    "REPO_ROOT",
    "Answer",
    "Assistant",
    "Chunk",
    "Citation",
    "DocInfo",
    "FeedbackRecord",
    "FeedbackStore",
    "GazetteRetriever",
    "IndexMismatchError",
    "IndexMissingError",
    "IndexUnavailableError",
    "LLMBusyError",
    "LLMError",
    "Passage",
    "QuestionError",
    "Settings",
    "fold",
    "get_settings",
    "index_manifest",
    "present",
    "question_hash",
]
