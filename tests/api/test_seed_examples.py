"""The example responses of the provider docs (../shared/seeds) parse to the expected snapshot."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
import json
from pathlib import Path
from typing import Any

from custom_components.order_tracker.api import (
    FluxClient,
    M0Client,
    MachClient,
    MagmaClient,
    Stage,
)

FIXTURES = Path(__file__).parent.parent / "fixtures"
NOW = datetime(2026, 6, 10, 18, 0, tzinfo=UTC)


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(), parse_float=Decimal)


def test_magma_docs_example() -> None:
    payload = load("magma_get_order.json")["data"]["user"]["market"]["orders"]["get_order"]
    snapshot = MagmaClient.parse_order(payload, now=NOW)
    assert snapshot.provider == "magma"
    assert snapshot.order_id == "ec562479-a4b8-44f4-95b4-150b310832de"
    assert snapshot.status == "WAITING_FOR_ON_CHAIN_CONFIRMATION"
    assert snapshot.stage is Stage.CONFIRMING
    assert snapshot.terminal is False
    assert snapshot.confirmations == 2
    assert snapshot.deadline == datetime(2026, 6, 10, 18, 42, tzinfo=UTC)
    assert snapshot.transaction_id == "5e8a3f...c4f1"
    assert snapshot.channel_id is None
    assert snapshot.amounts == {"fee": 12500}
    assert type(snapshot.amounts["fee"]) is int
    assert snapshot.details["fee_usd"] == Decimal("5.62")
    assert snapshot.details["payment_status"] == "SUCCESSFUL_PAYMENT"
    assert snapshot.details["blocks_until_can_be_closed"] == 4320
    assert snapshot.created_at is None
    assert snapshot.raw == payload


def test_mach_docs_example() -> None:
    snapshot = MachClient.parse_order(load("mach_order.json"), now=NOW)
    assert snapshot.order_id == "6368f169-d9ad-53ec-b797-81b4dc74c257"
    assert snapshot.status == "completed"
    assert snapshot.stage is Stage.COMPLETED
    assert snapshot.terminal is True
    assert snapshot.created_at == datetime(2023, 5, 1, 12, 34, 56, tzinfo=UTC)
    assert snapshot.deadline == datetime(2023, 5, 1, 12, 39, 56, tzinfo=UTC)
    assert snapshot.eta is None
    assert snapshot.amounts == {"amount_in": 1000000, "amount_out": 997000}
    assert snapshot.transaction_id.startswith("0x50da55")  # type: ignore[union-attr]
    assert snapshot.fill_transaction_id.startswith("0x60ea66")  # type: ignore[union-attr]
    assert snapshot.details["source_chain"] == "avalanche"
    assert snapshot.details["destination_chain"] == "arbitrum"


def test_m0_docs_example() -> None:
    snapshot = M0Client.parse_order(load("m0_order.json"), now=NOW, chain="Ethereum")
    assert snapshot.order_id == "0xabc123"
    assert snapshot.chain == "Ethereum"
    assert snapshot.status == "COMPLETED"
    assert snapshot.stage is Stage.COMPLETED
    assert snapshot.terminal is True
    assert snapshot.created_at == datetime.fromtimestamp(1740000663, UTC)
    assert snapshot.deadline == datetime.fromtimestamp(1740001263, UTC)
    assert snapshot.resolved_at == datetime.fromtimestamp(1740000980, UTC)
    assert snapshot.transaction_id == "0xOpenTxHash"
    assert snapshot.fill_transaction_id == "0xFillTxHash"
    assert snapshot.amounts == {
        "amount_in": 1000000,
        "amount_out": 999500,
        "amount_filled": 999500,
        "amount_refunded": 0,
    }
    assert snapshot.details["fill_count"] == 1


def test_flux_docs_example() -> None:
    snapshot = FluxClient.parse_order(load("flux_order.json"), now=NOW)
    assert snapshot.order_id == "intent_abc123xyz"
    assert snapshot.status == "validated"
    assert snapshot.stage is Stage.IN_PROGRESS
    assert snapshot.terminal is False
    assert snapshot.created_at == datetime(2024, 1, 12, 10, 0, tzinfo=UTC)
    assert snapshot.transaction_id == "0xabc123..."
    assert snapshot.amounts == {"base_quantity": Decimal(100), "quote_quantity": Decimal("50.00")}
    assert snapshot.details["client_id"] == "client-order-123"
    assert snapshot.details["termination_reason"] is None
    assert snapshot.details["side"] == "BUY"
