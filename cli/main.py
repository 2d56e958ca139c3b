"""`gazette-assistant`: ingest, docs, ask and eval from the command line."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
import time
from pathlib import Path

from tqdm import tqdm

from assistant import (
    Assistant,
    IndexMismatchError,
    IndexMissingError,
    IndexUnavailableError,
    Settings,
    get_settings,
    hash_token,
    open_feedback,
)
from cli import batch
from core.embedding import load_embedder
from eval.cli import run_from_cli
from ingest import (
    IndexBusyError,
    IndexWriteError,
    IngestError,
    default_paths,
    index_outdated,
    indexed_documents,
    ingest_report,
    remove_source,
    run_ingest,
    up_to_date,
)


def _err(msg: str, code: int = 1) -> int:
    print(f"error: {msg}", file=sys.stderr)
    return code


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    paths = [Path(p) for p in args.paths] or default_paths(settings)
    if args.report:
        try:
            print(ingest_report(paths))
        except IngestError as e:
            return _err(str(e))
        return 0
    if args.remove:
        try:
            stats = remove_source(settings, load_embedder(settings), args.remove)
        except KeyError as e:
            return _err(str(e.args[0]))
        except (IndexBusyError, IndexWriteError, IndexUnavailableError, IndexMismatchError) as e:
            return _err(str(e))
        print(f"removed {stats.source}: {stats.removed} chunks")
        return 0
    if args.if_needed and up_to_date(settings, paths):
        print(f"index is up to date ({settings.index_dir})")
        return 0
    if args.if_needed and index_outdated(settings):
        print("the index was written by an earlier version: rebuilding it with every source")
        args.rebuild = True
    t0 = time.perf_counter()
    embedder = load_embedder(settings)
    bar = tqdm(desc="embedding", unit="chunk", disable=args.quiet)
    try:
        stats = run_ingest(settings, embedder, paths, rebuild=args.rebuild, progress=bar.update)
    except IngestError as e:
        bar.close()
        return _err(f"{e} — the index was not changed")
    except (IndexMismatchError, IndexBusyError, IndexWriteError, IndexUnavailableError) as e:
        bar.close()
        return _err(str(e))
    bar.close()
    secs = time.perf_counter() - t0
    for s in stats:
        print(
            f"{s.source}: {s.documents} documents, chunks added {s.added} / unchanged {s.unchanged} / removed {s.removed}"
        )
    total = sum(s.added for s in stats)
    print(f"done in {secs:.1f} s ({total} texts embedded) -> {settings.index_dir}")
    return 0


def cmd_docs(args: argparse.Namespace, settings: Settings) -> int:
    docs = indexed_documents(settings)
    if docs is None:
        return _err(f"no index in {settings.index_dir}; build it with `gazette-assistant ingest`")
    rows = [d.listing() for d in docs]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        for r in rows:
            print(
                f"{r['doc_number'] or '-':<20} {r['date'] or '-':<10} {r['status']:<8} {r['chunks']:>4}  {r['title']}"
            )
    return 0


def _load_assistant(settings: Settings) -> Assistant:
    return Assistant.load(settings)


def _print_answer(ans, as_json: bool) -> None:
    if as_json:
        print(json.dumps(ans.to_json_dict(), ensure_ascii=False))
        return
    print(ans.answer)
    for i, c in enumerate(ans.citations, 1):
        where = f"{c.issue} 第{c.page}页" if c.page else (c.issue or c.source)
        print(f"  [{i}] {c.section}（{where}）\n      “{c.quote}”")
    for n in ans.notes:
        print(f"  note: {n}")


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    if bool(args.question) == bool(args.batch):
        return _err("give a question, or --batch FILE with --out FILE", 2)
    lines = None
    if args.batch:  # check the input and the output before any model loads
        if not args.out:
            return _err("--batch needs --out FILE", 2)
        try:
            lines = batch.read_batch(Path(args.batch))
            batch.check_out(Path(args.out))
        except batch.BatchError as e:
            return _err(str(e), 2)
    try:
        bot = _load_assistant(settings)
    except (IndexMissingError, IndexMismatchError, IndexUnavailableError) as e:
        return _err(str(e))
    if args.question:
        _print_answer(bot.ask(args.question), args.json)
        return 0

    def answer(qid: str, question: str) -> dict:
        ans = bot.ask(question)
        ans.id = qid
        return ans.to_json_dict()

    result = batch.run_batch(lines or [], Path(args.out), args.resume, answer, args.batch)
    resumed = f" ({result.skipped} already there)" if result.skipped else ""
    print(f"{result.answered} answers -> {args.out}{resumed}")
    if result.stopped:
        return _err(result.stopped)
    if result.bad:
        return _err(f"{len(result.bad)} lines of {args.batch} were not answered (listed above)", 2)
    return 0


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    return run_from_cli(args, settings)


def cmd_feedback(args: argparse.Namespace, settings: Settings) -> int:
    store = open_feedback(settings)
    if args.action == "delete":
        if args.all:
            print(f"deleted {store.delete_all()} records")
            return 0
        if not args.id:
            return _err("name the record (--id ANSWER_ID) or pass --all")
        return 0 if store.delete(args.id) else _err(f"no feedback record {args.id}")
    days = args.days or settings.feedback_retention_days
    print(f"deleted {store.purge(days)} records older than {days} days")
    return 0


def cmd_staff_hash(args: argparse.Namespace, settings: Settings) -> int:
    token = getpass.getpass("staff token: ")
    if len(token) < 12:
        return _err("use a token of at least 12 characters")
    print(hash_token(token))
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from serve import create_app
    from serve.telemetry import configure_logging

    configure_logging(args.log_level)
    app = create_app(settings=settings)
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=10,
        proxy_headers=False,
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="gazette-assistant",
        description="公报问答助手 — answers from the municipal gazette, with citations",
    )
    sub = p.add_subparsers(dest="command", required=True)

    pi = sub.add_parser("ingest", help="build or update the index (default: the bundled gazette)")
    pi.add_argument("paths", nargs="*", help="gazette .txt or law .md files, or folders of them")
    pi.add_argument(
        "--rebuild",
        action="store_true",
        help="rebuild from scratch (e.g. after changing the embedding model)",
    )
    pi.add_argument("--remove", metavar="SOURCE", help="drop one source (its file name as `docs` shows it)")
    pi.add_argument("--if-needed", action="store_true", help="do nothing when the inputs are already indexed")
    pi.add_argument("--quiet", action="store_true", help="no progress bar")
    pi.add_argument(
        "--report",
        action="store_true",
        help="parse only and report documents and each table's column roles (writes nothing)",
    )
    pi.set_defaults(func=cmd_ingest)

    pd = sub.add_parser("docs", help="list what is indexed")
    pd.add_argument("--json", action="store_true")
    pd.set_defaults(func=cmd_docs)

    pa = sub.add_parser("ask", help="ask a question")
    pa.add_argument("question", nargs="?")
    pa.add_argument("--json", action="store_true")
    pa.add_argument("--batch", metavar="FILE", help="JSON Lines with id and question")
    pa.add_argument("--out", metavar="FILE")
    pa.add_argument(
        "--resume",
        action="store_true",
        help="with --batch: keep the answers already in --out, answer the rest",
    )
    pa.set_defaults(func=cmd_ask)

    pe = sub.add_parser("eval", help="run the evaluation suite")
    pe.add_argument("--dataset", required=True)
    pe.add_argument("--out", required=True)
    pe.add_argument("--mode", choices=["extractive", "local", "openai"])
    pe.add_argument("--baseline", metavar="DIR")
    pe.add_argument("--no-naive", action="store_true", help="skip the naive baseline configuration")
    pe.add_argument("--limit", type=int, help="only the first N items")
    pe.add_argument(
        "--split",
        choices=["calib", "report"],
        help="only one part of the dev set, fixed by a hash of the item id (calibrate on calib, report on report)",
    )
    pe.add_argument(
        "--perturb",
        nargs="?",
        const="all",
        metavar="NAMES",
        help="run the perturbation evaluation instead: comma list of headers,city,departments,"
        "amounts,year,order (no value: all), each on a fresh index of --issue",
    )
    pe.add_argument("--seed", type=int, help="seed of the perturbation draws (printed; repeat a run with it)")
    pe.add_argument(
        "--issue", metavar="PATH", help="issue the perturbations transform (default: the bundled one)"
    )
    pe.set_defaults(func=cmd_eval)

    pf = sub.add_parser("feedback", help="delete readers' feedback (one record, all, or past retention)")
    pf.add_argument("action", choices=["delete", "purge"])
    pf.add_argument("--id", metavar="ANSWER_ID", help="delete: the record to delete")
    pf.add_argument("--all", action="store_true", help="delete: every record")
    pf.add_argument(
        "--days", type=int, help="purge: retention in days (default GAZETTE_FEEDBACK_RETENTION_DAYS)"
    )
    pf.set_defaults(func=cmd_feedback)

    pv = sub.add_parser("serve", help="start the HTTP API (docs/api.md; replicas: docs/deployment.md)")
    pv.add_argument("--host", default="127.0.0.1", help="address to listen on (default: loopback only)")
    pv.add_argument("--port", type=int, default=8000)
    pv.add_argument(
        "--mode", choices=["extractive", "local", "openai"], help="answer mode (default: settings)"
    )
    pv.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    pv.set_defaults(func=cmd_serve)

    ps = sub.add_parser(
        "staff-hash",
        help="print the hash of a staff token or API key (GAZETTE_STAFF_TOKEN_HASH, GAZETTE_API_KEY_HASH)",
    )
    ps.set_defaults(func=cmd_staff_hash)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = get_settings()
    if getattr(args, "mode", None):
        settings = settings.model_copy(update={"answer_mode": args.mode})
    try:
        return args.func(args, settings)
    except KeyboardInterrupt:
        return _err("interrupted", 130)
    except (
        IndexBusyError,
        IndexWriteError,
        IndexUnavailableError,
        IndexMissingError,
        IndexMismatchError,
    ) as e:
        return _err(str(e))
    except OSError as e:  # a file the command needed: say which and why, not a traceback
        where = f" ({e.filename})" if e.filename else ""
        return _err(f"{e.strerror or e}{where}")
    except Exception as e:
        if type(e).__module__.split(".")[0] not in ("chromadb", "httpx", "httpcore"):
            raise
        first = str(e).splitlines()[0] if str(e) else ""
        return _err(f"the vector store failed ({type(e).__name__}: {first}); is the Chroma server running?")


if __name__ == "__main__":
    raise SystemExit(main())
