"""Java's regular expressions, as Harness chooses a version: ``Pattern.compile(r).matcher(v).find()``.

No JVM here: a Java pattern is parsed the way ``java.util.regex.Pattern`` parses it (its syntax,
its errors and their indices) and translated into a pattern for the ``regex`` package with every
flag already applied: character classes become explicit code-point sets (Java's ASCII ``\\w``,
``\\d``, ``\\s``, its case-insensitive matching, class unions and intersections), anchors and ``.``
become lookarounds over Java's line terminators, ``\\b`` follows Java's word rule. A construct
that cannot be translated faithfully is refused (:class:`Unsupported`), never approximated. One
known limit: Java walks a version in UTF-16 units, so between the two halves of a character beyond
the BMP (an emoji) a zero-width assertion such as ``\\B`` can hold there and not here.
``tests/javaregex_test.py`` checks the translation against ``java.util.regex`` itself.
"""

from __future__ import annotations

from functools import cache

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

MAX = 0x10FFFF
CASE_INSENSITIVE, UNIX_LINES, MULTILINE, DOTALL, UNICODE_CASE, COMMENTS, UNICODE_CLASS = 2, 1, 8, 32, 64, 4, 256
FLAG_LETTERS = {
    "i": CASE_INSENSITIVE,
    "d": UNIX_LINES,
    "m": MULTILINE,
    "s": DOTALL,
    "u": UNICODE_CASE,
    "x": COMMENTS,
    "U": UNICODE_CLASS | UNICODE_CASE,
}
TERMINATORS = "\n\r\u0085\u2028\u2029"


class JavaRegexError(Exception):
    """A pattern ``java.util.regex.Pattern`` rejects: its description and index, as Java gives them."""

    def __init__(self, description: str, index: int, pattern: str) -> None:
        super().__init__(f"{description} near index {index}")
        self.description, self.index, self.pattern = description, index, pattern


class Unsupported(Exception):
    """Valid Java that customsrc cannot reproduce exactly (so it refuses rather than guess)."""


# -- character sets: explicit code-point ranges, or set expressions over Unicode properties --------
#
# A set is ("r", ranges) with ranges sorted, disjoint [lo, hi] pairs, or ("p", name) a property the
# regex package knows (\p{Lu}, \p{Alphabetic}), or ("u", (a, b)) / ("i", (a, b)) / ("n", a): union,
# intersection, complement, emitted with the regex package's set operations (V1).

Ranges = tuple[tuple[int, int], ...]
if TYPE_CHECKING:
    CharSet = tuple[Any, ...]


def _norm(pairs: list[tuple[int, int]]) -> Ranges:
    pairs.sort()
    out: list[tuple[int, int]] = []
    for lo, hi in pairs:
        if out and lo <= out[-1][1] + 1:
            if hi > out[-1][1]:
                out[-1] = (out[-1][0], hi)
        else:
            out.append((lo, hi))
    return tuple(out)


def _negate_ranges(a: Ranges) -> Ranges:
    out, start = [], 0
    for lo, hi in a:
        if lo > start:
            out.append((start, lo - 1))
        start = hi + 1
    if start <= MAX:
        out.append((start, MAX))
    return tuple(out)


def ranges(pairs: Ranges) -> CharSet:
    return ("r", pairs)


def union(a: CharSet, b: CharSet) -> CharSet:
    if a[0] == "r" and b[0] == "r":
        return ("r", _norm([*a[1], *b[1]]))
    return ("u", (a, b))


def negate(a: CharSet) -> CharSet:
    if a[0] == "r":
        return ("r", _negate_ranges(a[1]))
    if a[0] == "n":
        found: CharSet = a[1]
        return found
    return ("n", a)


def intersect(a: CharSet, b: CharSet) -> CharSet:
    if a[0] == "r" and b[0] == "r":
        return negate(union(negate(a), negate(b)))
    return ("i", (a, b))


def chars(text: str) -> CharSet:
    return ("r", _norm([(ord(c), ord(c)) for c in text]))


def span(lo: int, hi: int) -> CharSet:
    return ("r", ((lo, hi),))


GENERAL = "Lu Ll Lt Lm Lo Mn Mc Me Nd Nl No Zs Zl Zp Cc Cf Co Cs Pd Ps Pe Pc Po Pi Pf Sm Sc Sk So Cn L M N Z C P S"
PROPERTIES: dict[str, CharSet] = {code: ("p", code) for code in GENERAL.split()}
PROPERTIES["LC"] = ("u", (("u", (("p", "Lu"), ("p", "Ll"))), ("p", "Lt")))
PROPERTIES["LD"] = ("u", (("p", "L"), ("p", "Nd")))
PROPERTIES["letter_or_digit"] = PROPERTIES["LD"]
PROPERTIES["letter"] = ("p", "L")
PROPERTIES["lower"] = ("p", "Lowercase")
PROPERTIES["upper"] = ("p", "Uppercase")
PROPERTIES["title"] = ("p", "Lt")
PROPERTIES["alphabetic"] = ("p", "Alphabetic")
PROPERTIES["java_whitespace"] = (
    "u",
    (
        ("i", (("p", "Z"), ("r", _negate_ranges(((0xA0, 0xA0), (0x2007, 0x2007), (0x202F, 0x202F)))))),
        ("r", ((0x09, 0x0D), (0x1C, 0x1F))),
    ),
)
PROPERTIES["space_char"] = ("p", "Z")
PROPERTIES["defined"] = ("n", ("p", "Cn"))


