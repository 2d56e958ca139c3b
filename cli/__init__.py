"""The one command line (`gazette-assistant`): ingest, docs, ask, eval. The top layer."""
