"""Time and peak memory of `apiweld.spec.load` against plain `json.load` on one description.

Usage: python benchmarks/spec_load.py [DESCRIPTION] [--repeat N]
Default input: ../shared/corpus/github/api.github.com.json (13 MB, 1,223 operations).
The machine is shared: numbers are noisy. The two are timed alternately N times; the best of
each is reported, and the median of the per-pair ratios as a steadier ratio; CPU time of this
process (`time.process_time`) is reported too, as it is less disturbed by other processes.
Peak memory is measured in separate runs under tracemalloc (which slows code, so they are not
timed).
Last line: `name=value` pairs.
"""

from __future__ import annotations

import argparse
import gc
import json
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

from apiweld.spec import load

DEFAULT = Path(__file__).resolve().parents[1].parent / "shared/corpus/github/api.github.com.json"


def _json_load(path: Path) -> Any:
    with path.open("rb") as handle:
        return json.load(handle)


def _timed(func: Callable[[], Any]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) for one call."""
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    func()
    return time.perf_counter() - wall, time.process_time() - cpu


def interleaved_times(
    first: Callable[[], Any], second: Callable[[], Any], repeat: int
) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    """Alternate the two so that load from other processes hits both alike."""
    times: tuple[list[tuple[float, float]], list[tuple[float, float]]] = ([], [])
    for _ in range(repeat):
        times[0].append(_timed(first))
        times[1].append(_timed(second))
    return times


def peak_mb(func: Callable[[], Any]) -> float:
    gc.collect()
    tracemalloc.start()
    result = func()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del result
    return peak / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("description", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    path: Path = args.description

    api = load(path)
    print(f"input: {path} ({path.stat().st_size / 1e6:.1f} MB)")
    print(
        f"loaded: {len(api.operations)} operations, {len(api.schemas)} schemas, "
        f"{len(api.webhooks)} webhooks, {len(api.problems)} problems"
    )
    json_times, load_times = interleaved_times(
        lambda: _json_load(path), lambda: load(path), args.repeat
    )
    json_s, load_s = min(t[0] for t in json_times), min(t[0] for t in load_times)
    json_cpu, load_cpu = min(t[1] for t in json_times), min(t[1] for t in load_times)
    pair_ratios = sorted(b[0] / a[0] for a, b in zip(json_times, load_times, strict=True))
    median_ratio = pair_ratios[len(pair_ratios) // 2]
    json_peak = peak_mb(lambda: _json_load(path))
    load_peak = peak_mb(lambda: load(path))
    print(f"json.load:         {json_s:.3f} s ({json_cpu:.3f} s CPU), peak {json_peak:.0f} MB")
    print(f"apiweld.spec.load: {load_s:.3f} s ({load_cpu:.3f} s CPU), peak {load_peak:.0f} MB")
    print(
        f"load_s={load_s:.3f} json_load_s={json_s:.3f} ratio_vs_json_load={load_s / json_s:.2f} "
        f"median_pair_ratio={median_ratio:.2f} load_cpu_s={load_cpu:.3f} "
        f"json_load_cpu_s={json_cpu:.3f} cpu_ratio={load_cpu / json_cpu:.2f} "
        f"peak_mb={load_peak:.0f} json_peak_mb={json_peak:.0f} "
        f"peak_ratio={load_peak / json_peak:.2f} operations={len(api.operations)} "
        f"schemas={len(api.schemas)}"
    )


if __name__ == "__main__":
    main()
