"""versionRegex as Java runs it: customsrc's translation against java.util.regex itself.

``oracle/JavaRegex.java`` compiles each pattern with ``Pattern.compile`` and reports, for each
version, where ``matcher(version).find()`` matches, or Java's error (description and index). The
same random patterns and versions go through customsrc.javaregex; every answer must agree.
"""

from __future__ import annotations

import base64
import random
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from customsrc import javaregex

from .helpers import need

HERE = Path(__file__).resolve().parent
pytestmark = pytest.mark.oracle

LETTERS = ["a", "b", "c", "e", "i", "k", "s", "v", "x", "z", "A", "B", "E", "I", "K", "S", "V", "Z"]
UNICODE = [
    "é",
    "É",
    "ü",
    "ß",
    "Σ",
    "σ",
    "ς",
    "ǅ",
    "ı",
    "İ",
    "µ",
    "ÿ",
    "Ж",
    "ж",
    "中",
    "٣",
    "²",
    "ª",
    "Ω",
    "\u212a",
    "α",
    "ẞ",
    "ſ",
    "Ÿ",
    "ǆ",
    "\u0345",
    "ﬀ",
    "Ⅻ",
]
# No character beyond the BMP in versions: Java walks UTF-16 units, so a zero-width assertion can hold
# between the two halves of an emoji there; customsrc walks characters (a documented limit).
OTHER = ["0", "1", "2", "9", ".", "-", "_", "+", "/", " ", "\t", "\xa0", "\u2003", "\u0301", "@", "#", "'", '"']
LINES = ["\n", "\r", "\r\n", "\u0085", "\u2028", "\u2029"]
VERSION_BITS = [*LETTERS, *UNICODE, *OTHER, *LINES, "v1.2.3", "1.10.0", "2.0.0-rc.1", "release", "SNAPSHOT"]

CLASSES = [
    r"\d",
    r"\D",
    r"\w",
    r"\W",
    r"\s",
    r"\S",
    r"\h",
    r"\H",
    r"\v",
    r"\V",
    ".",
    r"[a-z]",
    r"[^abc]",
    r"[a-z&&[^aeiou]]",
    r"[\w&&[^\d]]",
    r"[[a-c][x-z]]",
    r"[\p{L}&&\P{Lu}]",
    r"[-a]",
    r"[a-]",
    r"[]a]",
    r"[^]a]",
    r"[\d-z]",
    r"[a-c&&b-d]",
    r"[\x41-\x5a]",
    r"[é-ü]",
    r"[A-Z&&[^E]]",
    r"\p{Alpha}",
    r"\p{L}",
    r"\p{Lu}",
    r"\p{IsL}",
    r"\p{IsAlphabetic}",
    r"\p{javaLowerCase}",
    r"\p{Punct}",
    r"\p{Digit}",
    r"\p{XDigit}",
    r"\p{Space}",
    r"\P{L}",
    r"\pL",
    r"\p{Nd}",
    r"\p{N}",
    r"\p{IsLu}",
    r"\p{Lower}",
    r"\p{javaWhitespace}",
    r"\p{gc=Ll}",
    r"\p{ASCII}",
    r"\p{L1}",
    r"\p{Zs}",
    r"\p{Sc}",
    r"\p{M}",
    r"\p{IsLatin}",
    r"\p{InGreek}",
    r"\p{IsGreek}",
    r"\p{InBasicLatin}",
    r"\p{script=Cyrillic}",
    r"\p{IsHan}",
    r"\p{InCJKUnifiedIdeographs}",
    r"\p{InLatin-1Supplement}",
    r"\p{IsLatn}",
    r"\p{blk=cyrillic}",
    r"\R",
    r"[a-f]",
    r"[K-M]",
    r"[à-ÿ]",
    r"[\p{IsGreek}\d]",
    r"\p{javaUpperCase}",
    r"\p{IsUppercase}",
    r"\p{Lt}",
]
LITERALS = [
    *LETTERS,
    "é",
    "ß",
    "Σ",
    "σ",
    "ı",
    "K",
    "\u212a",
    "µ",
    "0",
    "1",
    ".",
    r"\.",
    r"\-",
    r"\x41",
    r"\u00e9",
    r"\x{1F600}",
    r"\0101",
    r"\cI",
    r"\t",
    r"\e",
    r"\Q.*\E",
    r"\Q(\E",
    "_",
    "-",
    " ",
    "/",
    "v",
    "rc",
]
ANCHORS = ["^", "$", r"\A", r"\Z", r"\z", r"\b", r"\B"]
FLAGS = ["(?i)", "(?-i)", "(?m)", "(?s)", "(?d)", "(?iu)", "(?u)", "(?ms)", "(?i-u)", "(?x)"]
QUANTIFIERS = ["*", "+", "?", "{2}", "{1,3}", "{2,}", "{0,1}"]
INVALID = [
    "(",
    ")",
    "[",
    "*",
    "{",
    "x{a}",
    r"\k<x>",
    "(?P<n>a)",
    r"\p{Foo}",
    "[b-a]",
    r"\q",
    "(?<1a>b)",
    r"\p{IsOldItalic}",
    r"\p{InGREEK_AND_COPTIC}",
    r"\p{script=Foo}",
    r"[\R]",
    r"\p{IsFoo}",
    r"\x{110000}",
    "a{3,2}",
    "+a",
    "[a",
    r"\x4",
    r"\u00g1",
    "(?z)",
    r"\p{",
    r"\p{}",
    "a**",
    "(?<n>a)(?<n>b)",
    r"[\b]",
    r"\0",
    r"\c",
    "(?<=a+)b",
    "a{",
    "a{1",
    "a{1,",
    "[a-\\d]",
    "[&&a]",
]


