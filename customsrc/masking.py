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
            if secret in text:
                text = text.replace(secret, MASK)
        return text

    def data(self, data: bytes) -> bytes:
        for secret in self.secret_bytes:
            if secret in data:
                data = data.replace(secret, _MASK_BYTES)
        return data

    def deep(self, value: Any) -> Any:
        """Mask every string inside a JSON-like value (keys included)."""
        if not self.secrets:
            return value
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.text(k): self.deep(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.deep(v) for v in value]
        return value

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
        data = self.masker.data(self.pending + chunk)
        keep = self._partial_tail(data)
        self.pending = data[len(data) - keep :] if keep else b""
        return data[: len(data) - keep]

    def flush(self) -> bytes:
        rest, self.pending = self.pending, b""
        return rest

    def _partial_tail(self, data: bytes) -> int:
        longest = max(len(s) for s in self.masker.secret_bytes) - 1
        for size in range(min(longest, len(data)), 0, -1):
            tail = data[-size:]
            if any(secret.startswith(tail) for secret in self.masker.secret_bytes):
                return size
        return 0