def prop(name: str) -> CharSet:
    return PROPERTIES[name]


ASCII_DIGIT = span(0x30, 0x39)
ASCII_WORD = ranges(_norm([(0x30, 0x39), (0x41, 0x5A), (0x61, 0x7A), (0x5F, 0x5F)]))
ASCII_SPACE = chars(" \t\n\x0b\f\r")
HORIZONTAL = union(chars(" \t\xa0\u1680\u180e\u202f\u205f\u3000"), span(0x2000, 0x200A))
VERTICAL = chars("\n\x0b\f\r\x85\u2028\u2029")
POSIX: dict[str, CharSet] = {
    "Lower": span(0x61, 0x7A),
    "Upper": span(0x41, 0x5A),
    "ASCII": span(0, 0x7F),
    "Alpha": ranges(_norm([(0x41, 0x5A), (0x61, 0x7A)])),
    "Digit": ASCII_DIGIT,
    "Alnum": ranges(_norm([(0x30, 0x39), (0x41, 0x5A), (0x61, 0x7A)])),
    "Punct": ranges(_norm([(0x21, 0x2F), (0x3A, 0x40), (0x5B, 0x60), (0x7B, 0x7E)])),
    "Graph": span(0x21, 0x7E),
    "Print": span(0x20, 0x7E),
    "Blank": chars(" \t"),
    "Cntrl": ranges(_norm([(0, 0x1F), (0x7F, 0x7F)])),
    "XDigit": ranges(_norm([(0x30, 0x39), (0x41, 0x46), (0x61, 0x66)])),
    "Space": ASCII_SPACE,
}
JAVA_CLASSES = {
    "javaLowerCase": "lower",
    "javaUpperCase": "upper",
    "javaTitleCase": "title",
    "javaLetter": "letter",
    "javaLetterOrDigit": "letter_or_digit",
    "javaDigit": "Nd",
    "javaAlphabetic": "alphabetic",
    "javaWhitespace": "java_whitespace",
    "javaSpaceChar": "space_char",
    "javaDefined": "defined",
}


CASED = ("Lu", "Ll", "Lt")
JAVA_CASED = ("javaLowerCase", "javaUpperCase", "javaTitleCase")


def _property(name: str, case_insensitive: bool) -> CharSet | None:
    """CharPredicates.forProperty: categories, POSIX (ASCII) classes, java* classes. Case-insensitive
    matching widens the case classes as Java does: Lu, Ll and Lt each become all three; Lower and
    Upper all ASCII letters; javaLowerCase, javaUpperCase and javaTitleCase any cased character."""
    if case_insensitive and name in CASED:
        return prop("LC")
    if case_insensitive and name in ("Lower", "Upper"):
        return POSIX["Alpha"]
    if case_insensitive and name in JAVA_CASED:
        return union(union(prop("lower"), prop("upper")), prop("title"))
    if name in PROPERTIES and (name in GENERAL.split() or name in ("LC", "LD")):
        return prop(name)
    if name in POSIX:
        return POSIX[name]
    if name == "L1":
        return span(0, 0xFF)
    if name == "all":
        return span(0, MAX)
    if name in JAVA_CLASSES:
        return prop(JAVA_CLASSES[name])
    if name.startswith("java"):
        raise Unsupported(f"\\p{{{name}}}")
    return None


