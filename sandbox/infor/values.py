"""M3 value conventions: every value a string, dates YYYYMMDD (or another `dateformat`), amounts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
DEFAULT_DATE_FORMAT = "YMD8"
DATE_FORMATS = ("YMD8", "YMD6", "MDY6", "DMY6", "YWD5", "YMD8-")

# Fields the sandbox stores as dates (YYYYMMDD); `dateformat` converts exactly these.
DATE_FIELDS = frozenset((
    "ACDT", "BSCT", "BSOT", "CODT", "CUDT", "CURD", "DATE", "DLDT", "DSDT", "DTP5", "DUDT", "DWDT",
    "ELDT", "FDDT", "FLMD", "FRDT", "GEDT", "IDAT", "IVDT", "LEDT", "LIDT", "LMDT", "OCDT", "ORDT",
    "PPDT", "PUDT", "RCDT", "REDE", "RGDT", "RLDT", "RVDT", "SHD4", "SHDT", "SPDT", "TLMD", "TODT",
    "TRDT", "VFDT", "VTDT",
))  # fmt: skip


def ymd(day: date) -> str:
    return day.strftime("%Y%m%d")


def hms(moment: datetime) -> str:
    return moment.strftime("%H%M%S")


def epoch_ms(moment: datetime) -> int:
    """LMTS in the sandbox: milliseconds since 1970-01-01 UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def to_date(yyyymmdd: str) -> date:
    return datetime.strptime(yyyymmdd, "%Y%m%d").date()


def parse_date(value: str, dateformat: str = DEFAULT_DATE_FORMAT) -> str:
    """An input date in `dateformat` as YYYYMMDD; ValueError when it is no real date."""
    text = value.strip()
    if dateformat == "YWD5":
        if len(text) != 5 or not text.isdigit():
            raise ValueError(value)
        year, week, weekday = 2000 + int(text[:2]), int(text[2:4]), int(text[4:5])
        return ymd(date.fromisocalendar(year, week, weekday))
    pattern = {
        "YMD8": "%Y%m%d",
        "YMD6": "%y%m%d",
        "MDY6": "%m%d%y",
        "DMY6": "%d%m%y",
        "YMD8-": "%Y-%m-%d",
    }[dateformat]
    expected = {"YMD8": 8, "YMD6": 6, "MDY6": 6, "DMY6": 6, "YMD8-": 10}[dateformat]
    if len(text) != expected:
        raise ValueError(value)
    return ymd(datetime.strptime(text, pattern).date())


def format_date(yyyymmdd: str, dateformat: str) -> str:
    """A stored date in the requested output format (blank and odd values pass unchanged)."""
    if dateformat == DEFAULT_DATE_FORMAT or len(yyyymmdd) != 8 or not yyyymmdd.isdigit():
        return yyyymmdd
    day = to_date(yyyymmdd)
    if dateformat == "YWD5":
        year, week, weekday = day.isocalendar()
        return f"{year % 100:02d}{week:02d}{weekday}"
    pattern = {"YMD6": "%y%m%d", "MDY6": "%m%d%y", "DMY6": "%d%m%y", "YMD8-": "%Y-%m-%d"}
    return day.strftime(pattern[dateformat])


def parse_decimal(value: str) -> Decimal:
    """A number as M3 accepts it: optional sign, digits, one '.'; ValueError otherwise."""
    text = value.strip()
    if not text or any(ch not in "0123456789.-+" for ch in text):
        raise ValueError(value)
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError(value) from None
    if not number.is_finite():
        raise ValueError(value)
    return number


def digit_count(value: str) -> int:
    """How many digits a number field uses (M3 lengths count digits, not sign or point)."""
    return sum(ch.isdigit() for ch in value)


def amount(value: Decimal) -> str:
    return str(value.quantize(CENT, rounding=ROUND_HALF_UP))


def quantity(value: Decimal) -> str:
    """Quantities without trailing zeros: '2', '2.5'."""
    return format(value.normalize(), "f")


def add_days(yyyymmdd: str, days: int) -> str:
    return ymd(to_date(yyyymmdd) + timedelta(days=days))
