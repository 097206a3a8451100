"""Masking secret values as Harness does (``**************``), on text and on byte streams.

A stream masker keeps back only the shortest tail that could be the start of a secret, so a
secret split across two reads is still masked while ordinary output flows at once.
"""

from __future__ import annotations

from collections.abc import Iterable

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

MASK = "**************"
_MASK_BYTES = MASK.encode()
SHORT = 4  # a secret shorter than this matches ordinary text
PROBE = 8  # bytes of a secret searched for at once when looking for its start at the end of a chunk


class Masker:
    """Replace every secret value with the mask. Immutable; make a StreamMasker per stream."""

    def __init__(self, secrets: Iterable[str]) -> None:
        unique = {s for s in secrets if s}
        self.secrets: tuple[str, ...] = tuple(sorted(unique, key=len, reverse=True))
        self.secret_bytes: tuple[bytes, ...] = tuple(s.encode() for s in self.secrets)

    def __bool__(self) -> bool:
        return bool(self.secrets)

    def text(self, text: str) -> str:
        for secret in self.secrets:
            if secret[:PROBE] in text and secret in text:
                text = text.replace(secret, MASK)
        return text

    def data(self, data: bytes) -> bytes:
        for secret in self.secret_bytes:
            if secret[:PROBE] in data and secret in data:  # a short probe first: far faster to rule out
                data = data.replace(secret, _MASK_BYTES)
        return data

    def deep(self, value: Any) -> Any:
        """Mask every string value inside a JSON-like value. Keys are structure (field names,
        attribute names from the source), never masked: a secret that happens to be part of one
        must not break the document."""
        if not self.secrets:
            return value
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {k: self.deep(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.deep(v) for v in value]
        return value

    def for_payload(self) -> Masker:
        """A masker for raw payload text (--explain's preview): each secret also as JSON escapes
        it (\\uXXXX, \\/) and as UTF-16 text read as UTF-8 would show it."""
        import json

        forms: set[str] = set()
        for secret in self.secrets:
            escaped = json.dumps(secret, ensure_ascii=False)[1:-1]
            ascii_escaped = json.dumps(secret)[1:-1]
            written = {secret, escaped, ascii_escaped, escaped.replace("/", "\\/"), ascii_escaped.replace("/", "\\/")}
            forms.update(written)
            for text in written:
                for codec in ("utf-16-le", "utf-16-be"):
                    forms.add(text.encode(codec, "surrogatepass").decode("utf-8", "replace"))
        return Masker(forms)

    def short(self) -> list[str]:
        """Secrets too short to mask safely (they are masked, but they will garble other text)."""
        return [s for s in self.secrets if len(s) < SHORT]

    def stream(self) -> StreamMasker:
        return StreamMasker(self)


class StreamMasker:
    """Masks a byte stream fed in arbitrary chunks."""

    def __init__(self, masker: Masker) -> None:
        self.masker = masker
        self.pending = b""

    def feed(self, chunk: bytes) -> bytes:
        if not self.masker.secret_bytes:
            return chunk
        data = self.pending + chunk
        found: list[tuple[bytes, int]] = []  # secrets whose first bytes occur, and where first
        for secret in self.masker.secret_bytes:
            first = data.find(secret[:PROBE])
            if first != -1:
                found.append((secret, first))
        if found:  # one search per secret rules out the rest: the usual case costs one pass
            for secret, _ in found:
                if secret in data:
                    data = data.replace(secret, _MASK_BYTES)
            found = [(s, data.find(s[:PROBE])) for s, _ in found]
        keep = self._partial_tail(data, dict(found))
        self.pending = data[len(data) - keep :] if keep else b""
        return data[: len(data) - keep]

    def flush(self) -> bytes:
        rest, self.pending = self.pending, b""
        return rest

    def _partial_tail(self, data: bytes, probed: dict[bytes, int]) -> int:
        """The length of the longest end of ``data`` that begins some secret (0 if none). A tail
        at least PROBE bytes long starts with the secret's first PROBE bytes (``probed`` says
        where they first occur, for the secrets where they do); only the few shorter tails are
        tried one by one. Near linear in the data whatever the number and length of secrets."""
        best = 0
        for secret in self.masker.secret_bytes:
            window = min(len(secret) - 1, len(data))
            if window <= best:
                continue
            start = len(data) - window
            probe = secret[:PROBE]
            position = probed.get(secret, -1)
            if position != -1 and position < start:
                position = data.find(probe, start)
            while position != -1 and len(data) - position >= len(probe):
                if secret.startswith(data[position:]):
                    best = max(best, len(data) - position)
                    break
                position = data.find(probe, position + 1)
            for position in range(max(start, len(data) - len(probe) + 1), len(data)):
                if len(data) - position <= best:
                    break
                if secret.startswith(data[position:]):
                    best = len(data) - position
                    break
        return best
