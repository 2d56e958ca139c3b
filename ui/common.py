"""What every page shares: settings, the cached Assistant, the feedback store, index status."""

from __future__ import annotations

import logging

import streamlit as st

from assistant import (
    Assistant,
    IndexMismatchError,
    IndexMissingError,
    Settings,
    index_manifest,
    is_staff,
    open_feedback,
    staff_configured,
)

log = logging.getLogger("gazette.app")

MODES = {"extractive": "摘录（不用大模型，最快）", "local": "本地大模型", "openai": "接入的大模型服务"}


def settings() -> Settings:
    """Settings from the environment (GAZETTE_*), with the answer mode chosen in the sidebar."""
    base = Settings()
    mode = st.session_state.get("answer_mode") or base.answer_mode
    return base.model_copy(update={"answer_mode": mode}) if mode != base.answer_mode else base


def manifest(s: Settings) -> dict | None:
    return index_manifest(s)


def index_version(s: Settings) -> str:
    m = manifest(s) or {}
    return str(m.get("built_at") or "none")


@st.cache_resource(show_spinner="正在打开公报索引和检索模型（首次约需十几秒）…", max_entries=2)
def _base_assistant(data_dir: str, version: str) -> Assistant:
    """The extractive Assistant (embedder + index), once per process and index version."""
    s = Settings().model_copy(update={"answer_mode": "extractive"})
    log.info("loading the assistant (index %s at %s)", version, data_dir)
    return Assistant.load(s)


@st.cache_resource(show_spinner="正在启动大模型…", max_entries=2)
def _mode_assistant(mode: str, data_dir: str, version: str) -> Assistant:
    """An Assistant for an LLM mode that shares the base one's retriever."""
    base = _base_assistant(data_dir, version)
    s = Settings().model_copy(update={"answer_mode": mode})
    return Assistant.with_mode(base, s)


def assistant(s: Settings | None = None) -> Assistant:
    """The Assistant for the current answer mode (cached; raises the load error for the page to show)."""
    s = s or settings()
    version = index_version(s)
    if s.answer_mode == "extractive":
        return _base_assistant(str(s.data_dir), version)
    return _mode_assistant(s.answer_mode, str(s.data_dir), version)


def base_assistant(s: Settings | None = None) -> Assistant:
    s = s or settings()
    return _base_assistant(str(s.data_dir), index_version(s))


@st.cache_resource(max_entries=4)
def _feedback_store(where: str, retention_days: int, _s: Settings):
    store = open_feedback(_s)
    store.purge(retention_days)  # once per process; the QA page purges again when opened
    return store


def feedback_store(s: Settings | None = None):
    """The one feedback store (the Chroma server's table when replicas share one, else SQLite)."""
    s = s or settings()
    where = f"{s.chroma_host}:{s.chroma_port}/{s.collection}" if s.chroma_host else str(s.feedback_db)
    return _feedback_store(where, s.feedback_retention_days, s)


def model_name(s: Settings) -> str:
    """The models behind an answer: the index's embedding model, plus the chat model in LLM modes."""
    emb = (manifest(s) or {}).get("embedding_model") or s.embedding_model
    if s.answer_mode == "local":
        return f"{emb} + local-llm"
    if s.answer_mode == "openai":
        return f"{emb} + {s.openai_model}"
    return emb


def show_load_error(exc: Exception) -> None:
    """A readable message for an index/model that cannot be opened (never a traceback)."""
    if isinstance(exc, IndexMissingError):
        st.error(
            "还没有建立公报索引。请先在服务器上运行 `gazette-assistant ingest`（约需 1 分钟），然后刷新本页。"
        )
        return
    name = type(exc).__name__
    if isinstance(exc, IndexMismatchError):
        st.error("公报索引是用另一个检索模型建立的，需要重建：运行 `gazette-assistant ingest --rebuild`。")
        return
    log.exception("loading the assistant failed")
    st.error(f"助手暂时无法启动（{name}）。请联系管理员查看服务器日志。")


def staff_gate(s: Settings) -> bool:
    """Whether this visitor is staff; otherwise shows why the page is closed (and a token field
    when a staff token is configured). The token lives only in this session, never in a URL."""
    headers = dict(st.context.headers) if st.context.headers is not None else {}
    if st.session_state.get("staff") or is_staff(s, headers=headers):
        return True
    st.title("仅限工作人员")
    if not staff_configured(s):
        st.info(
            "本页只对工作人员开放，管理员尚未配置工作人员登录（GAZETTE_STAFF_TOKEN_HASH 或 GAZETTE_STAFF_HEADER）。"
        )
        return False
    st.info("本页含读者的提问和反馈，只对工作人员开放。")
    with st.form("staff_login", clear_on_submit=True):
        token = st.text_input("工作人员口令", type="password", key="staff_token")
        if st.form_submit_button("进入"):
            if is_staff(s, token=token):
                st.session_state["staff"] = True
                st.rerun()
            log.warning("a staff login was refused")
            st.error("口令不对。")
    return False
