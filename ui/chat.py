"""问答: the chat page — ask, read the answer with its numbered source cards, rate it."""

from __future__ import annotations

import html
import uuid

import streamlit as st
import streamlit.components.v1 as components

from assistant import NAVIGATOR_NOTE, RATINGS, Answer, FeedbackRecord, LLMBusyError, question_hash
from assistant.present import (
    accepts_kwarg,
    benefit_items,
    candidate_questions,
    example_questions,
    is_vague,
    md_escape,
    text_html,
)
from ui.answer_view import KEEP_IN_VIEW, answer_html, floor_note, source_cards
from ui.common import (
    assistant,
    base_assistant,
    feedback_store,
    index_version,
    log,
    model_name,
    settings,
    show_load_error,
)

s = settings()
try:
    bot = assistant(s)
except Exception as exc:  # noqa: BLE001 - shown as a readable message
    if s.answer_mode == "extractive":
        show_load_error(exc)
        st.stop()
    log.warning("answer mode %s unavailable (%s); using extractive", s.answer_mode, type(exc).__name__)
    st.warning(f"大模型暂时不可用（{html.escape(type(exc).__name__)}），已改用摘录模式作答。")
    s = s.model_copy(update={"answer_mode": "extractive"})
    try:
        bot = base_assistant(s)
    except Exception as exc2:  # noqa: BLE001
        show_load_error(exc2)
        st.stop()

st.session_state.setdefault("messages", [])
messages: list[dict] = st.session_state["messages"]


# --------------------------------------------------------------------------------------
# callbacks
# --------------------------------------------------------------------------------------


def _ask(question: str) -> None:
    st.session_state["pending_question"] = question


def _clear() -> None:
    st.session_state["messages"] = []
    st.session_state.pop("pending_question", None)
    st.session_state["doc_filter"] = []  # a new conversation searches every document again


def _message(msg_id: str) -> dict | None:
    return next((m for m in st.session_state.get("messages", []) if m.get("id") == msg_id), None)


def _on_feedback(msg_id: str) -> None:
    msg = _message(msg_id)
    if msg is None:
        return
    value = st.session_state.get(f"fb_{msg_id}")
    store = feedback_store()
    try:
        if value is None:
            store.remove(msg_id)
            return
        answer = {
            **(msg.get("answer") or {}),
            "question": msg.get("question", ""),
            "mode": msg.get("mode", ""),
        }
        store.record(  # a navigator question describes a person: for_answer never keeps its text
            FeedbackRecord.for_answer(
                msg_id,
                RATINGS[int(value)],
                answer,
                comment=st.session_state.get(f"fbc_{msg_id}", "") or "",
                model=msg.get("model", ""),
                index_version=msg.get("index_version", ""),
            )
        )
    except Exception:  # noqa: BLE001 - feedback must never break the chat
        log.exception("storing feedback failed")
        st.session_state[f"fb_error_{msg_id}"] = True


def _on_comment(msg_id: str) -> None:
    comment = st.session_state.get(f"fbc_{msg_id}", "") or ""
    try:
        feedback_store().set_comment(msg_id, comment[:2000])
    except Exception:  # noqa: BLE001
        log.exception("storing a feedback comment failed")


# --------------------------------------------------------------------------------------
# rendering
# --------------------------------------------------------------------------------------


def _feedback(msg_id: str) -> None:
    st.feedback("thumbs", key=f"fb_{msg_id}", on_change=_on_feedback, args=(msg_id,))
    if st.session_state.get(f"fb_error_{msg_id}"):
        st.caption("反馈没能保存，请稍后再试。")
    elif st.session_state.get(f"fb_{msg_id}") is not None:
        st.text_input(
            "补充说明（可选）",
            key=f"fbc_{msg_id}",
            on_change=_on_comment,
            args=(msg_id,),
            placeholder="哪里不对或不清楚？按回车提交",
        )
        st.caption("已记录您的反馈，谢谢！")