def random_pattern(rng: random.Random, depth: int = 0) -> str:
    parts = []
    for _ in range(rng.randint(1, 4)):
        roll = rng.random()
        if roll < 0.3:
            atom = rng.choice(LITERALS)
        elif roll < 0.55:
            atom = rng.choice(CLASSES)
        elif roll < 0.62:
            atom = rng.choice(ANCHORS)
        elif roll < 0.68:
            atom = rng.choice(FLAGS)
        elif roll < 0.8 and depth < 2:
            inner = random_pattern(rng, depth + 1)
            opener = rng.choice(["(", "(?:", "(?<g{}>", "(?=", "(?!", "(?>", "(?i:", "(?-i:"])
            atom = opener.replace("{}", str(rng.randint(1, 9))) + inner + ")"
        elif roll < 0.85 and depth < 2:
            atom = "(?<=" + rng.choice(["a", "b|c", "[xy]{1,2}", r"\d", "ab?"]) + ")"
        elif roll < 0.88:
            atom = rng.choice([r"\1", r"\2", r"\k<g1>", r"(a)\1", "(?<g5>x)\\k<g5>"])
        elif roll < 0.91:
            atom = rng.choice(INVALID)
        else:
            atom = rng.choice(LITERALS) + "|" + rng.choice(LITERALS)
        if (rng.random() < 0.3 and atom not in ANCHORS and not atom.startswith("(?")) or rng.random() < 0.03:
            atom += rng.choice(QUANTIFIERS) + rng.choice(["", "", "?", "+"])
        parts.append(atom)
    return "".join(parts)


def random_version(rng: random.Random) -> str:
    return "".join(rng.choice(VERSION_BITS) for _ in range(rng.randint(0, 6)))


def _b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8", "surrogatepass")).decode()


