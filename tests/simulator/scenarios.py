"""Named order lifecycles per provider: a base document plus a timeline of steps.

Each builder reads its tunables from `ScenarioContext` (all have realistic defaults) and returns
a `ScenarioPlan`. Durations follow the provider docs and research: Magma confirms on chain in
~10 min blocks and needs 3 confirmations; Mach fills in ~30 s and expires unfilled after 5 min;
M0 fills in 18-60 s and has a 10 min fill deadline; Flux settles within seconds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
import hashlib
import random
from typing import Any

from .clock import iso_millis, iso_seconds, unix_seconds
from .documents import JsonObject
from .m0 import (
    CHAIN_IDS as M0_CHAIN_IDS,
    DEFAULT_CHAIN as DEFAULT_M0_CHAIN,
    DEFAULT_WALLET as M0_DEFAULT_WALLET,
)
from .orders import Step
from .providers import Provider, random_hex

# The Lightning node of the account the simulated Magma key belongs to.
DEFAULT_MAGMA_NODE = "02" + "5a" * 32
_BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"

_M_TOKEN = "0x866A2BF4E572CbcF37D5071A7a58503Bfb36be1b"
_BASE_USDC = "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913"
_ANY_SOLVER = "0x" + "00" * 32
_SATS_PER_BTC = Decimal(100_000_000)


class ScenarioError(ValueError):
    """Unknown scenario, unknown parameter or a parameter of the wrong type."""


@dataclass
class ScenarioContext:
    """What a scenario builder may use: the order's identity, its creation time and params."""

    provider: Provider
    order_id: str
    created_at: datetime
    wallet: str | None
    chain: str | None
    rng: random.Random
    params: dict[str, Any]
    _read: set[str] = field(default_factory=set)

    def at(self, seconds: float) -> datetime:
        """The instant `seconds` after creation."""
        return self.created_at + timedelta(seconds=seconds)

    def _get(self, name: str, default: Any) -> Any:
        self._read.add(name)
        return self.params.get(name, default)

    def number(self, name: str, default: float) -> float:
        """A float parameter (seconds, shares)."""
        value = self._get(name, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            msg = f"parameter {name!r} must be a number, got {value!r}"
            raise ScenarioError(msg)
        return float(value)

    def integer(self, name: str, default: int) -> int:
        """An int parameter (amounts in the smallest unit, block counts)."""
        value = self._get(name, default)
        if isinstance(value, str) and value.isdigit():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            msg = f"parameter {name!r} must be an integer, got {value!r}"
            raise ScenarioError(msg)
        return int(value)

    def text(self, name: str, default: str) -> str:
        """A string parameter (addresses, chain names)."""
        value = self._get(name, default)
        if not isinstance(value, str):
            msg = f"parameter {name!r} must be a string, got {value!r}"
            raise ScenarioError(msg)
        return value

    def optional_number(self, name: str) -> float | None:
        """A float parameter that has no default."""
        if self._get(name, None) is None:
            return None
        return self.number(name, 0)

    def flag(self, name: str, default: bool) -> bool:
        """A bool parameter."""
        value = self._get(name, default)
        if not isinstance(value, bool):
            msg = f"parameter {name!r} must be true or false, got {value!r}"
            raise ScenarioError(msg)
        return value

    def unread(self) -> list[str]:
        """Parameters the builder never asked for (typos, wrong scenario)."""
        return sorted(set(self.params) - self._read)


@dataclass
class ScenarioPlan:
    """A built scenario: the document at creation and what happens to it afterwards."""

    base: JsonObject
    steps: list[Step] = field(default_factory=list)
    # When the order completes (or is expected to), for a provider's countdown field.
    eta_at: float | None = None


class Timeline:
    """Builds steps phase by phase; `after(dt, ...)` schedules relative to the previous step."""

    def __init__(self) -> None:
        """Start at creation (t = 0)."""
        self.now = 0.0
        self.steps: list[Step] = []

    def after(self, delay: float, **changes: Any) -> float:
        """Schedule `changes` `delay` seconds after the previous step; returns its time."""
        self.now += delay
        self.steps.append(Step(self.now, changes))
        return self.now

    def set_at(self, at: float, changes: dict[str, Any]) -> None:
        """Schedule changes at an absolute time without moving the cursor (dotted paths ok)."""
        self.steps.append(Step(at, changes))


type ScenarioBuilder = Callable[[ScenarioContext], ScenarioPlan]


# --- Magma ---------------------------------------------------------------------------------


def _derived_hex(seed: str, label: str, size: int) -> str:
    """Hex that depends only on `seed` (so it draws nothing from the scenario's rng)."""
    out = b""
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(f"{label}:{seed}:{counter}".encode()).digest()
        counter += 1
    return out[:size].hex()


def _node_pubkey(seed: str) -> str:
    """A compressed secp256k1 public key's shape: 02/03 and 32 bytes."""
    return ("02", "03")[int(_derived_hex(seed, "parity", 1), 16) % 2] + _derived_hex(
        seed, "node", 32
    )


def _bolt11_invoice(seed: str, sats: int) -> str:
    """A mainnet BOLT11 invoice's shape for `sats`: amount with multiplier, then bech32 data."""
    if sats % 100_000 == 0:
        amount = f"{sats // 100_000}m"
    elif sats % 100 == 0:
        amount = f"{sats // 100}u"
    else:
        amount = f"{sats * 10}n"
    data = "".join(
        _BECH32[int(pair, 16) % 32] for pair in _pairs(_derived_hex(seed, "invoice", 180))
    )
    return f"lnbc{amount}1p{data}"


def _pairs(text: str) -> list[str]:
    return [text[i : i + 2] for i in range(0, len(text), 2)]


def _satoshi_value(sats: int, btc_usd: Decimal) -> JsonObject:
    usd = (Decimal(sats) * btc_usd / _SATS_PER_BTC).quantize(Decimal("0.01"))
    return {
        "sats": str(sats),
        "btc": f"{(Decimal(sats) / _SATS_PER_BTC).normalize():f}",
        "usd": f"{usd:f}",
        "historical_usd": f"{usd:f}",
    }


class _MagmaScript:
    """The Magma happy path, phase by phase; failure scenarios stop at a phase and fail."""

    def __init__(self, ctx: ScenarioContext, *, seller: bool = False) -> None:
        """`seller`: the order is the key's sale (its default side; `is_seller` overrides)."""
        self.ctx = ctx
        amount = ctx.integer("amount_sats", 1_000_000)
        fixed = ctx.integer("fixed_fee_sats", 1_000)
        variable = amount * ctx.integer("variable_fee_ppm", 5_000) // 1_000_000
        amboss = ctx.integer("amboss_fee_sats", 600)
        btc_usd = Decimal(ctx.text("btc_usd", "45000"))
        # Deadlines of the phases (the order's `timeout`), and how long each step takes.
        self.approval_window = ctx.number("approval_window", 1_800)
        self.payment_window = ctx.number("payment_window", 3_600)
        self.open_window = ctx.number("open_window", 7_200)
        self.confirm_window = ctx.number("confirm_window", 10_800)
        self.approve_after = ctx.number("approve_after", 60)
        self.pay_after = ctx.number("pay_after", 120)
        self.send_after = ctx.number("send_after", 60)
        self.mempool_after = ctx.number("mempool_after", 30)
        self.block_interval = ctx.number("block_interval", 600)
        self.confirmations_required = ctx.integer("confirmations_required", 3)
        self.check_after = ctx.number("check_after", 60)
        self.lease_blocks = ctx.integer("lease_blocks", 4_320)
        self.block_height = ctx.integer("block_height", 951_200)
        self.fail_after = ctx.optional_number("fail_after")
        self.tx_sent_at = 0.0
        self.timeline = Timeline()
        is_seller = ctx.flag("is_seller", default=seller)
        # The seller's node opens the channel (source) to the buyer's node (destination).
        own = {"pubkey": ctx.text("node_pubkey", DEFAULT_MAGMA_NODE), "alias": "my-node"}
        peer = {
            "pubkey": ctx.text("peer_pubkey", _node_pubkey(ctx.order_id)),
            "alias": "channel-buyer" if is_seller else "liquidity-seller",
        }
        buyer_fee = fixed + variable + amboss
        # The seller's HODL invoice for the buyer's fee, shown while the buyer has to pay it.
        self.invoice = _bolt11_invoice(ctx.order_id, buyer_fee)
        self.base: JsonObject = {
            "id": ctx.order_id,
            "status": "WAITING_FOR_SELLER_APPROVAL",
            "payment_status": "PENDING_PAYMENT",
            "amount": {"satoshi": _satoshi_value(amount, btc_usd)},
            "created_at": iso_millis(ctx.created_at),
            "channel_id": None,
            "transaction_id": None,
            "timeout": self._deadline(0, self.approval_window),
            "blocks_until_can_be_closed": None,
            "confirmations": None,
            "fees": {
                "fixed": _satoshi_value(fixed, btc_usd),
                "variable": _satoshi_value(variable, btc_usd),
                "amboss": _satoshi_value(amboss, btc_usd),
                "buyer": _satoshi_value(buyer_fee, btc_usd),
                "seller": _satoshi_value(fixed + variable, btc_usd),
            },
            "is_seller": is_seller,
            "source": own if is_seller else peer,
            "destination": peer if is_seller else own,
            "payment": {"lightning": {"invoice": None}},
        }

    def _deadline(self, start: float, window: float) -> str:
        return iso_seconds(self.ctx.at(start + window))

    def _phase(self, delay: float, status: str, window: float | None, **changes: Any) -> None:
        start = self.timeline.now + delay
        timeout = None if window is None else self._deadline(start, window)
        invoice = self.invoice if status == "WAITING_FOR_BUYER_PAYMENT" else None
        changes["payment.lightning.invoice"] = invoice
        self.timeline.after(delay, status=status, timeout=timeout, **changes)

    def seller_approves(self) -> None:
        self._phase(self.approve_after, "WAITING_FOR_BUYER_PAYMENT", self.payment_window)

    def buyer_pays(self) -> None:
        # The HODL invoice is held (not settled) from here on.
        self._phase(
            self.pay_after,
            "WAITING_FOR_CHANNEL_OPEN",
            self.open_window,
            payment_status="SUCCESSFUL_PAYMENT",
        )

    def seller_sends_transaction(self) -> None:
        self.tx_sent_at = self.timeline.now + self.send_after
        self._phase(
            self.send_after,
            "SELLER_SENT_TRANSACTION",
            self.confirm_window,
            transaction_id=random_hex(self.ctx.rng, 32)[2:],
        )

    def chain_confirms(self) -> None:
        deadline = self._deadline(self.tx_sent_at, self.confirm_window)
        self.timeline.after(
            self.mempool_after,
            status="WAITING_FOR_ON_CHAIN_CONFIRMATION",
            timeout=deadline,
            confirmations={"confirmations": 0},
            blocks_until_can_be_closed=self.lease_blocks,
        )
        for count in range(1, self.confirmations_required):
            self.timeline.after(self.block_interval, confirmations={"confirmations": count})
        self.timeline.after(
            self.block_interval,
            status="ON_CHAIN_CONFIRMATION",
            confirmations={"confirmations": self.confirmations_required},
        )

    def channel_found(self) -> None:
        tx_index = self.ctx.rng.randint(1, 3_000)
        output = self.ctx.rng.randint(0, 1)
        self.timeline.after(
            self.check_after,
            status="SELLER_OPENED_CHANNEL",
            channel_id=f"{self.block_height}x{tx_index}x{output}",
        )

    def channel_valid(self) -> None:
        self._phase(self.check_after, "VALID_CHANNEL_OPENING", None)

    def lease_runs_out(self) -> None:
        start = self.timeline.now
        for block in range(1, self.lease_blocks):
            self.timeline.set_at(
                start + block * self.block_interval,
                {"blocks_until_can_be_closed": self.lease_blocks - block},
            )
        self.timeline.set_at(
            start + self.lease_blocks * self.block_interval,
            {"status": "CHANNEL_MONITORING_FINISHED", "blocks_until_can_be_closed": 0},
        )

    def fail(self, delay: float, status: str, **changes: Any) -> ScenarioPlan:
        self._phase(delay if self.fail_after is None else self.fail_after, status, None, **changes)
        return self.plan()

    def plan(self) -> ScenarioPlan:
        return ScenarioPlan(base=self.base, steps=self.timeline.steps)


def magma_custom(ctx: ScenarioContext) -> ScenarioPlan:
    """A fresh order waiting for the seller; supply `base` overrides and `steps`."""
    return _MagmaScript(ctx).plan()


def magma_happy(ctx: ScenarioContext) -> ScenarioPlan:
    """Approval, payment, funding tx, 3 confirmations, valid channel, lease runs out."""
    script = _MagmaScript(ctx)
    script.seller_approves()
    script.buyer_pays()
    script.seller_sends_transaction()
    script.chain_confirms()
    script.channel_found()
    script.channel_valid()
    script.lease_runs_out()
    return script.plan()


def magma_seller_rejected(ctx: ScenarioContext) -> ScenarioPlan:
    """The seller declines the order."""
    return _MagmaScript(ctx).fail(120, "SELLER_REJECTED")


def magma_seller_failed_to_react(ctx: ScenarioContext) -> ScenarioPlan:
    """The seller neither accepts nor rejects before the approval deadline."""
    script = _MagmaScript(ctx)
    return script.fail(script.approval_window, "SELLER_FAILED_TO_REACT")


def magma_buyer_rejected(ctx: ScenarioContext) -> ScenarioPlan:
    """The buyer declines after the seller accepted."""
    script = _MagmaScript(ctx)
    script.seller_approves()
    return script.fail(300, "BUYER_REJECTED")


def magma_buyer_failed_to_pay(ctx: ScenarioContext) -> ScenarioPlan:
    """The HODL invoice expires unpaid; payment_status shows it a minute before the status."""
    script = _MagmaScript(ctx)
    script.seller_approves()
    script.timeline.after(script.payment_window, payment_status="HODL_INVOICE_TIMEOUT")
    return script.fail(60, "BUYER_FAILED_TO_PAY")


def magma_seller_failed_to_open_channel(ctx: ScenarioContext) -> ScenarioPlan:
    """The buyer paid but the seller never broadcasts the funding transaction."""
    script = _MagmaScript(ctx)
    script.seller_approves()
    script.buyer_pays()
    return script.fail(script.open_window, "SELLER_FAILED_TO_OPEN_CHANNEL")


def magma_seller_failed_to_send_swap(ctx: ScenarioContext) -> ScenarioPlan:
    """The seller reported a funding transaction that never confirms."""
    script = _MagmaScript(ctx)
    script.seller_approves()
    script.buyer_pays()
    script.seller_sends_transaction()
    return script.fail(1_800, "SELLER_FAILED_TO_SEND_SWAP")


def magma_invalid_channel_opening(ctx: ScenarioContext) -> ScenarioPlan:
    """The channel confirms but does not match the order."""
    script = _MagmaScript(ctx)
    script.seller_approves()
    script.buyer_pays()
    script.seller_sends_transaction()
    script.chain_confirms()
    script.channel_found()
    return script.fail(script.check_after, "INVALID_CHANNEL_OPENING")


def magma_admin_closed(ctx: ScenarioContext) -> ScenarioPlan:
    """Amboss staff close a paid order that is waiting for the channel."""
    script = _MagmaScript(ctx)
    script.seller_approves()
    script.buyer_pays()
    return script.fail(600, "ADMIN_CLOSED")


# The seller's side: the key's account sells the channel (listed by `sales`, `is_seller`).


def magma_sale_happy(ctx: ScenarioContext) -> ScenarioPlan:
    """The user approves, the buyer pays, the user opens the channel, it is valid; lease ends."""
    script = _MagmaScript(ctx, seller=True)
    script.seller_approves()
    script.buyer_pays()
    script.seller_sends_transaction()
    script.chain_confirms()
    script.channel_found()
    script.channel_valid()
    script.lease_runs_out()
    return script.plan()


def magma_sale_rejected(ctx: ScenarioContext) -> ScenarioPlan:
    """The user, as the seller, declines the order."""
    return _MagmaScript(ctx, seller=True).fail(120, "SELLER_REJECTED")


def magma_sale_failed_to_react(ctx: ScenarioContext) -> ScenarioPlan:
    """The user, as the seller, neither approves nor rejects before the approval deadline."""
    script = _MagmaScript(ctx, seller=True)
    return script.fail(script.approval_window, "SELLER_FAILED_TO_REACT")


def magma_sale_failed_to_open_channel(ctx: ScenarioContext) -> ScenarioPlan:
    """The buyer paid; the user, as the seller, never opens the channel."""
    script = _MagmaScript(ctx, seller=True)
    script.seller_approves()
    script.buyer_pays()
    return script.fail(script.open_window, "SELLER_FAILED_TO_OPEN_CHANNEL")


# --- Mach ----------------------------------------------------------------------------------


class _MachScript:
    def __init__(self, ctx: ScenarioContext) -> None:
        self.ctx = ctx
        self.fill_after = ctx.number("fill_after", 30)
        self.complete_after = ctx.number("complete_after", 45)
        # Mach's own estimate for orders whose completion is not scripted.
        self.estimate = ctx.number("eta", 45)
        self.maker_address = ctx.text("maker_address", "0x123456789abcdef123456789abcdef123456789a")
        self.base: JsonObject = {
            "id": ctx.order_id,
            "taker_address": ctx.wallet,
            "maker_address": None,
            "src_asset_address": ctx.text(
                "src_asset_address", "0xB97EF9Ef8734C71904D8002F8b6Bc66Dd9c48a6E"
            ),
            "dst_asset_address": ctx.text(
                "dst_asset_address", "0x498Bf2B1e120FeD3ad3D42EA2165E9b73f99C1e5"
            ),
            "src_chain": ctx.text("src_chain", "avalanche"),
            "dst_chain": ctx.text("dst_chain", "arbitrum"),
            "src_amount": ctx.integer("src_amount", 1_000_000),
            "dst_amount": ctx.integer("dst_amount", 997_000),
            "created_at": iso_seconds(ctx.created_at),
            "filled_at": None,
            "expires_at": iso_seconds(ctx.at(ctx.number("expires_after", 300))),
            "completed": False,
            "place_tx": random_hex(ctx.rng, 32),
            "fill_tx": None,
            "eta": 0,
            "order_type": ctx.text("order_type", "default"),
        }
        self.timeline = Timeline()

    def fill(self) -> None:
        self.timeline.after(
            self.fill_after,
            filled_at=iso_seconds(self.ctx.at(self.fill_after)),
            maker_address=self.maker_address,
            fill_tx=random_hex(self.ctx.rng, 32),
        )

    def plan(self, eta_at: float) -> ScenarioPlan:
        return ScenarioPlan(base=self.base, steps=self.timeline.steps, eta_at=eta_at)


def mach_custom(ctx: ScenarioContext) -> ScenarioPlan:
    """A freshly placed, unfilled order; supply `base` overrides and `steps`."""
    script = _MachScript(ctx)
    return script.plan(script.estimate)


def mach_happy(ctx: ScenarioContext) -> ScenarioPlan:
    """Placed, filled by a maker after ~30 s, completed after ~45 s."""
    script = _MachScript(ctx)
    script.fill()
    script.timeline.set_at(script.complete_after, {"completed": True})
    return script.plan(script.complete_after)


def mach_expired(ctx: ScenarioContext) -> ScenarioPlan:
    """Never matched; `expires_at` passes (created + 300 s) and nothing else changes."""
    script = _MachScript(ctx)
    return script.plan(script.estimate)


def mach_stuck(ctx: ScenarioContext) -> ScenarioPlan:
    """Filled on the source chain but never completed; with `stuck_for`, it completes that
    many seconds after the fill (an order stuck for hours or days that finally settles)."""
    script = _MachScript(ctx)
    script.fill()
    stuck_for = ctx.optional_number("stuck_for")
    if stuck_for is not None:
        script.timeline.after(stuck_for, completed=True)
    return script.plan(script.estimate)


# --- M0 ------------------------------------------------------------------------------------


class _M0Script:
    def __init__(self, ctx: ScenarioContext) -> None:
        self.ctx = ctx
        origin = ctx.chain or DEFAULT_M0_CHAIN
        dest = ctx.text("dest_chain", "Base" if origin != "Base" else "Ethereum")
        if dest not in M0_CHAIN_IDS:
            msg = f"unknown m0 chain {dest!r}"
            raise ScenarioError(msg)
        self.dest_chain_id = M0_CHAIN_IDS[dest]
        self.amount_in = ctx.integer("amount_in", 1_000_000)
        self.amount_out = ctx.integer("amount_out", 999_500)
        self.fill_window = ctx.number("fill_window", 600)
        self.solver = ctx.text("solver", "0x7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b")
        self.filled_out = 0
        self.released_in = 0
        self.fills: list[JsonObject] = []
        self.base: JsonObject = {
            "orderId": ctx.order_id,
            "version": 1,
            "nonce": str(ctx.rng.randint(1, 10_000)),
            "sender": ctx.wallet,
            "recipient": ctx.text("recipient", ctx.wallet or M0_DEFAULT_WALLET),
            "originChainId": M0_CHAIN_IDS[origin],
            "destChainId": self.dest_chain_id,
            "tokenIn": ctx.text("token_in", _M_TOKEN),
            "tokenOut": ctx.text("token_out", _M_TOKEN),
            "amountIn": str(self.amount_in),
            "amountOut": str(self.amount_out),
            "designatedSolver": ctx.text("designated_solver", _ANY_SOLVER),
            "createdAt": unix_seconds(ctx.created_at),
            "fillDeadline": unix_seconds(ctx.at(self.fill_window)),
            "status": "CREATED",
            "amountOutFilled": "0",
            "amountInReleased": "0",
            "amountRefunded": "0",
            "funder": ctx.wallet,
            "openTx": random_hex(ctx.rng, 32),
            "fillCount": 0,
            "fillReportCount": 0,
            "resolvedAt": None,
            "fills": [],
        }
        self.timeline = Timeline()

    def fill(self, at: float, amount_out: int) -> None:
        """A solver fills `amount_out`; input is released pro rata (seen by the indexer)."""
        release = self.amount_in * amount_out // self.amount_out
        self.filled_out += amount_out
        self.released_in += release
        self.fills.append(
            {
                "filledAt": unix_seconds(self.ctx.at(at)),
                "chainId": self.dest_chain_id,
                "transactionHash": random_hex(self.ctx.rng, 32),
                "solver": self.solver,
                "amountInToRelease": str(release),
                "amountOutFilled": str(amount_out),
            }
        )
        self.timeline.set_at(
            at,
            {
                "fills": list(self.fills),
                "fillCount": len(self.fills),
                "amountOutFilled": str(self.filled_out),
            },
        )

    def fill_reported(self, at: float) -> None:
        """The fill report reaches the origin chain, releasing the escrowed input."""
        self.timeline.set_at(
            at, {"fillReportCount": len(self.fills), "amountInReleased": str(self.released_in)}
        )

    def resolve(self, at: float, status: str, **changes: Any) -> None:
        self.timeline.set_at(
            at, {"status": status, "resolvedAt": unix_seconds(self.ctx.at(at)), **changes}
        )

    def plan(self) -> ScenarioPlan:
        return ScenarioPlan(base=self.base, steps=self.timeline.steps)


def m0_custom(ctx: ScenarioContext) -> ScenarioPlan:
    """A freshly opened, unfilled order; supply `base` overrides and `steps`."""
    return _M0Script(ctx).plan()


def m0_happy(ctx: ScenarioContext) -> ScenarioPlan:
    """One full fill at ~40 s, reported and COMPLETED at ~60 s."""
    script = _M0Script(ctx)
    fill_at = ctx.number("fill_after", 40)
    complete_at = ctx.number("complete_after", 60)
    script.fill(fill_at, script.amount_out)
    script.fill_reported(complete_at)
    script.resolve(complete_at, "COMPLETED")
    return script.plan()


def m0_partial_then_complete(ctx: ScenarioContext) -> ScenarioPlan:
    """A partial fill at ~30 s, the remainder at ~90 s, COMPLETED at ~110 s."""
    script = _M0Script(ctx)
    first_at = ctx.number("fill_after", 30)
    second_at = ctx.number("second_fill_after", 90)
    complete_at = ctx.number("complete_after", 110)
    first = script.amount_out * ctx.integer("first_fill_percent", 40) // 100
    script.fill(first_at, first)
    script.fill_reported(first_at + 15)
    script.fill(second_at, script.amount_out - first)
    script.fill_reported(complete_at)
    script.resolve(complete_at, "COMPLETED")
    return script.plan()


def m0_partial_then_cancel(ctx: ScenarioContext) -> ScenarioPlan:
    """Half filled at ~40 s; after the fill deadline it is cancelled and the rest refunded."""
    script = _M0Script(ctx)
    fill_at = ctx.number("fill_after", 40)
    cancel_at = ctx.number("cancel_after", script.fill_window + 60)
    partial = script.amount_out * ctx.integer("first_fill_percent", 50) // 100
    script.fill(fill_at, partial)
    script.fill_reported(fill_at + 20)
    script.resolve(
        cancel_at, "CANCELLED", amountRefunded=str(script.amount_in - script.released_in)
    )
    return script.plan()


def m0_never_filled(ctx: ScenarioContext) -> ScenarioPlan:
    """No solver ever fills; it stays CREATED past `fillDeadline` until someone cancels."""
    return _M0Script(ctx).plan()


def m0_cancelled(ctx: ScenarioContext) -> ScenarioPlan:
    """Never filled; cancelled two minutes after the fill deadline with a full refund."""
    script = _M0Script(ctx)
    cancel_at = ctx.number("cancel_after", script.fill_window + 120)
    script.resolve(cancel_at, "CANCELLED", amountRefunded=str(script.amount_in))
    return script.plan()


# --- Flux ----------------------------------------------------------------------------------


def _flux_base(ctx: ScenarioContext) -> JsonObject:
    return {
        "id": ctx.order_id,
        "clientId": ctx.text("client_id", f"client-{ctx.rng.getrandbits(32):08x}"),
        "action": {
            "orderType": "MarketOrder",
            "order": {
                "quoteToken": {
                    "type": "chain",
                    "data": {"tokenId": "USDC", "chainId": 8453, "contractAddress": _BASE_USDC},
                },
                "baseToken": {
                    "type": "kalshi",
                    "data": {
                        "marketId": ctx.text("market_id", "KXBTC-26JUN10-B100000"),
                        "side": ctx.text("side", "yes"),
                    },
                },
                "orderType": ctx.text("order_side", "BUY"),
                "baseQuantity": ctx.text("base_quantity", "100"),
                "maxQuoteQuantityIn": ctx.text("max_quote_quantity_in", "50.00"),
            },
            "chainId": 8453,
        },
        "createdAt": iso_millis(ctx.created_at),
        "status": "pending",
        "balanceValidatedAt": None,
        "txnFilledAt": None,
        "transactionHash": None,
        "isComplete": False,
        "terminationReason": None,
    }


def flux_custom(ctx: ScenarioContext) -> ScenarioPlan:
    """A pending order; supply `base` overrides and `steps`."""
    return ScenarioPlan(base=_flux_base(ctx))


def flux_happy(ctx: ScenarioContext) -> ScenarioPlan:
    """pending -> executing (2 s) -> validated (10 s, fill recorded) -> completed (15 s)."""
    base = _flux_base(ctx)
    execute_at = ctx.number("execute_after", 2)
    validate_at = ctx.number("validate_after", 10)
    complete_at = ctx.number("complete_after", 15)
    timeline = Timeline()
    timeline.set_at(execute_at, {"status": "executing"})
    timeline.set_at(
        validate_at,
        {
            "status": "validated",
            "balanceValidatedAt": iso_millis(ctx.at(execute_at + 3)),
            "txnFilledAt": iso_millis(ctx.at(validate_at)),
            "transactionHash": random_hex(ctx.rng, 32),
        },
    )
    timeline.set_at(complete_at, {"status": "completed", "isComplete": True})
    return ScenarioPlan(base=base, steps=timeline.steps)


def flux_failed(ctx: ScenarioContext) -> ScenarioPlan:
    """pending -> executing -> failed ("insufficient_balance"), isComplete=true."""
    base = _flux_base(ctx)
    timeline = Timeline()
    timeline.set_at(ctx.number("execute_after", 2), {"status": "executing"})
    timeline.set_at(
        ctx.number("fail_after", 6),
        {
            "status": "failed",
            "isComplete": True,
            "terminationReason": ctx.text("termination_reason", "insufficient_balance"),
        },
    )
    return ScenarioPlan(base=base, steps=timeline.steps)


SCENARIOS: dict[Provider, dict[str, ScenarioBuilder]] = {
    Provider.MAGMA: {
        "happy": magma_happy,
        "seller_rejected": magma_seller_rejected,
        "seller_failed_to_react": magma_seller_failed_to_react,
        "buyer_rejected": magma_buyer_rejected,
        "buyer_failed_to_pay": magma_buyer_failed_to_pay,
        "seller_failed_to_open_channel": magma_seller_failed_to_open_channel,
        "seller_failed_to_send_swap": magma_seller_failed_to_send_swap,
        "invalid_channel_opening": magma_invalid_channel_opening,
        "admin_closed": magma_admin_closed,
        "sale_happy": magma_sale_happy,
        "sale_rejected": magma_sale_rejected,
        "sale_failed_to_react": magma_sale_failed_to_react,
        "sale_failed_to_open_channel": magma_sale_failed_to_open_channel,
        "custom": magma_custom,
    },
    Provider.MACH: {
        "happy": mach_happy,
        "expired": mach_expired,
        "stuck": mach_stuck,
        "custom": mach_custom,
    },
    Provider.M0: {
        "happy": m0_happy,
        "partial_then_complete": m0_partial_then_complete,
        "partial_then_cancel": m0_partial_then_cancel,
        "never_filled": m0_never_filled,
        "cancelled": m0_cancelled,
        "custom": m0_custom,
    },
    Provider.FLUX: {
        "happy": flux_happy,
        "failed": flux_failed,
        "custom": flux_custom,
    },
}


def build_scenario(provider: Provider, name: str, ctx: ScenarioContext) -> ScenarioPlan:
    """Run the named builder; unknown scenario or unused parameters raise ScenarioError."""
    builders = SCENARIOS[provider]
    builder = builders.get(name)
    if builder is None:
        msg = f"unknown {provider} scenario {name!r} (expected one of: {', '.join(builders)})"
        raise ScenarioError(msg)
    plan = builder(ctx)
    if unread := ctx.unread():
        msg = f"unknown parameter(s) for {provider}/{name}: {', '.join(unread)}"
        raise ScenarioError(msg)
    return plan
