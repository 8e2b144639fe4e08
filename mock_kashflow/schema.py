"""KashFlow's XML types, read from the project's WSDL, and records in and out of them.

The mock never hand-writes an element name or an element order: requests are
read and responses written by walking the types declared in the WSDL, as the
real ASMX service's XmlSerializer does.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from lxml import etree

from .values import (
    DEFAULTS,
    DecodeError,
    decode_simple,
    encode_simple,
    json_simple,
    simple_reader,
)

KF = "KashFlow"
XS = "http://www.w3.org/2001/XMLSchema"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
WSDL = "http://schemas.xmlsoap.org/wsdl/"
XSI_NIL = f"{{{XSI}}}nil"

Record = dict[str, Any]


@dataclass(frozen=True)
class Field:
    name: str
    type: str  # an XML Schema simple type ("int") or a KashFlow complex type ("Invoice")
    min_occurs: int
    many: bool
    nillable: bool


@dataclass(frozen=True)
class Reader:
    # {"{KashFlow}Name": (field, how to read its element when it is not nil)}
    by_tag: dict[str, tuple[Field, Callable[[etree._Element], Any]]]
    defaults: Record  # a record with every field absent, lists aside (each record has its own)
    lists: tuple[str, ...]


class Schema:
    def __init__(self, wsdl_bytes: bytes):
        root = etree.fromstring(wsdl_bytes, parser=safe_parser())
        schema = root.find(f"{{{WSDL}}}types/{{{XS}}}schema")
        self.types: dict[str, list[Field]] = {}
        self.elements: dict[str, list[Field]] = {}
        for node in schema:
            if node.tag == f"{{{XS}}}complexType":
                self.types[node.get("name")] = self._fields(node)
            elif node.tag == f"{{{XS}}}element":
                self.elements[node.get("name")] = self._fields(node.find(f"{{{XS}}}complexType"))
        self.operations = [
            op.get("name") for op in root.iterfind(f"{{{WSDL}}}portType/{{{WSDL}}}operation")]
        self._readers: dict[int, tuple[list[Field], Reader]] = {}

    @staticmethod
    def _fields(complex_type: etree._Element | None) -> list[Field]:
        if complex_type is None:
            return []
        fields = []
        for el in complex_type.iterfind(f"{{{XS}}}sequence/{{{XS}}}element"):
            type_ = (el.get("type") or "s:anyType").split(":", 1)[1]
            fields.append(Field(
                el.get("name"), type_, int(el.get("minOccurs", "1")),
                el.get("maxOccurs") == "unbounded", el.get("nillable") == "true"))
        return fields

    def is_complex(self, type_: str) -> bool:
        return type_ in self.types

    def blank(self, type_: str, **values: Any) -> Record:
        """A record of type_ with every field at its .NET default, then values."""
        record: Record = {
            f.name: [] if f.many else (DEFAULTS.get(f.type) if f.min_occurs else None)
            for f in self.types[type_]}
        unknown = set(values) - set(record)
        if unknown:
            raise KeyError(f"{type_} has no field {sorted(unknown)}")
        record.update(values)
        return record

    # Reading requests -------------------------------------------------

    def decode_fields(self, node: etree._Element, fields: list[Field]) -> Record:
        """Read the children of node as the given fields; absent ones get .NET defaults."""
        reader = self._reader(fields)
        record = reader.defaults.copy()
        for name in reader.lists:
            record[name] = []
        for child in node:
            found = reader.by_tag.get(child.tag)
            if found is None:
                continue  # XmlSerializer skips what it does not know (or another namespace)
            field, decode = found
            if child.get(XSI_NIL) in ("true", "1"):
                if not field.nillable and field.type in DEFAULTS:
                    raise DecodeError(f"There is an error in XML document (line "
                                      f"{child.sourceline}): {field.name} cannot be nil.")
                value = None
            else:
                value = decode(child)
            if field.many:
                record[field.name].append(value)
            else:
                record[field.name] = value
        return record

    def _reader(self, fields: list[Field]) -> Reader:
        """How to read a list of fields, made once per list (most of a request is these)."""
        cached = self._readers.get(id(fields))
        if cached is None or cached[0] is not fields:
            cached = (fields, Reader(
                by_tag={f"{{{KF}}}{f.name}": (f, self._decoder(f.type)) for f in fields},
                defaults={f.name: DEFAULTS.get(f.type) if f.min_occurs else None
                          for f in fields if not f.many},
                lists=tuple(f.name for f in fields if f.many)))
            self._readers[id(fields)] = cached
        return cached[1]

    def _decoder(self, type_: str) -> Callable[[etree._Element], Any]:
        """How to read a present element of type_, chosen once per field (see _reader)."""
        if type_ == "anyType" or type_ in self.types:
            return lambda node: self._decode_present(node, type_)
        read = simple_reader(type_)

        def decode(node: etree._Element) -> Any:
            try:
                return read(node.text or "")
            except DecodeError as error:
                raise DecodeError(f"There is an error in XML document (line "
                                  f"{node.sourceline}): {error}") from None
        return decode

    def decode_value(self, node: etree._Element, type_: str) -> Any:
        if node.get(XSI_NIL) in ("true", "1"):
            return None
        return self._decode_present(node, type_)

    def _decode_present(self, node: etree._Element, type_: str) -> Any:
        """The value of a node that is not nil."""
        if type_ == "anyType":
            return self._decode_any(node)
        fields = self.types.get(type_)
        if fields is not None:
            if len(fields) == 1 and fields[0].many:  # ArrayOfX
                return self.decode_fields(node, fields)[fields[0].name]
            return self.decode_fields(node, fields)
        try:
            return decode_simple(node.text or "", type_)
        except DecodeError as error:
            raise DecodeError(f"There is an error in XML document (line {node.sourceline}): "
                              f"{error}") from None

    def _decode_any(self, node: etree._Element) -> Record:
        xsi_type = node.get(f"{{{XSI}}}type")
        if not xsi_type:
            return {"_type": None}
        prefix, _, local = xsi_type.rpartition(":")
        namespace = node.nsmap.get(prefix or None)
        # An unprefixed name with no default namespace is taken as KashFlow's, as
        # clients that bind KashFlow to a prefix often write it that way.
        if namespace not in (KF, None) or local not in self.types:
            raise DecodeError(f"The specified type was not recognized: name='{local}', "
                              f"namespace='{namespace}'")
        return {"_type": local, **self.decode_fields(node, self.types[local])}

    # Writing responses ------------------------------------------------

    def encode_fields(self, parent: etree._Element, fields: list[Field], record: Record) -> None:
        for field in fields:
            value = record.get(field.name)
            if value is None:
                if field.many or not field.min_occurs:
                    continue
                value = DEFAULTS.get(field.type, "")
            values = value if field.many else [value]
            for item in values:
                child = etree.SubElement(parent, f"{{{KF}}}{field.name}")
                self.encode_value(child, item, field.type)

    def encode_value(self, node: etree._Element, value: Any, type_: str) -> None:
        if type_ == "anyType":
            node.set(f"{{{XSI}}}type", value["_type"])
            type_ = value["_type"]
        if self.is_complex(type_):
            fields = self.types[type_]
            if len(fields) == 1 and fields[0].many:
                value = {fields[0].name: value}
            self.encode_fields(node, fields, value)
        else:
            node.text = encode_simple(value, type_)

    # JSON (control API and --state files) ------------------------------

    def from_json(self, type_: str, value: Any, where: str = "") -> Any:
        """Turn JSON back into the values decode_value gives (Decimal, datetime). A value of
        the wrong JSON type is a DecodeError that names the field: true is no int, "no" no
        boolean."""
        if value is None:
            return None
        if type_ == "anyType":
            if not isinstance(value, dict) or value.get("_type") not in self.types:
                raise DecodeError(f'{where or "the value"} must be an object with "_type": '
                                  f'the KashFlow type, e.g. "InvoiceLine"')
            return {**self.from_json(value["_type"], value, where), "_type": value["_type"]}
        if not self.is_complex(type_):
            return json_simple(value, type_, where or "the value")
        fields = self.types[type_]
        if len(fields) == 1 and fields[0].many:
            return self._json_list(fields[0].type, value, where)
        if not isinstance(value, dict):
            raise DecodeError(f"{where or 'the value'} must be an object")
        record = dict(value)
        for field in fields:
            if field.name in record:
                name = f"{where}.{field.name}" if where else field.name
                raw = record[field.name]
                record[field.name] = (self._json_list(field.type, raw, name) if field.many
                                      else self.from_json(field.type, raw, name))
        return record

    def _json_list(self, type_: str, value: Any, where: str) -> list[Any]:
        if not isinstance(value, list):
            raise DecodeError(f"{where} must be a list")
        return [self.from_json(type_, item, f"{where}[{n}]") for n, item in enumerate(value)]


_parsers = threading.local()


def safe_parser() -> etree.XMLParser:
    """A parser that neither expands entities nor fetches anything: one per thread (making
    one costs about as much as parsing a small request, and a parser is not to be shared
    between threads)."""
    parser = getattr(_parsers, "parser", None)
    if parser is None:
        parser = _parsers.parser = etree.XMLParser(
            resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
            remove_comments=True, remove_pis=True)
    return parser


def wsdl_bytes() -> bytes:
    """The mock's own copy of the project's WSDL (scripts/make_wsdl.py writes both)."""
    return resources.files(__package__).joinpath("wsdl/kashflow.wsdl").read_bytes()


@cache
def kashflow_schema() -> Schema:
    return Schema(wsdl_bytes())
