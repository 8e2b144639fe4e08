"""Failures on the wire: what is retried, what is never sent twice, what is logged.

Faults are injected into the mock (POST /_mock/faults); sleeping is replaced
by a list that records the waits, so backoff costs no time.
"""

import datetime as dt
import logging
import socket
import time
from decimal import Decimal as D

import pytest
from netkit import serve_fixed_answer

from kashflow import KashFlowClient
from kashflow.errors import (
    AuthenticationError,
    RateLimitedError,
    TransientError,
    UnclearOutcomeError,
    UnexpectedResponseError,
    UnreachableError,
)
from kashflow.models import Document, DocumentLine
from kashflow.retry import RetryPolicy
from kashflow.transport import parse_retry_after, redact


@pytest.fixture
def sleeps():
    return []


@pytest.fixture
def make_client(kashflow_account, sleeps):
    def make(**options):
        options = {"timeout": 5.0, "url": kashflow_account.url, "sleep": sleeps.append,
                   **options}
        return KashFlowClient(kashflow_account.username, kashflow_account.password, **options)
    return make


@pytest.fixture
def receipt(demo):
    return Document(party_id=demo.suppliers["BT01"].id, date=dt.date(2024, 5, 1),
                    reference="SUPP-991", lines=[
                        DocumentLine(D(1), "Broadband", D("100.00"), demo.nominal_ids[7502],
                                     D(20), D("20.00"))])


def receipts_in(account):
    return account.state()["receipts"]


def closed_port_url():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/api/service.asmx"  # nothing listens there now


# Writes: retried only when KashFlow surely did not get them ------------------


def test_a_rate_limited_insert_is_retried_once_and_written_once(
        make_client, inject_fault, receipt, kashflow_account, sleeps):
    inject_fault("InsertReceipt", "rate_limit")
    number = make_client().insert_receipt(receipt)
    assert len(sleeps) == 1 and sleeps[0] >= 1.0  # the mock's Retry-After: 1
    [stored] = receipts_in(kashflow_account)
    assert stored["InvoiceNumber"] == number


@pytest.mark.parametrize("kind,written", [
    ("http_500", 0),  # refused before the handler ran, but we cannot know that
    ("error_before", 0),  # a SOAP server fault
    ("drop_after_write", 1),  # written, then the connection dropped
])
def test_an_insert_with_an_unclear_outcome_is_not_retried(
        make_client, inject_fault, receipt, kashflow_account, sleeps, kind, written):
    inject_fault("InsertReceipt", kind)
    with pytest.raises(UnclearOutcomeError) as caught:
        make_client().insert_receipt(receipt)
    assert isinstance(caught.value, TransientError)
    assert caught.value.operation == "InsertReceipt"
    assert "before sending it again" in str(caught.value)
    assert sleeps == []
    assert len(receipts_in(kashflow_account)) == written


def test_after_a_dropped_connection_the_receipt_is_found_by_its_reference(
        make_client, inject_fault, receipt, kashflow_account):
    client = make_client()
    inject_fault("InsertReceipt", "drop_after_write")
    with pytest.raises(UnclearOutcomeError):
        client.insert_receipt(receipt)
    # What the caller does next: look before sending again.
    found = [r for r in client.get_receipts_for_supplier(receipt.party_id)
             if r.reference == "SUPP-991"]
    assert len(found) == 1 and found[0].net_amount == D("100.00")


def test_a_server_fault_keeps_kashflows_words(make_client, inject_fault, receipt):
    inject_fault("InsertReceipt", "error_before")
    with pytest.raises(UnclearOutcomeError) as caught:
        make_client().insert_receipt(receipt)
    assert "deadlock" in caught.value.status_detail


def test_an_insert_that_times_out_is_unclear(make_client, inject_fault, receipt,
                                             kashflow_account, sleeps):
    inject_fault("InsertReceipt", "delay", delay_ms=1000)
    started = time.monotonic()
    with pytest.raises(UnclearOutcomeError, match="did not answer in time"):
        make_client(timeout=0.3).insert_receipt(receipt)
    assert time.monotonic() - started < 0.9
    assert sleeps == []
    # The mock finishes the write after our timeout: exactly one receipt, as KashFlow would.
    deadline = time.monotonic() + 5
    while not receipts_in(kashflow_account) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(receipts_in(kashflow_account)) == 1


