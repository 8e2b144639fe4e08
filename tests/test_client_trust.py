"""The client trusts nothing it did not ask for: no redirect is followed, a slow server cannot
hold a call past its timeout, and a bad certificate or an unknown host is a configuration
error that says nothing was sent. Real HTTP and TLS on 127.0.0.1.
"""

import datetime as dt
import logging
import pickle
import socket
import ssl
import time
from decimal import Decimal as D
from urllib.parse import urlsplit

import pytest
import requests
import trustme
from netkit import Listener, Relay, serve_fixed_answer

from kashflow import KashFlowClient
from kashflow.errors import (
    CertificateError,
    ConfigurationError,
    HostNotFoundError,
    KashFlowError,
    RedirectError,
    TransientError,
    UnclearOutcomeError,
    UnreachableError,
)
from kashflow.models import Document, DocumentLine

PASSWORD = "Pa55-word-never-sent-twice"


@pytest.fixture
def sleeps():
    return []


@pytest.fixture
def servers():
    """Closes what a test started."""
    started = []
    yield started
    for server in started:
        if isinstance(server, Listener):
            server.close()
        else:
            server.shutdown()
            server.server_close()


def a_receipt(party_id=1):
    return Document(party_id=party_id, date=dt.date(2024, 5, 1), reference="SUPP-7", lines=[
        DocumentLine(D(1), "Broadband", D("100.00"), 1, D(20), D("20.00"))])


def call(client, kind, party_id=1):
    """One read or one write."""
    if kind == "read":
        return client.get_suppliers()
    return client.insert_receipt(a_receipt(party_id))


def address_of(url):
    parts = urlsplit(url)
    return parts.hostname, parts.port


def assert_no_secret(error):
    assert PASSWORD not in str(error) + repr(error) + repr(error.__dict__)


def assert_survives_pickling(error):
    # Queued jobs may pickle the error they failed with.
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error) and copy.__dict__ == error.__dict__
    assert str(copy) == str(error)


@pytest.mark.parametrize("url", [
    "http://someone:{password}@127.0.0.1:{port}/api/service.asmx",  # nothing listens there
    "someone:{password}@127.0.0.1:{port}/api/service.asmx",  # no scheme
])
def test_a_password_written_in_the_url_is_never_repeated(caplog, url):
    caplog.set_level(logging.DEBUG)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = KashFlowClient("someone", "pw", timeout=5, max_retries=0,
                            url=url.format(password=PASSWORD, port=port))
    with pytest.raises(KashFlowError) as caught:
        client.insert_receipt(a_receipt())
    assert f"127.0.0.1:{port}" in str(caught.value)
    assert_no_secret(caught.value)
    assert PASSWORD not in repr(client) and PASSWORD not in caplog.text


# Redirects -----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["read", "write"])
@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_never_followed(servers, sleeps, status, kind):
    elsewhere = Listener()  # records anything that reaches it
    redirecting = serve_fixed_answer(status, {
        "Location": f"http://localhost:{elsewhere.port}/steal/service.asmx"}, [b"moved"])
    servers += [elsewhere, redirecting]
    client = KashFlowClient("someone", PASSWORD, timeout=5, sleep=sleeps.append,
                            url=f"http://127.0.0.1:{redirecting.server_port}/api/service.asmx")

    with pytest.raises(RedirectError) as caught:
        call(client, kind)
    error = caught.value
    assert isinstance(error, ConfigurationError) and not isinstance(error, TransientError)
    assert error.status_code == status
    assert error.target == f"localhost:{elsewhere.port}"
    assert f"localhost:{elsewhere.port}" in str(error)
    assert "nothing was applied" in str(error)
    assert_no_secret(error)
    assert sleeps == [] and elsewhere.connections == 0 and elsewhere.received == b""
    assert_survives_pickling(error)


