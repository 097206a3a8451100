"""Building the whole value a piece at a time gives exactly what decoding the whole text gives, or
steps aside (None): never a different value, warning or outcome."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from customsrc import payload as payload_module
from customsrc import streamed
from customsrc.errors import ResultError
from customsrc.mapping import PathMapping
from customsrc.payload import parse_payload

# Strings that look like the places a run is cut at, or like JSON, from the inside.
TRICKY = ['}, {"', "], [", "},", '\\"}, {', "a\nb", "é€𝄞", "\\u00e9", '"]', "{[", "\U0001f600", ""]


def rand_string(rng: random.Random) -> str:
    return "".join(rng.choice([rng.choice(TRICKY), chr(rng.randint(32, 0x2FF)), "x"]) for _ in range(rng.randint(0, 4)))


def rand_value(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.random()
    if depth > 4 or kind < 0.35:
        return rng.choice(
            [
                rng.randint(-(10**20), 10**20),
                rng.random() * 10 ** rng.randint(-5, 30),
                True,
                False,
                None,
                rand_string(rng),
                0,
                -0.0,
            ]
        )
    if kind < 0.7:
        return [rand_value(rng, depth + 1) for _ in range(rng.randint(0, 6))]
    return {rand_string(rng) + rng.choice("abc"): rand_value(rng, depth + 1) for _ in range(rng.randint(0, 6))}


def rand_text(rng: random.Random) -> str:
    value = rand_value(rng)
    if not isinstance(value, (list, dict)) or rng.random() < 0.5:
        value = {"items": [rand_value(rng, 1) for _ in range(rng.randint(0, 30))], "next": value}
    indent = rng.choice([None, None, 0, 2, "\t"])
    text = json.dumps(value, indent=indent, ensure_ascii=rng.random() < 0.3)
    if rng.random() < 0.2:  # a key twice: the json module keeps its first place and last value
        text = '{"dup": 1, "dup": [2], ' + text[1:] if text.startswith("{") else text
    if rng.random() < 0.2:
        text = rng.choice(["\ufeff", " \n", "\r\n\t"]) + text
    if rng.random() < 0.2:
        text += rng.choice(["\n", " ", "\n  trailing\n garbage é", "}", "x" * 50])
    return text


def exact(data: bytes) -> tuple[Any, list[str]] | str:
    """The whole text decoded at once (the streamed way turned off)."""
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(payload_module, "decode_streamed", lambda *_: None)
            got = parse_payload(data)
    except ResultError as exc:
        return f"error: {exc}"
    return got.value, got.warnings


def typed(value: Any) -> Any:
    """The value with every number's type kept (1, 1.0 and True are equal in Python)."""
    if isinstance(value, dict):
        return [(k, typed(v)) for k, v in value.items()]
    if isinstance(value, list):
        return [typed(v) for v in value]
    return (type(value).__name__, repr(value))


def pieces(data: bytes, size: int) -> Any:
    return (data[i : i + size] for i in range(0, len(data), size))


def via_stream(data: bytes, window: int, piece: int) -> tuple[Any, list[str]] | None:
    got = streamed.decode(pieces(data, piece), data[:512], window)
    if got is None:
        return None
    value, ignored = got
    return value, [] if ignored is None else [payload_module._ignored(*ignored)]


def test_the_streamed_way_equals_the_whole_decode_on_random_payloads() -> None:
    rng = random.Random(20261127)
    taken = walked = 0
    for _ in range(1500):
        text = rand_text(rng)
        data = text.encode(rng.choice(["utf-8", "utf-8", "utf-8", "utf-16", "utf-16-le", "utf-32"]))
        want = exact(data)
        window, piece = rng.choice([4, 8, 16, 64, 256, 4096]), rng.choice([1, 3, 7, 64, 1 << 20])
        got = via_stream(data, window, piece)
        if got is None:
            continue
        taken += 1
        walked += len(data) > 2 * window
        assert not isinstance(want, str), (text, window, piece, want)
        assert typed(got[0]) == typed(want[0]), (text, window, piece)
        assert got[1] == want[1], (text, window, piece)
    assert taken > 1200, taken  # it steps aside only for what it must (a top-level scalar, an error)
    assert walked > 800, walked  # and most payloads were bigger than the window: walked, in runs


@pytest.mark.parametrize(
    "text",
    [
        '{"items": [1, 2',  # cut short
        '{"items": [1, 2,]}',  # a trailing comma
        '{"items": [NaN]}',  # Jackson rejects NaN and Infinity
        '{"items": [1 2]}',
        '{"a" 1}',
        '{"a": 1,}',
        "[" * 5000 + "]" * 5000,  # too deep
        '{"items": ["\x01"]}',  # a raw control character in a string
        '{"items": [{"a": "}, {"}, {"b": 1}, tru]}',
        "",
        "   ",
        '[{"a": 1}, {"b": 2}, 0123]',
        '[{"a": 1}, 1.5e',
    ],
)
def test_what_the_whole_decode_rejects_is_never_read_here(text: str) -> None:
    data = text.encode()
    assert isinstance(exact(data), str)
    for window in (2, 8, 64, 1 << 20):
        assert via_stream(data, window, 3) is None, window


@pytest.mark.parametrize("text", ['"a big scalar"', "12345", "true"])
def test_a_scalar_payload_is_left_to_the_whole_decode(text: str) -> None:
    assert via_stream(text.encode(), 4, 1) is None
    assert not isinstance(exact(text.encode()), str)


