"""Status NO answers become typed errors that keep KashFlow's words and are not retried."""

import datetime as dt
import pickle
from decimal import Decimal as D

import pytest
from rawsoap import new_account

from kashflow import KashFlowClient
from kashflow.errors import (
    AccessDeniedError,
    ApiDisabledError,
    AuthenticationError,
    AutoAuthError,
    IPNotAllowedError,
    KashFlowError,
    NotFoundError,
    TransientError,
    ValidationError,
    classify_status_detail,
    error_from_status,
)
from kashflow.models import Document, DocumentLine


@pytest.fixture
def sleeps():
    return []


def client_for(account, sleeps, password=None, **options):
    return KashFlowClient(account.username, password or account.password, url=account.url,
                          timeout=5, sleep=sleeps.append, **options)


def test_a_wrong_password(kashflow_account, sleeps):
    client = client_for(kashflow_account, sleeps, password="not-the-Passw0rd")
    with pytest.raises(AuthenticationError) as caught:
        client.get_suppliers()
    error = caught.value
    assert error.status_detail == "Incorrect username or password"
    assert error.operation == "GetSuppliers"
    assert "username or password" in str(error) and "separate API password" in str(error)
    assert "not-the-Passw0rd" not in str(error) + repr(error)
    assert sleeps == []  # a refusal is not retried


def test_a_separate_api_password(kashflow_account, sleeps):
    kashflow_account.settings(password_mode="separate", api_password="api-only-pw")
    with pytest.raises(AuthenticationError):
        client_for(kashflow_account, sleeps).get_vat_rates()
    assert client_for(kashflow_account, sleeps, password="api-only-pw").get_vat_rates()


def test_a_restricted_account_lets_us_in_after_autoauth(mock_server, sleeps):
    account = new_account(mock_server.url, open_ips=False)  # restricted, empty list
    client = client_for(account, sleeps, app_name="Dext ERP tests")
    with pytest.raises(IPNotAllowedError) as caught:
        client.get_suppliers()
    assert isinstance(caught.value, AccessDeniedError)
    assert caught.value.status_detail == "The IP address of 127.0.0.1 is not in the access list"
    assert "AutoAuth key" in str(caught.value)

    assert client.auto_auth_ip(account.autoauth_key) == 1
    assert account.state()["access_list"] == [{"ip": "127.0.0.1", "comment": "Dext ERP tests"}]
    assert len(client.get_suppliers()) == 7


def test_a_machine_the_account_does_not_know_is_let_in_with_the_autoauth_key(
        mock_server, sleeps):
    """A worker on another machine than the one that connected: its first call is refused
    for its address, the client lets it in with AutoAuth and makes the call again; a write
    refused at the door is sent again, and lands once."""
    account = new_account(mock_server.url, open_ips=False)  # restricted, empty list
    client = client_for(account, sleeps, app_name="Dext worker",
                        autoauth_key=account.autoauth_key)
    assert len(client.get_suppliers()) == 7
    assert account.state()["access_list"] == [{"ip": "127.0.0.1", "comment": "Dext worker"}]
    assert sleeps == []

    account.settings(access_list=[])  # an administrator empties the list
    supplier = client.get_suppliers()[0]
    number = client.insert_receipt(Document(
        party_id=supplier.id, date=dt.date(2026, 1, 5), reference="LET-IN-1",
        lines=[DocumentLine(D(1), "Calls", D("10.00"), 0, D(20), D("2.00"))]))
    receipts = account.state()["receipts"]
    assert [(r["InvoiceNumber"], r["CustomerReference"]) for r in receipts] == [
        (number, "LET-IN-1")]

    # AutoAuth switched off in KashFlow: the address is refused, because AutoAuth could not
    # let it in.
    account.settings(access_list=[], autoauth_enabled=False)
    with pytest.raises(IPNotAllowedError) as caught:
        client.get_suppliers()
    assert isinstance(caught.value.__cause__, AutoAuthError)
    assert account.state()["access_list"] == []


def test_without_the_autoauth_key_a_refused_address_stays_refused(mock_server, sleeps):
    account = new_account(mock_server.url, open_ips=False)
    with pytest.raises(IPNotAllowedError):
        client_for(account, sleeps).get_suppliers()
    assert account.state()["access_list"] == []


def test_a_wrong_autoauth_key(mock_server, sleeps):
    account = new_account(mock_server.url, open_ips=False)
    client = client_for(account, sleeps)
    with pytest.raises(AutoAuthError) as caught:
        client.auto_auth_ip("0000AAAA-0000")
    assert isinstance(caught.value, AccessDeniedError)
    assert caught.value.status_detail == "The AutoAuth key is incorrect"
    assert caught.value.operation == "AutoAuthIP"
    assert "0000AAAA-0000" not in str(caught.value)
    assert account.state()["access_list"] == []


def test_autoauth_switched_off(kashflow_account, sleeps):
    kashflow_account.settings(autoauth_enabled=False)
    with pytest.raises(AutoAuthError, match="Enable AutoAuth"):
        client_for(kashflow_account, sleeps).auto_auth_ip(kashflow_account.autoauth_key)


