"""How far back M3 history goes, and which years and accounting-date windows a run reads.

OIS350MI/LstInvHead lists invoices of one year (YEA4 is required) and GLS200MI/LstVouchersByDt
vouchers of an accounting-date window; neither has a cursor, and M3 has no transaction that
names a company's first year. The first load therefore reads all of it, from
INFOR_HISTORY_START when set, else backwards year by year from this one until
EMPTY_YEARS_TO_STOP years in a row come back empty.

Why read backwards to a run of empty years rather than start from another entity's dates:
customers' registration dates (RGDT) are the date of a data migration as often as of a first
sale, and AR items may be archived years before invoice heads (and their entity may be off or
not served). An empty year costs one call, the rule needs nothing but the list itself, and a
company whose invoicing paused for longer sets INFOR_HISTORY_START.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from ledgerlink.connectors.infor import M3NotFound
from pipelines.infor.settings import EMPTY_YEARS_TO_STOP

Rows = Iterable[dict[str, str]]


@dataclass(frozen=True)
class Window:
    """Accounting dates from `first` to `last`, both included."""

    first: date
    last: date

    def record(self) -> dict[str, str]:
        """The FRDT/TODT inputs of GLS200MI/LstVouchersByDt."""
        return {"FRDT": self.first.strftime("%Y%m%d"), "TODT": self.last.strftime("%Y%m%d")}


def years_back(this_year: int, start: date | None) -> Iterator[int]:
    """This year, then each one before it: down to `start`'s year when given, else without end
    (the caller stops at a run of empty years)."""
    year = this_year
    while start is None or year >= start.year:
        yield year
        year -= 1


def read_back(
    read_year: Callable[[int], Rows], this_year: int, start: date | None
) -> Iterator[tuple[int, dict[str, str]]]:
    """(year, row) for every row of every year read backwards from `this_year` (see module).

    A year M3 refuses as not found (a year before the company existed, on some releases)
    counts as an empty one.
    """
    empty = 0
    for year in years_back(this_year, start):
        count = 0
        try:
            for row in read_year(year):
                count += 1
                yield year, row
        except M3NotFound:
            pass
        empty = 0 if count else empty + 1
        if start is None and empty >= EMPTY_YEARS_TO_STOP:
            return


def horizon(today: date) -> date:
    """The last accounting date a read covers: M3 accepts postings dated into the next year's
    open periods (accruals, reversals), and an empty range costs nothing."""
    return date(today.year + 1, 12, 31)


def year_window(year: int, start: date | None, today: date) -> Window:
    """The accounting dates of `year` (from `start` when it falls inside); this year's window
    reaches to the horizon."""
    first = date(year, 1, 1)
    if start is not None and start > first:
        first = start
    return Window(first, horizon(today) if year >= today.year else date(year, 12, 31))


def reread_window(today: date, days: int) -> Window:
    """What a later run reads again: the last `days` days of accounting dates, and after."""
    return Window(today - timedelta(days=days), horizon(today))


def windows_before(window: Window, days: int, floor: date) -> Iterator[Window]:
    """Windows of `days` days backwards from just before `window`, down to `floor`."""
    last = window.first - timedelta(days=1)
    while last >= floor:
        first = max(floor, last - timedelta(days=days - 1))
        yield Window(first, last)
        last = first - timedelta(days=1)
