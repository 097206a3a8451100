"""``customsrc watch``: report versions that are new since the last poll, like a Harness artifact
trigger or a Concourse ``check``, surviving a kill at any moment.

The state file holds, per source, the versions already known, and an *outbox* of events decided but
not yet reported. A poll fetches every source, then in one atomic write (temp file, fsync, rename,
fsync of the folder) adds the new versions to what is known and their events to the outbox; only
then are events reported. Each reported event's id is appended to a delivery journal beside the
state (``STATE.delivered``, one line, no rewrite: draining is linear in the events), and once the
outbox is drained one more atomic write empties it and the journal is cleared. So a kill before the
first rename loses nothing (the next poll finds the same versions new again), a kill after it loses
nothing either (the outbox is reported on restart, less what the journal says was delivered); an
event is repeated only if the kill falls between printing it and journalling that. (The journal is
not fsynced per event: a kill of the process cannot lose it; a power cut may repeat more events,
never lose one.)
Delivery is therefore at least once: every event carries an ``id`` (the same for the same source
and version, across restarts: ``CUSTOMSRC_EVENT_ID`` for ``--on-new``) so a consumer can drop the
rare repeat. A failed or partial fetch never erases known versions. ``keep`` bounds the state: a version the
source still lists is always remembered (else it would be reported again), and of the versions it no
longer lists the most recent ``keep`` are. ``shard`` splits the sources over machines by a stable
hash of each source's path, with no coordination.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import stat
from collections.abc import Callable, Iterable

from .errors import UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    import threading
    from typing import Any

    from .many import Outcome
    from .options import FetchOptions
    from .polite import Politeness

FORMAT = 1


def check_folder(folder: str, what: str) -> None:
    """Refuse a folder where another user could swap or plant files beside ours: it must belong to
    us or root, be writable by no one else (sticky /tmp included: others may plant a state file
    there first), and be reached through no link made by another user."""
    import stat

    trusted = (0, os.geteuid())
    path = "/"
    for part in folder.strip("/").split("/"):
        path = os.path.join(path, part) if part else path
        try:
            link = os.lstat(path)
        except OSError as exc:
            raise UsageError(f"{what}: folder {folder}: {exc.strerror}") from None
        if stat.S_ISLNK(link.st_mode) and link.st_uid not in trusted:
            raise UsageError(f"{what}: {path} is a link made by another user; name the real folder")
    try:
        info = os.stat(folder)
    except OSError as exc:
        raise UsageError(f"{what}: folder {folder}: {exc.strerror}") from None
    if info.st_uid not in trusted:
        raise UsageError(f"{what}: folder {folder} belongs to another user; keep the state in a folder of yours")
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise UsageError(
            f"{what}: folder {folder} is writable by other users, who could plant or swap the state file: "
            "use a folder only you can write"
        )


class StateStore:
    """The watch state on disk, always replaced atomically: a new file made with
    ``O_CREAT|O_EXCL|O_NOFOLLOW`` under a random name (so nothing planted at that name is ever
    written through), fsync, rename, fsync of the folder. The state file is never read or written
    through a symlink."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._journal_fd = -1
        self.state: dict[str, Any] = {"format": FORMAT, "sources": {}, "outbox": []}
        check_folder(os.path.dirname(os.path.abspath(path)), f"--state {path}")
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK)
        except FileNotFoundError:
            return
        except OSError as exc:
            why = "it is a symlink; name the real file" if os.path.islink(path) else exc.strerror
            raise UsageError(f"--state {path}: cannot read it ({why})") from None
        from .files import STATE_LIMIT, Unreadable, decode, read_fd

        try:
            if os.fstat(fd).st_uid != os.geteuid():
                raise UsageError(f"--state {path}: belongs to another user; it is not yours to trust")
            loaded = json.loads(decode(read_fd(fd, STATE_LIMIT)))
        except Unreadable as exc:
            raise UsageError(f"--state {path}: {exc.reason}; move it away to start afresh") from None
        except (OSError, ValueError, RecursionError) as exc:
            why = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
            raise UsageError(f"--state {path}: cannot read it ({why}); move it away to start afresh") from None
        finally:
            os.close(fd)
        if not isinstance(loaded, dict) or loaded.get("format") != FORMAT:
            raise UsageError(f"--state {path}: not a customsrc watch state file; move it away to start afresh")
        if not _valid_sources(loaded.get("sources")):
            raise UsageError(f"--state {path}: its known versions are not lists of text; move it away to start afresh")
        outbox = loaded.get("outbox")
        bad = next((i for i, e in enumerate(outbox) if not _valid_event(e)), None) if isinstance(outbox, list) else 0
        if bad is not None:
            raise UsageError(f"--state {path}: outbox item {bad} is not an event; move the file away to start afresh")
        self.state = loaded
        self._remove_stale_temps()
        self._replay_journal()

    @property
    def journal_path(self) -> str:
        return self.path + ".delivered"

    def _replay_journal(self) -> None:
        """Drop from the outbox what an interrupted drain had delivered already."""
        try:
            fd = os.open(self.journal_path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK)
        except FileNotFoundError:
            return
        except OSError as exc:
            raise UsageError(f"--state {self.path}: cannot read {self.journal_path} ({exc.strerror})") from None
        from .files import STATE_LIMIT, Unreadable, decode, read_fd

        try:
            if os.fstat(fd).st_uid != os.geteuid():
                raise UsageError(f"--state {self.path}: {self.journal_path} belongs to another user")
            delivered = set(decode(read_fd(fd, STATE_LIMIT)).split())
        except Unreadable as exc:
            raise UsageError(f"--state {self.path}: {self.journal_path}: {exc.reason}") from None
        finally:
            os.close(fd)
        outbox = self.state["outbox"]
        left = [e for e in outbox if e.get("id") not in delivered]
        if len(left) != len(outbox):
            self.state["outbox"] = left
            self.save()
        self.clear_journal()

    def journal(self, event_id: str) -> None:
        """Record that the event was delivered: one appended line (linear, whatever the outbox)."""
        if self._journal_fd < 0:
            flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
            fd = os.open(self.journal_path, flags, 0o600)
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode) or info.st_uid != os.geteuid():
                os.close(fd)
                raise UsageError(f"--state {self.path}: {self.journal_path} is not a file of yours")
            self._journal_fd = fd
        os.write(self._journal_fd, (event_id + "\n").encode())

    def clear_journal(self) -> None:
        """After the emptied outbox is saved: the journal has nothing left to say."""
        if self._journal_fd >= 0:
            os.close(self._journal_fd)
            self._journal_fd = -1
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.journal_path)

    def _remove_stale_temps(self) -> None:
        """Temporary files of ours that a kill left behind (``<state>.<12 hex>.tmp``)."""
        import re
        import stat

        folder = os.path.dirname(os.path.abspath(self.path))
        pattern = re.compile(re.escape(os.path.basename(self.path)) + r"\.[0-9a-f]{12}\.tmp\Z")
        for entry in os.scandir(folder):
            if not pattern.match(entry.name):
                continue
            with contextlib.suppress(OSError):
                info = entry.stat(follow_symlinks=False)
                if stat.S_ISREG(info.st_mode) and info.st_uid == os.geteuid():
                    os.unlink(entry.path)

    def save(self) -> None:
        folder = os.path.dirname(os.path.abspath(self.path))
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
        while True:
            tmp = f"{self.path}.{os.urandom(6).hex()}.tmp"
            try:
                fd = os.open(tmp, flags, 0o600)
                break
            except FileExistsError:
                continue
        try:
            # One dumps (the C encoder, in one piece) and one write: json.dump's chunked writes
            # took three times as long for a large state.
            data = json.dumps(self.state, separators=(",", ":")).encode("ascii")  # any text, lone surrogates too
            with open(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        directory = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)

    def known(self, key: str) -> list[str] | None:
        entry = self.state["sources"].get(key)
        return None if entry is None else list(entry["known"])


