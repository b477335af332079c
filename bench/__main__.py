"""Runs every ``bench/bench_*.py``, prints its table and writes ``bench/results/<NAME>.json``.

    python -m bench                 # all benchmarks
    python -m bench crf sentiment   # the named ones
    python -m bench --quick         # a few iterations each (smoke test)
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"


def discover() -> list[str]:
    return sorted(p.stem for p in HERE.glob("bench_*.py"))


def format_table(rows: list[dict]) -> str:
    if not rows:
        return "(no rows)"
    columns = list(dict.fromkeys(key for row in rows for key in row))

    def cell(value: object) -> str:
        if isinstance(value, float):
            return f"{value:,.3f}" if abs(value) < 100 else f"{value:,.0f}"
        return str(value)

    table = [[cell(row.get(c, "")) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in table)) for i, c in enumerate(columns)]
    lines = [" | ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))]
    lines.append("-+-".join("-" * w for w in widths))
    lines += [" | ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in table]
    return "\n".join(lines)


def run_one(module_name: str, quick: bool, write: bool) -> list[dict]:
    from nlpsuite.training import hardware_description, software_description

    module = importlib.import_module(f"bench.{module_name}")
    start = time.perf_counter()
    result = module.run(quick=quick)
    # A benchmark returns its table rows, or a dict of rows plus the keys its JSON adds beside them.
    extra = dict(result) if isinstance(result, dict) else {}
    rows = extra.pop("rows", result)
    seconds = time.perf_counter() - start
    print(f"\n== {module.NAME} ({seconds:.1f} s) ==")
    print(format_table(rows))
    if write:
        RESULTS.mkdir(exist_ok=True)
        payload = {
            "name": module.NAME,
            "hardware": hardware_description(),
            "software": software_description(),
            "date": time.strftime("%Y-%m-%d"),
            "quick": quick,
            "rows": rows,
            **extra,
        }
        (RESULTS / f"{module.NAME}.json").write_text(json.dumps(payload, indent=2) + "\n")
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("names", nargs="*", help="benchmarks to run (default: all)")
    parser.add_argument("--quick", action="store_true", help="few iterations; results are not written")
    args = parser.parse_args(argv)
    available = discover()
    wanted = [f"bench_{n}" if not n.startswith("bench_") else n for n in args.names] or available
    unknown = sorted(set(wanted) - set(available))
    if unknown:
        print(f"error: unknown benchmark(s) {unknown}; available: {available}", file=sys.stderr)
        return 2
    for name in wanted:
        run_one(name, quick=args.quick, write=not args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
