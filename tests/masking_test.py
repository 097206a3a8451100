from __future__ import annotations

from customsrc.masking import MASK, Masker


def test_text_and_deep_masking() -> None:
    m = Masker(["s3cr3t", ""])
    assert m.text("a s3cr3t b") == f"a {MASK} b"
    assert m.deep({"k": ["x s3cr3t"], "s3cr3t": 1}) == {"k": [f"x {MASK}"], MASK: 1}


def test_longest_secret_wins() -> None:
    assert Masker(["abc", "abcdef"]).text("abcdef abc") == f"{MASK} {MASK}"


def test_stream_masks_a_secret_split_across_reads() -> None:
    stream = Masker(["hunter2"]).stream()
    out = stream.feed(b"pass: hun") + stream.feed(b"ter2 ok\n") + stream.flush()
    assert out == f"pass: {MASK} ok\n".encode()


def test_stream_split_one_byte_at_a_time() -> None:
    stream = Masker(["hunter2"]).stream()
    data = b"xx hunter2 yy hunter2"
    out = b"".join(stream.feed(data[i : i + 1]) for i in range(len(data))) + stream.flush()
    assert out == f"xx {MASK} yy {MASK}".encode()


def test_stream_passes_ordinary_output_at_once() -> None:
    stream = Masker(["hunter2"]).stream()
    assert stream.feed(b"hello world\n") == b"hello world\n"
    assert stream.feed(b"partial h") == b"partial "  # only the possible secret start is held


def test_stream_without_secrets_is_a_passthrough() -> None:
    stream = Masker([]).stream()
    assert stream.feed(b"abc") == b"abc"