def test_a_write_that_cannot_connect_is_retried_then_reported(receipt, sleeps):
    client = KashFlowClient("someone", "pw", url=closed_port_url(), timeout=2,
                            max_retries=2, backoff=0.1, sleep=sleeps.append)
    with pytest.raises(UnreachableError) as caught:
        client.insert_receipt(receipt)
    assert not isinstance(caught.value, UnclearOutcomeError)  # it never left
    assert caught.value.attempts == 3 and len(sleeps) == 2
    assert "Could not connect to KashFlow" in str(caught.value)
    assert "nothing was sent" in str(caught.value)
    assert "gave up after 3 attempts" in str(caught.value)


def test_one_attempt_for_a_person_waiting(make_client, inject_fault, sleeps):
    # max_retries=0: the first failure is reported at once; the caller's queue retries.
    inject_fault("GetSuppliers", "delay", delay_ms=1500)
    started = time.monotonic()
    with pytest.raises(TransientError) as caught:
        make_client(timeout=0.5, max_retries=0).get_suppliers()
    assert time.monotonic() - started < 1.4
    assert caught.value.timed_out and caught.value.attempts == 1 and sleeps == []
    assert "gave up after" not in str(caught.value)


def test_a_delete_that_fails_with_http_500_is_unclear(make_client, inject_fault, demo,
                                                      receipt, kashflow_account, sleeps):
    client = make_client()
    number = client.insert_receipt(receipt)
    inject_fault("DeleteReceipt", "http_500")
    with pytest.raises(UnclearOutcomeError):
        client.delete_receipt(number)
    assert sleeps == []


# Reads: retried on any transient failure ----------------------------------------


def test_a_read_that_times_out_once_is_retried(make_client, inject_fault, sleeps):
    inject_fault("GetSuppliers", "delay", delay_ms=1000)
    suppliers = make_client(timeout=0.3).get_suppliers()
    assert len(suppliers) == 7
    assert len(sleeps) == 1


@pytest.mark.parametrize("kind", ["http_500", "error_before", "drop_after_write",
                                  "rate_limit"])
def test_a_read_is_retried_after_any_transient_failure(make_client, inject_fault, sleeps,
                                                       kind):
    inject_fault("GetNominalCodesExtended", kind, times=2)
    assert len(make_client().get_nominal_codes()) > 20
    assert len(sleeps) == 2


def test_retries_stop_after_max_retries(make_client, inject_fault, sleeps):
    inject_fault("GetVATRates", "http_500", times=10)
    with pytest.raises(TransientError, match="HTTP 500") as caught:
        make_client(max_retries=2).get_vat_rates()
    assert not isinstance(caught.value, UnclearOutcomeError)
    assert caught.value.attempts == 3 and len(sleeps) == 2


def test_a_long_rate_limit_is_reported_with_its_wait(make_client, inject_fault, sleeps):
    inject_fault("GetVATRates", "rate_limit", times=10)
    with pytest.raises(RateLimitedError) as caught:
        make_client(max_retries=1).get_vat_rates()
    assert caught.value.retry_after == 1.0
    assert "slow down" in str(caught.value) and "in 1 second." in str(caught.value)
    assert len(sleeps) == 1


def test_a_read_that_cannot_connect_is_retried_with_growing_waits(sleeps):
    client = KashFlowClient("someone", "pw", url=closed_port_url(), timeout=2,
                            max_retries=3, backoff=0.5, sleep=sleeps.append)
    with pytest.raises(TransientError, match="Could not connect"):
        client.get_suppliers()
    assert len(sleeps) == 3
    # Equal jitter: each wait is within [base/2, base], base doubling from 0.5 s.
    for wait, base in zip(sleeps, [0.5, 1.0, 2.0], strict=True):
        assert base / 2 <= wait <= base


def test_the_backoff_policy():
    policy = RetryPolicy(backoff=1.0, max_backoff=4.0, random=lambda: 1.0)
    plain = TransientError("x")
    assert [policy.delay(n, plain) for n in range(4)] == [1.0, 2.0, 4.0, 4.0]
    polite = RateLimitedError("x", retry_after=3.0)
    assert policy.delay(0, polite) == 3.0
    assert policy.delay(0, RateLimitedError("x", retry_after=3600)) is None


def test_retry_after_as_seconds_or_a_date():
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


# Answers we refuse to read --------------------------------------------------------


def test_an_oversized_answer_to_a_read_is_refused(make_client, sleeps):
    # The suppliers' answer is about 1.8 KB, declared in Content-Length.
    with pytest.raises(UnexpectedResponseError, match="larger than 1000 bytes"):
        make_client(max_response_bytes=1000).get_suppliers()
    assert sleeps == []