def _render_assistant(msg: dict) -> None:
    kind = msg.get("kind")
    if kind == "error":
        st.error(msg["content"])
        return
    if msg.get("filter"):
        st.caption("🔎 只在 " + "、".join(md_escape(n) for n in msg["filter"]) + " 中查找")
    if kind == "uncovered":
        st.warning(msg["content"], icon="📄")
        return
    if kind == "clarify":
        st.markdown(md_escape(msg["content"]))
        for j, q in enumerate(msg.get("candidates", [])):
            st.button(q, key=f"cand_{msg['id']}_{j}", on_click=_ask, args=(q,))
        return
    answer = Answer.model_validate(msg["answer"])
    for n in answer.notes:
        if n.startswith("理解为："):  # a follow-up read together with the previous question
            st.caption("🔗 " + md_escape(n))
    if answer.refused:
        st.info(md_escape(answer.answer), icon="ℹ️")
    else:
        st.markdown(f"<div class='ga-answer'>{answer_html(answer.answer)}</div>", unsafe_allow_html=True)
        note = None if NAVIGATOR_NOTE in answer.notes else floor_note(bot, answer)
        if note:
            st.caption("💡 " + md_escape(note))
        source_cards(bot, msg["id"], answer)
    secs = answer.timings_ms.get("total", 0) / 1000
    mode = {"extractive": "摘录", "local": "本地大模型", "openai": "大模型", "refusal": "未作答"}.get(
        answer.mode, answer.mode
    )
    st.caption(f"{mode} · 用时 {secs:.1f} 秒")
    _feedback(msg["id"])


def _history() -> list[dict]:
    out = []
    for m in messages:
        if m["role"] == "user":
            out.append({"role": "user", "content": m["content"]})
        elif m.get("kind") == "answer":
            out.append({"role": "assistant", "content": m["content"]})
    return out


def _answer(question: str, doc_ids: list[str], history: list[dict]) -> dict:
    """Ask the Assistant (streaming in LLM modes); the new assistant message."""
    msg = {
        "id": uuid.uuid4().hex,
        "role": "assistant",
        "kind": "answer",
        "question": question,
        "mode": s.answer_mode,
        "model": model_name(s),
        "index_version": index_version(s),
    }
    kwargs = {"doc_ids": doc_ids} if doc_ids else {}
    if doc_ids:
        msg["filter"] = [d.display_name if (d := bot.document(i)) else i for i in doc_ids]
    try:
        if doc_ids and not _covered(question, doc_ids, history):
            names = "、".join(msg["filter"])
            return {
                **msg,
                "kind": "uncovered",
                "content": f"所选文件（{names}）没有写这个。清除左侧的文件筛选，可以在全部文件中查找。",
            }
        if s.answer_mode == "extractive":
            with st.spinner("正在查找公报原文…"):
                answer = bot.ask(question, history, **kwargs)
        else:
            # the verified extractive answer at once, then progress, then the checked final text
            answer = None
            box, note = st.empty(), st.empty()
            note.caption("⏳ 正在查找公报原文…")
            shown_text = ""
            for event in bot.events(question, history, **kwargs):
                if event.kind == "preview":
                    box.markdown(
                        f"<div class='ga-answer'>{answer_html(event.text)}</div>", unsafe_allow_html=True
                    )
                    note.caption("⏳ 先显示摘录的原文；大模型正在组织语言，核对后替换…")
                elif event.kind == "status":
                    note.caption("⏳ " + md_escape(event.text))
                elif event.kind == "text":
                    shown_text += event.text
                    box.markdown(
                        f"<div class='ga-answer'>{answer_html(shown_text)}</div>", unsafe_allow_html=True
                    )
                elif event.kind == "answer":
                    answer = event.answer
            box.empty()
            note.empty()
            if answer is None:
                raise RuntimeError("the assistant returned no answer")
    except LLMBusyError:
        return {**msg, "kind": "error", "content": "模型正忙，请稍等片刻再问一次。"}
    except Exception as exc:  # noqa: BLE001 - a readable message, never a traceback
        log.exception("answering failed (question %s)", question_hash(question))
        return {
            **msg,
            "kind": "error",
            "content": f"抱歉，回答时出错了（{type(exc).__name__}）。请换个问法或稍后再试。",
        }
    msg["content"] = answer.answer
    msg["answer"] = answer.model_dump(mode="json")
    msg["mode"] = answer.mode
    return msg


