"""Many clients at once: every insert gets its own number and none is lost."""

from concurrent.futures import ThreadPoolExecutor

from rawsoap import document, line, new_account


def test_20_threads_inserting_receipts(mock_server):
    account = new_account(mock_server.url)
    state = account.state()
    supplier = state["suppliers"][0]["SupplierID"]
    nominal = state["nominal_codes"][10]["id"]
    lines = [line(f"{n}.00", "20", f"{n * 2 / 10:.2f}", nominal) for n in range(1, 6)]

    def insert(i: int) -> int:
        reply = account.call("InsertReceipt", document(supplier, lines, reference=f"T-{i}"))
        assert reply.ok, reply.text
        return int(reply.value("InsertReceiptResult"))

    with ThreadPoolExecutor(max_workers=20) as pool:
        numbers = list(pool.map(insert, range(100)))

    assert sorted(numbers) == list(range(1, 101))
    receipts = account.state()["receipts"]
    assert len(receipts) == 100
    assert sorted(r["CustomerReference"] for r in receipts) == sorted(f"T-{i}" for i in range(100))
    assert len({r["InvoiceDBID"] for r in receipts}) == 100