# Scripts customsrc checks against Java (single-word names: Java wants OLD_ITALIC where the regex
# package would also take OldItalic, so multi-word scripts are refused rather than guessed).
SCRIPTS = [
    "LATIN",
    "GREEK",
    "CYRILLIC",
    "ARMENIAN",
    "HEBREW",
    "ARABIC",
    "SYRIAC",
    "THAANA",
    "DEVANAGARI",
    "BENGALI",
    "GURMUKHI",
    "GUJARATI",
    "ORIYA",
    "TAMIL",
    "TELUGU",
    "KANNADA",
    "MALAYALAM",
    "SINHALA",
    "THAI",
    "LAO",
    "TIBETAN",
    "MYANMAR",
    "GEORGIAN",
    "HANGUL",
    "ETHIOPIC",
    "CHEROKEE",
    "OGHAM",
    "RUNIC",
    "KHMER",
    "MONGOLIAN",
    "HIRAGANA",
    "KATAKANA",
    "BOPOMOFO",
    "HAN",
    "YI",
    "GOTHIC",
    "DESERET",
    "COMMON",
    "INHERITED",
    "COPTIC",
    "BRAILLE",
]
# Blocks: Java's constant name, canonical name, first and last code point.
BLOCKS = (
    ("BASIC_LATIN", "Basic Latin", 0x0000, 0x007F),
    ("LATIN_1_SUPPLEMENT", "Latin-1 Supplement", 0x0080, 0x00FF),
    ("LATIN_EXTENDED_A", "Latin Extended-A", 0x0100, 0x017F),
    ("LATIN_EXTENDED_B", "Latin Extended-B", 0x0180, 0x024F),
    ("IPA_EXTENSIONS", "IPA Extensions", 0x0250, 0x02AF),
    ("COMBINING_DIACRITICAL_MARKS", "Combining Diacritical Marks", 0x0300, 0x036F),
    ("GREEK", "Greek and Coptic", 0x0370, 0x03FF),
    ("CYRILLIC", "Cyrillic", 0x0400, 0x04FF),
    ("ARMENIAN", "Armenian", 0x0530, 0x058F),
    ("HEBREW", "Hebrew", 0x0590, 0x05FF),
    ("ARABIC", "Arabic", 0x0600, 0x06FF),
    ("DEVANAGARI", "Devanagari", 0x0900, 0x097F),
    ("THAI", "Thai", 0x0E00, 0x0E7F),
    ("GENERAL_PUNCTUATION", "General Punctuation", 0x2000, 0x206F),
    ("CURRENCY_SYMBOLS", "Currency Symbols", 0x20A0, 0x20CF),
    ("LETTERLIKE_SYMBOLS", "Letterlike Symbols", 0x2100, 0x214F),
    ("NUMBER_FORMS", "Number Forms", 0x2150, 0x218F),
    ("ARROWS", "Arrows", 0x2190, 0x21FF),
    ("MATHEMATICAL_OPERATORS", "Mathematical Operators", 0x2200, 0x22FF),
    ("HIRAGANA", "Hiragana", 0x3040, 0x309F),
    ("KATAKANA", "Katakana", 0x30A0, 0x30FF),
    ("CJK_UNIFIED_IDEOGRAPHS", "CJK Unified Ideographs", 0x4E00, 0x9FFF),
    ("HANGUL_SYLLABLES", "Hangul Syllables", 0xAC00, 0xD7AF),
)


def _regex_names(kind: str) -> dict[str, int]:
    """The regex package's value names for a property (SCRIPT, BLOCK), without spaces or _."""
    import importlib

    core: Any = importlib.import_module("regex._regex_core")
    table: dict[str, int] = core.PROPERTIES[kind][1]
    return table


def _script(name: str) -> CharSet | None:
    """Character.UnicodeScript.forName: a constant name or a four-letter alias, any case."""
    key = name.upper()
    known = _regex_names("SCRIPT")
    if key not in known:
        return None
    canonical = next((s for s in SCRIPTS if known.get(s) == known[key]), None)
    if canonical is None:
        raise Unsupported(f"the script {name!r} (customsrc checks the common single-word scripts only)")
    return ("p", f"Script={canonical.title()}")


def _block(name: str) -> CharSet | None:
    """Character.UnicodeBlock.forName: the constant name, the canonical name with or without its
    spaces, any case."""
    key = name.upper()
    for constant, canonical, lo, hi in BLOCKS:
        if key in (constant, canonical.upper(), canonical.replace(" ", "").upper()):
            return span(lo, hi)
    loose = key.replace(" ", "").replace("_", "").replace("-", "")
    if loose in _regex_names("BLOCK"):
        raise Unsupported(f"the block {name!r} (customsrc checks the common blocks only)")
    return None


# -- case folding as Java does it -------------------------------------------------------------------


# Java's Character.toUpperCase/toLowerCase are the simple (one-character) mappings; Python's str
# methods are the full ones. Where they differ: the full lowercase of U+0130 is two characters (its
# simple one is 'i'), and a Greek letter with ypogegrammeni uppercases to two where its simple
# uppercase is the titlecase letter; for the rest (ß, ŉ, ligatures) there is no simple mapping.


def _upper(cp: int) -> int:
    for mapped in (chr(cp).upper(), chr(cp).title()):
        if len(mapped) == 1:
            return ord(mapped)
    return cp


def _lower(cp: int) -> int:
    if cp == 0x130:
        return 0x69
    mapped = chr(cp).lower()
    return ord(mapped) if len(mapped) == 1 else cp


@cache
def _cased() -> tuple[int, ...]:
    scan = [*range(0x10000), *range(0x10400, 0x1E944)]  # no cased character lies beyond
    return tuple(cp for cp in scan if _upper(cp) != cp or _lower(cp) != cp)


def _fold(cp: int) -> int:
    return _lower(_upper(cp))


def single(cp: int, flags: int) -> CharSet:
    """What one literal character matches (Pattern.single / Slice semantics)."""
    if flags & CASE_INSENSITIVE:
        if flags & UNICODE_CASE:
            upper = _upper(cp)
            lower = _lower(upper)
            if upper != lower:
                found = {cp, lower}
                found.update(x for x in _cased() if _fold(x) == lower)
                return ranges(_norm([(x, x) for x in found]))
        elif cp < 128 and chr(cp).isalpha():
            return chars(chr(cp).lower() + chr(cp).upper())
    return span(cp, cp)


