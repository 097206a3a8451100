from __future__ import annotations

import json
from typing import Any

from customsrc.masking import MASK, Masker


def test_text_and_deep_masking() -> None:
    m = Masker(["s3cr3t", ""])
    assert m.text("a s3cr3t b") == f"a {MASK} b"
    # Values only: keys are structure (field and attribute names), never secret and never broken.
    assert m.deep({"k": ["x s3cr3t"], "s3cr3t": 1}) == {"k": [f"x {MASK}"], "s3cr3t": 1}


def test_a_stream_split_anywhere_is_masked_the_same() -> None:
    import random

    rng = random.Random(7)
    secrets = ["abcab", "abd", "a" * 50 + "b", "zz"]
    masker = Masker(secrets)
    for _ in range(300):
        text = "".join(rng.choice(["a", "b", "c", "d", "z", "abcab", "abd", "a" * 50 + "b", " "]) for _ in range(40))
        data = text.encode()
        cuts = sorted(rng.sample(range(len(data) + 1), 4))
        stream = masker.stream()
        out = b"".join(stream.feed(data[i:j]) for i, j in zip([0, *cuts], [*cuts, len(data)], strict=True))
        assert (out + stream.flush()).decode() == masker.text(text)


def test_a_secret_inside_a_field_name_breaks_nothing(cli: Any) -> None:
    script = 'echo \'[{"v": "1", "u": "arti-x"}]\' > "$HARNESS_ARTIFACT_RESULT_PATH"\n'
    path = cli.source(script, array="$", version_path="v", version="1", attributes=[("url", "u")])
    for fmt in ("table", "json", "yaml", "env"):
        proc = cli.run("run", str(path), "--format", fmt, "-q", "--secret", "tok=arti")
        assert proc.returncode == 0, proc.stderr
        assert "internal error" not in proc.stderr
    doc = json.loads(cli.run("run", str(path), "--format", "json", "-q", "--secret", "tok=arti").stdout)
    assert "artifacts" in doc and doc["selected"]["metadata"]["url"] == f"{MASK}-x"


def test_a_secret_too_short_to_mask_safely_is_said_once(cli: Any) -> None:
    path = cli.source('echo \'[{"v": "3.1.0"}]\' > "$HARNESS_ARTIFACT_RESULT_PATH"\n', array="$", version_path="v")
    proc = cli.run("run", str(path), "-q", "--secret", "pin=1", "--secret", "x=2", "--version", "3.1.0")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("too short to mask safely") == 1  # one warning for both


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


def test_the_payload_preview_masks_escaped_and_utf16_forms() -> None:
    secret = 'pä/ss"wörd'
    import json as _json

    preview = Masker([secret]).for_payload()
    for written in (
        _json.dumps({"t": secret}),
        _json.dumps({"t": secret}, ensure_ascii=False),
        _json.dumps({"t": secret}).replace("/", "\\/"),
        _json.dumps({"t": secret}, ensure_ascii=False).encode("utf-16-le").decode("utf-8", "replace"),
    ):
        shown = preview.text(written)
        assert MASK in shown and "ss" not in shown.replace(MASK, ""), shown
