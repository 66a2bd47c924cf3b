"""Per-agency counters, updated in the same transaction as the appeal change they count.

Each change adds to three items of the agency: all time, its calendar month and
its ISO week, by the Tashkent date of the change. The statistics job reads only
these items, so its cost does not grow with the number of appeals.
"""
from __future__ import annotations

from datetime import date

from pynamodb.transactions import TransactWrite

from chalicelib.models import CounterModel

COUNTER_FIELDS = (
    "received", "forwarded_in", "forwarded_out", "completed", "completed_on_time",
    "dismissed", "merged", "breached", "open_breached", "answers_read", "rated", "score_sum",
    "score_1", "score_2", "score_3", "score_4", "score_5",
)


def periods_for(day: date) -> list[str]:
    iso_year, iso_week, _ = day.isocalendar()
    return ["all", f"{day.year:04d}-{day.month:02d}", f"{iso_year:04d}-W{iso_week:02d}"]


def agency_counter_id(agency_id: str) -> str:
    return f"agency#{agency_id}"


def add_counter_updates(transaction: TransactWrite, agency_id: str, day: date,
                        increments: dict[str, int]) -> None:
    """Add one ADD update per period of `day` to `transaction`.

    :raises ValueError: for a counter name that CounterModel does not have.
    """
    updates = CounterUpdates()
    updates.add(agency_id, day, increments)
    updates.apply(transaction)


class CounterUpdates:
    """Counter increments of one transaction, merged per counter item.

    A DynamoDB transaction may touch each item only once, so two changes that
    fall on the same agency and period become one ADD update.
    """

    def __init__(self) -> None:
        self._items: dict[tuple[str, str], dict[str, int]] = {}

    def add(self, agency_id: str, day: date, increments: dict[str, int]) -> None:
        """Add `increments` to the agency's items for every period of `day`.

        :raises ValueError: for a counter name that CounterModel does not have.
        """
        unknown = set(increments) - set(COUNTER_FIELDS)
        if unknown:
            raise ValueError(f"unknown counters: {sorted(unknown)}")
        for period in periods_for(day):
            item = self._items.setdefault((agency_counter_id(agency_id), period), {})
            for name, amount in increments.items():
                item[name] = item.get(name, 0) + amount

    def apply(self, transaction: TransactWrite) -> None:
        """Add one update per touched counter item to `transaction`."""
        for (counter_id, period), increments in sorted(self._items.items()):
            changes = {name: amount for name, amount in increments.items() if amount}
            if not changes:
                continue
            actions = [getattr(CounterModel, name).add(amount) for name, amount in sorted(changes.items())]
            transaction.update(CounterModel(counter_id, period), actions=actions)
