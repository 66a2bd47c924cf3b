"""Log lines of the app and of chalicelib are JSON objects."""
from __future__ import annotations

import json
import logging

import app as app_module  # noqa: F401  (configures the loggers)
from chalicelib.logs import JsonFormatter


def test_chalicelib_logs_are_json_lines(capsys):
    logging.getLogger("chalicelib.deadline_jobs").info("deadline_scan found=%s", 3, extra={"job": "deadline-scan"})

    line = capsys.readouterr().err.strip().splitlines()[-1]
    document = json.loads(line)

    assert document["message"] == "deadline_scan found=3"
    assert document["level"] == "INFO"
    assert document["logger"] == "chalicelib.deadline_jobs"
    assert document["job"] == "deadline-scan"


def test_exception_is_one_json_line():
    formatter = JsonFormatter()
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord("app", logging.ERROR, __file__, 1, "failed %s", ("x",), exc_info=True)
        import sys
        record.exc_info = sys.exc_info()

    text = formatter.format(record)

    assert "\n" not in text
    assert "ValueError: boom" in json.loads(text)["exception"]
