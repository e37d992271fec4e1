"""What counts as text Planner can carry to every later stage (mail headers, iCalendar,
HTTP headers, PostgreSQL): checked where input arrives, so no stage refuses it later.

Line breaks are every character Python's `str.splitlines()` splits on (the e-mail library
refuses all of them in header values): LF, CR, VT, FF, FS, GS, RS, NEL (U+0085), LINE
SEPARATOR (U+2028) and PARAGRAPH SEPARATOR (U+2029). Control characters are C0 and C1
(Unicode general category Cc). PostgreSQL refuses NUL in text; UTF-8 cannot encode lone
surrogates (which JSON's \\ud800 escapes can produce)."""

import re
import unicodedata

LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
# C0 and C1 control characters, DEL, the Unicode line and paragraph separators.
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_BREAK_RUN = re.compile(r"\r\n|[" + re.escape(LINE_BREAKS) + "]")
_OTHER_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1b\x1f\x7f-\x84\x86-\x9f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


class UnusableText(ValueError):
    """Text that no later stage could carry; the message says what to fix."""


def _usable(text: str) -> str:
    if _SURROGATE.search(text):
        raise UnusableText("contains characters that are not valid text")
    return unicodedata.normalize("NFC", text)


def check_line(text: str) -> str:
    """A single-line value (a name, a title, a subject): NFC-normalised and stripped.
    Raises UnusableText when it holds a line break or any other control character
    (a tab is allowed and becomes a space) or invalid characters."""
    text = _usable(text).replace("\t", " ").strip()
    if CONTROL.search(text):
        raise UnusableText("must be a single line without control characters")
    return text


def normalise_multiline(text: str) -> str:
    """Free text (a message, a comment): every kind of line break becomes LF, other control
    characters (NUL among them) are dropped, tabs kept; NFC-normalised and stripped.
    Raises UnusableText only for invalid characters (lone surrogates)."""
    text = _BREAK_RUN.sub("\n", _usable(text))
    return _OTHER_CONTROL.sub("", text).strip()


def without_nul(text: str) -> str:
    """Text with NUL characters removed and lone surrogates replaced, for values that only
    search or look up (a search box, a sign-in e-mail): they can match nothing anyway."""
    return _SURROGATE.sub("\ufffd", text.replace("\x00", ""))
