"""Dates, times and counts as people read them: in the community's time zone and in its locale's
formats (CLDR data, through Babel), so a 12- or 24-hour clock follows the locale ("2:00 PM" in
en-US, "14:00" in en-GB). The sentences themselves are English."""

from dataclasses import dataclass
from datetime import date, datetime, time
from functools import cache
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.dates import format_skeleton, format_time
from babel.numbers import format_currency

DEFAULT_LOCALE = "en-US"


@cache
def parse_locale(tag: str) -> Locale:
    """The Babel locale of a BCP 47 tag such as en-US. Raises ValueError for an unknown one."""
    try:
        return Locale.parse(tag, sep="-")
    except (UnknownLocaleError, ValueError) as exc:
        raise ValueError(f"unknown locale {tag!r}: use a tag such as en-US or en-GB") from exc


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """ "1 booking", "2 bookings"."""
    return f"{count} {noun if count == 1 else nouns or noun + 's'}"


@dataclass(frozen=True, slots=True)
class Wording:
    tz: ZoneInfo
    locale: str = DEFAULT_LOCALE

    @property
    def _locale(self) -> Locale:
        return parse_locale(self.locale)

    def time(self, moment: datetime) -> str:
        """ "2:00 PM" or "14:00"."""
        return format_time(moment, "short", tzinfo=self.tz, locale=self._locale)

    def clock(self, minute: int) -> str:
        """A wall-clock minute of the day (0–1440) as the locale writes times."""
        if minute >= 1440:
            minute = 0  # closing at midnight
        return format_time(time(minute // 60, minute % 60), "short", locale=self._locale)

    def day(self, moment: datetime | date) -> str:
        """ "Sun, Dec 20" or "Sun 20 Dec"."""
        if isinstance(moment, datetime):
            return format_skeleton("MMMEd", moment, tzinfo=self.tz, locale=self._locale)
        return format_skeleton("MMMEd", moment, locale=self._locale)

    def month(self, day: date) -> str:
        """ "December 2026"."""
        return format_skeleton("yMMMM", day, locale=self._locale)

    def money(self, cents: int) -> str:
        """ "$150.00" (amounts are in dollars)."""
        return format_currency(cents / 100, "USD", locale=self._locale)

    def when(self, moment: datetime) -> str:
        """ "Sun, Dec 20, 2:00 PM"."""
        return f"{self.day(moment)}, {self.time(moment)}"

    def span(self, start: datetime, end: datetime) -> str:
        """ "Sun, Dec 20, 2:00 PM – 6:00 PM", naming the end's day only when it differs."""
        if start.astimezone(self.tz).date() == end.astimezone(self.tz).date():
            return f"{self.when(start)} – {self.time(end)}"
        return f"{self.when(start)} – {self.when(end)}"