@pytest.fixture(scope="module")
def java(tmp_path_factory: pytest.TempPathFactory) -> Any:
    need(shutil.which("javac"), "a JDK (javac) for the Java regex oracle", "apt-get install default-jdk-headless")
    out = tmp_path_factory.mktemp("javaregex")
    subprocess.run(["javac", "-d", str(out), str(HERE / "oracle" / "JavaRegex.java")], check=True)

    def run(cases: list[tuple[str, list[str]]]) -> list[Any]:
        lines = "".join("\t".join([_b64(p), *map(_b64, vs)]) + "\n" for p, vs in cases)
        proc = subprocess.run(
            ["java", "-cp", str(out), "JavaRegex"], input=lines.encode(), capture_output=True, check=True
        )
        answers: list[Any] = []
        for line in proc.stdout.decode().splitlines():
            fields = line.split("\t")
            if fields[0] == "ERR":
                answers.append(("error", base64.b64decode(fields[1]).decode(), int(fields[2])))
            else:
                answers.append(("ok", [None if f == "-" else tuple(map(int, f.split(":"))) for f in fields[1:]]))
        return answers

    return run


def ours(pattern: str, versions: list[str]) -> Any:
    try:
        javaregex.compile_java(pattern)
    except javaregex.JavaRegexError as exc:
        return ("error", exc.description, exc.index)
    except javaregex.Unsupported as exc:
        return ("unsupported", str(exc))
    return ("ok", [javaregex.find(pattern, v) for v in versions])


# The families Java and Python's re disagree on, and the corners of Java's syntax and its errors.
FAMILIES = [
    (r"^\w+$", ["ünï-1", "abc_1", "abc\n", "abc\r\n", "abc\u2028"]),
    (r"^\W", ["ü", "-"]),
    (r"a$", ["a\r", "a\u2028", "a\n", "a\r\n", "a\u0085", "a\n\n"]),
    (r"(?m)a$", ["a\rb", "a\u2029b"]),
    (r"(?m)^b", ["a\rb", "a\r\nb", "a\u2028b", ""]),
    (r"(?m)^", ["", "\n"]),
    (r"a.b", ["a\rb", "a\u2028b", "a\u0085b", "a\nb", "axb"]),
    (r"(?s)a.b", ["a\rb"]),
    (r"(?d)a.b$", ["a\rb", "a\rb\r"]),
    (r"\d+", ["١٢٣", "123"]),
    (r"\s", ["\xa0", "\x0b", "\u2003"]),
    (r"\bé", [" é", "xé"]),
    (r"e\u0301\b", ["e\u0301 ", "e\u0301x"]),
    (r"\p{Alpha}", ["é", "a"]),
    (r"\p{L}\p{Lu}\p{IsLatin}\p{InGreek}", ["aBcα", "éÉdβ"]),
    (r"\p{javaLowerCase}+", ["ªbc", "ABC"]),
    (r"\h\v\R", ["\t\n\r\n", " \u2028\r"]),
    (r"1\z", ["1\n", "1"]),
    (r"1\Z", ["1\n", "1\r\n"]),
    (r"\x{41}\0101\cI", ["AA\t"]),
    (r"(?<year>\d{4})-\k<year>", ["2024-2024", "2024-2025"]),
    (r"ab(?i)c(?-i)D", ["abCD", "abcd"]),
    (r"(?i)straße", ["STRASSE", "STRAßE"]),
    (r"(?iu)σ", ["Σ", "ς"]),
    (r"(?i)σ", ["Σ"]),
    (r"[a-z&&[^aeiou]]+", ["hello"]),
    (r"[^a[b]]", ["b", "c"]),
    (r"[a[bc]&&]", ["a", "b", "c"]),  # '&&' with nothing on its right intersects with the last nested class
    (r"(?iu)ı", ["İ", "i", "I"]),  # Java folds with the simple case mappings (İ lowercases to i)
    (r"(?iu)ᾀ", ["ᾈ", "ἀι"]),
    (r"(?P<name>1)", ["1"]),
    (r"(?x) 1 \. 2 # comment", ["1.2"]),
    (r"\Q1.2\E", ["1.2", "102"]),
    (r"v\d++1", ["v11"]),
    (r"(?>a|ab)c", ["abc"]),
    (r"(?<=v)\d", ["v1"]),
]
SYNTAX = [
    "v(?",
    "a\\",
    "(?",
    "(?<",
    "\\",
    "(?<a",
    "[",
    "[a",
    "[a-",
    "a{",
    "a{1",
    "a{1,",
    "a{1,2",
    "\\x{",
    "\\x{41",
    "\\p",
    "\\pL",
    "\\p{L",
    "\\c",
    "\\k",
    "\\k<",
    "\\Q",
    "\\Qab",
    "[\\Q]\\E]",
    "(?i",
    "(?i-",
    "[&&]",
    "[a&&]",
    "[&&a]",
    "a|*",
    "(*)",
    "[]",
    "[^]",
    "x(?#c)",
    "(?x)[a b]",
    "(?x)a {2}",
    "(?<=\\R)",
    "\\0",
    "\\08",
    "\\0777",
    "\\u12",
    "a{2}{3}",
    "x**",
    "(a)(?<=\\1)",
    "[b-a]",
    "[a-\\d]",
    "[\\d-z]",
    "\\q",
    "\\y",
    "((a)",
]


