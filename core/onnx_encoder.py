"""The same sentence-transformers model run by ONNX Runtime: one export per model, then no torch.

A folder whose pipeline is Transformer -> mean Pooling -> Normalize (the converted e5 is one) is
exported once to ONNX from its torch weights, checked against them (every check text's vector
within cosine 0.9999 of torch's, or the export is refused), and cached under the models folder.
Its vectors are the torch model's to float rounding, so an index built by either runtime serves
the other and the model name does not change. On two CPU cores ONNX Runtime embeds passages
about a third faster than torch (bench/README.md, "Law-index build speed").
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import threading
from pathlib import Path
from typing import Any

import numpy as np

from core.e5convert import SELF_TEST_TEXTS, publish_folder

log = logging.getLogger(__name__)

EXPORT_VERSION = 1  # bump when the exported graph changes; old exports are then redone
MIN_COSINE = 0.9999  # an export whose vectors part further from torch's is refused
CHECK_TEXTS = [
    *SELF_TEST_TEXTS,
    "第一条 为了规范行政行为，根据有关法律、行政法规，制定本办法。",
    "（一）申请人应当提交营业执照副本复印件及法定代表人身份证明；" * 12,  # long: padding and masks
    "Ｑ：全角数字１２３与ａｂｃ，半角 abc 123",
]


class OnnxUnavailable(RuntimeError):
    """This folder cannot run on ONNX Runtime here (no runtime, another pipeline, a failed check)."""


def read_json(path: Path) -> Any:
    """A JSON file's content, or {} when there is none."""
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def pipeline_is_mean_normalize(folder: Path) -> bool:
    """Whether the folder is Transformer -> mean Pooling -> Normalize, the one pipeline exported."""
    kinds = [m.get("type", "").rsplit(".", 1)[-1] for m in read_json(folder / "modules.json")]
    pooling = read_json(folder / "1_Pooling" / "config.json")
    mean = pooling.get("pooling_mode") == "mean" or pooling.get("pooling_mode_mean_tokens") is True
    return kinds == ["Transformer", "Pooling", "Normalize"] and mean


def _weights_key(folder: Path) -> str:
    """Size and mtime of the weight files: an export follows the weights it was made from."""
    parts = []
    for f in sorted(folder.glob("*.safetensors")) + sorted(folder.glob("pytorch_model*.bin")):
        st = f.stat()
        parts.append(f"{f.name}:{st.st_size}:{int(st.st_mtime)}")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


