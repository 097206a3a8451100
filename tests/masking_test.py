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


def test_a_bug_inside_a_fetch_comes_back_typed_and_masked(
    cli: Any, monkeypatch: Any, capsys: Any, tmp_path: Any
) -> None:
    """Masking has one place, where a fetch returns or raises: even a bug (an exception customsrc
    did not mean to raise) quoting a secret comes back as InternalError with the secret masked,
    in the message, the traceback it keeps, the CLI's line and the crash log."""
    import re

    import pytest

    import customsrc
    from customsrc import api
    from customsrc import cli as cli_module

    secret = "hunter2-very-secret"
    script = f'echo \'[{{"v": "1", "token": "{secret}"}}]\' > "$HARNESS_ARTIFACT_RESULT_PATH"\n'
    path = cli.source(script, array="$", version_path="v", version="1")

    def buggy(source: Any, value: Any) -> None:
        raise KeyError(f"no such thing: {value[0]['token']}")

    monkeypatch.setattr(api, "check_payload", buggy)
    with pytest.raises(customsrc.InternalError) as caught:
        customsrc.fetch(str(path), secrets={"tok": secret}, sandbox="off")
    assert secret not in str(caught.value) and MASK in str(caught.value)
    assert "KeyError" in caught.value.details and secret not in caught.value.details
    assert caught.value.__cause__ is None and caught.value.result is not None  # type: ignore[attr-defined]
    # The control: without the secret supplied, the same bug shows the value (the masking is real).
    with pytest.raises(customsrc.InternalError) as unmasked:
        customsrc.fetch(str(path), sandbox="off")
    assert secret in str(unmasked.value)

    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setenv("CUSTOMSRC_SECRET_TOK", secret)
    code = cli_module.main(["run", str(path), "--sandbox", "off", "-q"])
    err = capsys.readouterr().err
    assert code == 1
    line = err.strip().splitlines()[-1]
    assert line.startswith("customsrc: error: internal error: KeyError") and secret not in err
    log = re.search(r"traceback in (\S+);", line)
    assert log is not None
    with open(log.group(1), encoding="utf-8") as handle:
        text = handle.read()
    assert "buggy" in text and secret not in text
