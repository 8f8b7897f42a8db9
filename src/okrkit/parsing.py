"""Key-result sentences read into targets.

Teams write key results the way the OKR method teaches: "YouTube video views over 100k",
"Grow MRR from $20k to $35k", "Organic social media mentions up by 40%". `parse` reads the
metric, the unit and a `Target` from such a sentence. When the sentence does not say plainly
what to reach it returns no target at all, with a `reason`, rather than a guess.

How it works: deadlines ("by Q3 2026", "in 2026") are set aside first; every number with its
currency, scale (k, M, B) and unit becomes a quantity; the sentence, with each quantity replaced
by a placeholder, must then match one of a few anchored sentence shapes in full. Every regular
expression is compiled at import and none can backtrack badly, so long input stays fast; quick
tests skip the work that cannot change the reading (a shape with more or fewer numbers than the
sentence, a cleaning step for characters the text does not hold), which halves the time a
sentence takes.
The grammar is documented in docs/reference/sentences.md.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any, Final

import attrs

from okrkit.errors import ModelError, SentenceError
from okrkit.model import Direction, Target

__all__ = ["MAX_SENTENCE_LENGTH", "KeyResultSentence", "parse"]

MAX_SENTENCE_LENGTH: Final = 2000
"""The longest text `parse` examines, in characters; longer text raises `SentenceError`."""


@attrs.frozen
class KeyResultSentence:
    """What a key-result sentence says: the metric, its unit and the target, if any.

    `target` is None when the sentence has no measurable target; `reason` then says why, in
    words a user can act on. `reason` is not part of equality or of `to_dict()`.
    """

    text: str
    metric: str | None
    unit: str | None
    target: Target | None
    reason: str | None = attrs.field(default=None, eq=False, kw_only=True)

    @property
    def measurable(self) -> bool:
        """Whether the sentence gives a target to score against."""
        return self.target is not None

    def to_dict(self) -> dict[str, Any]:
        """The reading as plain data: metric, direction, target, relative, baseline, unit."""
        target = self.target
        if target is None:
            return {
                "metric": self.metric,
                "direction": None,
                "target": None,
                "relative": None,
                "baseline": None,
                "unit": self.unit,
            }
        return {
            "metric": self.metric,
            "direction": target.direction.value,
            "target": target.value,
            "relative": target.relative,
            "baseline": target.baseline,
            "unit": self.unit,
        }


# -- Vocabulary ------------------------------------------------------------------------------


def _vocabulary(words: str, separator: str | None = None) -> tuple[str, ...]:
    """Words written as one string (space- or `separator`-separated), as a tuple."""
    return tuple(words.split(separator))


_GROW: Final = _vocabulary(
    "increase accelerate boost expand grow lift maximise maximize raise scale"
)
_REDUCE: Final = _vocabulary(
    "reduce compress curb cut decrease drop lessen lower minimise minimize shorten shrink "
    "slash trim"
)
_NEUTRAL: Final = _vocabulary(
    "improve bring change drive get move optimise optimize push shift take"
)
_THRESHOLD: Final = _vocabulary("keep stay maintain remain sustain ensure")
_REACH: Final = _vocabulary("reach hit achieve attain")
_INCREMENT: Final = ("add", "gain")
_ACTION: Final = _vocabulary(
    "ship launch release publish deliver complete close sign win land secure book acquire "
    "onboard convert hire recruit train certify enroll enrol generate earn make sell collect "
    "raise record host run organise organize conduct deploy migrate integrate interview "
    "attract obtain capture serve process resolve fix build create write produce open retain "
    "gather receive register activate answer handle perform execute automate implement drive "
    "hold get have see"
)
# Readings of a bare count ("2% churn", "300ms p95 latency") are refused for these metrics,
# where more is worse; an explicit word ("below", "reduce ... to") is needed instead.
_LOWER_IS_BETTER: Final = frozenset(
    _vocabulary(
        "churn latency cost costs spend spending expense expenses burn bug bugs defect defects "
        "incident incidents outage outages downtime error errors complaint complaints crash "
        "crashes failure failures delay delays backlog debt attrition turnover bounce cac "
        "cancellations refunds escalations vulnerabilities violations p50 p75 p90 p95 p99 mttr "
        "mttd time loss losses unsubscribes"
    )
)

_AT_LEAST_WORDS: Final = _vocabulary(
    "at or above|at or over|no less than|not less than|no fewer than|not fewer than|"
    "no lower than|not lower than|at least|more than|greater than|higher than|in excess of|"
    "upwards of|north of|a minimum of|minimum of|minimum|min|exceeding|over|above|>=|=>|\u2265|>",
    "|",
)
_AT_MOST_WORDS: Final = _vocabulary(
    "at or below|at or under|no more than|not more than|no higher than|not higher than|"
    "no greater than|not greater than|not exceeding|not to exceed|at most|less than|"
    "fewer than|lower than|a maximum of|maximum of|maximum|max|within|below|under|<=|=<|\u2264|<",
    "|",
)
_COMPARATORS: Final = {
    **dict.fromkeys(_AT_LEAST_WORDS, Direction.AT_LEAST),
    **dict.fromkeys(_AT_MOST_WORDS, Direction.AT_MOST),
}
_OR_MORE: Final = {
    **dict.fromkeys(_vocabulary("more greater higher above over better"), Direction.AT_LEAST),
    **dict.fromkeys(_vocabulary("fewer less lower below under"), Direction.AT_MOST),
}
# Words after the metric that say which way it moves: "mentions up by 40%", "MRR grows to".
_MOVES: Final = {
    **dict.fromkeys(
        _vocabulary(
            "up higher increased increases increase grown grows grow growth rises rise rose "
            "climbs climb"
        ),
        Direction.INCREASE,
    ),
    **dict.fromkeys(
        _vocabulary(
            "down lower decreased decreases decrease drops drop dropped falls fall fell declines "
            "decline declined reduced cut shrinks shrink"
        ),
        Direction.DECREASE,
    ),
}
_RELATIVE_WORDS: Final = {
    **dict.fromkeys(
        _vocabulary(
            "more|higher|greater|increase in|increase of|growth in|growth of|uplift in|lift in|"
            "rise in|boost in|jump in",
            "|",
        ),
        Direction.INCREASE,
    ),
    **dict.fromkeys(
        _vocabulary(
            "fewer|less|lower|decrease in|decrease of|reduction in|reduction of|drop in|"
            "decline in|cut in",
            "|",
        ),
        Direction.DECREASE,
    ),
}
_MULTIPLIERS: Final = {
    "double": (Direction.INCREASE, Decimal(1)),
    "triple": (Direction.INCREASE, Decimal(2)),
    "quadruple": (Direction.INCREASE, Decimal(3)),
    "halve": (Direction.DECREASE, Decimal("0.5")),
}
_THRESHOLD_LINKS: Final = frozenset(
    _vocabulary("stays|stay|remains|remain|staying|remaining|kept|held|to stay|to remain", "|")
)
_LINKS: Final = _vocabulary(
    "to stay|to remain|to be|stays|stay|remains|remain|staying|remaining|kept|held|is|are|be|"
    "of|to|consistently|always",
    "|",
)

_SYMBOLS: Final = {
    "US$": "USD",
    "CA$": "CAD",
    "AU$": "AUD",
    "NZ$": "NZD",
    "HK$": "HKD",
    "C$": "CAD",
    "A$": "AUD",
    "S$": "SGD",
    "R$": "BRL",
    "$": "USD",
    "€": "EUR",
    "£": "GBP",
    "¥": "JPY",
    "₹": "INR",
    "₩": "KRW",
}
_CODES: Final = _vocabulary(
    "USD EUR GBP JPY CNY CHF CAD AUD NZD INR SEK NOK DKK PLN BRL MXN SGD HKD ZAR KRW"
)
# How units are written (matched without regard to case) and the unit each one means.
_UNITS: Final = {
    **dict.fromkeys(_vocabulary("%|percent|per cent|pct", "|"), "%"),
    **dict.fromkeys(_vocabulary("pp|ppt|percentage points|percentage point", "|"), "pp"),
    **dict.fromkeys(_vocabulary("points point pts"), "points"),
    **dict.fromkeys(_vocabulary("ms msec milliseconds millisecond"), "ms"),
    **dict.fromkeys(_vocabulary("sec secs seconds second"), "s"),
    **dict.fromkeys(_vocabulary("min mins minutes minute"), "min"),
    **dict.fromkeys(_vocabulary("hr hrs hours hour"), "h"),
    **dict.fromkeys(_vocabulary("days day"), "d"),
    **dict.fromkeys(_vocabulary("stars star"), "stars"),
    **{size.lower(): size for size in _vocabulary("KB MB GB TB")},
    **dict.fromkeys(_vocabulary("dollars dollar"), "USD"),
    **dict.fromkeys(_vocabulary("euros euro"), "EUR"),
}
_UNIT_LETTERS: Final = {"s": "s", "h": "h", "x": "x", "\u00d7": "x"}  # x or the multiplication sign
_SCALES: Final = {
    "k": Decimal(1000),
    "K": Decimal(1000),
    "thousand": Decimal(1000),
    "M": Decimal(10) ** 6,
    "mn": Decimal(10) ** 6,
    "m": Decimal(10) ** 6,
    "million": Decimal(10) ** 6,
    "B": Decimal(10) ** 9,
    "bn": Decimal(10) ** 9,
    "b": Decimal(10) ** 9,
    "billion": Decimal(10) ** 9,
}


def _words(words: Sequence[str] | Any) -> str:
    """A regex alternation of `words`, longest first, spaces matching one space.

    A look-ahead at the words' first letters goes before it: where no word can start, the
    match fails at once instead of trying each word in turn.
    """
    ordered = sorted(set(words), key=lambda word: (-len(word), word))
    first = "".join(sorted({re.escape(word[0]) for word in ordered}))
    return f"(?=[{first}])(?:{'|'.join(re.escape(word) for word in ordered)})"


# -- Cleaning and deadlines ------------------------------------------------------------------

_BLANKS: Final = re.compile(r"[\s\x00-\x1f\x7f-\x9f\u200b\u2060\ufeff\ue000-\uf8ff]+")
_GROUP_SPACE: Final = re.compile(r"(?<=\d)[\u00a0\u2007\u2009\u202f](?=\d{3}(?!\d))")
_DASH_MINUS: Final = re.compile(r"(?:(?<=\s)|^)[\u2212\u2013\u2014](?=[\d$€£¥₹])")
_LABEL: Final = re.compile(
    r"^(?:[-*•·]\s+|KR\s?\d+(?:\.\d+)*\s?[:.)\-\u2013\u2014]?\s+|\d{1,2}[.)]\s+)", re.IGNORECASE
)
_QUOTED: Final = re.compile(r"^[\"'\u201c\u2018](.*)[\"'\u201d\u2019]$", re.DOTALL)
_TRAILING_NOTE: Final = re.compile(r"\s*\([^()\d]*\)$")
_EDGES: Final = " \t.!;,:"

_MONTH: Final = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_YEAR: Final = r"(?:19|20)\d{2}"
_PERIOD_WORD: Final = r"(?:quarter|year|month|week|half|cycle|sprint|season|period)"
_PERIOD: Final = rf"""(?:
      q[1-4](?:[\s/-]?{_YEAR}|\s?['\u2019]\d{{2}}|[\s/-]?fy\s?(?:\d{{4}}|\d{{2}}))?
    | h[12](?:[\s/-]?{_YEAR}|\s?['\u2019]\d{{2}})?
    | fy\s?(?:\d{{4}}|\d{{2}})(?:[\s-]?(?:q[1-4]|h[12]))?
    | {_YEAR}-?(?:q[1-4]|h[12])
    | {_YEAR}-\d{{2}}(?:-\d{{2}})?
    | \d{{1,2}}/\d{{1,2}}/(?:\d{{4}}|\d{{2}})
    | {_MONTH}(?:\s\d{{1,2}}(?:st|nd|rd|th)?)?(?:,?\s{_YEAR})?
    | \d{{1,2}}(?:st|nd|rd|th)?\s(?:of\s)?{_MONTH}(?:,?\s{_YEAR})?
    | eo[yqmw] | year[-\s]end | quarter[-\s]end | month[-\s]end
    | {_YEAR}(?=\s?(?:$|[,;:.!?)])|\s(?:and|or|to|from|with|while|across|via|for|on)\b)
)"""
_TIME: Final = rf"""(?:
      (?:(?:the\s)?(?:end|close|start|beginning|middle|mid|early|late)(?:\sof)?\s|mid-)
      (?:the\s)?(?:{_PERIOD}|{_PERIOD_WORD})
    | (?:the\s)?{_PERIOD}
    | (?:this|next|the|each|every|our|current)\s(?:(?:current|coming|fiscal|calendar|financial)\s)?
      {_PERIOD_WORD}
)"""
_TIME_END: Final = r"(?![\w'\u2019%+$€£¥-]|[.,]\d)"
_DEADLINE: Final = re.compile(
    rf"""(?:^|,?\s)(?:
        (?:by|in|before|until|till|til|through|throughout|during|for|at|ahead\sof|prior\sto
          |no\slater\sthan|not\slater\sthan)\s{_TIME}
      | (?:this|next)\s(?:(?:fiscal|calendar|financial)\s)?{_PERIOD_WORD}
      | over\sthe\s(?:course\sof\s(?:the\s)?)?(?:next\s|coming\s)?{_PERIOD_WORD}
      | (?:in|within|over)\s(?:the\s)?(?:next\s|first\s|coming\s)?\d{{1,4}}\s
        (?:days?|weeks?|months?|quarters?|years?)
    ){_TIME_END}""",
    re.IGNORECASE | re.VERBOSE,
)
_LEADING_PERIOD: Final = re.compile(
    rf"^{_TIME}\s?(?::|\s[-\u2013\u2014])\s", re.IGNORECASE | re.VERBOSE
)


def _single_spaced(text: str) -> str:
    """`text` with every run of blanks made one space."""
    if text.isascii() and text.isprintable() and "  " not in text:
        return text  # nothing to change: ASCII blanks are spaces and control characters
    return _BLANKS.sub(" ", text)


def _clean(text: str) -> str:
    """The sentence without blanks, labels, quotes, notes and deadlines around what it says."""
    plain = text.isascii()  # then the steps for other spaces and dashes have nothing to do
    if not plain:
        text = _GROUP_SPACE.sub(",", text)
    text = _single_spaced(text).strip(_EDGES)
    if not plain:
        text = _DASH_MINUS.sub("-", text)
    text = _LABEL.sub("", text)
    if quoted := _QUOTED.match(text):
        text = quoted[1]
    if ")" in text:
        text = _TRAILING_NOTE.sub("", text)
    text = _LEADING_PERIOD.sub("", text.strip(_EDGES))
    text = _DEADLINE.sub(" ", text)
    return _single_spaced(text).strip(_EDGES)


# -- Quantities ------------------------------------------------------------------------------

_NOT_LETTER: Final = r"(?![^\W\d_])"
_QUANTITY: Final = re.compile(
    rf"""
    (?<![^\s(\[{{"'\u201c\u2018<>\u2264\u2265=~\u2248:])
    (?P<sign>[+-])?
    (?:(?P<symbol>{_words(_SYMBOLS)})|(?P<code>{_words(_CODES)})\ ?)?
    (?:
        (?P<number>(?>[0-9]+(?:[,.][0-9]+)*|\.[0-9]+))
        (?:
            (?P<scale>[kKMB]|bn|mn|[mb]){_NOT_LETTER}
          | \ (?P<scale_word>(?i:thousand|million|billion)){_NOT_LETTER}
        )?
      | (?P<zero>(?i:zero))(?![\w-])
    )
    (?:
        \ ?(?P<unit>(?i:{_words(_UNITS)}){_NOT_LETTER}|{_words(_CODES)}{_NOT_LETTER}
          |[%$€£¥₹])
      | (?P<letter>[shx\u00d7]){_NOT_LETTER}
    )?
    (?P<plus>\+)?
    (?![\w%$€£¥₹]|[-\u2013/][\d$€£¥₹])
    """,
    re.VERBOSE,
)
# A number standing on its own (not part of a name such as p95, Q3, B2B or COVID-19).
_NUMBER_ALONE: Final = re.compile(r"(?<![\w.,])(?<![^\W\d_]-)(?>\.?\d+(?:[.,]\d+)*)(?![^\W\d_])")
_PLAIN: Final = re.compile(r"[0-9]+(?:\.[0-9]+)?|\.[0-9]+")
_GROUPED: Final = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?")
_SCIENTIFIC: Final = re.compile(r"(?<![\w.,])[0-9]+(?:\.[0-9]+)?[eE][+-]?[0-9]+(?!\w)")
_YEAR_ALONE: Final = re.compile(r"(?:19|20)[0-9]{2}")
_DIGIT: Final = re.compile(r"\d")
_DOTTED_THOUSANDS: Final = re.compile(r"[1-9][0-9]{0,2}\.[0-9]{3}")


@attrs.frozen
class _Quantity:
    """A number as written, with its unit; `problem` says why it cannot be read safely."""

    text: str
    value: Decimal = Decimal(0)
    unit: str | None = None
    sign: int = 0  # +1 or -1 when written with a sign ("+40%"), else 0
    problem: str | None = None


def _unreadable(text: str, problem: str) -> _Quantity:
    return _Quantity(text, problem=problem)


def _number(number: str) -> Decimal | str:
    """The value of digits as written, or why they cannot be read safely."""
    if _DOTTED_THOUSANDS.fullmatch(number):
        return (
            f"{number!r} could be a decimal or thousands with a dot: write "
            f"{number.replace('.', ',')} or {number.rstrip('0').rstrip('.')}"
        )
    if _PLAIN.fullmatch(number):
        return Decimal(number)
    if _GROUPED.fullmatch(number):
        return Decimal(number.replace(",", ""))
    return f"cannot read the number {number!r}: write 1,000 or 1000, with a dot for decimals"


def _quantity(match: re.Match[str]) -> _Quantity:
    text = match[0]
    sign = {"+": 1, "-": -1}.get(match["sign"] or "", 0)
    currency = _SYMBOLS.get(match["symbol"] or "") or match["code"]
    unit_text = match["unit"]
    unit = None
    if unit_text is not None:
        unit = _UNITS.get(unit_text.lower()) or _SYMBOLS.get(unit_text) or unit_text
    elif match["letter"] is not None:
        unit = _UNIT_LETTERS[match["letter"]]
    if currency is not None and unit is not None and unit != currency:
        return _unreadable(text, f"{text!r} names two units")
    unit = currency or unit
    if match["zero"] is not None:
        return _Quantity(text, Decimal(0), unit, sign)
    value = _number(match["number"])
    if isinstance(value, str):
        return _unreadable(text, value)
    scale = match["scale"] or match["scale_word"]
    if scale in ("m", "b") and currency is None:
        return _unreadable(
            text,
            f"{text!r} is ambiguous: write {match['number']}{scale.upper()} for "
            f"{'millions' if scale == 'm' else 'billions'}",
        )
    if scale is not None:
        value *= _SCALES[scale if len(scale) < 4 else scale.lower()]
    return _Quantity(text, value, unit, sign)


# -- Readings --------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class _Reading:
    metric: str | None
    unit: str | None = None
    direction: Direction | None = None
    value: Decimal | None = None
    baseline: Decimal | None = None
    relative: bool = False
    threshold: bool = False
    reason: str | None = None


_ARTICLES: Final = re.compile(r"^(?:(?:the|a|an|our|my|your|their|its)\s)+", re.IGNORECASE)
_METRIC_EDGES: Final = " ,:;-\u2013\u2014"


def _metric(raw: str | None) -> str | None:
    if raw is None:
        return None
    metric = _ARTICLES.sub("", raw.strip(_METRIC_EDGES)).strip(_METRIC_EDGES)
    return metric or None


def _group(match: re.Match[str], name: str) -> str | None:
    return match[name] if name in match.re.groupindex else None


def _word(match: re.Match[str], name: str) -> str:
    return " ".join((_group(match, name) or "").lower().split())


def _verb_direction(verb: str) -> Direction | None:
    if verb in _GROW:
        return Direction.INCREASE
    if verb in _REDUCE:
        return Direction.DECREASE
    return None


def _lower_is_better(metric: str | None) -> bool:
    words = re.findall(r"[^\W_]+", (metric or "").lower())
    return any(word in _LOWER_IS_BETTER for word in words)


def _no_target(metric: str | None, reason: str, unit: str | None = None) -> _Reading:
    return _Reading(metric=_metric(metric), unit=unit, reason=reason)


_CONFLICT: Final = "the words and the numbers point different ways"
_NO_WAY: Final = (
    "the sentence does not say which way to go: use a verb such as increase or reduce, "
    "or a word such as over or below"
)


def _absolute_change(metric: str | None, quantity: _Quantity) -> _Reading:
    return _no_target(
        metric,
        f"{quantity.text!r} is a change by an amount, which needs the starting value: write "
        "'from X to Y', 'to Y', or a share such as 'by 20%'",
        None if quantity.unit in ("pp", "points") else quantity.unit,
    )


def _relative(metric: str | None, direction: Direction | None, quantity: _Quantity) -> _Reading:
    """A change by a share ("up by 40%") or a multiple ("3x"); anything else needs a baseline."""
    if direction is None:
        return _no_target(metric, _NO_WAY)
    if quantity.sign and (quantity.sign > 0) != (direction is Direction.INCREASE):
        return _no_target(metric, _CONFLICT)
    if quantity.unit == "%":
        share = quantity.value / 100
    elif quantity.unit == "x" and quantity.value > 1:
        factor = quantity.value
        share = factor - 1 if direction is Direction.INCREASE else 1 - 1 / factor
    else:
        return _absolute_change(metric, quantity)
    if share <= 0:
        return _no_target(metric, "a change of nothing is not a target")
    if direction is Direction.DECREASE and share > 1:
        return _no_target(metric, f"cannot go down by more than everything ({quantity.text})")
    return _Reading(metric=_metric(metric), direction=direction, value=share, relative=True)


def _level(
    metric: str | None,
    direction: Direction,
    quantity: _Quantity,
    *,
    threshold: bool = False,
    implicit: bool = False,
) -> _Reading:
    """A level to reach or stay beyond ("over 100k", "NPS of at least 50", "3 case studies")."""
    metric = _metric(metric)
    if quantity.sign or quantity.unit == "x":
        return _no_target(metric, f"{quantity.text!r} is a change, not a level to reach")
    if implicit and quantity.value == 0:
        direction = Direction.AT_MOST
    elif implicit and _lower_is_better(metric):
        return _no_target(
            metric,
            f"for {metric!r} less is better: say 'below' or 'at most' (or 'over' if more "
            "really is the goal)",
            quantity.unit,
        )
    return _Reading(
        metric=metric,
        unit=quantity.unit,
        direction=direction,
        value=quantity.value,
        threshold=threshold,
    )


_Handler = Callable[[re.Match[str], Sequence[_Quantity]], _Reading | None]


def _quantity_of(match: re.Match[str], quantities: Sequence[_Quantity], name: str) -> _Quantity:
    return quantities[int(match[name])]


def _read_from_to(match: re.Match[str], quantities: Sequence[_Quantity]) -> _Reading:
    start, end = _quantity_of(match, quantities, "a"), _quantity_of(match, quantities, "b")
    metric = _group(match, "m")
    if start.sign or end.sign or "x" in (start.unit, end.unit):
        return _no_target(metric, "'from X to Y' needs two levels, not changes")
    if start.unit and end.unit and start.unit != end.unit:
        return _no_target(metric, f"{start.text!r} and {end.text!r} are in different units")
    unit = start.unit or end.unit
    if end.value == start.value:
        return _no_target(metric, "the start and the target are the same", unit)
    numbers = Direction.INCREASE if end.value > start.value else Direction.DECREASE
    said = {
        _verb_direction(_word(match, "v")),
        _MOVES.get(_word(match, "w")),
        _MOVES.get(_word(match, "p")),
    } - {None}
    if said and said != {numbers}:
        return _no_target(metric, _CONFLICT, unit)
    return _Reading(
        metric=_metric(metric), unit=unit, direction=numbers, value=end.value, baseline=start.value
    )


def _read_multiplier(match: re.Match[str], _quantities: Sequence[_Quantity]) -> _Reading:
    direction, share = _MULTIPLIERS[_word(match, "v").replace("half", "halve")]
    return _Reading(metric=_metric(match["m"]), direction=direction, value=share, relative=True)


def _read_change(match: re.Match[str], quantities: Sequence[_Quantity]) -> _Reading:
    """A verb or move word and an amount: "Reduce churn by 20%", "mentions up 40%", "+40%"."""
    quantity = _quantity_of(match, quantities, "q")
    metric = _group(match, "m")
    said = {
        _verb_direction(_word(match, "v")),
        _MOVES.get(_word(match, "w")),
        _MOVES.get(_word(match, "p")),
        _RELATIVE_WORDS.get(_word(match, "r")),
        {1: Direction.INCREASE, -1: Direction.DECREASE}.get(quantity.sign),
    } - {None}
    if len(said) > 1:
        return _no_target(metric, _CONFLICT)
    return _relative(metric, said.pop() if said else None, quantity)


def _read_signed(match: re.Match[str], quantities: Sequence[_Quantity]) -> _Reading | None:
    quantity = _quantity_of(match, quantities, "q")
    return _read_change(match, quantities) if quantity.sign else None


def _read_to(match: re.Match[str], quantities: Sequence[_Quantity]) -> _Reading:
    """A verb and a level to get to: "Grow MRR to $35k", "Get churn down to 2%"."""
    quantity = _quantity_of(match, quantities, "q")
    metric = _group(match, "m")
    said = {
        _verb_direction(_word(match, "v")),
        _MOVES.get(_word(match, "w")),
        _MOVES.get(_word(match, "p")),
    } - {None}
    if len(said) > 1:
        return _no_target(metric, _CONFLICT, quantity.unit)
    if not said:
        return _no_target(metric, _NO_WAY, quantity.unit)
    if quantity.sign or quantity.unit == "x":
        return _no_target(metric, f"{quantity.text!r} is a change, not a level to reach")
    return _Reading(
        metric=_metric(metric), unit=quantity.unit, direction=said.pop(), value=quantity.value
    )


def _read_comparison(match: re.Match[str], quantities: Sequence[_Quantity]) -> _Reading:
    """A comparator: "views over 100k", "Keep churn below 2%", "At least 3 case studies"."""
    quantity = _quantity_of(match, quantities, "q")
    metric = _group(match, "m")
    direction = _COMPARATORS.get(_word(match, "c")) or _OR_MORE[_word(match, "o")]
    verb = _verb_direction(_word(match, "v"))
    if verb is not None and verb.higher_is_better != direction.higher_is_better:
        return _no_target(metric, _CONFLICT, quantity.unit)
    threshold = bool(_group(match, "t")) or _word(match, "l") in _THRESHOLD_LINKS
    return _level(metric, direction, quantity, threshold=threshold)


def _read_reach(match: re.Match[str], quantities: Sequence[_Quantity]) -> _Reading:
    """Reaching a level: "Reach an NPS of 50", "Exceed 100k views", "MRR hits $35k"."""
    quantity = _quantity_of(match, quantities, "q")
    implicit = _word(match, "v") in _REACH or _word(match, "v").startswith(("reache", "hit"))
    return _level(_group(match, "m"), Direction.AT_LEAST, quantity, implicit=implicit)


def _read_count(match: re.Match[str], quantities: Sequence[_Quantity]) -> _Reading:
    """A number before what it counts: "Ship 3 case studies", "1.2M monthly active users"."""
    quantity = _quantity_of(match, quantities, "q")
    metric = _group(match, "m")
    verb = _word(match, "v")
    if verb in _INCREMENT or _group(match, "x"):
        return _absolute_change(metric, quantity)
    if not verb and _YEAR_ALONE.fullmatch(quantity.text):
        return _no_target(
            None, f"{quantity.text} looks like a year: write a count as {quantity.value:,}"
        )
    implicit = verb in ("", "get", "get to", "have", "see", *_REACH, *_THRESHOLD)
    threshold = verb in _THRESHOLD
    return _level(metric, Direction.AT_LEAST, quantity, threshold=threshold, implicit=implicit)


def _read_wish(match: re.Match[str], _quantities: Sequence[_Quantity]) -> _Reading:
    return _no_target(
        match["m"],
        "there is no number to reach: say how much, such as 'from 20k to 35k' or 'over 5k'",
    )


# -- The grammar -----------------------------------------------------------------------------

_PIECES: Final = {
    "M": r"(?P<m>[^\x00]+?)",
    "Q": r"\x00(?P<q>\d+)\x00",
    "A": r"\x00(?P<a>\d+)\x00",
    "B": r"\x00(?P<b>\d+)\x00",
    "CHANGE": _words([*_GROW, *_REDUCE, *_NEUTRAL]),
    "GROW_REDUCE": _words([*_GROW, *_REDUCE]),
    "REDUCE": _words(_REDUCE),
    "THRESHOLD": _words([*_THRESHOLD, "hold"]),
    "MOVE": _words(_MOVES),
    "RELATIVE": _words(_RELATIVE_WORDS),
    "COMPARATOR": _words(_COMPARATORS),
    "OR_MORE": _words(_OR_MORE),
    "LINK": _words(_LINKS),
    "CMP_VERB": _words([*_GROW, *_REDUCE, *_NEUTRAL, *_REACH, "have", "see", "land"]),
    "COUNT_VERB": _words(
        [*_ACTION, *_REACH, *_INCREMENT, *_THRESHOLD, "get to", "achieve", "deliver"]
    ),
    "EXTRA": "a total of|total of|an additional|additional|another|an extra|extra",
    "ARROW": "to|->|\u2192|=>",
}


@attrs.frozen
class _Rule:
    """A sentence shape and its handler.

    `quantities` is how many placeholders the shape holds; `needs`, when given, are words of
    which one must stand between spaces in the sentence (a quick test before the pattern).
    """

    pattern: re.Pattern[str]
    handler: _Handler
    quantities: int
    needs: frozenset[str] = frozenset()


def _rule(template: str, handler: _Handler, needs: Iterable[str] = ()) -> _Rule:
    pattern = re.sub(r"%(\w+)%", lambda piece: _PIECES[piece[1]], template)
    placeholders = sum(template.count(f"%{name}%") for name in "QAB")
    return _Rule(re.compile(pattern, re.IGNORECASE), handler, placeholders, frozenset(needs))


_RULES: Final = (
    # from X to Y
    _rule(r"(?:(?P<v>%CHANGE%) )?%M%(?: (?P<w>%MOVE%))? from %A% (?:%ARROW%) %B%", _read_from_to),
    _rule(r"(?:(?P<v>%CHANGE%) )?%M% (?:(?P<p>up|down) )?to %B% from %A%", _read_from_to),
    _rule(r"(?:(?P<v>%CHANGE%) )?from %A% to %B% %M%", _read_from_to),
    _rule(r"(?:(?P<v>%CHANGE%) )?%M%:? %A% (?:%ARROW%) %B%", _read_from_to),
    # multiples and shares
    _rule(r"(?P<v>double|triple|quadruple|halve) %M%", _read_multiplier),
    _rule(r"(?:%REDUCE%) %M% (?:in|by) (?P<v>half)", _read_multiplier),
    _rule(r"(?P<v>%CHANGE%) %M% (?:(?P<p>up|down) )?(?:by )?%Q%", _read_change),
    _rule(r"%M% (?P<w>%MOVE%)(?: by)? %Q%", _read_change, needs=_MOVES),
    _rule(r"%M%:? %Q%", _read_signed),
    _rule(
        r"(?:(?:achieve|deliver|drive|see|get|generate) )?(?:an? )?%Q% (?P<r>%RELATIVE%) %M%",
        _read_change,
    ),
    # to a level, with a verb that says which way
    _rule(r"(?P<v>%CHANGE%) %M% (?:(?P<p>up|down) )?to %Q%", _read_to),
    _rule(r"(?P<v>%GROW_REDUCE%) to %Q% %M%", _read_to),
    _rule(r"%M% (?P<w>%MOVE%) to %Q%", _read_to, needs=_MOVES),
    # comparators
    _rule(r"(?P<t>%THRESHOLD%) (?P<c>%COMPARATOR%) ?%Q%", _read_comparison),
    _rule(
        r"(?:(?P<t>%THRESHOLD%) )?(?:(?P<v>%CMP_VERB%) )?%M% (?:(?P<l>%LINK%) )?"
        r"(?P<c>%COMPARATOR%) ?%Q%",
        _read_comparison,
    ),
    _rule(
        r"(?:(?P<t>%THRESHOLD%) )?(?:(?:%CMP_VERB%|%COUNT_VERB%) )?(?P<c>%COMPARATOR%) ?%Q% "
        r"(?:(?:of|in) )?%M%",
        _read_comparison,
    ),
    _rule(r"(?P<c>%COMPARATOR%) ?%Q%", _read_comparison),
    _rule(
        r"(?:(?P<t>%THRESHOLD%) )?(?:(?:%COUNT_VERB%) )?%Q% or (?P<o>%OR_MORE%) %M%",
        _read_comparison,
    ),
    _rule(r"%M%:? %Q% or (?P<o>%OR_MORE%)", _read_comparison),
    # reaching a level
    _rule(r"(?P<v>exceed|surpass|beat|cross) %Q% %M%", _read_reach),
    _rule(
        r"%M% (?P<v>exceeds|surpasses|passes|beats|tops|crosses|breaks|reaches|hits) %Q%",
        _read_reach,
    ),
    _rule(r"(?P<v>reach|hit|achieve|attain|get to) %M% (?:of|at) %Q%", _read_reach),
    # a count before what it counts
    _rule(r"(?:(?P<v>%COUNT_VERB%) )?(?:(?P<x>%EXTRA%) )?%Q% (?:(?:of|in) )?%M%", _read_count),
    # a wish without a number
    _rule(r"(?:%CHANGE%|double|triple|halve) %M%", _read_wish),
)
# A rule fits only a skeleton with as many quantities as it has placeholders: nothing else in a
# rule matches the NUL characters around them (the metric excludes NUL, cleaning removes it).
_RULES_FOR: Final = {
    count: tuple(rule for rule in _RULES if rule.quantities == count) for count in range(3)
}

_PER: Final = re.compile(
    r"(?<=\x00)(?: ?/ ?| per | a | an | each | every )"
    r"(?P<tail>(?:day|week|month|quarter|year|sprint|hour|minute|second|user|customer|visit"
    r"|session)s?|(?<=per )[^\W\d_][\w-]*(?: [^\W\d_][\w-]*)?)$",
    re.IGNORECASE,
)
_OVER_TIME: Final = re.compile(
    r"(?<=\x00) (?P<tail>yoy|qoq|mom|wow|(?:year|quarter|month|week)[- ]over[- ]"
    r"(?:year|quarter|month|week))$",
    re.IGNORECASE,
)
_QUALIFIER: Final = re.compile(
    r"(?<=\x00) (?P<tail>(?:in|on|from|across|among|via|through|during|for) [^\x00]+)$",
    re.IGNORECASE,
)
_SPACES: Final = re.compile(r" {2,}")
_SIDE_BY_SIDE: Final = "\x00 \x00"


_DANGLING: Final = frozenset(
    _vocabulary(
        "to towards toward at of in on for with from into onto around about near by than is are "
        "be was were and or the a an up down over under above below no not"
    )
)
_NOT_A_START: Final = frozenset(
    [
        *_GROW,
        *_REDUCE,
        *_THRESHOLD,
        *_vocabulary("over above below under than no not or and from of to by at in with"),
    ]
)
_COMPARISON_INSIDE: Final = re.compile(
    r"\b(?:at least|at most|more than|less than|fewer than|or more|or fewer|or less)\b",
    re.IGNORECASE,
)


def _misread(raw: str | None) -> bool:
    """Whether a metric shows that the sentence was split in the wrong place.

    It ends in a word such as "to" or "over", starts with a verb or a comparator, holds a
    comparison, or has no letter at all.
    """
    if raw is None:
        return False
    metric = _metric(raw)
    if metric is None or not any(char.isalpha() for char in metric):
        return True
    words = metric.lower().split()
    return (
        words[-1] in _DANGLING
        or words[0] in _NOT_A_START
        or _COMPARISON_INSIDE.search(metric) is not None
    )


def _tails(skeleton: str) -> tuple[str, str]:
    """The skeleton without words after the last number that qualify the metric, and those."""
    tails: list[str] = []
    for pattern in (_QUALIFIER, _OVER_TIME, _PER):
        if skeleton.endswith("\x00"):
            break  # each tail comes after the last number: there is none
        if found := pattern.search(skeleton):
            tail = found["tail"]
            tails.insert(0, f"per {tail}" if pattern is _PER else tail)
            skeleton = skeleton[: found.start()]
    return skeleton, " ".join(tails)


def _skeleton(text: str) -> tuple[str, list[_Quantity]] | _Reading:
    """The cleaned sentence with each quantity replaced by a placeholder, and the quantities.

    A number that cannot be read safely gives a `_Reading` without target instead.
    """
    cleaned = _clean(text)
    quantities: list[_Quantity] = []
    parts: list[str] = []
    last = 0
    for found in _QUANTITY.finditer(cleaned):
        quantity = _quantity(found)
        if quantity.problem is not None:
            return _no_target(None, quantity.problem)
        parts += [cleaned[last : found.start()], f" \x00{len(quantities)}\x00 "]
        quantities.append(quantity)
        last = found.end()
    parts.append(cleaned[last:])
    words = " ".join(parts[::2])
    if _DIGIT.search(words):  # both need a digit outside the quantities
        if scientific := _SCIENTIFIC.search(words):
            return _no_target(
                None, f"{scientific[0]!r}: numbers in scientific notation are not read"
            )
        if stray := _NUMBER_ALONE.search(words):
            return _no_target(
                None, f"cannot read the number {stray[0]!r} here (ranges and dates are not read)"
            )
    skeleton = "".join(parts)
    if "  " in skeleton:
        skeleton = _SPACES.sub(" ", skeleton)
    skeleton = skeleton.strip()
    if _SIDE_BY_SIDE in skeleton:
        return _no_target(
            None, "two numbers stand side by side: a space is not a thousands separator (1,000)"
        )
    return skeleton, quantities


def _read(text: str) -> _Reading:
    found = _skeleton(text)
    if isinstance(found, _Reading):
        return found
    skeleton, quantities = found
    shorter, tail = _tails(skeleton)
    tries = ((skeleton, ""), (shorter, tail)) if tail else ((skeleton, ""),)
    signed = len(quantities) == 1 and quantities[0].sign != 0
    # In ASCII text the rules' words match the lowercase words between spaces; elsewhere case
    # folding can match more (the Kelvin sign matches k), so every rule is tried.
    words_in = frozenset(skeleton.lower().split(" ")) if skeleton.isascii() else None
    for rule in _RULES_FOR.get(len(quantities), ()):
        if rule.handler is _read_signed and not signed:
            continue  # it reads only a number written with a sign
        if rule.needs and words_in is not None and rule.needs.isdisjoint(words_in):
            continue
        for words, extra in tries:
            match = rule.pattern.fullmatch(words)
            if match is None or _misread(_group(match, "m")):
                continue
            if reading := rule.handler(match, quantities):
                if extra and reading.metric is not None:
                    return attrs.evolve(reading, metric=f"{reading.metric} {extra}")
                return reading
    if not quantities:
        return _no_target(None, "there is no number to reach")
    return _no_target(
        None,
        "the sentence does not match a known shape, such as 'Sign-ups over 5k', "
        "'Grow MRR from $20k to $35k' or 'Mentions up by 40%'",
    )


def _finite(value: Decimal, *, relative: bool = False) -> float | None:
    number = float(value)
    if not math.isfinite(number):
        return None
    if not relative and value == value.to_integral_value() and abs(number) < 2**53:
        return int(value)
    return number


def parse(text: str) -> KeyResultSentence:
    """Read the metric, unit and target from a key-result sentence.

    Never raises for text: a sentence without a plain, measurable target comes back with
    ``target=None`` and a `reason`. Raises `SentenceError` for anything that is not a `str`,
    or for text longer than `MAX_SENTENCE_LENGTH` characters.
    """
    if not isinstance(text, str):
        raise SentenceError(f"a key-result sentence must be text, got {type(text).__name__}")
    if len(text) > MAX_SENTENCE_LENGTH:
        raise SentenceError(
            f"a key-result sentence is at most {MAX_SENTENCE_LENGTH:,} characters, "
            f"got {len(text):,}"
        )
    reading = _read(text)
    target = None
    reason = reading.reason
    if reading.direction is not None and reading.value is not None:
        value = _finite(reading.value, relative=reading.relative)
        baseline = None if reading.baseline is None else _finite(reading.baseline)
        if value is None or (reading.baseline is not None and baseline is None):
            reason = "a number is too large to be a target"
        else:
            try:
                target = Target(
                    value,
                    reading.direction,
                    baseline=baseline,
                    relative=reading.relative,
                    threshold=reading.threshold,
                )
            except ModelError as error:
                reason = error.message
    return KeyResultSentence(text, reading.metric, reading.unit, target, reason=reason)