def case_range(lo: int, hi: int, flags: int) -> CharSet:
    if not flags & CASE_INSENSITIVE:
        return span(lo, hi)
    extra: list[tuple[int, int]] = [(lo, hi)]
    if flags & UNICODE_CASE:
        for cp in _cased():
            if lo <= _upper(cp) <= hi or lo <= _lower(cp) <= hi:
                extra.append((cp, cp))
    else:
        for cp in range(128):
            c = chr(cp)
            if c.isalpha() and (lo <= ord(c.upper()) <= hi or lo <= ord(c.lower()) <= hi):
                extra.append((cp, cp))
    return ranges(_norm(extra))


# -- the parser ------------------------------------------------------------------------------------

# A node is a tuple: ("set", ranges) | ("seq", [nodes]) | ("alt", [nodes]) | ("group", kind, node, name)
# | ("repeat", node, lo, hi, mode) | ("raw", text, minlen, maxlen) | ("ref", number) | ("named_ref", name)


class _Parser:
    def __init__(self, pattern: str) -> None:
        self.original = pattern
        self.text = _remove_qe(pattern)
        self.pos = 0
        self.flags = 0
        self.groups = 0
        self.names: dict[str, int] = {}
        self.refs: list[int] = []

    # reading, with COMMENTS' whitespace and #-comments skipped as Java's peek/next do
    def _skip_comments(self) -> None:
        if not self.flags & COMMENTS:
            return
        while self.pos < len(self.text):
            c = self.text[self.pos]
            if c in " \t\n\x0b\f\r":
                self.pos += 1
            elif c == "#":
                while self.pos < len(self.text) and self.text[self.pos] not in TERMINATORS:
                    self.pos += 1
            else:
                return

    def peek(self) -> str:
        self._skip_comments()
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def read(self) -> str:
        c = self.peek()
        self.pos += 1
        return c

    def raw(self, offset: int = 0) -> str:
        i = self.pos + offset
        return self.text[i] if 0 <= i < len(self.text) else ""

    def error(self, description: str, index: int | None = None) -> JavaRegexError:
        return JavaRegexError(description, self.pos - 1 if index is None else index, self.text)

    # expr := sequence ('|' sequence)*
    def expr(self) -> Any:
        branches = [self.sequence()]
        while self.peek() == "|":
            self.pos += 1
            branches.append(self.sequence())
        return branches[0] if len(branches) == 1 else ("alt", branches)

    def sequence(self) -> Any:
        items: list[Any] = []
        while True:
            c = self.peek()
            if c == "" or c in "|)":
                break
            if c == "(":
                node = self.group()
                if node is None:
                    continue
            elif c == "[":
                self.pos += 1
                node = ("set", self.clazz())
            elif c == "\\":
                nxt = self.raw(1)
                if nxt in ("p", "P"):
                    self.pos += 2
                    node = ("set", self.family(nxt == "P"))
                else:
                    node = self.atom()
            elif c == "^":
                self.pos += 1
                node = self.caret()
            elif c == "$":
                self.pos += 1
                node = self.dollar(self.flags & MULTILINE != 0)
            elif c == ".":
                self.pos += 1
                node = ("set", self.dot())
            elif c in "?*+":
                self.pos += 1
                raise self.error(f"Dangling meta character '{c}'")
            else:
                node = self.atom()
            items.append(self.closure(node))
        return ("seq", items)

    def atom(self) -> Any:
        """A run of literal characters (escapes included); a quantifier binds to the last one."""
        out: list[Any] = []
        last = self.pos
        while True:
            c = self.peek()
            if c == "" or c in "$.^([|)":
                break
            if c in "*+?{":
                if len(out) > 1:  # the quantifier takes the last character alone
                    self.pos = last
                    out.pop()
                break
            last = self.pos
            if c == "\\":
                if self.raw(1) in ("p", "P"):
                    break
                value = self.escape(in_class=False)
                if isinstance(value, tuple):  # a class or an assertion: an atom of its own
                    if out:
                        self.pos = last
                        break
                    return value
                out.append(("set", single(value, self.flags)))
            else:
                self.pos += 1
                out.append(("set", single(ord(c), self.flags)))
        return ("seq", out)

    def closure(self, node: Any) -> Any:
        c = self.peek()
        if c in ("?", "*", "+"):
            self.pos += 1
            return self._mode(("repeat", node, *{"?": (0, 1), "*": (0, None), "+": (1, None)}[c], ""))
        if c == "{":
            if not self.raw(1).isdigit() or not self.raw(1).isascii():
                self.pos += 2
                raise self.error("Illegal repetition")
            self.pos += 1
            lo = self._count()
            hi: int | None = lo
            if self.raw() == ",":
                self.pos += 1
                hi = None if self.raw() == "}" else self._count()
            if self.raw() != "}":
                self.pos += 1
                raise self.error("Unclosed counted closure")
            self.pos += 1
            if hi is not None and hi < lo:
                raise self.error("Illegal repetition range")
            return self._mode(("repeat", node, lo, hi, ""))
        return node

    def _count(self) -> int:
        """The digits of a counted closure (none: 0), at most Integer.MAX_VALUE."""
        value = 0
        while self.raw().isascii() and self.raw().isdigit():
            value = value * 10 + int(self.raw())
            self.pos += 1
            if value > 0x7FFFFFFF:
                raise self.error("Illegal repetition range")
        return value

    def _mode(self, repeat: Any) -> Any:
        """A quantifier's '?' (lazy) or '+' (possessive) suffix."""
        after = self.peek()
        if after in ("?", "+"):
            self.pos += 1
            return (*repeat[:4], after)
        return repeat

    def group(self) -> Any:
        save = self.flags
        self.pos += 1  # '('
        c = self.peek()
        name = None
        if c == "?":
            self.pos += 1
            c = self.read()
            if c == ":":
                kind = "(?:"
            elif c and c in "=!":
                kind = "(?" + c
            elif c == ">":
                kind = "(?>"
            elif c == "<":
                c = self.read()
                if c and c in "=!":
                    kind = "(?<" + c
                else:
                    self.pos -= 1
                    name = self.group_name()
                    if name in self.names:
                        raise self.error(f"Named capturing group <{name}> is already defined")
                    self.groups += 1
                    self.names[name] = self.groups
                    kind = "("
            elif c and c in "$@":
                raise self.error("Unknown group type")
            else:
                self.pos -= 1
                self.add_flags()
                c = self.read()
                if c == ")":
                    return None  # inline flags: they hold to the end of the enclosing group
                if c != ":":
                    raise self.error("Unknown inline modifier")
                kind = "(?:"
        else:
            self.groups += 1
            kind = "("
        body = self.expr()
        if self.peek() != ")":
            self.pos += 1
            raise self.error("Unclosed group")
        self.pos += 1
        if kind in ("(?<=", "(?<!") and _has_ref(body):
            raise self.error("Look-behind group does not have an obvious maximum length", self.pos - 2)
        self.flags = save
        return ("group", kind, body, name)

    def group_name(self) -> str:
        c = self.read()
        if not (c.isascii() and c.isalpha()):
            raise self.error("capturing group name does not start with a Latin letter")
        name = ""
        while c.isascii() and c.isalnum():
            name += c
            c = self.read()
        if c != ">":
            raise self.error("named capturing group is missing trailing '>'")
        return name

    def add_flags(self) -> None:
        on = True
        while True:
            c = self.peek()
            if c in FLAG_LETTERS:
                if on:
                    self.flags |= FLAG_LETTERS[c]
                else:
                    self.flags &= ~FLAG_LETTERS[c]
            elif c == "c":
                raise Unsupported("(?c): canonical equivalence")
            elif c == "-" and on:
                on = False
            else:
                return
            self.pos += 1

    def caret(self) -> Any:
        if not self.flags & MULTILINE:
            return ("raw", r"\A", 0, 0)
        if self.flags & UNIX_LINES:
            return ("raw", r"(?!\Z)(?:\A|(?<=\n))", 0, 0)
        return ("raw", r"(?!\Z)(?:\A|(?<=[\n\x85\u2028\u2029])|(?<=\r)(?!\n))", 0, 0)

    def dollar(self, multiline: bool) -> Any:
        if self.flags & UNIX_LINES:
            return ("raw", r"(?:\Z|(?=\n))" if multiline else r"(?:\Z|(?=\n\Z))", 0, 0)
        if multiline:
            return ("raw", r"(?:\Z|(?<!\r)(?=\n)|(?=[\r\x85\u2028\u2029]))", 0, 0)
        return ("raw", r"(?:\Z|(?=\r\n\Z)|(?<!\r)(?=\n\Z)|(?=[\r\x85\u2028\u2029]\Z))", 0, 0)

    def dot(self) -> CharSet:
        if self.flags & DOTALL:
            return span(0, MAX)
        return negate(chars("\n" if self.flags & UNIX_LINES else TERMINATORS))

    def word_set(self) -> CharSet:
        return _unicode_word() if self.flags & UNICODE_CLASS else ASCII_WORD

    def bound(self, both: bool) -> Any:
        w = _class(union(prop("LD"), chars("_")) if not self.flags & UNICODE_CLASS else _unicode_word())
        letter, mark = _class(prop("LD")), _class(prop("Mn"))
        left = f"{w}|{letter}{mark}+"
        right = f"{w}|(?<={letter}{mark}*){mark}"
        if both:
            return ("raw", f"(?:(?<={left})(?!{right})|(?<!{left})(?={right}))", 0, 0)
        return ("raw", f"(?:(?<={left})(?={right})|(?<!{left})(?!{right}))", 0, 0)

    def escape(self, in_class: bool) -> Any:
        """After a backslash (at self.pos): a code point (int), or a node (a class or assertion)."""
        self.pos += 1
        c = self.raw()
        self.pos += 1
        u = self.flags & UNICODE_CLASS
        sets = {
            "d": prop("Nd") if u else ASCII_DIGIT,
            "w": self.word_set(),
            "s": _unicode_space() if u else ASCII_SPACE,
            "h": HORIZONTAL,
            "v": VERTICAL,
        }
        if c in sets:
            return ("set", sets[c])
        if c.lower() in sets and c.isupper():
            return ("set", negate(sets[c.lower()]))
        if c == "0":
            return self.octal()
        if c == "":
            raise self.error("Unexpected internal error", len(self.text))
        if c in "123456789":
            if in_class:
                raise self.error("Illegal/unsupported escape sequence")
            return self.backref(int(c))
        if c in "ABGRXZbkz" and in_class:
            raise self.error("Illegal/unsupported escape sequence")
        if c == "A":
            return ("raw", r"\A", 0, 0)
        if c == "z":
            return ("raw", r"\Z", 0, 0)
        if c == "Z":
            return self.dollar(False)
        if c == "b":
            if self.raw() == "{":
                raise Unsupported("\\b{g}: grapheme cluster boundaries")
            return self.bound(True)
        if c == "B":
            return self.bound(False)
        if c == "G":
            raise Unsupported("\\G: the end of a previous match (Harness calls find() once)")
        if c == "X":
            raise Unsupported("\\X: grapheme clusters")
        if c == "R":  # \r\n, else one line break; each repetition of a quantified \R is final (Curly)
            return ("linebreak",)
        if c == "N":
            raise Unsupported("\\N{name}: characters by Unicode name")
        if c == "k":
            if self.read() != "<":
                raise self.error("\\k is not followed by '<' for named capturing group")
            name = self.group_name()
            if name not in self.names:
                raise self.error(f"named capturing group <{name}> does not exist")
            if self.flags & CASE_INSENSITIVE:
                raise Unsupported("a case-insensitive back reference")
            return ("named_ref", name)
        simple = {"a": 7, "e": 0x1B, "f": 0x0C, "n": 0x0A, "r": 0x0D, "t": 0x09}
        if c in simple:
            return simple[c]
        if c == "c":
            if self.raw() == "":
                raise self.error("Illegal control escape sequence")
            value = ord(self.raw()) ^ 64
            self.pos += 1
            return value
        if c == "u":
            return self.unicode_escape()
        if c == "x":
            return self.hex_escape()
        if c.isascii() and c.isalpha():
            raise self.error("Illegal/unsupported escape sequence")
        return ord(c)

    def backref(self, number: int) -> Any:
        while self.raw().isascii() and self.raw().isdigit():
            wider = number * 10 + int(self.raw())
            if self.groups < wider:
                break
            number = wider
            self.pos += 1
        if self.flags & CASE_INSENSITIVE:
            raise Unsupported("a case-insensitive back reference")
        self.refs.append(number)
        return ("ref", number)

    def octal(self) -> int:
        """\\0n, \\0nn or \\0mnn (m <= 3), as Pattern.o() reads it."""
        first = self.raw()
        self.pos += 1
        if not ("0" <= first <= "7"):
            raise self.error("Illegal octal escape sequence")
        value = int(first)
        second = self.raw()
        if "0" <= second <= "7":
            self.pos += 1
            value = value * 8 + int(second)
            third = self.raw()
            if "0" <= third <= "7" and first <= "3":
                self.pos += 1
                value = value * 8 + int(third)
        return value

    def hex_escape(self) -> int:
        """\\xhh or \\x{h...h}, as Pattern.x() reads it (the error points at the last character read)."""
        hexdigits = "0123456789abcdefABCDEF"
        first = self.raw()
        self.pos += 1
        if first and first in hexdigits:
            second = self.raw()
            self.pos += 1
            if second and second in hexdigits:
                return int(first + second, 16)
        elif first == "{" and self.raw() and self.raw() in hexdigits:
            value = 0
            while self.raw() and self.raw() in hexdigits:
                value = value * 16 + int(self.raw(), 16)
                self.pos += 1
                if value > MAX:
                    raise self.error("Hexadecimal codepoint is too big")
            self.pos += 1
            if self.text[self.pos - 1 : self.pos] != "}":
                raise self.error("Unclosed hexadecimal escape sequence")
            return value
        raise self.error("Illegal hexadecimal escape sequence")

    def unicode_escape(self) -> int:
        value = 0
        for _ in range(4):
            c = self.raw()
            self.pos += 1
            if not c or c not in "0123456789abcdefABCDEF":
                raise self.error("Illegal Unicode escape sequence")
            value = value * 16 + int(c, 16)
        if 0xD800 <= value <= 0xDFFF:
            raise Unsupported("a \\u escape of a surrogate")
        return value

    def family(self, complement: bool) -> CharSet:
        """``\\p`` / ``\\P`` (self.pos just after the letter)."""
        if self.raw() == "{":
            end = self.text.find("}", self.pos)
            if end < 0:
                self.pos = len(self.text) + 1
                raise self.error("Unclosed character family")
            name = self.text[self.pos + 1 : end]
            self.pos = end + 1
            if not name:
                raise self.error("Empty character family")
        else:
            name = self.raw() or "\0"  # Java reads 0 past the end
            self.pos += 1
        found: CharSet | None
        ci = self.flags & CASE_INSENSITIVE != 0
        if "=" in name:
            key, _, value = name.partition("=")
            key = key.lower()
            if key in ("sc", "script"):
                found = _script(value)
            elif key in ("blk", "block"):
                found = _block(value)
            elif key in ("gc", "general_category"):
                found = _property(value, ci)
            else:
                found = None
            if found is None:
                raise self.error(f"Unknown Unicode property {{name=<{key}>, value=<{value}>}}")
        elif name.startswith("In"):
            found = _block(name[2:])
        elif name.startswith("Is"):
            short = name[2:]
            found = _unicode_property(short, ci) or _property(short, ci) or _script(short)
        else:
            if self.flags & UNICODE_CLASS:
                raise Unsupported(f"\\p{{{name}}} under (?U)")
            found = _property(name, ci)
        if found is None:
            raise self.error(f"Unknown character property name {{{name}}}")
        return negate(found) if complement else found

    def clazz(self, consume: bool = True) -> CharSet:
        """A character class, '[' consumed; returns its set (Pattern.clazz). ``consume`` False is
        the right side of '&&' written without brackets: it ends before the ']' it meets.

        ``current`` is Java's ``curr``: the last nested class or range (single characters go to
        ``bits`` and leave it unset), which an '&&' with nothing on its right intersects with."""
        prev: CharSet | None = None
        current: CharSet | None = None
        bits: CharSet = ("r", ())
        has_bits = False
        negated = False
        if self.peek() == "^" and self.text[self.pos - 1] == "[":
            self.pos += 1
            negated = True
        while True:
            c = self.peek()
            if c == "[":
                self.pos += 1
                current = self.clazz()
                prev = current if prev is None else union(prev, current)
                continue
            if c == "&" and self.raw(1) == "&":
                self.pos += 2
                right: CharSet | None = None
                c = self.peek()
                while c not in ("]", "&"):
                    if c == "":
                        raise self.error("Unclosed character class", len(self.text) - 1)
                    if c == "[":
                        self.pos += 1
                        part = self.clazz()
                    else:
                        part = self.clazz(consume=False)
                    right = part if right is None else union(right, part)
                    c = self.peek()
                if has_bits:
                    if prev is None:
                        prev = current = bits
                    else:
                        prev = union(prev, bits)
                    has_bits = False
                if right is not None:
                    current = right
                if prev is None:
                    if right is None:
                        raise self.error("Bad class syntax")
                    prev = right
                elif current is None:  # Java builds it, then fails with a NullPointerException when matching
                    raise Unsupported("a class whose '&&' has nothing on its right after single characters")
                else:
                    prev = intersect(prev, current)
                continue
            if c == "":
                raise self.error("Unclosed character class", len(self.text) - 1)
            if c == "]" and (prev is not None or has_bits):
                if consume:
                    self.pos += 1
                result = prev if prev is not None else bits
                if prev is not None and has_bits:
                    result = union(prev, bits)
                return negate(result) if negated else result
            item, is_bits = self.range_item()
            if is_bits:
                bits = union(bits, item)
                has_bits = True
                current = None
            else:
                prev = item if prev is None else union(prev, item)
                current = item

    def range_item(self) -> tuple[CharSet, bool]:
        """One class item (Pattern.range): a character, a range, an escape or a property. The flag
        says whether Java keeps it in its bit set (single characters below 256)."""
        c = self.peek()
        if c == "\\":
            letter = self.raw(1)
            if letter in ("p", "P"):
                self.pos += 2
                return self.family(letter == "P"), False
            value = self.escape(in_class=True)
            if isinstance(value, tuple):
                return value[1], False
            cp = value
        else:
            self.pos += 1
            cp = ord(c)
        if self.peek() == "-":
            end = self.raw(1)
            if end == "[":
                return self._bits_or_single(cp)
            if end != "]":
                self.pos += 1
                if self.peek() == "\\":
                    value = self.escape(in_class=True)
                    last = value if isinstance(value, int) else -1
                else:
                    last = ord(self.peek() or "\0")  # Java reads 0 past the end
                    self.pos += 1
                if last < cp:
                    raise self.error("Illegal character range")
                return case_range(cp, last, self.flags), False
        return self._bits_or_single(cp)

    def _bits_or_single(self, cp: int) -> tuple[CharSet, bool]:
        special = (0xFF, 0xB5, 0x49, 0x69, 0x53, 0x73, 0x4B, 0x6B, 0xC5, 0xE5)
        both = CASE_INSENSITIVE | UNICODE_CASE
        if cp < 256 and not (self.flags & both == both and cp in special):
            if self.flags & CASE_INSENSITIVE:
                found = {cp}
                if cp < 128:
                    found.update((ord(chr(cp).upper()), ord(chr(cp).lower())) if chr(cp).isalpha() else ())
                elif self.flags & UNICODE_CASE:
                    found.update((_lower(cp), _upper(cp)))
                return ranges(_norm([(x, x) for x in found if x < 256])), True
            return span(cp, cp), True
        return single(cp, self.flags), False


