"""Plain dataclasses for what goes to KashFlow and what comes back.

Names are ours (snake_case); kashflow.convert maps them to KashFlow's fields.
Money and rates are Decimal, never float. Ids are KashFlow's database ids
unless a field says "number" or "code".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

ZERO = Decimal(0)


@dataclass
class CompanyDetails:
    name: str
    vat_registered: bool
    vat_number: str = ""
    # KashFlow's CompanyDetails names its currency by id, name and symbol, not by ISO code.
    currency_id: int = 0
    currency_name: str = ""
    currency_symbol: str = ""
    address1: str = ""
    address2: str = ""
    address3: str = ""
    address4: str = ""
    postcode: str = ""
    email: str = ""
    telephone: str = ""
    payment_terms: int = 0


@dataclass
class NominalCode:
    id: int  # what document lines reference (ChargeType)
    code: int  # the 4-digit number people see, e.g. 7502
    name: str
    type_id: int = 0
    type_name: str = ""
    classification_id: int = 0
    classification_name: str = ""
    vat_rate: Decimal = ZERO
    archived: bool = False


@dataclass
class VatRate:
    id: int
    name: str
    rate: Decimal  # a percentage: 20 for 20%


@dataclass
class Party:
    """What suppliers and customers share; id is 0 until KashFlow assigns one."""

    id: int = 0
    code: str = ""
    name: str = ""
    contact: str = ""
    email: str = ""
    telephone: str = ""
    address1: str = ""
    address2: str = ""
    address3: str = ""
    address4: str = ""
    postcode: str = ""
    vat_number: str = ""
    payment_terms: int = 0  # days
    currency_id: int = 0


@dataclass
class Supplier(Party):
    pass


@dataclass
class Customer(Party):
    pass


@dataclass
class BankAccount:
    id: int
    name: str
    code: int  # the bank's nominal code, e.g. 1200


@dataclass
class Project:
    id: int
    name: str
    number: str


@dataclass
class PaymentMethod:
    id: int
    name: str


@dataclass
class Currency:
    id: int
    code: str  # ISO 4217
    exchange_rate: Decimal = Decimal(1)
    is_default: bool = False


@dataclass
class DocumentLine:
    quantity: Decimal
    description: str
    rate: Decimal  # net price of one unit, in the document's currency
    nominal_id: int  # NominalCode.id (KashFlow's ChargeType); 0 is KashFlow's "Other"
    vat_rate: Decimal  # a percentage; -1 for exempt (KashFlow's N/A)
    vat_amount: Decimal  # VAT of the whole line; KashFlow does not compute it
    project_id: int = 0
    sort: int = 0  # 0: the line's position, from 1
    line_id: int = 0  # read back only


@dataclass
class Document:
    """A purchase invoice (KashFlow: receipt) or a sales invoice; negative values credit.

    For receipts party_id is the supplier's id, for invoices the customer's.
    The fields after exchange_rate are filled by KashFlow and read back only.
    """

    party_id: int
    date: dt.date
    lines: list[DocumentLine]
    due_date: dt.date | None = None  # None: KashFlow applies the party's payment terms
    reference: str = ""  # KashFlow's CustomerReference, e.g. the supplier's invoice number
    project_id: int = 0
    currency_code: str = "GBP"
    exchange_rate: Decimal = Decimal(1)
    number: int = 0
    db_id: int = 0
    party_code: str = ""
    party_name: str = ""
    net_amount: Decimal = ZERO
    vat_amount: Decimal = ZERO
    amount_paid: Decimal = ZERO
    paid: bool = False
    permalink: str = ""

    @property
    def gross_amount(self) -> Decimal:
        return self.net_amount + self.vat_amount


@dataclass
class Payment:
    document_number: int  # the receipt or invoice NUMBER, not its db_id
    date: dt.date
    amount: Decimal
    method_id: int  # PaymentMethod.id
    bank_account_id: int  # BankAccount.id
    note: str = ""
    id: int = 0  # read back only


@dataclass
class Attachment:
    filename: str
    content: bytes = field(repr=False)
    content_type: str = ""  # "": guessed from the file name


@dataclass
class ReceiptPage:
    documents: list[Document]
    page: int
    total_pages: int
    total_records: int