def test_the_soap_api_switched_off(kashflow_account, sleeps):
    kashflow_account.settings(soap_api_enabled=False)
    with pytest.raises(ApiDisabledError) as caught:
        client_for(kashflow_account, sleeps).get_nominal_codes()
    assert isinstance(caught.value, AccessDeniedError)
    assert "Enable SOAP API" in str(caught.value)
    assert "not enabled" in caught.value.status_detail


def test_records_that_do_not_exist(client):
    with pytest.raises(NotFoundError) as caught:
        client.get_supplier("NOPE")
    assert caught.value.status_detail == "There is no supplier with that code"
    with pytest.raises(NotFoundError):
        client.get_supplier_by_id(42)
    with pytest.raises(NotFoundError):
        client.get_customer("NOPE")
    with pytest.raises(NotFoundError):
        client.get_customer_by_id(42)
    # KashFlow answers an unknown document number with an empty document, Status OK.
    with pytest.raises(NotFoundError, match="no receipt with the number 999"):
        client.get_receipt(999)
    with pytest.raises(NotFoundError, match="no invoice with the number 999"):
        client.get_invoice(999)
    with pytest.raises(NotFoundError):
        client.delete_receipt(999)


def test_a_receipt_for_an_unknown_supplier(client, kashflow_account, sleeps):
    with pytest.raises(NotFoundError) as caught:
        client.insert_receipt(Document(party_id=4242, date=dt.date(2024, 5, 1), lines=[
            DocumentLine(D(1), "Thing", D("10.00"), 0, D(0), D(0))]))
    assert caught.value.status_detail == "There is no supplier with the ID 4242"
    assert caught.value.operation == "InsertReceipt"
    assert kashflow_account.state()["receipts"] == []


def test_a_vat_rate_the_account_does_not_have(kashflow_account, demo, sleeps):
    client = client_for(kashflow_account, sleeps)
    with pytest.raises(ValidationError) as caught:
        client.insert_receipt(Document(
            party_id=demo.suppliers["BT01"].id, date=dt.date(2024, 5, 1), lines=[
                DocumentLine(D(1), "Old VAT", D("100.00"), demo.nominal_ids[7502], D(17),
                             D("17.00"))]))
    error = caught.value
    assert "17% is not one of this account's VAT rates" in error.status_detail
    assert error.status_detail in str(error)  # KashFlow's words, kept whole
    assert str(error).startswith("KashFlow refused InsertReceipt:")
    assert not isinstance(error, TransientError)
    assert sleeps == []
    assert kashflow_account.state()["receipts"] == []


def test_a_request_that_cannot_be_built_is_not_sent(client, kashflow_account, sleeps):
    with pytest.raises(ValidationError, match="could not be built.*CustomerID") as caught:
        client.insert_receipt(Document(party_id=None, date=dt.date(2024, 5, 1), lines=[]))
    assert not isinstance(caught.value, TransientError)
    assert kashflow_account.state()["receipts"] == []


def test_more_than_100_per_page_is_refused(client):
    with pytest.raises(ValidationError, match="PerPage"):
        client.get_receipts_page(per_page=500)


@pytest.mark.parametrize("detail,expected", [
    ("Incorrect username or password", AuthenticationError),
    ("The IP address of 10.1.2.3 is not in the access list", IPNotAllowedError),
    ("AutoAuth is not enabled for this account", AutoAuthError),
    ("The AutoAuth key is incorrect", AutoAuthError),
    ("The SOAP API is not enabled for this account.", ApiDisabledError),
    ("API access is disabled", ApiDisabledError),
    ("Access denied", AccessDeniedError),
    ("There is no customer with that email address", NotFoundError),
    ("Line 2: there is no nominal code with the ID 5", ValidationError),
    ("The supplier code ACME01 is already in use", ValidationError),
    ("", ValidationError),
])
def test_status_detail_classification(detail, expected):
    assert classify_status_detail(detail) is expected


@pytest.mark.parametrize("detail,subject", [
    ("Line 2: there is no nominal code with the ID 5", "nominal"),
    ("ChargeType 12 does not exist", "nominal"),
    ("Line 1: 17% is not one of this account's VAT rates", "vat"),
    ("There is no supplier with the ID 4242", "partner"),
    ("Line 1: there is no project with the ID 9", "project"),
    ("There is no bank account with the ID 3", "bank"),
    ("Rate may have at most 2 decimal places", "decimals"),
    ("The receipt has no lines", ""),
])
def test_what_a_refusal_is_about(detail, subject):
    "The StatusDetail sentence is read here once; callers use error.subject"
    assert error_from_status("InsertReceipt", detail).subject == subject


def test_errors_read_as_sentences_and_survive_pickling():
    error = error_from_status("InsertReceipt", "The receipt has no lines")
    assert str(error) == 'KashFlow refused InsertReceipt: "The receipt has no lines".'
    assert str(error_from_status("GetSuppliers", None)) == (
        "KashFlow refused GetSuppliers: no reason given.")
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is ValidationError and isinstance(copy, KashFlowError)
    assert (str(copy), copy.operation, copy.status_detail) == (
        str(error), "InsertReceipt", "The receipt has no lines")
