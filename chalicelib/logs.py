"""Structured logs: one JSON object per line, so CloudWatch Logs Insights can filter by field.

Log calls pass ids as %s arguments or through `extra`; never a citizen's
personal data or a secret. Fields in `extra` become keys of the JSON object.
"""
from __future__ import annotations

import json
import logging
import sys

# Attributes every LogRecord has; anything else on a record came from `extra`.
_STANDARD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """Formats a record as a JSON object with level, logger, message and any `extra` fields."""

    def format(self, record: logging.LogRecord) -> str:
        document = {
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name, value in vars(record).items():
            if name not in _STANDARD_ATTRIBUTES and not name.startswith("_"):
                document[name] = value if isinstance(value, (str, int, float, bool, type(None))) else str(value)
        if record.exc_info:
            document["exception"] = self.formatException(record.exc_info)
        return json.dumps(document, ensure_ascii=False)


class _StdoutHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is at the time, so redirected output (tests, tools) gets the lines."""

    murojaat_json = True

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def configure(*loggers: logging.Logger, level: int = logging.INFO) -> None:
    """Send the given loggers' records to standard error as JSON lines, once per logger."""
    for logger in loggers:
        if any(getattr(handler, "murojaat_json", False) for handler in logger.handlers):
            continue
        for handler in list(logger.handlers):
            logger.removeHandler(handler)
        handler = _StdoutHandler()
        handler.setFormatter(JsonFormatter())
        logger.addHandler(handler)
        logger.setLevel(level)
        logger.propagate = False