@pytest.fixture
def answer_with(sleeps):
    """answer_with(status, headers, chunks, **client options): a client whose server
    always answers so, as a proxy or a broken server might."""
    servers = []

    def make(status, headers, chunks, **options):
        server = serve_fixed_answer(status, headers, chunks)
        servers.append(server)
        return KashFlowClient("someone", "pw", timeout=5, sleep=sleeps.append,
                              url=f"http://127.0.0.1:{server.server_port}/api", **options)

    yield make
    for server in servers:
        server.shutdown()
        server.server_close()


def test_an_answer_without_a_length_is_cut_off_at_the_limit(answer_with):
    endless = [b"<a>" + b"x" * 16384 + b"</a>"] * 64  # 1 MB, no Content-Length
    client = answer_with(200, {"Content-Type": "text/xml"}, endless,
                         max_response_bytes=100_000)
    with pytest.raises(UnexpectedResponseError, match="larger than 100000 bytes"):
        client.get_suppliers()


SOAP = b'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/">%s</s:Envelope>'


@pytest.mark.parametrize("content_type,body", [
    ("text/html", b"<html><body>Welcome to the hotel wifi</body></html>"),
    ("text/xml", b"not xml <"),
    ("text/xml", SOAP % b"<s:Body/>"),  # zeep fails on this with an IndexError
    ("text/xml", b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]>' + SOAP % b"&a;"),
])
def test_answers_that_are_not_kashflows(answer_with, sleeps, content_type, body):
    client = answer_with(200, {"Content-Type": content_type}, [body])
    with pytest.raises(UnexpectedResponseError, match="could not be read"):
        client.get_suppliers()
    with pytest.raises(UnclearOutcomeError, match="could not be read"):
        client.delete_receipt(5)  # a write was sent: we cannot tell what happened
    assert sleeps == []


def test_a_busy_server_is_waited_for_as_it_asks(answer_with, sleeps):
    client = answer_with(503, {"Retry-After": "2", "Content-Type": "text/html"}, [b"busy"],
                         max_retries=1)
    with pytest.raises(TransientError, match="HTTP 503"):
        client.get_suppliers()
    assert sleeps[0] >= 2.0


def test_an_oversized_answer_to_a_write_is_unclear(make_client, receipt, kashflow_account):
    with pytest.raises(UnclearOutcomeError, match="larger than 100 bytes"):
        make_client(max_response_bytes=100).insert_receipt(receipt)
    assert len(receipts_in(kashflow_account)) == 1


def test_a_url_that_is_not_kashflow(mock_server, kashflow_account, sleeps):
    client = KashFlowClient(kashflow_account.username, kashflow_account.password,
                            url=f"{mock_server.url}/no/such/service.asmx", timeout=5,
                            sleep=sleeps.append)
    with pytest.raises(UnexpectedResponseError, match="HTTP 404.*Check the KashFlow URL"):
        client.get_suppliers()
    assert sleeps == []


# Logs --------------------------------------------------------------------------


def test_credentials_never_reach_the_logs(mock_server, caplog, sleeps):
    from rawsoap import new_account

    account = new_account(mock_server.url, open_ips=False)
    caplog.set_level(logging.DEBUG)
    client = KashFlowClient(account.username, account.password, url=account.url, timeout=5,
                            sleep=sleeps.append)
    client.auto_auth_ip(account.autoauth_key)
    client.get_suppliers()
    with pytest.raises(AuthenticationError):
        KashFlowClient(account.username, "Wr0ng-Secret", url=account.url,
                       timeout=5).get_vat_rates()

    logged = caplog.text
    assert "<ns0:GetSuppliers" in logged and "BT Business" in logged  # envelopes are logged
    assert account.username in logged
    for secret in (account.password, account.autoauth_key, "Wr0ng-Secret"):
        assert secret not in logged
    assert "<ns0:Password>***</ns0:Password>" in logged
    assert "<ns0:AutoAuthKey>***</ns0:AutoAuthKey>" in logged


def test_redaction_covers_prefixes_attributes_and_soap12():
    envelope = ('<soap12:Envelope><m:Password xsi:type="s:string">p&amp;w</m:Password>'
                '<AutoAuthKey>ABCD1234-0000</AutoAuthKey><UserName>bob</UserName>'
                '<Password/></soap12:Envelope>')
    assert redact(envelope) == (
        '<soap12:Envelope><m:Password xsi:type="s:string">***</m:Password>'
        '<AutoAuthKey>***</AutoAuthKey><UserName>bob</UserName><Password/></soap12:Envelope>')
