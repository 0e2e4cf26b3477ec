"""Which years and accounting-date windows an M3 history read asks for."""

from __future__ import annotations

from datetime import date

from ledgerlink.connectors.infor import M3NotFound
from pipelines.infor.history import (
    Window,
    read_back,
    reread_window,
    windows_before,
    year_window,
)


def reader(rows_per_year: dict[int, int], asked: list[int]):
    def read_year(year: int) -> list[dict[str, str]]:
        asked.append(year)
        if year < 2000:
            raise M3NotFound("OIS350MI", "LstInvHead", "Year is invalid", field="YEA4")
        return [{"IVNO": str(n)} for n in range(rows_per_year.get(year, 0))]

    return read_year


def test_without_a_start_years_are_read_back_until_three_in_a_row_are_empty():
    asked: list[int] = []
    history = {2026: 2, 2025: 1, 2022: 3, 2021: 1}  # 2023 and 2024 empty: a gap, not the end
    rows = list(read_back(reader(history, asked), 2026, None))
    assert [year for year, _ in rows] == [2026, 2026, 2025, 2022, 2022, 2022, 2021]
    assert asked == [2026, 2025, 2024, 2023, 2022, 2021, 2020, 2019, 2018]


def test_with_a_start_every_year_down_to_it_is_read_and_no_more():
    asked: list[int] = []
    rows = list(read_back(reader({2026: 1}, asked), 2026, date(2020, 7, 1)))
    assert len(rows) == 1
    assert asked == [2026, 2025, 2024, 2023, 2022, 2021, 2020]


def test_a_year_m3_refuses_as_not_found_counts_as_empty():
    asked: list[int] = []
    assert list(read_back(reader({2001: 1}, asked), 2001, None)) == [(2001, {"IVNO": "0"})]
    assert asked == [2001, 2000, 1999, 1998]


def test_windows():
    today = date(2026, 12, 7)
    assert year_window(2026, None, today) == Window(date(2026, 1, 1), date(2027, 12, 31))
    assert year_window(2024, date(2024, 3, 15), today) == Window(
        date(2024, 3, 15), date(2024, 12, 31)
    )
    window = reread_window(today, 92)
    assert window == Window(date(2026, 9, 6), date(2027, 12, 31))
    assert window.record() == {"FRDT": "20260906", "TODT": "20271231"}
    earlier = list(windows_before(window, 92, date(2026, 3, 1)))
    assert earlier == [
        Window(date(2026, 6, 6), date(2026, 9, 5)),
        Window(date(2026, 3, 6), date(2026, 6, 5)),
        Window(date(2026, 3, 1), date(2026, 3, 5)),
    ]
