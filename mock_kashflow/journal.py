"""The --state FILE on disk: a snapshot of the whole state and an append-only journal of writes.

Each acknowledged write appends one line to the journal before its answer goes out, so a killed
process (even by SIGKILL) loses nothing it has answered: the line is in the operating system's
hands. With fsync=True it is on the disk too, and so survives a power cut: sync() waits for that
outside the caller's lock, and one fsync covers the lines of every thread that wrote in the
meantime (group commit), so that the disk's latency is paid once per group, not per write.

When the journal has grown past `fold_bytes`, it is sealed and a new one started; a thread folds
the sealed journals into a new snapshot, off the request path (it reads files, not the live
state, so it takes no lock). At start, the snapshot is read, the journals after it replayed (a
last line cut short by a kill is ignored) and folded into a new snapshot.

Files: FILE, the snapshot, which names the first journal it does not hold, and FILE.journal.N.
This module knows the state as JSON only: records live in named lists of each account and are
found by a named key field (see Replay).
"""

from __future__ import annotations

import json
import logging
import os
import threading
from pathlib import Path
from typing import Any

from .values import json_default

FOLD_BYTES = 64 * 1024 * 1024
FIRST_DBID = 100001

log = logging.getLogger(__name__)

State = dict[str, Any]  # {"next_dbid": int, "accounts": [account JSON], "journal": int}
Entry = dict[str, Any]


def empty_state() -> State:
    return {"next_dbid": FIRST_DBID, "accounts": [], "journal": 0}


