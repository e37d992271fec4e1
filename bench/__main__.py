"""Run benchmarks: `python -m bench` runs all, `python -m bench NAME` one; JSON lines on stdout."""

import importlib
import json
import pkgutil
import sys
from collections.abc import Callable, Iterable
from typing import cast

import bench

Runner = Callable[[], Iterable[dict]]


def benchmark_names() -> list[str]:
    """Every benchmark module in the bench package (private modules excluded), sorted."""
    return sorted(
        module.name
        for module in pkgutil.iter_modules(bench.__path__)
        if not module.name.startswith("_") and not module.ispkg
    )


def load(name: str) -> Runner:
    """The `run` function of benchmark module `bench.<name>`."""
    module = importlib.import_module(f"bench.{name}")
    run = getattr(module, "run", None)
    if not callable(run):
        raise SystemExit(f"bench.{name} has no run() function")
    return cast(Runner, run)


def main(argv: list[str]) -> int:
    """Run the named benchmarks (all when none are named), printing one JSON object per line."""
    available = benchmark_names()
    names = argv or available
    unknown = [name for name in names if name not in available]
    if unknown:
        print(
            f"unknown benchmark {', '.join(unknown)}; available: {', '.join(available)}",
            file=sys.stderr,
        )
        return 2
    try:
        for name in names:
            for result in load(name)():
                print(json.dumps(result), flush=True)
    except BrokenPipeError:  # the reader (e.g. `head`) stopped listening; nothing to report
        sys.stderr.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
