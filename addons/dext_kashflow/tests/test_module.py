import hashlib
from decimal import Decimal
from unittest.mock import patch

import requests
from trytond.modules.company.tests import CompanyTestMixin, create_company, set_company
from trytond.modules.party.tests import PartyCheckReplaceMixin
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction
from trytond.transaction import Transaction

from kashflow import models as kf
from kashflow.errors import AuthenticationError
from kashflow.failures import no_status, translate
from kashflow.list_reader import Listed
from kashflow.transport import DeadlineExceeded, Redirected, UnexpectedHTTPStatus

from ..exceptions import ConnectionExpiredError
from ..models.connection import KASHFLOW_API_SETTINGS, api_settings_url
from ..publishing.known_documents import Known, KnownDocuments
from ..publishing.outcomes import reason
from ..publishing.readback import Figures, differences, held
from ..sync import apply, fetch, known

_test_wizards = ModuleTestCase.test_wizards.__wrapped__


def join_group(xml_id, user=1):
    pool = Pool()
    ModelData = pool.get('ir.model.data')
    User = pool.get('res.user')
    User.write([User(user)], {
            'groups': [('add', [ModelData.get_id('dext_kashflow', xml_id)])],
            })


class FakeClient:
    "Answers like KashFlowClient, from lists given by the test"

    def __init__(self, **lists):
        self.lists = lists

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        pass

    def close(self):
        pass

    def __getattr__(self, name):
        key = name.removeprefix('get_')
        return lambda: list(self.lists.get(key, []))

    def get_list(self, name, unless=None):
        "As KashFlowClient.get_list: the digest of the answer is its repr's"
        records = getattr(self, f'get_{name}')()
        digest = hashlib.sha1(repr(records).encode()).hexdigest()
        return Listed(digest, None if digest == unless else records)


def demo_client(**changes):
    lists = {
        'nominal_codes': [
            kf.NominalCode(11, 7502, "Telephone", vat_rate=Decimal(20)),
            kf.NominalCode(12, 5000, "Purchases ")],
        'vat_rates': [kf.VatRate(1, "20%", Decimal(20))],
        'suppliers': [kf.Supplier(21, 'BT01', "BT Business")],
        'customers': [kf.Customer(31, 'ACME01', "Acme")],
        'bank_accounts': [kf.BankAccount(41, "Current", 1200)],
        'projects': [kf.Project(51, "Refit", 'P001')],
        'invoice_payment_methods': [kf.PaymentMethod(1, "Cash")],
        'receipt_payment_methods': [kf.PaymentMethod(1, "Cash")],
        }
    lists.update(changes)
    return FakeClient(**lists)