def source_key(label: str, identifier: str | None) -> str:
    """The key a source's known versions are kept under: its file and identifier."""
    return f"{os.path.abspath(label)}#{identifier or ''}"


def event_id(label: str, identifier: str | None, version: str) -> str:
    """The same for the same source and version, whenever and however often it is reported."""
    import hashlib

    digest = hashlib.sha256(f"{source_key(label, identifier)}\0{version}".encode("utf-8", "surrogatepass"))
    return digest.hexdigest()[:32]


def _valid_event(event: Any) -> bool:
    text = ("source", "identifier", "version", "detected")
    return (
        isinstance(event, dict)
        and all(isinstance(event.get(k), str) for k in text)
        and isinstance(event.get("metadata"), dict)
        and all(isinstance(v, str) for v in event["metadata"].values())
    )


def _valid_sources(sources: Any) -> bool:
    return isinstance(sources, dict) and all(
        isinstance(entry, dict)
        and isinstance(entry.get("known"), list)
        and all(isinstance(v, str) for v in entry["known"])
        for entry in sources.values()
    )


DEFAULT_KEEP = 1000  # versions a source no longer lists, remembered per source


def shard_of(path: str, shards: int) -> int:
    """The shard (0 to shards-1) of the source at ``path``: a stable hash of the path as given,
    the same on every machine and run (Kubernetes' JOB_COMPLETION_INDEX counts from 0 too)."""
    import hashlib

    digest = hashlib.sha256(os.path.normpath(path).encode("utf-8", "surrogateescape")).digest()
    return int.from_bytes(digest[:8], "big") % shards


