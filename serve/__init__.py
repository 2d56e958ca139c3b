"""The HTTP API: the assistant behind FastAPI, for a service portal, a counter terminal or a
mini-program, with any number of replicas on one shared index.

    gazette-assistant serve --host 127.0.0.1 --port 8000

``create_app()`` builds the ASGI app; importing this package loads no model and opens no index.
Like the UI, the CLI and the eval, it uses only the assistant's public API. docs/api.md says what
each endpoint takes and returns; docs/deployment.md how to run replicas.
"""

from serve.app import create_app

__all__ = ["create_app"]