def _remove_qe(pattern: str) -> str:
    """Java's RemoveQEQuoting: text between \\Q and \\E becomes escaped literals."""
    if "\\Q" not in pattern:
        return pattern
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("\\Q", i):
            i += 2
            end = pattern.find("\\E", i)
            quoted = pattern[i:] if end < 0 else pattern[i:end]
            for c in quoted:
                out.append(c if c.isascii() and c.isalnum() else "\\" + c if c.isascii() else c)
            i = len(pattern) if end < 0 else end + 2
        elif pattern[i] == "\\" and i + 1 < len(pattern):
            out.append(pattern[i : i + 2])
            i += 2
        else:
            out.append(pattern[i])
            i += 1
    return "".join(out)


@cache
def _unicode_word() -> CharSet:
    raise Unsupported("\\w under (?U)")


@cache
def _unicode_space() -> CharSet:
    raise Unsupported("\\s under (?U)")


def _unicode_property(name: str, case_insensitive: bool) -> CharSet | None:
    """CharPredicates.forUnicodeProperty: binary properties (\\p{IsAlphabetic})."""
    key = name.upper()
    if case_insensitive and key in ("LOWERCASE", "UPPERCASE", "TITLECASE"):
        return union(union(prop("lower"), prop("upper")), prop("title"))
    names = {"ALPHABETIC": "alphabetic", "LETTER": "letter", "LOWERCASE": "lower", "UPPERCASE": "upper"}
    if key in names:
        return prop(names[key])
    if key in (
        "TITLECASE",
        "IDEOGRAPHIC",
        "PUNCTUATION",
        "CONTROL",
        "WHITESPACE",
        "WHITE_SPACE",
        "HEXDIGIT",
        "HEX_DIGIT",
        "JOINCONTROL",
        "JOIN_CONTROL",
        "NONCHARACTERCODEPOINT",
        "NONCHARACTER_CODE_POINT",
        "ASSIGNED",
        "DIGIT",
        "WORD",
        "ALNUM",
        "BLANK",
        "GRAPH",
        "PRINT",
        "EMOJI",
    ):
        raise Unsupported(f"\\p{{Is{name}}}")
    return None