def _covered(question: str, doc_ids: list[str], history: list[dict]) -> bool:
    """Whether the filtered documents hold the answer: the whole gazette's extractive answer
    cites one of them, or the gazette does not answer it at all (then the refusal says so)."""
    whole = base_assistant(s).ask(question, history)
    if whole.refused:
        return True
    cited = {ch.doc_id for c in whole.citations if (ch := bot.chunk(c.chunk_id)) is not None}
    return bool(cited & set(doc_ids))


# --------------------------------------------------------------------------------------
# the page
# --------------------------------------------------------------------------------------

docs = sorted(bot.documents(), key=lambda d: (d.page or 0, d.id))
with st.sidebar:
    st.button("🧹 清空对话", key="clear_chat", on_click=_clear, width="stretch")
    doc_filter = st.multiselect(
        "只在这些文件中查找",
        [d.id for d in docs],
        key="doc_filter",
        format_func=lambda i: bot.document(i).display_name if bot.document(i) else i,
        placeholder="全部文件",
    )
    if doc_filter and not accepts_kwarg(bot.stream, "doc_ids"):
        st.caption("当前版本暂不支持按文件筛选，将在全部文件中查找。")
    elif doc_filter:
        st.caption("清空对话时筛选一并清除。")

st.title("公报问答助手")
_issues = "、".join(sorted({d.issue for d in docs if d.issue}))
st.caption(f"问{_issues or '已收录的公报'}里的政策，回答逐字引用原文，并标明文号和出处。")


def _examples() -> None:
    examples = example_questions(bot.chunks())
    if not examples:
        return
    cols = st.columns(len(examples))
    for col, (audience, questions) in zip(cols, examples.items(), strict=True):
        with col:
            st.markdown(f"**{audience}常问**")
            for j, q in enumerate(questions):
                st.button(q, key=f"ex_{audience}_{j}", on_click=_ask, args=(q,), width="stretch")


if not messages:
    _examples()
else:
    with st.expander("示例问题"):
        _examples()

for m in messages:
    with st.chat_message(m["role"]):
        if m["role"] == "user":
            st.markdown(f"<div class='ga-answer'>{text_html(m['content'])}</div>", unsafe_allow_html=True)
        else:
            _render_assistant(m)

if doc_filter:
    st.info(
        "🔎 只在 "
        + "、".join(md_escape(bot.document(i).display_name if bot.document(i) else i) for i in doc_filter)
        + " 中查找（在左侧取消筛选）",
    )
prompt = st.chat_input("请输入问题，例如：我爸今年91了，高龄津贴一个月有多少？", key="chat_input")
question = prompt or st.session_state.pop("pending_question", None)
if question:
    history = _history()  # before this question joins it
    messages.append({"id": uuid.uuid4().hex, "role": "user", "content": question})
    with st.chat_message("user"):
        st.markdown(f"<div class='ga-answer'>{text_html(question)}</div>", unsafe_allow_html=True)
    with st.chat_message("assistant"):
        items = benefit_items(bot.chunks())
        if is_vague(question, items) and not history:
            reply = {
                "id": uuid.uuid4().hex,
                "role": "assistant",
                "kind": "clarify",
                "content": "您想问的是哪一项？公报里写了金额的项目有：",
                "candidates": candidate_questions(items),
            }
        else:
            reply = _answer(question, list(doc_filter), history)
        messages.append(reply)
        _render_assistant(reply)
    # a long answer: bring its question and first sentence into view (the page sticks to the bottom)
    components.html(KEEP_IN_VIEW, height=0)