def test_a_redirect_to_a_local_file_is_not_read(servers, sleeps, tmp_path):
    # As file:///etc/hostname would be, with words that cannot turn up by chance.
    secret_file = tmp_path / "hostname"
    secret_file.write_text("local-secret-7f3a9c\n")
    redirecting = serve_fixed_answer(302, {"Location": secret_file.as_uri()}, [])
    servers.append(redirecting)
    client = KashFlowClient("someone", PASSWORD, timeout=5, sleep=sleeps.append,
                            url=f"http://127.0.0.1:{redirecting.server_port}/api")
    with pytest.raises(RedirectError) as caught:
        client.get_suppliers()
    error = caught.value
    assert error.target == secret_file.as_uri()
    assert secret_file.as_uri() in str(error)
    seen = str(error) + repr(error.__dict__) + repr(error.__cause__)
    assert "local-secret-7f3a9c" not in seen
    assert sleeps == []


# One deadline per call -------------------------------------------------------------------

DEADLINE_MARGIN = 1.5  # seconds past the timeout a call may take to give up: a generous bound


def timed(function, *args):
    started = time.monotonic()
    try:
        function(*args)
    except Exception as error:  # the caller asserts on it
        return error, time.monotonic() - started
    raise AssertionError("the call succeeded")


@pytest.mark.parametrize("kind", ["read", "write"])
@pytest.mark.parametrize("drip_after", [b"", b"\r\n\r\n"], ids=["headers", "body"])
def test_a_server_that_drips_its_answer_cannot_hold_a_call(
        servers, kashflow_account, demo, sleeps, kind, drip_after):
    # One byte every 0.25 s: each read gets data well within the 2 s timeout.
    relay = Relay(address_of(kashflow_account.url), drip_after=drip_after)
    servers.append(relay)
    client = KashFlowClient(kashflow_account.username, kashflow_account.password, timeout=2,
                            max_retries=0, sleep=sleeps.append,
                            url=f"http://127.0.0.1:{relay.port}/api/service.asmx")

    error, took = timed(call, client, kind, demo.suppliers["BT01"].id)
    assert took < 2 + DEADLINE_MARGIN
    assert isinstance(error, TransientError) and error.timed_out
    assert_survives_pickling(error)
    if kind == "write":  # sent: KashFlow may have it
        assert isinstance(error, UnclearOutcomeError)
        assert "did not answer in time" in str(error)
    else:
        assert not isinstance(error, UnclearOutcomeError)
    assert sleeps == [] and error.attempts == 1


def test_an_answer_without_a_length_cut_at_the_deadline_is_not_taken_as_whole(
        servers, sleeps):
    # Without Content-Length the answer ends when the connection closes; the client's own
    # closing at the deadline must not pass for that end.
    upstream = serve_fixed_answer(200, {"Content-Type": "text/xml"}, [b"<a>" * 400])
    relay = Relay(("127.0.0.1", upstream.server_port), drip_after=b"\r\n\r\n",
                  drip_interval=0.01)
    servers += [upstream, relay]
    client = KashFlowClient("someone", PASSWORD, timeout=1, max_retries=0,
                            url=f"http://127.0.0.1:{relay.port}/api")
    error, took = timed(client.delete_receipt, 5)
    assert took < 1 + DEADLINE_MARGIN
    assert isinstance(error, UnclearOutcomeError) and error.timed_out


# TLS -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def authority():
    return trustme.CA()


@pytest.fixture
def tls_server(authority, mock_server, servers):
    """tls_server(hostname): the mock behind TLS, with a certificate for hostname."""

    def make(hostname="127.0.0.1"):
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        authority.issue_cert(hostname).configure_cert(context)
        relay = Relay(address_of(mock_server.url), tls=context)
        servers.append(relay)
        return relay

    return make


@pytest.fixture
def trusting(authority, tmp_path, monkeypatch):
    """A session that trusts the test's certificate authority."""
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):  # they would override verify
        monkeypatch.delenv(name, raising=False)
    ca_file = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(ca_file))
    with requests.Session() as session:
        session.verify = str(ca_file)
        yield session


def https_client(account, port, sleeps, **options):
    options = {"timeout": 5, "sleep": sleeps.append, **options}
    return KashFlowClient(account.username, account.password,
                          url=f"https://127.0.0.1:{port}/api/service.asmx", **options)


def test_https_with_a_trusted_certificate(tls_server, trusting, kashflow_account, sleeps):
    server = tls_server()
    client = https_client(kashflow_account, server.port, sleeps, session=trusting)
    assert len(client.get_suppliers()) == 7
    assert b"GetSuppliers" in server.received