# -- look-behinds: Java refuses one holding a back reference (no obvious maximum length) ----------


def _has_ref(node: Any) -> bool:
    kind = node[0]
    if kind in ("ref", "named_ref"):
        return True
    if kind in ("seq", "alt"):
        if kind == "seq" and not node[1]:
            return False
        return any(_has_ref(n) for n in node[1])
    if kind == "group":
        return _has_ref(node[2])
    if kind == "repeat":
        return _has_ref(node[1])
    return False


# -- emitting a pattern for the regex package ------------------------------------------------------


def _class(charset: CharSet) -> str:
    """A set as a regex-package (V1) class."""
    if charset[0] == "r" and not charset[1]:
        return "(?!)"
    return "[" + _members(charset) + "]"


def _members(charset: CharSet) -> str:
    kind = charset[0]
    if kind == "r":
        if not charset[1]:
            return r"[^\x00-\U0010ffff]"
        return "".join(_cp(lo) if lo == hi else f"{_cp(lo)}-{_cp(hi)}" for lo, hi in charset[1])
    if kind == "p":
        return f"\\p{{{charset[1]}}}"
    if kind == "u":
        return "".join("[" + _members(part) + "]" for part in charset[1])
    if kind == "i":
        return "[" + _members(charset[1][0]) + "]&&[" + _members(charset[1][1]) + "]"
    return "[^" + _members(charset[1]) + "]"


