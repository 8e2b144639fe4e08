"""Reading KashFlow's lists (GetSuppliers, GetCustomers...) straight from the answer's XML.

zeep builds an object for every element of an answer, which convert.plain then copies into
dicts: for 10,000 suppliers that took seconds. Here lxml reads the answer as a stream and
forgets each record once read; a record is the same dict zeep's path gives, with each
value typed by the WSDL's own type (zeep's) when it is read, so the fields nobody reads
cost nothing. Every name comes from the WSDL.

The parser is as safe as zeep's: no network, no entities, no huge tree, and a document
with a DTD is left to zeep, which refuses it. Anything else this reader does not expect
(a SOAP fault, an element out of the schema's order, an attribute on a record...) is
left to zeep too, so such answers read, or fail, exactly as they did before.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import logging
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from lxml import etree
from zeep.wsdl.bindings.soap import SoapBinding
from zeep.xsd import AnySimpleType, String

logger = logging.getLogger(__name__)
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
# How any attribute named type with a prefix (as xsi:type must be) is written, in an
# encoding where these characters are their ASCII bytes (ascii_based).
PREFIXED_TYPE = re.compile(rb":type[ \t\r\n]*=")
# The orders of elements a reader remembers as read (an answer has one or a few).
KNOWN_ORDERS = 64

Raw = dict[str, Any]
T = TypeVar("T")


@dataclass(frozen=True)
class ListFigures:
    """Where the time of reading one list went, logged at DEBUG for benchmarks."""

    operation: str
    records: int
    answer_bytes: int
    http_seconds: float  # from sending the request to the answer's last byte
    call_seconds: float  # the whole call: building, HTTP, reading the XML (and retries)
    model_seconds: float  # records to the client's dataclasses
    unchanged: bool = False  # the answer was the one read before: not read again

    @property
    def reading_seconds(self) -> float:
        return max(0.0, self.call_seconds - self.http_seconds)

    def __str__(self) -> str:
        records = "unchanged" if self.unchanged else f"{self.records} records"
        return (f"{self.operation}: {records}, {self.answer_bytes} bytes; HTTP "
                f"{self.http_seconds:.3f} s, reading the XML {self.reading_seconds:.3f} s, "
                f"models {self.model_seconds:.3f} s")


@dataclass(frozen=True)
class Listed(Generic[T]):
    """A list as KashFlow answered it, from KashFlowClient.get_list.

    digest: of the answer's bytes. records: None when the answer is byte for byte the one
    whose digest the caller gave (unless), which is then not read again.
    """

    digest: str
    records: list[T] | None


@dataclass
class ListCall:
    """One call of a list operation: how its answer is read, and what was found."""

    reader: ListReader
    unless: str | None = None  # the digest of an answer read before
    digest: str | None = None  # of this answer, once it came
    unchanged: bool = False  # it was the answer of unless, with HTTP 200


def answer_digest(content: bytes) -> str:
    """The fingerprint of an answer: the same bytes read the same records."""
    return hashlib.blake2b(content, digest_size=20).hexdigest()


class NotAList(TypeError):
    """The operation's answer is not a flat list this reader can read."""


_UNKNOWN = object()


class Record(Mapping[str, Any]):
    """One record of a list: its elements' texts, typed on reading like zeep types them.

    Like zeep's dict, it has every element of the record's type, None when absent.
    types: each name's type, None for a string, which zeep reads as it is.
    """

    __slots__ = ("_texts", "_types")

    def __init__(self, texts: dict[str, str | None],
                 types: dict[str, AnySimpleType | None]) -> None:
        self._texts = texts
        self._types = types

    def __getitem__(self, name: str) -> Any:
        if name not in self._types:
            raise KeyError(name)
        return self.get(name)

    def get(self, name: str, default: Any = None) -> Any:
        type_ = self._types.get(name, _UNKNOWN)
        if type_ is _UNKNOWN:
            return default
        text = self._texts.get(name)
        if text is None or type_ is None:
            return text
        try:
            return type_.pythonvalue(text)
        except (TypeError, ValueError):  # zeep reads a value it cannot type as None
            logger.warning("KashFlow sent %r for %s, which is not of type %s; read as empty",
                           text, name, type_.name)
            return None

    def __iter__(self) -> Iterator[str]:
        return iter(self._types)

    def __len__(self) -> int:
        return len(self._types)

    def __repr__(self) -> str:
        return f"Record({dict(self)!r})"


