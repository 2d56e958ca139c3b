"""A small table on the Chroma server that every replica sees: key -> JSON record.

With the index on a Chroma server, state that must be in one place for every replica (readers'
feedback) lives there too, in a collection ``<collection>-<name>``. Records carry a dummy vector:
the collection is used as a key-value table, with numeric fields kept as metadata to filter on.
"""

from __future__ import annotations

import json

from core.settings import Settings
from store.chroma import IndexUnavailableError, open_client

_DUMMY = [1.0]
_PAGE = 500


class ServerTable:
    def __init__(self, settings: Settings, name: str):
        assert settings.chroma_host, "a server table needs GAZETTE_CHROMA_HOST"
        client = open_client(settings, None)
        try:
            self._col = client.get_or_create_collection(
                f"{settings.collection}-{name}", metadata={"hnsw:space": "cosine"}, embedding_function=None
            )
        except Exception as e:  # the server went away between connect and use
            raise IndexUnavailableError(
                f"the Chroma server at {settings.chroma_host}:{settings.chroma_port} did not answer ({type(e).__name__})"
            ) from None

    def put(self, key: str, record: dict, numbers: dict[str, float]) -> None:
        self._col.upsert(
            ids=[key],
            documents=[json.dumps(record, ensure_ascii=False)],
            embeddings=[_DUMMY],
            metadatas=[{k: float(v) for k, v in numbers.items()}],
        )

    def get(self, key: str) -> dict | None:
        got = self._col.get(ids=[key], include=["documents"])
        return json.loads(got["documents"][0]) if got["ids"] else None

    def all(self) -> list[dict]:
        out: list[dict] = []
        offset = 0
        while True:
            got = self._col.get(include=["documents"], limit=_PAGE, offset=offset)
            out.extend(json.loads(d) for d in got["documents"])
            if len(got["ids"]) < _PAGE:
                return out
            offset += _PAGE

    def keys_below(self, field: str, value: float) -> list[str]:
        return list(self._col.get(where={field: {"$lt": float(value)}}, include=[])["ids"])

    def delete(self, keys: list[str]) -> int:
        present = self._col.get(ids=keys, include=[])["ids"] if keys else []
        if present:
            self._col.delete(ids=present)
        return len(present)

    def clear(self) -> int:
        keys = self._col.get(include=[])["ids"]
        return self.delete(list(keys))