class OnnxEncoder:
    """Tokenize, run the exported graph, mean-pool over the mask and L2-normalise, as the folder's
    own pipeline does. Sessions are made lazily: one of two threads for passage batches (an
    ingest), one of one thread for single queries (a server's other requests keep a core)."""

    def __init__(self, folder: Path, onnx_path: Path, max_seq_length: int) -> None:
        from transformers import AutoTokenizer

        self.tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
        self.onnx_path = onnx_path
        self.max_seq_length = max_seq_length
        self._sessions: dict[int, Any] = {}
        self._lock = threading.Lock()

    def _session(self, threads: int) -> Any:
        with self._lock:
            if threads not in self._sessions:
                import onnxruntime as ort

                opts = ort.SessionOptions()
                opts.intra_op_num_threads = threads
                opts.inter_op_num_threads = 1
                opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
                opts.log_severity_level = 3
                self._sessions[threads] = ort.InferenceSession(
                    str(self.onnx_path), opts, providers=["CPUExecutionProvider"]
                )
            return self._sessions[threads]

    def encode(self, texts: list[str], batch_size: int = 32, threads: int = 2) -> np.ndarray:
        """(n, dim) float32 unit vectors; texts already carry their prompt. Batches hold texts of
        like length (longest first), so little of a batch is padding."""
        session = self._session(threads)
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        out: np.ndarray | None = None
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            enc = self.tokenizer(
                [texts[i] for i in idx],
                padding=True,
                truncation=True,
                max_length=self.max_seq_length,
                return_tensors="np",
            )
            mask = enc["attention_mask"].astype(np.int64)
            (hidden,) = session.run(
                ["last_hidden_state"],
                {"input_ids": enc["input_ids"].astype(np.int64), "attention_mask": mask},
            )
            weights = mask[..., None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
            pooled /= np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
            if out is None:
                out = np.zeros((len(texts), pooled.shape[1]), np.float32)
            out[idx] = pooled
        assert out is not None
        return out


def export(model: Any, out: Path) -> None:
    """Export a loaded SentenceTransformer's transformer to ``out`` (input_ids, attention_mask ->
    last_hidden_state, batch and length dynamic)."""
    import torch

    bert = model[0].auto_model

    class Wrapped(torch.nn.Module):
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            return self.inner(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    sample = model.tokenizer(["passage: 示例文本 sample"], return_tensors="pt")
    dynamic = {0: "batch", 1: "tokens"}
    with torch.no_grad(), contextlib.redirect_stdout(None), _quiet_warnings():
        torch.onnx.export(
            Wrapped(bert).eval(),
            (sample["input_ids"], sample["attention_mask"]),
            str(out),
            input_names=["input_ids", "attention_mask"],
            output_names=["last_hidden_state"],
            dynamic_axes={"input_ids": dynamic, "attention_mask": dynamic, "last_hidden_state": dynamic},
            opset_version=17,
            dynamo=False,
        )


@contextlib.contextmanager
def _quiet_warnings() -> Any:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def check(model: Any, encoder: OnnxEncoder, prompts: dict[str, str]) -> float:
    """The lowest cosine between torch's and the export's vectors over the check texts, as
    queries and as passages."""
    texts = CHECK_TEXTS
    worst = 1.0
    for prompt in {prompts.get("query", ""), prompts.get("document") or prompts.get("passage", "")}:
        ours = encoder.encode([prompt + t for t in texts], threads=1)
        theirs = model.encode(
            [prompt + t for t in texts],
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        worst = min(worst, float(np.min(np.sum(ours * theirs, axis=1))))
    return worst


def ensure_export(
    folder: Path, name: str, cache_dir: Path, load_torch: Any, prompts: dict[str, str], max_seq_length: int
) -> OnnxEncoder:
    """The ONNX encoder for ``folder``, exporting and checking it the first time.

    ``load_torch()`` gives the folder's SentenceTransformer (only called to export). Raises
    :class:`OnnxUnavailable` when ONNX Runtime is missing, the pipeline is another one, or the
    export's vectors part from torch's. The export is written beside its destination and renamed
    into place, so a crash never leaves a half-written one that later looks cached."""
    try:
        import onnxruntime

        ort_version = onnxruntime.__version__
    except ImportError as exc:
        raise OnnxUnavailable("onnxruntime is not installed") from exc
    if not pipeline_is_mean_normalize(folder):
        raise OnnxUnavailable(f"{folder} is not Transformer -> mean Pooling -> Normalize")
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name)
    dest = Path(cache_dir) / f"{safe}-onnx{EXPORT_VERSION}"
    marker = {"weights": _weights_key(folder), "onnxruntime": ort_version, "export_version": EXPORT_VERSION}
    done = read_json(dest / "export.json")
    if {k: done.get(k) for k in marker} == marker and (dest / "model.onnx").is_file():
        return OnnxEncoder(folder, dest / "model.onnx", max_seq_length)

    def build(tmp: Path) -> None:
        model = load_torch()
        export(model, tmp / "model.onnx")
        worst = check(model, OnnxEncoder(folder, tmp / "model.onnx", max_seq_length), prompts)
        if worst < MIN_COSINE:
            raise OnnxUnavailable(
                f"the ONNX export of {name} parts from torch (cosine {worst:.6f} < {MIN_COSINE})"
            )
        (tmp / "export.json").write_text(json.dumps({**marker, "min_cosine": worst}) + "\n", encoding="utf-8")
        log.info("exported %s to ONNX (min cosine to torch %.6f)", name, worst)

    publish_folder(dest, build, "export.json")
    return OnnxEncoder(folder, dest / "model.onnx", max_seq_length)
