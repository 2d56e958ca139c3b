"""The evaluation suite: datasets, metrics, runner, report and release gate.

Front ends (the CLI, the QA page) use only what is exported here."""

from eval.charts import hit_at_k, latency_histogram, pass_rate_by_type
from eval.dataset import DatasetError
from eval.session import doc_texts_by_number, evaluate, load_items

__all__ = [
    "DatasetError",
    "doc_texts_by_number",
    "evaluate",
    "hit_at_k",
    "latency_histogram",
    "load_items",
    "pass_rate_by_type",
]