def poll(
    store: StateStore,
    sources: Iterable[str],
    report: Callable[[dict[str, Any]], None],
    *,
    concurrency: int = 4,
    cancel: threading.Event | None = None,
    report_existing: bool = False,
    warn: Callable[[str], None] = lambda _message: None,
    keep: int = DEFAULT_KEEP,
    polite: Politeness | None = None,
    options: FetchOptions | None = None,
    **changes: Any,
) -> int:
    """One poll: report what the outbox still holds, fetch, record, report. Returns the number of
    new versions found (not counting the outbox of an earlier run). ``options`` and ``changes``
    (:func:`customsrc.fetch`'s keywords) go to every fetch; ``polite`` holds them back per host
    (:mod:`customsrc.polite`); identical sources are fetched once."""
    from .many import fetch_many

    _drain(store, report)
    outcomes = fetch_many(
        list(sources), concurrency=concurrency, cancel=cancel, options=options, polite=polite, dedupe=True, **changes
    )
    found = record(store, outcomes, warn=warn, report_existing=report_existing, keep=keep, cancel=cancel)
    store.save()  # known versions and the events to report, in one atomic step
    _drain(store, report)
    return found


def record(
    store: StateStore,
    outcomes: Iterable[Outcome],
    *,
    warn: Callable[[str], None] = lambda _message: None,
    report_existing: bool = False,
    keep: int = DEFAULT_KEEP,
    cancel: threading.Event | None = None,
) -> int:
    """Add what the fetches found to the state (in memory): new versions to what is known, their
    events to the outbox. Linear in the versions listed and known."""
    now = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    found = 0
    sources = store.state["sources"]
    outbox = store.state["outbox"]
    for outcome in outcomes:
        if cancel is not None and cancel.is_set():
            break
        if outcome.error is not None or outcome.result is None:
            message = outcome.error.message if outcome.error else "no result"
            warn(f"{outcome.label}: {message} (known versions kept)")
            continue
        result = outcome.result
        key = source_key(outcome.label, result.source.identifier)
        entry = sources.get(key)
        known: list[str] = entry["known"] if entry is not None else []
        known_set = set(known)
        new = [a for a in result.artifacts if a.version not in known_set]
        versions = [a.version for a in new]
        if len(known) > keep:  # only then can a version no longer listed be forgotten
            known = _kept(known, [a.version for a in result.artifacts], keep)
        sources[key] = {"known": [*known, *versions], "checked": now}
        if entry is None and not report_existing:
            continue  # the first poll sets the baseline, as a trigger does from its creation
        for artifact in new:
            outbox.append(
                {
                    "id": event_id(outcome.label, result.source.identifier, artifact.version),
                    "source": outcome.label,
                    "identifier": result.source.identifier,
                    "version": artifact.version,
                    "metadata": dict(artifact.metadata),
                    "detected": now,
                }
            )
        found += len(new)
    return found


def _kept(known: list[str], listed: list[str], keep: int) -> list[str]:
    """What to remember of ``known``, oldest first: every version still listed, and the ``keep``
    most recently known of those no longer listed."""
    listed_set = set(listed)
    gone = [v for v in known if v not in listed_set]
    if len(gone) <= keep:
        return known
    dropped = set(gone[: len(gone) - keep])
    return [v for v in known if v not in dropped]


def _drain(store: StateStore, report: Callable[[dict[str, Any]], None]) -> None:
    """Report the outbox in order, journalling each delivery before the next (one appended line):
    a kill repeats at most the one event it interrupted (with its id), never an earlier one. Then
    one atomic write empties the outbox."""
    outbox = store.state["outbox"]
    if not outbox:
        return
    for event in outbox:
        event.setdefault("id", event_id(event["source"], event["identifier"], event["version"]))
        report(event)
        store.journal(event["id"])
    store.state["outbox"] = []
    store.save()
    store.clear_journal()
