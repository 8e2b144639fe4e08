"""All the mock's state: KashFlow accounts and what is in them.

Records are dicts keyed by KashFlow's own field names, so that the schema can
write them to the wire as they are. One lock guards everything: the threaded
server may run many requests at once, and KashFlow numbers must stay unique.
Callers hold it for the change and its journal line, not for reading or writing XML.

With --state FILE, a write ends with Backend.commit(account), which journals what changed:
the account's CHANGEABLE_FIELDS, and the records noted with Account.add, changed or remove
(see journal.py). Code that changes a record list in place goes through these three.
"""

from __future__ import annotations

import os
import random
import secrets
import threading
from collections import Counter
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any

from .journal import FIRST_DBID, StateFile
from .schema import Record, kashflow_schema
from .values import to_json

# Collections of an account, with the KashFlow type of their records.
COLLECTIONS: dict[str, str] = {
    "nominal_codes": "NominalCodeExtended",
    "vat_rates": "BasicDataset",
    "suppliers": "Supplier",
    "customers": "Customer",
    "bank_accounts": "BankAccount",
    "projects": "BasicDataset",
    "currencies": "Currencies",
    "receipts": "Invoice",
    "invoices": "Invoice",
    "payments": "Payment",
}
# Key of each collection's records, for the control API's add and delete.
ID_FIELDS = {
    "nominal_codes": "id", "vat_rates": "ID", "suppliers": "SupplierID",
    "customers": "CustomerID", "bank_accounts": "AccountID", "projects": "ID",
    "currencies": "CurrencyId", "receipts": "InvoiceNumber", "invoices": "InvoiceNumber",
    "payments": "PayID",
}
# The key of every record list of an account, for the journal (credit allocations have none).
RECORD_KEYS: dict[str, str | None] = {
    **ID_FIELDS, "attachments": "AttachmentID", "credit_allocations": None, "notes": "NoteID"}
# What a write may change besides records, journaled whole with each write: the company
# details, VAT registration and payment methods are set when an account is made, and no write
# changes them (one that did would add its field here).
CHANGEABLE_FIELDS = ("username", "password", "settings", "access_list", "last_numbers")


def new_autoauth_key() -> str:
    """A key shaped as KashFlow's: 1234ABCD-1234."""
    return f"{secrets.token_hex(4).upper()}-{secrets.token_hex(2).upper()}"


@dataclass
class Settings:
    """The API Settings page of an account."""

    soap_api_enabled: bool = True
    autoauth_enabled: bool = True
    autoauth_key: str = field(default_factory=new_autoauth_key)
    # KashFlow's default: restricted, with an empty list, so nobody gets in
    # until an app calls AutoAuthIP or the user edits the list.
    restrict_ips: bool = True
    password_mode: str = "login"  # "login" or "separate"
    api_password: str = ""
    # REST API v2 (rest/): the login's second step asks for three letters of this word.
    rest_api_enabled: bool = True
    memorable_word: str = "pineapple"
    # After this many bad logins in a row the user is locked out, until an administrator
    # (here: the control API) unlocks it. KashFlow's number is not documented.
    locked: bool = False
    session_idle_minutes: int = 60
    # REST keeps a document's files in the account's Dropbox: without it, none are taken.
    dropbox_connected: bool = True


@dataclass
class Change:
    """A record added, changed or removed by a write, for the journal."""

    operation: str  # "put" or "drop"
    collection: str
    key: Any  # the record's key before the change
    record: Record | None = None

    def as_journal(self) -> list[Any]:
        """The change as journal.Replay reads it (the journal encodes the record's values)."""
        head = [self.operation, self.collection, RECORD_KEYS[self.collection], self.key]
        return head if self.record is None else [*head, self.record]