def test_the_families_python_gets_wrong_agree_with_java(java: Any) -> None:
    cases = [*FAMILIES, *((pattern, ["a", "1"]) for pattern in SYNTAX)]
    expected = java(cases)
    pairs = zip(cases, expected, strict=True)
    found = [(p, ours(p, vs), theirs) for (p, vs), theirs in pairs if ours(p, vs) != theirs]
    assert found == []
    assert sum(1 for answer in expected if answer[0] == "error") >= 30  # Java's errors are exercised too


def test_an_intersection_java_cannot_match_is_refused() -> None:
    """Java compiles [[bc]a&&] and then fails with a NullPointerException at the first match."""
    with pytest.raises(javaregex.Unsupported, match="'&&' has nothing on its right"):
        javaregex.translate("[[bc]a&&]")


def test_random_patterns_agree_with_java(java: Any) -> None:
    rng = random.Random(20261127)
    cases = [(random_pattern(rng), [random_version(rng) for _ in range(5)]) for _ in range(5000)]
    expected = java(cases)
    disagreements, unsupported = [], []
    for (pattern, versions), theirs in zip(cases, expected, strict=True):
        mine = ours(pattern, versions)
        if mine[0] == "unsupported":
            unsupported.append((pattern, mine[1]))
            continue
        if mine != theirs:
            disagreements.append((pattern, versions, theirs, mine))
    assert disagreements[:8] == [], f"{len(disagreements)} of {len(cases)} disagree"
    assert len(unsupported) < len(cases) // 50, unsupported[:10]
    known = ("a case-insensitive back reference", "the script ", "the block ", "\\b{g}")
    assert all(reason.startswith(known) for _, reason in unsupported), unsupported[:10]
    assert sum(1 for answer in expected if answer[0] == "error") > len(cases) // 20  # errors compared too


def test_choosing_uses_java_rules(cli: Any) -> None:
    """Through the CLI: Java's ASCII \\w decides, Java's syntax errors are exit 2 in Java's words, and
    what customsrc cannot check exactly is refused in one line."""
    script = 'echo \'[{"version": "ünï-1"}, {"version": "abc-2"}]\' > "$HARNESS_ARTIFACT_RESULT_PATH"\n'
    path = cli.source(script, array="$")
    code, doc, err = cli.json("run", str(path), "--version-regex", r"^\w+-\d$")
    assert code == 0, err
    assert doc["selected"]["version"] == "abc-2"  # Python's re would take ünï-1 first
    bad = cli.run("run", str(path), "--version-regex", "(?P<n>1)")
    assert bad.returncode == 2
    assert "Java rejects the regular expression '(?P<n>1)': Unknown inline modifier near index 2" in bad.stderr
    refused = cli.run("run", str(path), "--version-regex", r"\p{IsOldItalic}|(?i)(a)\1")
    assert refused.returncode == 2
    assert "customsrc cannot check" in refused.stderr and refused.stderr.count("\n") == 1