def _cp(cp: int) -> str:
    return f"\\U{cp:08x}"


def _emit(node: Any, total: int) -> str:
    kind = node[0]
    if kind == "set":
        return _class(node[1])
    if kind == "raw":
        return str(node[1])
    if kind == "linebreak":
        return LINEBREAK
    if kind == "ref":
        return f"\\g<{node[1]}>" if node[1] <= total else "(?!)"
    if kind == "named_ref":
        return f"(?P={node[1]})"
    if kind == "seq":
        return "".join(_emit(n, total) for n in node[1])
    if kind == "alt":
        return "(?:" + "|".join(_emit(n, total) for n in node[1]) + ")"
    if kind == "group":
        _, opener, body, name = node
        if name is not None:
            opener = f"(?P<{name}>"
        return f"{opener}{_emit(body, total)})"
    _, inner, lo, hi, mode = node
    count = f"{{{lo},}}" if hi is None else f"{{{lo},{hi}}}"
    body = "(?>" + LINEBREAK[3:] if inner[0] == "linebreak" else f"(?:{_emit(inner, total)})"
    return f"{body}{count}{mode}"


LINEBREAK = r"(?:\r\n|[\n\x0b\f\r\x85\u2028\u2029])"


def translate(pattern: str) -> str:
    """The ``regex``-package pattern that finds what Java's ``Pattern.compile(pattern)`` finds.
    Raises JavaRegexError where Java rejects the pattern, Unsupported where it cannot be exact."""
    parser = _Parser(pattern)
    tree = parser.expr()
    if parser.peek() == ")":
        raise parser.error("Unmatched closing ')'")
    return "(?V1)" + _emit(tree, parser.groups)


@cache
def compile_java(pattern: str) -> Any:
    import regex

    return regex.compile(translate(pattern))


def find(pattern: str, text: str) -> tuple[int, int] | None:
    """(start, end) of the first match, as ``Pattern.compile(pattern).matcher(text).find()``."""
    found = compile_java(pattern).search(text)
    return None if found is None else found.span()