@pytest.mark.parametrize("kind", ["read", "write"])
def test_a_certificate_the_client_does_not_trust(tls_server, kashflow_account, demo, sleeps,
                                                 kind):
    server = tls_server()  # signed by an authority the client does not know
    client = https_client(kashflow_account, server.port, sleeps)
    with pytest.raises(CertificateError) as caught:
        call(client, kind, demo.suppliers["BT01"].id)
    error = caught.value
    assert isinstance(error, ConfigurationError) and not isinstance(error, TransientError)
    assert "certificate" in str(error) and "nothing was sent" in str(error)
    assert error.host == "127.0.0.1"
    assert_survives_pickling(error)
    assert sleeps == [] and server.received == b""
    assert kashflow_account.state()["receipts"] == []


def test_a_certificate_for_another_host(tls_server, trusting, kashflow_account, sleeps):
    server = tls_server("kashflow.example")
    client = https_client(kashflow_account, server.port, sleeps, session=trusting)
    with pytest.raises(CertificateError, match="nothing was sent"):
        client.insert_receipt(a_receipt())
    assert sleeps == [] and server.received == b""


def test_a_tls_handshake_that_drips_is_cut_at_the_deadline_and_sent_nothing(
        tls_server, trusting, kashflow_account, demo, sleeps, servers):
    server = tls_server()
    dripping = Relay(("127.0.0.1", server.port), drip_after=b"")
    servers.append(dripping)
    client = https_client(kashflow_account, dripping.port, sleeps, session=trusting,
                          timeout=2, max_retries=0)
    error, took = timed(client.insert_receipt, a_receipt(demo.suppliers["BT01"].id))
    assert took < 2 + DEADLINE_MARGIN
    assert isinstance(error, TransientError) and error.timed_out
    assert not isinstance(error, UnclearOutcomeError)  # the handshake never finished
    assert "nothing was sent" in str(error)
    assert server.received == b"" and kashflow_account.state()["receipts"] == []


# Host names ------------------------------------------------------------------------------


@pytest.fixture
def resolver(monkeypatch):
    """The system resolver, except that names under .invalid (RFC 6761: never a host) fail
    at once with resolver.code, "no such host" unless changed. The resolver here asks a DNS
    server for them, which elsewhere may take seconds or be unreachable; this does not."""

    class Resolver:
        code = socket.EAI_NONAME
        asked: list[str] = []

    real = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        if str(host).endswith(".invalid"):
            Resolver.asked.append(host)
            words = {socket.EAI_NONAME: "Name or service not known",
                     socket.EAI_AGAIN: "Temporary failure in name resolution"}
            raise socket.gaierror(Resolver.code, words[Resolver.code])
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return Resolver


@pytest.mark.parametrize("kind", ["read", "write"])
def test_a_host_name_that_does_not_exist(resolver, sleeps, kind):
    client = KashFlowClient("someone", PASSWORD, timeout=5, sleep=sleeps.append,
                            url="https://kashflow.invalid/api/service.asmx")
    with pytest.raises(HostNotFoundError) as caught:
        call(client, kind)
    error = caught.value
    assert isinstance(error, ConfigurationError) and not isinstance(error, TransientError)
    assert "kashflow.invalid" in str(error) and "nothing was sent" in str(error)
    assert error.host == "kashflow.invalid"
    assert_no_secret(error)
    assert_survives_pickling(error)
    assert sleeps == [] and resolver.asked == ["kashflow.invalid"]


def test_a_resolver_that_cannot_answer_now_is_retried(resolver, sleeps):
    resolver.code = socket.EAI_AGAIN  # e.g. the DNS server is unreachable for a moment
    client = KashFlowClient("someone", PASSWORD, timeout=5, sleep=sleeps.append,
                            max_retries=1, url="https://kashflow.invalid/api/service.asmx")
    with pytest.raises(UnreachableError) as caught:
        client.insert_receipt(a_receipt())
    assert not isinstance(caught.value, UnclearOutcomeError)
    assert "nothing was sent" in str(caught.value)
    assert caught.value.attempts == 2 and len(sleeps) == 1