class StateFile:
    def __init__(self, path: str | os.PathLike[str], fsync: bool = False,
                 fold_bytes: int | None = None):
        self.path = Path(path)
        self.fsync = fsync
        self.fold_bytes = fold_bytes or FOLD_BYTES
        self.generation = 0  # the journal being written
        self._fd: int | None = None
        self._written = 0  # bytes in the journal being written
        self.appended = 0  # lines appended since the start
        self._synced = 0  # of which on the disk (with fsync)
        self._sync_lock = threading.Lock()
        self._wake = threading.Condition()
        self._folding = False
        self._fold_upto = 0
        self._closed = False
        self._folder: threading.Thread | None = None

    # Start ------------------------------------------------------------

    def load(self) -> State:
        """The state on disk, the snapshot with its journals replayed; then a new snapshot
        holds all of it and a new journal is open for writes."""
        state = read_state(self.path)
        found = journals(self.path)
        self.generation = max([state["journal"], *(g + 1 for g in found)])
        if found or not self.path.exists():
            state["journal"] = self.generation
            self.write_snapshot(state)
            self._remove_journals_before(self.generation)
        self._open_journal()
        self._folder = threading.Thread(target=self._fold_when_woken, daemon=True,
                                        name="mock-kashflow-snapshots")
        self._folder.start()
        return state

    # Writes (the caller holds its lock, so lines keep the order of the changes) ---------

    def append(self, entry: Entry) -> None:
        assert self._fd is not None, "load() the state first"
        # Records go as they are, Decimals and datetimes as to_json writes them.
        data = (json.dumps(entry, separators=(",", ":"), default=json_default) + "\n").encode()
        view = memoryview(data)
        while view:
            view = view[os.write(self._fd, view):]
        self.appended += 1
        self._written += len(data)
        if self._written >= self.fold_bytes and not self._folding:
            self._seal()

    def sync(self, upto: int) -> None:
        """With fsync: return once the first `upto` lines appended are on the disk. Call it
        without the lock: while one thread waits for the disk, others append, and the next
        fsync covers them all."""
        if not self.fsync:
            return
        with self._sync_lock:
            if self._synced >= upto or self._fd is None:
                return  # another thread's fsync covered it, or close() did
            appended = self.appended  # all in the open journal (a seal syncs the one before)
            os.fsync(self._fd)
            self._synced = appended

    def _seal(self) -> None:
        """Start a new journal and let the folding thread make a snapshot of the old ones."""
        with self._sync_lock:
            if self.fsync:
                os.fsync(self._fd)
                self._synced = self.appended
            os.close(self._fd)
            self.generation += 1
            self._open_journal()
        with self._wake:
            self._folding = True
            self._fold_upto = self.generation
            self._wake.notify()

    def _open_journal(self) -> None:
        self._fd = os.open(journal_path(self.path, self.generation),
                           os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        self._written = os.fstat(self._fd).st_size
        if self.fsync:
            fsync_folder(self.path.parent)

    def close(self) -> None:
        with self._wake:
            self._closed = True
            self._wake.notify()
        if self._folder:
            self._folder.join(timeout=30)
        with self._sync_lock:
            if self._fd is not None:
                if self.fsync:
                    os.fsync(self._fd)
                    self._synced = self.appended
                os.close(self._fd)
                self._fd = None

    # Snapshots --------------------------------------------------------

    def _fold_when_woken(self) -> None:
        while True:
            with self._wake:
                self._wake.wait_for(lambda: self._folding or self._closed)
                if self._closed:
                    return
            try:
                self.fold(upto=self._fold_upto)
            except Exception:  # a failed snapshot loses nothing: the journals stay
                log.exception("Could not write the snapshot %s", self.path)
            with self._wake:
                self._folding = False

    def fold(self, upto: int) -> None:
        """Fold the journals before generation `upto` into a new snapshot."""
        state = read_state(self.path, before=upto)
        state["journal"] = upto
        self.write_snapshot(state)
        self._remove_journals_before(upto)

    def write_snapshot(self, state: State) -> None:
        temporary = self.path.with_name(self.path.name + ".tmp")
        with open(temporary, "w") as file:
            json.dump(state, file, separators=(",", ":"))
            if self.fsync:
                file.flush()
                os.fsync(file.fileno())
        os.replace(temporary, self.path)
        if self.fsync:
            fsync_folder(self.path.parent)

    def _remove_journals_before(self, generation: int) -> None:
        for old in journals(self.path):
            if old < generation:
                journal_path(self.path, old).unlink(missing_ok=True)


def read_state(path: Path, before: int | None = None) -> State:
    """The snapshot at path with the journals after it replayed (those before `before`)."""
    if not path.exists():
        # A snapshot is written before any journal, so journals without one are left over
        # from a state someone removed to start again.
        return empty_state()
    state = json.loads(path.read_text())
    state.setdefault("journal", 0)  # a state file written before there were journals
    replay = Replay(state)
    for generation in journals(path):
        if generation >= state["journal"] and (before is None or generation < before):
            for entry in read_journal(journal_path(path, generation)):
                replay.apply(entry)
    return replay.result()


def journals(path: Path) -> list[int]:
    """The generations of the journals of the state file at path, oldest first."""
    prefix = f"{path.name}.journal."
    return sorted(int(p.name[len(prefix):]) for p in path.parent.glob(prefix + "*")
                  if p.name[len(prefix):].isdigit())


def journal_path(path: Path, generation: int) -> Path:
    return path.with_name(f"{path.name}.journal.{generation}")


def read_journal(path: Path) -> list[Entry]:
    """The entries of a journal; a last line cut short (the process was killed while writing
    it, so it was never acknowledged) is left out."""
    entries = []
    with open(path, "rb") as file:
        for number, line in enumerate(file, start=1):
            try:
                if not line.endswith(b"\n"):
                    raise ValueError("no end of line")
                entries.append(json.loads(line))
            except ValueError as error:
                log.warning("%s: line %d is cut short or unreadable (%s); it and anything after "
                            "it are ignored", path, number, error)
                break
    return entries


class Replay:
    """Applies journal entries to a state's JSON.

    An entry is {"reset": true, "next_dbid": n}, or {"account": {...}, "changes": [...],
    "next_dbid": n}: "account" holds the account's fields that are not record lists (all of
    them for a new account), and each change is ["put", list, key field, key before, record]
    (replace the record with that key, or add it) or ["drop", list, key field, key].
    """

    def __init__(self, state: State):
        self.state = state
        self.accounts = {a["username"]: a for a in state["accounts"]}
        # (username, list) -> {key: position}; a dropped record leaves None until result().
        self.indexes: dict[tuple[str, str], dict[Any, int]] = {}

    def apply(self, entry: Entry) -> None:
        self.state["next_dbid"] = entry["next_dbid"]
        if entry.get("reset"):
            self.accounts.clear()
            self.indexes.clear()
            return
        username = entry["account"]["username"]
        account = self.accounts.setdefault(username, {})
        for name in entry["account"]:
            self.indexes.pop((username, name), None)  # a whole list replaced
        account.update(entry["account"])
        for change in entry["changes"]:
            self._apply_change(username, account, change)

    def _apply_change(self, username: str, account: dict[str, Any], change: list[Any]) -> None:
        operation, name, key_field, key = change[:4]
        records = account.setdefault(name, [])
        index = self._index(username, name, key_field, records)
        position = index.pop(key, None) if key_field else None
        if operation == "drop":
            if position is not None:
                records[position] = None
            return
        record = change[4]
        if position is None:
            records.append(record)
            position = len(records) - 1
        else:
            records[position] = record
        if key_field:
            index[record.get(key_field)] = position

    def _index(self, username: str, name: str, key_field: str | None,
               records: list[Any]) -> dict[Any, int]:
        found = self.indexes.get((username, name))
        if found is None:
            # The first record with a key wins, as Account.find finds it.
            found = {r.get(key_field): n for n, r in reversed(list(enumerate(records)))
                     if r is not None} if key_field else {}
            self.indexes[(username, name)] = found
        return found

    def result(self) -> State:
        for username, name in self.indexes:
            records = self.accounts[username][name]
            records[:] = [r for r in records if r is not None]
        self.state["accounts"] = list(self.accounts.values())
        return self.state


def fsync_folder(folder: Path) -> None:
    """Make a rename or a new file in folder last through a power cut."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