@dataclass
class Account:
    username: str
    password: str
    settings: Settings = field(default_factory=Settings)
    access_list: list[dict[str, str]] = field(default_factory=list)
    company: Record = field(default_factory=dict)
    vat_registered: bool = True
    nominal_codes: list[Record] = field(default_factory=list)
    vat_rates: list[Record] = field(default_factory=list)
    suppliers: list[Record] = field(default_factory=list)
    customers: list[Record] = field(default_factory=list)
    bank_accounts: list[Record] = field(default_factory=list)
    projects: list[Record] = field(default_factory=list)
    payment_methods: dict[str, list[Record]] = field(
        default_factory=lambda: {"invoice": [], "receipt": []})
    currencies: list[Record] = field(default_factory=list)
    receipts: list[Record] = field(default_factory=list)
    invoices: list[Record] = field(default_factory=list)
    payments: list[Record] = field(default_factory=list)
    attachments: list[Record] = field(default_factory=list)
    credit_allocations: list[Record] = field(default_factory=list)
    notes: list[Record] = field(default_factory=list)  # REST's notes on documents and partners
    # The highest document number issued per collection, deleted documents included.
    last_numbers: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # What the next Backend.commit journals; not a field, so not part of the state.
        self.pending: list[Change] = []
        for collection in ("receipts", "invoices"):  # state files from before last_numbers
            for record in getattr(self, collection):
                self.note_number(collection, record["InvoiceNumber"])

    def api_password_ok(self, password: str | None) -> bool:
        expected = (self.settings.api_password if self.settings.password_mode == "separate"
                    else self.password)
        return bool(expected) and secrets.compare_digest(
            (password or "").encode(), expected.encode())

    def ip_allowed(self, ip: str) -> bool:
        return not self.settings.restrict_ips or any(e["ip"] == ip for e in self.access_list)

    def issue_number(self, collection: str) -> int:
        """The next document number: KashFlow never issues one twice, even after a delete."""
        number = self.last_numbers.get(collection, 0) + 1
        self.last_numbers[collection] = number
        return number

    def note_number(self, collection: str, number: int) -> None:
        """A number given through the control API is taken too."""
        self.last_numbers[collection] = max(self.last_numbers.get(collection, 0), number)

    def find(self, collection: str, key: str, value: Any) -> Record | None:
        return next((r for r in getattr(self, collection) if r.get(key) == value), None)

    # Changes, noted for the journal ----------------------------------

    def add(self, collection: str, record: Record) -> Record:
        getattr(self, collection).append(record)
        self.changed(collection, record)
        return record

    def changed(self, collection: str, record: Record, key: Any = None) -> None:
        """record was added or changed in place; key is its key before, if the change set
        a new one."""
        key_field = RECORD_KEYS[collection]
        if key is None and key_field:
            key = record.get(key_field)
        self.pending.append(Change("put", collection, key, record))

    def remove(self, collection: str, record: Record) -> None:
        getattr(self, collection).remove(record)
        key_field = RECORD_KEYS[collection]
        self.pending.append(Change("drop", collection, key_field and record.get(key_field)))

    # JSON (control API and --state files) -------------------------------

    def to_json(self, only: tuple[str, ...] | None = None) -> dict[str, Any]:
        """The account as JSON: all of it, or only the fields named."""
        # Not asdict(): its deep copy is most of the time, and to_json copies anyway.
        return {name: to_json(vars(value) if is_dataclass(value) else value)
                for name in only or [f.name for f in fields(self)]
                for value in [getattr(self, name)]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Account:
        schema = kashflow_schema()
        values = dict(data)
        values["settings"] = Settings(**data["settings"])
        for name, type_ in COLLECTIONS.items():
            values[name] = [schema.from_json(type_, r) for r in data.get(name, [])]
        values["company"] = schema.from_json("CompanyDetails", data.get("company") or {})
        return cls(**values)


@dataclass
class Fault:
    """A failure to inject into the next `times` calls of an operation ("*" for any); with
    `chance` below 1, into that share of them, picked at random."""

    operation: str
    kind: str  # error_before, drop_after_write, delay, http_500, rate_limit
    times: int = 1
    delay_ms: int = 0
    chance: float = 1.0


class Backend:
    def __init__(self, state_file: str | os.PathLike[str] | None = None, fsync: bool = False,
                 fold_bytes: int | None = None):
        self.lock = threading.RLock()
        self._owed = threading.local()  # the journal lines a thread's request must wait for
        self.accounts: dict[str, Account] = {}
        self.faults: list[Fault] = []
        self.calls: Counter[str] = Counter()  # SOAP calls by operation, since the reset
        self._next_dbid = FIRST_DBID
        self.store: StateFile | None = None
        if state_file:
            self.store = StateFile(state_file, fsync, fold_bytes)
            self._load(self.store.load())

    def reset(self) -> None:
        with self.lock:
            self.accounts.clear()
            self.faults.clear()
            self.calls.clear()
            self._next_dbid = FIRST_DBID
            self._journal({"reset": True})

    def next_dbid(self) -> int:
        """KashFlow's database ids are unique across the whole system."""
        with self.lock:
            value = self._next_dbid
            self._next_dbid += 1
            return value

    def note_dbid(self, value: int) -> None:
        """An id given through the control API is never issued again."""
        with self.lock:
            self._next_dbid = max(self._next_dbid, value + 1)

    def add_account(self, account: Account) -> Account:
        with self.lock:
            self.accounts[account.username] = account
            account.pending.clear()
            self._journal({"account": account.to_json(), "changes": []})
        return account

    def commit(self, account: Account) -> None:
        """Journal what a write changed in account; call it before the answer goes out,
        holding the lock, so that what a client was told is on disk in the order it
        happened (with --fsync, the answer waits for the disk: see wait_for_disk)."""
        with self.lock:
            changes, account.pending = account.pending, []
            self._journal({"account": account.to_json(only=CHANGEABLE_FIELDS),
                           "changes": [change.as_journal() for change in changes]})

    def take_fault(self, operation: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.operation in (operation, "*") and fault.times > 0:
                    if fault.chance < 1 and random.random() >= fault.chance:
                        continue  # this call is spared; the next fault may apply
                    fault.times -= 1
                    if not fault.times:
                        self.faults.remove(fault)
                    return fault
        return None

    def close(self) -> None:
        if self.store:
            self.store.close()

    # Persistence (--state FILE) -----------------------------------------

    def wait_for_disk(self) -> None:
        """With --fsync, return once what this thread has journaled is on the disk. The app
        calls it after each request, outside the lock: threads that wrote in the meantime
        share one fsync, and none waits for the disk holding the lock."""
        upto = getattr(self._owed, "upto", 0)
        if upto and self.store:
            self.store.sync(upto)
            self._owed.upto = 0

    def _journal(self, entry: dict[str, Any]) -> None:
        """Append entry to the journal; the caller holds the lock."""
        if self.store:
            self.store.append({**entry, "next_dbid": self._next_dbid})
            if self.store.fsync:
                self._owed.upto = self.store.appended

    def _load(self, data: dict[str, Any]) -> None:
        self._next_dbid = data["next_dbid"]
        for raw in data["accounts"]:
            account = Account.from_json(raw)
            self.accounts[account.username] = account
