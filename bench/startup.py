"""Cold-start import time of the app, and requests per second of the local stack over HTTP."""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
IMPORT_APP = "import time; t = time.perf_counter(); import app; print(time.perf_counter() - t)"
# The frameworks app.py builds on, imported without the project's code.
IMPORT_BASELINE = ("import time; t = time.perf_counter(); import chalice, pynamodb, boto3; "
                   "print(time.perf_counter() - t)")
# `import pynamodb` loads only the package's __init__; the app also loads the
# models and the connection layer, which this second baseline includes.
IMPORT_BASELINE_MODELS = ("import time; t = time.perf_counter(); import chalice, pynamodb.models, boto3; "
                          "print(time.perf_counter() - t)")
IMPORT_TIMEOUT_SECONDS = 60


def import_seconds(code: str, runs: int, env: dict[str, str] | None = None) -> list[float]:
    """Run `code` in `runs` fresh interpreters with `env` and return the seconds each printed."""
    timings = []
    for _ in range(runs):
        completed = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True,
                                   text=True, timeout=IMPORT_TIMEOUT_SECONDS, check=True, env=env)
        timings.append(float(completed.stdout.strip().splitlines()[-1]))
    return timings


def _bytecode_env(cache: str) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = cache
    return env


def import_seconds_with_bytecode(code: str, runs: int) -> list[float]:
    """Time `code` as import_seconds does, with a bytecode cache that one untimed run filled first.

    The cache is a new temporary PYTHONPYCACHEPREFIX, so the project's modules
    and site-packages are read from bytecode alike, as in a deployment package
    that ships .pyc files. It is removed afterwards.
    """
    return interleaved_seconds_with_bytecode([code], runs)[0]


def interleaved_seconds_with_bytecode(codes: list[str], runs: int) -> list[list[float]]:
    """Time each of `codes` `runs` times, taking turns, with one bytecode cache; return the lists in order.

    Taking turns spreads any slow spell of the machine over all snippets
    instead of over the one that happened to run then.
    """
    with tempfile.TemporaryDirectory(prefix="murojaat-pycache-") as cache:
        env = _bytecode_env(cache)
        for code in codes:
            import_seconds(code, 1, env)
        timings: list[list[float]] = [[] for _ in codes]
        for _ in range(runs):
            for index, code in enumerate(codes):
                timings[index].extend(import_seconds(code, 1, env))
        return timings


def import_seconds_without_bytecode(code: str, runs: int) -> list[float]:
    """Time `code` as import_seconds does, with PYTHONDONTWRITEBYTECODE=1 and no cache prefix.

    Site-packages keep the .pyc files pip wrote, while the project's modules
    are compiled from source on every run, as on Lambda from a package
    without bytecode.
    """
    # NOTE: a __pycache__ folder in the work tree, written by a run without
    # PYTHONDONTWRITEBYTECODE, is still read, and then this figure is too low.
    env = {name: value for name, value in os.environ.items() if name != "PYTHONPYCACHEPREFIX"}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return import_seconds(code, runs, env)


def measure_cold_start(runs: int = 15) -> dict:
    """Return the median import times of the app and of the baselines, in seconds, and the ratios.

    `app`, `baseline` and `baseline_with_models` are measured with bytecode for
    every module. `app_without_bytecode` compiles the project's modules on each
    run and is for information only.
    """
    app_times, baseline_times, models_times = interleaved_seconds_with_bytecode(
        [IMPORT_APP, IMPORT_BASELINE, IMPORT_BASELINE_MODELS], runs)
    app_median = statistics.median(app_times)
    baseline_median = statistics.median(baseline_times)
    models_median = statistics.median(models_times)
    uncached_median = statistics.median(import_seconds_without_bytecode(IMPORT_APP, runs))
    return {
        "runs": runs,
        "app": app_median,
        "baseline": baseline_median,
        "baseline_with_models": models_median,
        "ratio": app_median / baseline_median,
        "ratio_with_models": app_median / models_median,
        "app_without_bytecode": uncached_median,
        "ratio_without_bytecode": uncached_median / baseline_median,
    }


def _local_captcha_answer() -> str:
    import json

    config = json.loads((PROJECT_ROOT / ".chalice" / "config.json").read_text(encoding="utf-8"))
    return config["stages"]["local"]["environment_variables"]["CAPTCHA_TEST_ANSWER"]


def measure_throughput(requests_per_case: int = 50) -> dict:
    """Start the local stack without persistence and time sequential submissions and citizen views.

    A submission is two HTTP requests (a new captcha, then the appeal), as the
    web site makes them. Figures are for information only: they depend on
    moto's server and `chalice local`, not on Lambda.
    """
    import requests

    from scripts.local_stack import start_stack, stop_stack

    body = {
        "agency_id": "mvd",
        "kind": "application",
        "applicant": {"full_name": "Karimova Dilnoza", "address": "Namangan sh.", "phone": "+998901234567"},
        "language": "uz",
        "captcha_answer": _local_captcha_answer(),
    }
    with tempfile.TemporaryDirectory(prefix="murojaat-bench-") as data_dir:
        stack = start_stack(Path(data_dir), persist=False)
        http = requests.Session()
        http.trust_env = False  # the stack listens on 127.0.0.1 only; never go through a proxy
        try:
            created = []
            started = time.perf_counter()
            for number in range(requests_per_case):
                captcha = http.post(f"{stack.api_url}/v1/captcha", json={}, timeout=30)
                captcha.raise_for_status()
                response = http.post(f"{stack.api_url}/v1/appeals", timeout=30, json=dict(
                    body, text=f"Benchmark appeal {number}", captcha_id=captcha.json()["captcha_id"]))
                response.raise_for_status()
                created.append(response.json())
            submit_seconds = time.perf_counter() - started

            started = time.perf_counter()
            for appeal in created:
                response = http.get(f"{stack.api_url}/v1/appeals/{appeal['appeal_id']}", timeout=30,
                                    headers={"X-Access-Code": appeal["access_code"]})
                response.raise_for_status()
            view_seconds = time.perf_counter() - started
        finally:
            http.close()
            stop_stack(stack)
    return {
        "requests": requests_per_case,
        "submissions_per_second": requests_per_case / submit_seconds,
        "views_per_second": requests_per_case / view_seconds,
    }
