"""The store layer: the only code that reads and writes the index on disk or on a Chroma server.

`ingest/` writes through it, `assistant/` reads through it."""