class ListReader:
    """Reads the answer of one list operation of the binding, as zeep would give it.

    skip: elements of a record not read (None in the record), whatever their type: the
    lines of each document in a list of documents, when only the documents are wanted.
    """

    def __init__(self, binding: SoapBinding, operation: str,
                 skip: frozenset[str] = frozenset()) -> None:
        body = binding.get(operation).output.body
        if body is None:
            raise NotAList(f"{operation} has no answer body")
        self.operation = operation
        self._envelope = binding.nsmap["soap-env"]
        self._response = body.qname.text  # {KashFlow}GetSuppliersResponse
        outputs = dict(body.type.elements)
        self.result_name = f"{operation}Result"  # .NET's rule, which the WSDL follows
        result = outputs.get(self.result_name)
        if result is None or len(result.type.elements) != 1:
            raise NotAList(f"{operation} does not answer an array")
        self.item_name, item = result.type.elements[0]
        fields = item.type.elements
        if item.max_occurs != "unbounded" or item.type.attributes or not all(
                isinstance(field.type, AnySimpleType) or name in skip
                for name, field in fields):
            raise NotAList(f"{operation}'s {self.item_name} is not a flat record")
        if not skip <= {name for name, _ in fields}:
            raise NotAList(f"{operation}'s {self.item_name} has no {sorted(skip)}")
        self._skip = skip
        self._result = result.qname.text
        self._item = item.qname.text
        # The answer's elements in order: the list, Status, StatusDetail.
        self._outputs = {element.qname.text: (index, name, element.type)
                         for index, (name, element) in enumerate(outputs.items())}
        self._answer_may_follow = may_follow(list(outputs.values()))
        self._types = {name: None if name in skip or reads_as_is(field.type) else field.type
                       for name, field in fields}
        self._names = [name for name, _ in fields]
        self._position = {field.qname.text: index for index, (_, field) in enumerate(fields)}
        self._may_follow = may_follow([field for _, field in fields])
        # The records' names for each order of elements already found in the schema's order.
        self._orders: dict[tuple[str, ...], tuple[str, ...] | None] = {}

    def records(self, raw: Raw) -> list[Mapping[str, Any]]:
        """The records of an answer read by read() or by zeep; [] for an empty list."""
        array = raw.get(self.result_name)
        return [record for record in (array or {}).get(self.item_name) or []
                if record is not None]

    def read(self, content: bytes) -> Raw | None:
        """The answer as zeep's plain dict, or None when it is not the plain list answer
        this reader knows: then zeep reads it."""
        records: list[Record] = []
        events = etree.iterparse(
            io.BytesIO(content), events=("end",), tag=self._item, remove_comments=True,
            resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False)
        # Each element is looked at for an xsi:type only when the answer may have one: the
        # search of its bytes holds if its encoding is ascii_based, checked once read.
        typed = PREFIXED_TYPE.search(content) is not None
        try:
            for _, element in events:
                record = self._record(element, typed)
                if record is None or not self._forget_read(element):
                    return None
                records.append(record)
        except etree.XMLSyntaxError:
            return None
        root = events.root
        docinfo = root.getroottree().docinfo
        if docinfo.doctype or not typed and not ascii_based(docinfo.encoding):
            return None
        return self._answer(root, records)

    def _record(self, element: etree._Element, typed: bool) -> Record | None:
        parent = element.getparent()
        if parent is None or parent.tag != self._result or element.keys():
            return None
        tags = tuple([child.tag for child in element])
        names = self._orders.get(tags, ())
        if names == ():
            names = self._names_in_order(tags)
            if len(self._orders) < KNOWN_ORDERS:
                self._orders[tags] = names
        # zeep types an element by its xsi:type: such a record is not plain.
        if not names or typed and any(child.get(XSI_TYPE) is not None for child in element):
            return None
        texts = dict(zip(names, [child.text for child in element], strict=True))
        for name in self._skip.intersection(texts):
            texts[name] = None
        return Record(texts, self._types)

    def _names_in_order(self, tags: tuple[str, ...]) -> tuple[str, ...] | None:
        """The names of the elements tags, if zeep reads them as plain: in order, one of
        each, skipping only optional elements; None otherwise."""
        position, names, may_follow = self._position, self._names, self._may_follow
        found = []
        last = -1
        for tag in tags:
            index = position.get(tag, -1)
            if not last < index <= may_follow[last]:
                return None
            last = index
            found.append(names[index])
        return tuple(found) or None

    def _forget_read(self, element: etree._Element) -> bool:
        """Free the records read before element; False if something else came first."""
        element.clear()
        parent = element.getparent()
        while (previous := element.getprevious()) is not None:
            if previous.tag != self._item:
                return False
            parent.remove(previous)
        return True

    def _answer(self, root: etree._Element, records: list[Record]) -> Raw | None:
        """Status, StatusDetail and the list, from what is left of the tree."""
        if root.tag != f"{{{self._envelope}}}Envelope":
            return None
        body = root.find(f"{{{self._envelope}}}Body")
        if body is None or len(body) != 1 or body[0].tag != self._response:
            return None  # a fault, or not this operation's answer
        raw: Raw = dict.fromkeys(name for _, name, _ in self._outputs.values())
        last = -1
        for child in body[0]:
            index, name, type_ = self._outputs.get(child.tag, (-1, "", None))
            if not last < index <= self._answer_may_follow[last] or child.keys():
                return None
            last = index
            if name == self.result_name:
                if any(item.tag != self._item for item in child):
                    return None
                # zeep reads an empty array as none at all
                raw[name] = {self.item_name: records} if records else None
            elif len(child):
                return None
            else:
                raw[name] = None if child.text is None else type_.pythonvalue(child.text)
        return raw


def ascii_based(encoding: str) -> bool:
    """Whether encoding writes each ASCII character as its ASCII byte, and only so:
    UTF-8 and the 8-bit ISO and Windows code pages (UTF-7, say, has a second way)."""
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        return False
    return name in {"utf-8", "ascii", "latin-1"} or name.startswith(("iso8859", "cp125"))


def reads_as_is(type_: AnySimpleType) -> bool:
    """Whether zeep reads a value of type_ as its text (a string)."""
    return type(type_).pythonvalue is String.pythonvalue


def may_follow(elements: list[Any]) -> dict[int, int]:
    """For each position in a sequence (and -1, its start), the furthest position the next
    element may be at: past the next required (minOccurs > 0) element is out of order."""
    furthest = {}
    for position in range(-1, len(elements)):
        after = range(position + 1, len(elements))
        furthest[position] = next((i for i in after if elements[i].min_occurs), len(elements) - 1)
    return furthest