class DextKashflowTestCase(
        PartyCheckReplaceMixin, CompanyTestMixin, ModuleTestCase):
    "Test the dext_kashflow module"
    module = 'dext_kashflow'

    @with_transaction()
    def test_wizards(self):
        # Only KashFlow administrators may run the connect wizard, and the
        # module does not put the admin user in that group.
        join_group('group_kashflow_admin')
        _test_wizards(self)

    def _connection(self, state='connected'):
        Connection = Pool().get('kashflow.connection')
        company = create_company()
        with set_company(company):
            connection = Connection(
                company=company, state=state, username='u', password='p',
                url='http://127.0.0.1:9/api/service.asmx')
            connection.save()
        return connection

    def test_publish_order_follows_dates_then_numbers(self):
        "A selection is published oldest first; 9 before 10, as people read them"
        import datetime as dt
        from types import SimpleNamespace

        from ..publishing.tasks import publish_order
        day = dt.date(2026, 3, 1)
        invoices = [
            SimpleNamespace(id=1, invoice_date=day, number='SUP-10'),
            SimpleNamespace(id=2, invoice_date=day - dt.timedelta(1), number='SUP-11'),
            SimpleNamespace(id=3, invoice_date=day, number='SUP-9'),
            ]
        self.assertEqual(
            [i.id for i in sorted(invoices, key=publish_order)], [2, 3, 1])

    def test_bulk_publish_tasks_by_partner(self):
        "A bulk publish is one task per partner's documents, at most 20 each, oldest first"
        import datetime as dt

        from ..publishing.tasks import TASK_SIZE, ToPublish, plan_tasks
        day = dt.date(2026, 3, 1)
        company, supplier, customer = 1, 10, 11

        def invoice(id_, party, type_='in', days=0, reference=None):
            return ToPublish(id=id_, company=company, type=type_, party=party,
                invoice_date=day + dt.timedelta(days), number=f'N-{id_}',
                reference=reference)
        invoices = [invoice(i, supplier, days=i) for i in range(1, 46)]
        # Two bills with the same reference go in one task: the duplicate
        # check stops the second.
        invoices[4] = invoice(5, supplier, days=5, reference='BT-7')
        invoices[29] = invoice(30, supplier, days=30, reference=' bt-7 ')
        # The customer's documents are older: their task comes first.
        invoices += [invoice(100, customer, 'out', -2), invoice(101, customer, 'out', -1),
            invoice(102, supplier, 'out', -3)]
        self.assertEqual(TASK_SIZE, 20)
        self.assertEqual(plan_tasks(invoices), [
                [102], [100, 101], [*range(1, 21), 30],
                [*range(21, 30), *range(31, 42)], list(range(42, 46))])

    @with_transaction()
    def test_reasons_are_in_a_bookkeepers_words(self):
        "Every client error, however made, is told without its technical words"
        url = 'https://kashflow.example/api/service.asmx'
        errors = [
            translate(DeadlineExceeded(5, nothing_sent=True), 'GetSuppliers', url, False),
            translate(DeadlineExceeded(5, nothing_sent=False), 'GetSuppliers', url, False),
            translate(Redirected(302, 'https://evil.example/'), 'GetSuppliers', url, False),
            translate(UnexpectedHTTPStatus(503, 'Service Unavailable'), 'InsertReceipt', url, True),
            translate(UnexpectedHTTPStatus(503, 'Service Unavailable'), 'GetSuppliers', url, False),
            translate(UnexpectedHTTPStatus(404, 'Not Found'), 'GetSuppliers', url, False),
            translate(requests.exceptions.InvalidURL('bad'), 'GetSuppliers', url, False),
            no_status('GetSuppliers', 'MAYBE', False),
            AuthenticationError('technical', operation='GetSuppliers',
                status_detail='Incorrect username or password'),
            ]
        for error in errors:
            with self.subTest(error=str(error)):
                said = reason(error)
                self.assertTrue(said.endswith('.'), said)
                for technical in ['GetSuppliers', 'InsertReceipt', 'HTTP', '503', 'SOAP']:
                    self.assertNotIn(technical, said)
        self.assertIn('"Incorrect username or password"', reason(errors[-1]))

    @with_transaction()
    def test_figures_kashflow_holds_are_compared(self):
        "Each figure KashFlow holds that is not Tryton's is listed with both"
        document = kf.Document(party_id=1, date=None, lines=[],
            exchange_rate=Decimal('1.27'), net_amount=Decimal('12.35'),
            vat_amount=Decimal('2.97'))
        theirs = held(document, foreign=True)
        self.assertEqual((theirs.gross, theirs.home_vat, theirs.home_gross),
            (Decimal('15.32'), Decimal('2.34'), Decimal('12.06')))
        self.assertIsNone(differences(theirs, theirs, 'USD', 'GBP'))
        ours = Figures(Decimal('12.35'), Decimal('2.97'), Decimal('15.32'),
            Decimal('2.33'), Decimal('12.06'))
        self.assertEqual(differences(ours, theirs, 'USD', 'GBP').splitlines()[1],
            '\u2022 VAT in GBP: 2.34 GBP in KashFlow, 2.33 GBP in Tryton')
        # A home-currency document has no home figures to compare.
        gbp = held(document, foreign=False)
        ours = Figures(Decimal('12.35'), Decimal('2.96'), Decimal('15.31'))
        self.assertEqual(differences(ours, gbp, 'GBP', 'GBP').splitlines()[1:3], [
                '\u2022 VAT: 2.97 GBP in KashFlow, 2.96 GBP in Tryton',
                '\u2022 Total: 15.32 GBP in KashFlow, 15.31 GBP in Tryton'])

    def test_api_settings_url(self):
        self.assertEqual(
            api_settings_url('https://securedwebapp.com/api/service.asmx'),
            KASHFLOW_API_SETTINGS)
        self.assertEqual(
            api_settings_url('http://127.0.0.1:8080/api/service.asmx'),
            'http://127.0.0.1:8080/api-settings')
        self.assertIsNone(api_settings_url(None))

    @with_transaction()
    def test_refresh_writes_only_changes(self):
        pool = Pool()
        Nominal = pool.get('kashflow.nominal')
        VatRate = pool.get('kashflow.vat_rate')
        PaymentMethod = pool.get('kashflow.payment_method')
        connection = self._connection()

        stats = apply(connection, fetch(demo_client()))
        self.assertEqual(stats['kashflow.nominal'].created, 2)
        self.assertEqual(stats['kashflow.vat_rate'].active, 2)  # + exempt
        self.assertEqual(stats['kashflow.payment_method'].created, 2)
        self.assertEqual(
            {m.kind for m in PaymentMethod.search([])},
            {'invoice', 'receipt'})
        purchases, = Nominal.search([('code', '=', '5000')])
        self.assertEqual(purchases.name, "Purchases")

        stats = apply(connection, fetch(demo_client()))
        self.assertEqual(sum(s.writes for s in stats.values()), 0)

        stats = apply(connection, fetch(demo_client(
                    nominal_codes=[
                        kf.NominalCode(11, 7502, "Phone", vat_rate=Decimal(20)),
                        kf.NominalCode(11, 7502, "Duplicate")],
                    vat_rates=[kf.VatRate(1, "20%", Decimal('20.00'))])))
        nominal = stats['kashflow.nominal']
        self.assertEqual(
            (nominal.active, nominal.created, nominal.updated,
                nominal.deactivated),
            (1, 0, 1, 1))
        self.assertEqual(stats['kashflow.vat_rate'].writes, 0)
        self.assertEqual(Nominal.search([], count=True), 1)
        self.assertEqual(
            Nominal.search([('active', '=', False)], count=True), 1)
        exempt, = VatRate.search([('rate', '<', 0)])
        self.assertTrue(exempt.exempt)

        stats = apply(connection, fetch(demo_client()))
        self.assertEqual(stats['kashflow.nominal'].updated, 2)
        self.assertEqual(Nominal.search([], count=True), 2)

    @with_transaction()
    def test_refresh_reads_again_only_what_changed(self):
        "A list KashFlow answers as at the last refresh is neither read nor written again"
        pool = Pool()
        Connection = pool.get('kashflow.connection')
        Party = pool.get('party.party')
        Supplier = pool.get('kashflow.supplier')
        connection = self._connection()
        client = demo_client()
        with patch.object(Connection, 'client', return_value=client):
            Connection.sync_lists([connection])
            self.assertEqual(
                {n for n, rows in fetch(client, known(connection)).rows.items()
                    if rows is not None},
                {'kashflow.payment_method'})  # two lists: read in full

            # Unchanged, the list still counts its rows and links a new party.
            party, = Party.create([{'name': "BT Business"}])
            Connection.sync_lists([connection])
            self.assertIn("KashFlow Supplier: 1 (0 new, 0 changed, 0 deactivated)",
                connection.refresh_summary)
            supplier, = Supplier.search([])
            self.assertEqual(supplier.party, party)

            client.lists['suppliers'] = [kf.Supplier(21, 'BT01', "BT Ltd")]
            Connection.sync_lists([connection])
            self.assertIn("KashFlow Supplier: 1 (0 new, 1 changed, 0 deactivated)",
                connection.refresh_summary)
            self.assertEqual(supplier.name, "BT Ltd")

            # A row a publication added (its partner since deleted in
            # KashFlow): the list is read again, and the row deactivated.
            Supplier.create([{'connection': connection.id, 'kashflow_id': 22,
                        'name': "Gone Ltd"}])
            Connection.sync_lists([connection])
            self.assertIn("KashFlow Supplier: 1 (0 new, 0 changed, 1 deactivated)",
                connection.refresh_summary)

        # Digests kept by another version of the rows are not used.
        connection.list_digests = {**connection.list_digests, 'version': 'old'}
        self.assertEqual(known(connection), {})
        # A copy has none of the lists yet: it keeps no digests.
        copy, = Connection.copy([connection], {'company': create_company().id})
        self.assertIsNone(copy.list_digests)

    def test_known_documents_read_once_per_partner(self):
        "A batch reads a partner's documents in KashFlow once, then adds its own"
        reads = []

        def read():
            reads.append(1)
            return [kf.Document(party_id=21, date=None, lines=[],
                    reference=' BT-1 ', number=7, db_id=70)]
        known = KnownDocuments()
        self.assertEqual(
            known.find(1, 'receipt', 21, 'bt-1', read), [Known(7, 70)])
        self.assertEqual(known.find(1, 'receipt', 21, 'BT-2', read), [])
        known.add(1, 'receipt', 21, 'BT-2', 8)
        self.assertEqual(
            known.find(1, 'receipt', 21, 'BT-2', read), [Known(8, None)])
        self.assertEqual(len(reads), 1)
        self.assertEqual(known.find(1, 'invoice', 21, 'BT-1', lambda: []), [])

    @with_transaction()
    def test_nominal_found_by_code_or_name(self):
        "A nominal code is found as people type it: code, name, or both"
        Nominal = Pool().get('kashflow.nominal')
        apply(self._connection(), fetch(demo_client()))
        for text in ['7502', '%750%', '%Tele%', '7502 - Telephone']:
            with self.subTest(text=text):
                nominal, = Nominal.search([('rec_name', 'ilike', text)])
                self.assertEqual(nominal.rec_name, "7502 - Telephone")
        self.assertEqual(
            [n.code for n in Nominal.search(
                        [('rec_name', 'not ilike', '%Tele%')])], ['5000'])

    @with_transaction()
    def test_link_parties(self):
        pool = Pool()
        Party = pool.get('party.party')
        Supplier = pool.get('kashflow.supplier')
        connection = self._connection()
        by_code, by_name, twin1, twin2 = Party.create([
                {'name': "Someone", 'code': 'bt01'},
                {'name': "acme ltd"},
                {'name': "Twin"},
                {'name': "Twin"},
                ])
        apply(connection, fetch(demo_client(
                    suppliers=[
                        kf.Supplier(21, 'BT01', "BT Business"),
                        kf.Supplier(22, 'ACME', "ACME Ltd"),
                        kf.Supplier(23, 'TWIN', "Twin"),
                        kf.Supplier(24, 'ACME2', "Acme Ltd")])))
        links = {s.code: s.party for s in Supplier.search([])}
        self.assertEqual(links['BT01'], by_code)
        self.assertEqual(links['ACME'], by_name)
        self.assertIsNone(links['TWIN'])  # two parties of that name
        self.assertIsNone(links['ACME2'])  # its party is taken
        self.assertEqual(by_code.kashflow_supplier(connection).code, 'BT01')
        self.assertIsNone(by_code.kashflow_customer(connection))

        stats = apply(connection, fetch(demo_client(suppliers=[])))
        self.assertEqual(stats['kashflow.supplier'].deactivated, 4)
        self.assertEqual(by_code.kashflow_supplier(connection).code, 'BT01')

    @with_transaction()
    def test_session_expires_connection(self):
        pool = Pool()
        Connection = pool.get('kashflow.connection')
        connection = self._connection()
        transaction = Transaction()
        transaction.commit()

        refused = AuthenticationError("KashFlow did not accept the password.")
        client = FakeClient()
        client.get_company_details = lambda: (_ for _ in ()).throw(refused)
        with patch.object(Connection, 'client', return_value=client):
            with self.assertRaises(ConnectionExpiredError) as cm:
                with connection.session() as kashflow:
                    kashflow.get_company_details()
        self.assertIn("has expired", cm.exception.message)
        self.assertIn("did not accept the username or password.",
            cm.exception.message)
        transaction.rollback()

        connection = Connection(connection.id)
        self.assertEqual(connection.state, 'expired')
        with self.assertRaises(ConnectionExpiredError):
            with connection.session():
                pass

    @with_transaction()
    def test_sync_lists_records_expiry(self):
        pool = Pool()
        Connection = pool.get('kashflow.connection')
        connection = self._connection()

        refused = AuthenticationError("KashFlow did not accept the password.")
        client = FakeClient()
        client.get_nominal_codes = lambda: (_ for _ in ()).throw(refused)
        with patch.object(Connection, 'client', return_value=client):
            Connection.sync_lists([connection])
        self.assertEqual(connection.state, 'expired')
        self.assertEqual(connection.refresh_state, 'failed')
        self.assertIn("has expired", connection.refresh_summary)


    def test_refresh_stops_at_the_first_refusal(self):
        "A refused login is tried once, not once per list"
        refused = AuthenticationError("KashFlow did not accept the password.")
        calls = []

        class Refusing(FakeClient):
            def __getattr__(self, name):
                def refuse():
                    calls.append(name)
                    raise refused
                return refuse

        with self.assertRaises(AuthenticationError):
            fetch(Refusing())
        self.assertEqual(calls, ['get_nominal_codes'])

        # A list read with others fails the reading all the same.
        client = demo_client()
        client.get_suppliers = Refusing().get_suppliers
        with self.assertRaises(AuthenticationError):
            fetch(client)

del ModuleTestCase