@pytest.mark.parametrize(
    ("text", "ignored"),
    [
        ('{"a": [\n1,\n 2]}  \n\n  tail é\n more', "12 characters after the first JSON value at line 5, column 3"),
        ('{"a": [1, 2]}e+1', "3 characters after the first JSON value at line 1, column 14"),  # not a number
        ("[1]]", "1 characters after the first JSON value at line 1, column 4"),
    ],
)
def test_text_after_the_value_is_counted_as_the_whole_decode_counts_it(text: str, ignored: str) -> None:
    want = exact(text.encode())
    assert want[1] == [f"ignored {ignored} (Harness ignores them too)"]  # type: ignore[index]
    for window in (1, 2, 3, 8, 64):
        for piece in (1, 2, 5, 100):
            got = via_stream(text.encode(), window, piece)
            assert got is not None
            assert typed(got[0]) == typed(want[0])  # type: ignore[index]
            assert got[1] == want[1], (window, piece)


def test_invalid_utf8_steps_aside() -> None:
    data = b'{"items": ["a\xff"]}'
    assert isinstance(exact(data), str)
    assert via_stream(data, 4, 2) is None


def test_runs_share_their_keys_as_one_whole_decode_does() -> None:
    """Each decoder call shares the keys of the objects it builds: items decoded in runs share them
    a run at a time, items decoded one by one would hold a copy each (about the payload's size
    again for a Nexus listing)."""
    items = [
        {"version": f"1.{n}", "downloadUrl": f"https://x/{n}", "checksum": {"sha1": "0" * 40}} for n in range(3000)
    ]
    data = json.dumps({"items": items, "continuationToken": None}).encode()
    got = streamed.decode(pieces(data, 4096), data[:512], 16384)
    assert got is not None
    value, _ = got
    assert value["items"] == items
    distinct = {id(key) for item in value["items"] for key in item}
    runs = len(data) // 8192  # a run covers between half a window and a window
    assert len(distinct) <= 2 * 3 * runs, len(distinct)  # three keys an item, shared within a run
    assert len(distinct) < 3 * len(items) // 10


def test_a_big_payload_is_read_the_streamed_way(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    real = payload_module.decode_streamed

    def counted(*args: Any) -> Any:
        got = real(*args)
        calls.append(got is not None)
        return got

    monkeypatch.setattr(payload_module, "decode_streamed", counted)
    data = (json.dumps({"items": [{"version": str(n)} for n in range(60_000)]}) + "\n tail").encode()
    assert len(data) >= payload_module.PRUNE_MIN_BYTES
    got = parse_payload(data)
    assert calls == [True]
    assert len(got.value["items"]) == 60_000
    assert got.warnings == exact(data)[1]  # type: ignore[index]
    assert got.warnings[0].startswith("ignored 4 characters after the first JSON value at line 2, column 2")
    small = parse_payload(b'{"items": []}')  # below the threshold: the whole text, as ever
    assert calls == [True]
    assert small.value == {"items": []}


def test_a_big_invalid_payload_is_reported_by_the_whole_decode() -> None:
    data = (json.dumps({"items": [{"version": str(n)} for n in range(60_000)]})[:-2] + ", oops]}").encode()
    with pytest.raises(ResultError, match=r"not valid JSON: Expecting value at line 1, column \d+"):
        parse_payload(data)


def test_mapping_lets_go_of_each_item_only_when_asked_and_only_of_a_list_it_names() -> None:
    def doc() -> dict[str, Any]:
        return {"items": [{"version": "1", "v": 1}, {"version": "2", "v": 2}, {"version": None, "v": 3}]}

    mapping = PathMapping("$.items", "version", [("v", "v")])
    kept, released = doc(), doc()
    want = mapping.apply(kept)
    got = mapping.apply(released, release=True)
    assert [tuple(a) for a in got.artifacts] == [tuple(a) for a in want.artifacts]
    assert got.skipped == want.skipped == [2]
    assert kept == doc()  # not asked: untouched
    assert released == {"items": [None, None, None]}  # asked: each item let go of once mapped
    # An indefinite array path is read from the top for each item (as Jayway does): nothing is let go of.
    nested = {"groups": [{"version": "1"}, {"version": "2"}]}
    before = json.loads(json.dumps(nested))
    with pytest.raises(ResultError, match="is an array"):
        PathMapping("$.groups[*]", "version", []).apply(nested, release=True)
    assert nested == before


@pytest.mark.parametrize(
    "value",
    [
        {"items": list(range(20_000))},  # numbers: no bracket to cut after
        {"items": [f"a, b {n}" for n in range(5_000)]},  # commas inside strings too
        {"members": {f"key{n}": n for n in range(5_000)}},  # one big object
    ],
)
def test_scalars_and_members_are_decoded_in_runs_too(monkeypatch: pytest.MonkeyPatch, value: Any) -> None:
    """A big array of scalars or a big object is decoded a run at a time, not one value per call
    (which took ~7x the whole decode's time on 160 MB of numbers)."""
    single = streamed._value
    singles: list[int] = []

    def counted(t: Any, i: int) -> Any:
        singles.append(i)
        return single(t, i)

    monkeypatch.setattr(streamed, "_value", counted)
    data = json.dumps(value).encode()
    got = streamed.decode(pieces(data, 4096), data[:512], 16384)
    assert got is not None
    assert got[0] == value
    assert len(singles) < len(data) // 8192 * 4, len(singles)  # a few a window at most
