"""The deployed Kabuto suite: what it is made of (one table), deploying it, attaching to it.

`SUITE` lists every contract of the suite: its artifact, the label errors and events call it by,
its client, its constructor arguments and how it is wired to the others. `deploy()` puts the suite
on a chain in dependency order, one wave of pipelined deployments at a time, then sends every
wiring step; `attach()` reconnects to a deployment from its manifest (plain JSON), from any process.
Adding a contract to Kabuto is one entry in `SUITE` (see docs/architecture.md).

The `Deployment` is what every client and role works through: it resolves participants and assets
by name, names things in errors and event sentences, and decodes the suite's events.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from importlib import metadata
from pathlib import Path
from typing import Any, ClassVar

from eth_account.signers.local import LocalAccount
from eth_utils import is_address, to_checksum_address

from . import artifacts
from .access.permissions import ADMIN_ROLE
from .access.registry import AccountType, Kind, Participant
from .chain.client import Chain, ErrorContext
from .collateral.vault import AccountKind, split_account_id
from .collateral.vault import account_id as id_of
from .contracts.base import Call, ContractClient, send_all
from .contracts.default_manager import DefaultManagerClient
from .contracts.delivery import DeliverySettlementClient
from .contracts.etf import (
    EtfApplicationsClient,
    EtfRegistryClient,
    EtfSettlementClient,
    TradingCalendarClient,
)
from .contracts.goods import GoodsTokenClient
from .contracts.goods_pool import GoodsPoolClient
from .contracts.jdr import JdrFactoryClient, JdrTokenClient, JdrTrustClient
from .contracts.market_data import MarketDataClient
from .contracts.registry import RegistryClient
from .contracts.substitution import SubstitutionClient
from .contracts.token import TokenClient
from .contracts.vault import VaultClient
from .errors import AccountNotFound, AssetNotFound, DeploymentMismatch, ParticipantNotFound
from .events import DecodedEvent, EventDecoder
from .goods.model import DocumentKind
from .tokens.asset import DEFAULT_ASSETS, Asset, AssetClass, AssetSpec
from .units import from_bytes32, to_bytes32

_DEFAULT_MANAGEMENT = "CCP default management"  # the label of the default manager's account
_ACCOUNT_FORMS = (
    "give an account id, a label such as 'member-a house' or 'client-x segregated', or a "
    "clearing member's or a client's name or address"
)

MANIFEST_VERSION = 2  # 2: contracts keyed by part (two parts may share an artifact)
DEFAULT_MAX_PRICE_AGE = 24 * 3600
Progress = Callable[[str], None]


# ---------------------------------------------------------------------- the table


@dataclass(frozen=True)
class Setup:
    """What constructor arguments see while the suite is deployed."""

    operator: str
    max_price_age: int
    addresses: dict[str, str]  # part key -> address, for the parts deployed so far
    cash: str = "asset JPY"  # the part key of the yen cash asset payments are made in

    def __getitem__(self, key: str) -> str:
        return self.addresses[self.key(key)]

    def key(self, need: str) -> str:
        """A part key, `"cash"` standing for the yen cash asset's."""
        return self.cash if need == "cash" else need


# (deployment, this part's address) -> a call, or several
Wire = Callable[["Deployment", str], "Call[Any] | list[Call[Any]]"]


@dataclass(frozen=True)
class Duties:
    """Who holds which role once the suite is deployed: an address per duty, the deployer's where
    none is given (a development chain's convenience; a production deployment gives them all).

    `admin` holds `DEFAULT_ADMIN_ROLE` on every contract, the only role that grants and revokes
    roles (a multi-signature or timelocked account in production); the deployer gives it up. It may
    hold no duty, so that no duty can grant itself another; given an admin, every duty must be
    given, each its own key. `register` is the CCP operator
    (register, vault accounts, defaults); `margin` the margin engine; `oracle` the market-data
    publisher; `issuer` mints and burns every asset; `agent` freezes, force-transfers and pauses
    them. docs/access.md has the table of who may call what.
    """

    admin: str | None = None
    register: str | None = None
    margin: str | None = None
    oracle: str | None = None
    issuer: str | None = None
    agent: str | None = None

    ROLES: ClassVar[dict[str, tuple[str, ...]]] = {
        "register": ("CCP_OPERATOR_ROLE",),
        "margin": ("MARGIN_ENGINE_ROLE",),
        "oracle": ("ORACLE_ROLE",),
        "issuer": ("ISSUER_ROLE",),
        "agent": ("AGENT_ROLE", "PAUSER_ROLE"),
    }

    def holders(self, deployer: str) -> dict[str, str]:
        """Role name -> the address that holds it, every duty's role included."""
        out = {}
        for duty, roles in self.ROLES.items():
            holder = getattr(self, duty) or deployer
            out.update({role: to_checksum_address(holder) for role in roles})
        return out

    def check(self, deployer: str) -> None:
        for duty in ("admin", *self.ROLES):
            address = getattr(self, duty)
            if address is not None and not is_address(address):
                raise DeploymentMismatch(f"{duty} {address!r} is not an address")
        if self.admin is None:
            return  # a development deployment: whatever is not given stays with the deployer
        admin = to_checksum_address(self.admin)
        if admin in self.holders(deployer).values():
            raise DeploymentMismatch(
                f"the role admin {admin} also holds a duty: it could grant itself any other"
            )
        keys = {d: getattr(self, d) and to_checksum_address(getattr(self, d)) for d in self.ROLES}
        missing = [duty for duty, address in keys.items() if address is None]
        if missing:
            raise DeploymentMismatch(
                f"with a separate role admin every duty needs its own key; missing: "
                f"{', '.join(missing)} (the deployer keeps nothing)"
            )
        shared = {a for a in keys.values() if sum(b == a for b in keys.values()) > 1}
        if shared:
            raise DeploymentMismatch(f"duties share a key: {', '.join(sorted(shared))}")


def admitted(kind: Kind, name: str, *, operator: bool = False) -> Wire:
    """Wiring: admit this contract (or, with `operator`, the operator) to the register."""
    return lambda d, address: d.registry.admit(d.operator if operator else address, kind, name)


def granted(role: str, *, on: str) -> Wire:
    """Wiring: give this contract `role` on part `on`."""
    return lambda d, address: d.part(on).grant_role(role, address)


def pools_admitted() -> Wire:
    """Wiring: admit every goods pool (an asset backed by receipts it holds) as custody."""
    return lambda d, _address: [
        d.registry.admit(a.address, Kind.SYSTEM_CONTRACT, f"{a.symbol.lower()}-pool")
        for a in d.assets.values()
        if a.spec.pool_commodity is not None
    ]


def calendar_published(years_back: int = 1, years_ahead: int = 4) -> Wire:
    """Wiring: publish the XTKS calendar around the chain's date (a year back, four ahead)."""

    def wire(d: Deployment, _address: str) -> Call[Any]:
        today = dt.datetime.fromtimestamp(d.chain_time(), dt.UTC).date()
        first = dt.date(today.year - years_back, 1, 1)
        last = dt.date(today.year + years_ahead, 12, 31)
        return d.calendar.publish_xtks(first, last)

    return wire


def etf_units_issued() -> Wire:
    """Wiring: let the ETF settlement create and cancel the units of every domestic ETF (an ETF
    unit asset in yen) as its trust bank instructs, and only against a cleared creation or
    redemption."""
    return lambda d, address: [
        d.token(a).grant_role("ISSUER_ROLE", address)
        for a in d.assets.values()
        if a.spec.asset_class is AssetClass.ETF_UNIT and a.spec.currency == "JPY"
    ]


def assets_listed() -> Wire:
    """Wiring: list every asset of the deployment for pricing."""
    return lambda d, _address: d.market_data.list_assets(d.assets.values())


@dataclass(frozen=True)
class Part:
    """One contract of the suite."""

    key: str  # how the deployment calls it: `deployment.part("vault")`, `deployment.vault`
    client: type[ContractClient]  # its client; the client names the artifact
    label: str  # what errors and event sentences call it
    args: Callable[[Setup], Sequence[Any]]  # constructor arguments
    needs: tuple[str, ...] = ()  # parts whose addresses `args` uses: deployed in an earlier wave
    wiring: tuple[Wire, ...] = ()  # calls sent once every part is deployed, in table order

    @property
    def artifact(self) -> str:
        return self.client.artifact


SUITE: tuple[Part, ...] = (
    Part(
        "registry", RegistryClient, "participant registry",
        args=lambda s: [s.operator],
        wiring=(admitted(Kind.CCP, "ccp", operator=True),),
    ),
    Part(
        "market_data", MarketDataClient, "market data",
        args=lambda s: [s.operator, s.max_price_age],
        wiring=(assets_listed(),),
    ),
    Part(
        "vault", VaultClient, "collateral vault",
        args=lambda s: [s["registry"], s["market_data"], s.operator],
        needs=("registry", "market_data"),
        wiring=(admitted(Kind.SYSTEM_CONTRACT, "collateral-vault"),),
    ),
    Part(
        "default_manager", DefaultManagerClient, "default manager",
        args=lambda s: [s["registry"], s["vault"], s["market_data"], s.operator],
        needs=("registry", "vault", "market_data"),
        # The one way into (and out of) default in the register, and the vault's default hooks.
        wiring=(granted("DEFAULT_MANAGER_ROLE", on="registry"),
                granted("DEFAULT_MANAGER_ROLE", on="vault")),
    ),
    Part(
        "substitution", SubstitutionClient, "collateral substitution",
        args=lambda s: [s["vault"], s["registry"], s["market_data"]],
        needs=("registry", "vault", "market_data"),
        # The vault's one-step exchange, behind the substitution rule and the offer checks.
        wiring=(granted("SUBSTITUTION_ROLE", on="vault"),),
    ),
    Part(
        # Creates JDR series; each trust joins the register when the CCP lists it.
        "jdr_factory", JdrFactoryClient, "JDR factory",
        args=lambda s: [s["registry"], s["market_data"], s.operator],
        needs=("registry", "market_data"),
    ),
    Part(
        # Rubber delivery orders (荷渡指図書): issued by registered warehouses.
        "delivery_orders", GoodsTokenClient, "delivery orders",
        args=lambda s: ["Kabuto delivery orders", "KDO", int(DocumentKind.DELIVERY_ORDER),
                        s["registry"], s.operator],
        needs=("registry",),
    ),
    Part(
        # Precious-metal warehouse receipts (倉荷証券): for delivery and, pooled, as collateral.
        "warehouse_receipts", GoodsTokenClient, "warehouse receipts",
        args=lambda s: ["Kabuto warehouse receipts", "KWR", int(DocumentKind.WAREHOUSE_RECEIPT),
                        s["registry"], s.operator],
        needs=("registry",),
        wiring=(pools_admitted(),),
    ),
    Part(
        # Futures physical delivery through the CCP: holds goods and yen between the two legs.
        "delivery", DeliverySettlementClient, "delivery settlement",
        args=lambda s: [s["registry"], s["cash"], s.operator],
        needs=("registry", "cash"),
        wiring=(admitted(Kind.SYSTEM_CONTRACT, "delivery-settlement"),),
    ),
    Part(
        # The exchange's business days, for contracts that count them (ETF clearing).
        "calendar", TradingCalendarClient, "trading calendar",
        args=lambda s: [s.operator],
        wiring=(calendar_published(),),
    ),
    Part(
        # ETFs notified for creation/redemption clearing, registered trust banks, article 46(2).
        "etf_registry", EtfRegistryClient, "ETF registry",
        args=lambda s: [s["registry"], s["calendar"], s.operator],
        needs=("registry", "calendar"),
    ),
    Part(
        # Settlement books of ETF clearing: netting with trades, DvP on the Tokyo timetable.
        "etf_settlement", EtfSettlementClient, "ETF settlement",
        args=lambda s: [s["registry"], s["calendar"], s["cash"], s.operator],
        needs=("registry", "calendar", "cash"),
        wiring=(admitted(Kind.SYSTEM_CONTRACT, "etf-settlement"), etf_units_issued()),
    ),
    Part(
        # Creation/redemption applications, statements, approval, eligibility and novation.
        "etf_applications", EtfApplicationsClient, "ETF applications",
        args=lambda s: [s["registry"], s["etf_registry"], s["etf_settlement"], s.operator],
        needs=("registry", "etf_registry", "etf_settlement"),
        wiring=(granted("NOVATOR_ROLE", on="etf_settlement"),),
    ),
)  # fmt: skip


def _token_client(spec: AssetSpec) -> type[TokenClient]:
    """The client (and so the artifact) of an asset's token."""
    if spec.asset_class is AssetClass.JDR:
        return JdrTokenClient
    if spec.pool_commodity is not None:
        return GoodsPoolClient
    return TokenClient


def _token_part(spec: AssetSpec) -> Part:
    """Every asset is one PermissionedToken, checking its holders against the register; an asset
    of pooled warehouse receipts is a GoodsPool (a PermissionedToken minted only by pledges of
    receipts of its commodity), which holds receipts and so joins the register as custody."""
    if spec.pool_commodity is not None:
        commodity = to_bytes32(spec.pool_commodity, what="commodity")
        return Part(
            f"asset {spec.symbol}", GoodsPoolClient, f"{spec.symbol} pool ({spec.name})",
            args=lambda s: [spec.name, spec.symbol, spec.decimals, s["registry"],
                            spec.constructor_info(), s.operator, s["warehouse_receipts"],
                            commodity, spec.pool_unit.encode().ljust(8, b"\0")],
            needs=("registry", "warehouse_receipts"),
        )  # fmt: skip
    return Part(
        f"asset {spec.symbol}", TokenClient, f"{spec.symbol} token ({spec.name})",
        args=lambda s: [spec.name, spec.symbol, spec.decimals, s["registry"],
                        spec.constructor_info(), s.operator],
        needs=("registry",),
    )  # fmt: skip


# ---------------------------------------------------------------------- the deployment


@dataclass
class Deployment:
    """A deployed Kabuto suite on one chain: its contracts, its assets and who is who."""

    chain: Chain
    parts: dict[str, ContractClient]
    assets: dict[str, Asset]
    deploy_block: int
    operator: str
    _tokens: dict[str, TokenClient] = field(default_factory=dict, repr=False)
    _decoder: EventDecoder | None = field(default=None, repr=False)
    # JDR series found through the factory: trust client by JDR symbol (their tokens join `assets`).
    _jdrs: dict[str, JdrTrustClient] = field(default_factory=dict, repr=False)

    # ------------------------------------------------------------------ contracts

    def part(self, key: str) -> Any:
        """The client of part `key` of `SUITE`."""
        try:
            return self.parts[key]
        except KeyError:
            raise DeploymentMismatch(f"this deployment has no {key!r}") from None

    @property
    def registry(self) -> RegistryClient:
        return self.part("registry")  # type: ignore[no-any-return]

    @property
    def market_data(self) -> MarketDataClient:
        return self.part("market_data")  # type: ignore[no-any-return]

    @property
    def vault(self) -> VaultClient:
        return self.part("vault")  # type: ignore[no-any-return]

    @property
    def default_manager(self) -> DefaultManagerClient:
        return self.part("default_manager")  # type: ignore[no-any-return]

    @property
    def substitution(self) -> SubstitutionClient:
        return self.part("substitution")  # type: ignore[no-any-return]

    @property
    def jdr_factory(self) -> JdrFactoryClient:
        return self.part("jdr_factory")  # type: ignore[no-any-return]

    @property
    def delivery_orders(self) -> GoodsTokenClient:
        return self.part("delivery_orders")  # type: ignore[no-any-return]

    @property
    def warehouse_receipts(self) -> GoodsTokenClient:
        return self.part("warehouse_receipts")  # type: ignore[no-any-return]

    def goods_documents(self, kind: DocumentKind) -> GoodsTokenClient:
        """Delivery orders or warehouse receipts."""
        if kind is DocumentKind.DELIVERY_ORDER:
            return self.delivery_orders
        return self.warehouse_receipts

    @property
    def delivery(self) -> DeliverySettlementClient:
        return self.part("delivery")  # type: ignore[no-any-return]

    @property
    def calendar(self) -> TradingCalendarClient:
        return self.part("calendar")  # type: ignore[no-any-return]

    @property
    def etf_registry(self) -> EtfRegistryClient:
        return self.part("etf_registry")  # type: ignore[no-any-return]

    @property
    def etf_applications(self) -> EtfApplicationsClient:
        return self.part("etf_applications")  # type: ignore[no-any-return]

    @property
    def etf_settlement(self) -> EtfSettlementClient:
        return self.part("etf_settlement")  # type: ignore[no-any-return]

    def pool(self, ref: str | Asset) -> GoodsPoolClient:
        """The goods pool behind a pooled-receipt asset (`GOLD`)."""
        token = self.token(ref)
        if not isinstance(token, GoodsPoolClient):
            raise AssetNotFound(
                f"{token.asset.symbol} is not pooled warehouse receipts; the pools are "
                f"{', '.join(s for s, a in self.assets.items() if a.spec.pool_commodity) or 'none'}"
            )
        return token

    def token(self, ref: str | Asset) -> TokenClient:
        """The client of an asset's token."""
        a = self.asset(ref)
        if a.symbol not in self._tokens:
            kind = _token_client(a.spec)
            contract = self.chain.contract(kind.artifact, a.address)
            self._tokens[a.symbol] = kind(self, contract, a)
        return self._tokens[a.symbol]

    def contracts(self) -> list[ContractClient]:
        """Every contract of the deployment: the suite's parts, one token per asset, and the
        trust of every JDR series known."""
        tokens = [self.token(a) for a in self.assets.values()]
        return [*self.parts.values(), *tokens, *self._jdrs.values()]

    # ------------------------------------------------------------------ JDR series

    def jdr(self, ref: str | Asset) -> JdrTrustClient:
        """The trust of a JDR series, by the JDR's symbol, its token's or its trust's address."""
        if isinstance(ref, str) and ref in {t.address for t in self._jdrs.values()}:
            return next(t for t in self._jdrs.values() if t.address == ref)
        a = self.asset(ref)
        if a.symbol not in self._jdrs:
            raise AssetNotFound(f"{a.symbol} is not a JDR; the JDRs are {', '.join(self._jdrs)}")
        return self._jdrs[a.symbol]

    def jdrs(self) -> dict[str, JdrTrustClient]:
        """Every JDR series created, by symbol (read fresh from the factory)."""
        self.refresh_jdrs()
        return dict(self._jdrs)

    def forget_jdrs(self) -> None:
        """Drop the JDR series learnt so far (after a chain revert in tests, say); they are found
        again through the factory when asked for."""
        for symbol in self._jdrs:
            self.assets.pop(symbol, None)
            self._tokens.pop(symbol, None)
        self._jdrs.clear()
        self._decoder = None

    def refresh_jdrs(self) -> bool:
        """Learn the series the factory created since last asked; True when there were new ones.
        Their tokens join `assets` (symbol, name and ISIN read from the token), their trusts the
        contracts events are decoded for."""
        if "jdr_factory" not in self.parts:
            return False
        if self.jdr_factory.series_count() == len(self._jdrs):
            return False
        known = {t.address for t in self._jdrs.values()}
        new = [a for a in self.jdr_factory.series() if a not in known]
        for address in new:
            trust = self.chain.contract(JdrTrustClient.artifact, address)
            token_address = str(trust.functions.token().call())
            token = self.chain.contract(JdrTokenClient.artifact, token_address)
            symbol, name = token.functions.symbol().call(), token.functions.name().call()
            isin = from_bytes32(token.functions.assetInfo().call()[2]) or None
            spec = AssetSpec(symbol, name, 0, AssetClass.JDR, "JPY", isin=isin)
            asset = Asset(token_address, spec)
            if symbol in self.assets:
                # A series named like an asset of the deployment ("JPY", say) must not shadow it:
                # it is kept by its trust's address, and its token is no asset here.
                self._jdrs[f"{symbol}@{address}"] = JdrTrustClient(
                    self, trust, f"{symbol} trust at {address}", asset
                )
                continue
            self.assets[symbol] = asset
            self._jdrs[symbol] = JdrTrustClient(self, trust, f"{symbol} trust", asset)
        if new:
            self._decoder = None  # decode the new contracts' events from now on
        return bool(new)

    # ------------------------------------------------------------------ lookup

    def asset(self, ref: str | Asset) -> Asset:
        """An asset by symbol, address or `Asset`; `AssetNotFound` names the ones that exist."""
        if isinstance(ref, Asset):
            ref = ref.symbol
        if isinstance(ref, str):
            if ref in self.assets:
                return self.assets[ref]
            if is_address(ref):
                address = to_checksum_address(ref)
                for a in self.assets.values():
                    if a.address == address:
                        return a
        if self.refresh_jdrs():  # a JDR series created since, here or by another process
            return self.asset(ref)
        raise AssetNotFound(f"no asset {ref!r}; this deployment has {', '.join(self.assets)}")

    def participant(self, ref: Any) -> Participant:
        """A participant by name, address or role object, read fresh (see `RegistryClient`)."""
        return self.registry.participant(ref)

    def participants(self) -> list[Participant]:
        return self.registry.participants()

    def address_of(self, ref: Any) -> str:
        """The address of a participant given by name, address or role object."""
        return self.registry.address_of(ref)

    def forget_participants(self) -> None:
        """Drop cached participant records (after a chain revert in tests, say)."""
        self.registry.forget()

    def chain_time(self) -> int:
        """The latest block's timestamp: the clock contracts judge staleness and deadlines by."""
        return int(self.chain.w3.eth.get_block("latest")["timestamp"])

    # ------------------------------------------------------------------ naming things

    def name(self, address: str) -> str:
        """A contract's label, a participant's name, else the short address."""
        return self._name_of(address) or f"{address[:6]}…{address[-4:]}"

    def address(self, address: str) -> str:
        """`member-a (0x1234…abcd)` when the address is known, else the address itself."""
        name = self._name_of(address)
        return f"{name} ({address[:6]}…{address[-4:]})" if name else address

    def amount(self, value: int, asset: str | None) -> str:
        if asset:
            try:
                return self.asset(asset).format(value)
            except AssetNotFound:
                pass
        return f"{value:,} units"

    def currency_of(self, asset: str) -> str:
        return self.asset(asset).spec.currency

    def vault_account(self, account_id: int) -> str:
        """`member-a house account` for a vault account id (its label, in a sentence)."""
        return f"{self.account_label(account_id)} account"

    def account_label(self, account_id: int) -> str:
        """`member-a house`, `client-x segregated`, `member-a clearing fund`: a vault account as
        people call it, its owner and its kind, where the chain has a 49-digit id.
        `account_id(label)` reads a label back."""
        try:
            owner, kind = split_account_id(account_id)
        except ValueError:
            return f"0x{account_id:x}"
        if kind is AccountKind.DEFAULT_MANAGEMENT:
            return _DEFAULT_MANAGEMENT
        return f"{self.name(owner)} {kind.label}"

    account_name = account_label  # its first name, kept for callers that use it

    def account_id(self, ref: Any, kind: AccountKind | None = None) -> int:
        """The vault account id `ref` stands for, wherever an account is asked for.

        `ref` is an account id (an `int`), a label (`"member-a house"`, `"client-x segregated"`,
        `"member-a clearing fund"`, with or without a trailing `account`), or a participant (name,
        address or role object): a clearing member's house account, a client's own account as the
        register has it (its segregated account, or its member's omnibus account). `kind` picks
        another of a participant's accounts (`AccountKind.CLEARING_FUND`). Nothing is read but
        the register, and nothing checks that the account is open: the vault refuses what is not.
        Raises `ParticipantNotFound` (no such participant) or `AccountNotFound` (no such account).
        """
        if kind is not None:
            kind = AccountKind.coerce(kind, what="account kind")
        if isinstance(ref, bool) or (isinstance(ref, int) and ref <= 0):
            raise AccountNotFound(f"{ref!r} is not a vault account: {_ACCOUNT_FORMS}")
        if isinstance(ref, int):
            try:
                _, own = split_account_id(ref)
            except ValueError:
                own = AccountKind.NONE
            if own is AccountKind.NONE:
                raise AccountNotFound(f"{ref:#x} is not a vault account id: {_ACCOUNT_FORMS}")
            if kind is not None and kind is not own:
                raise AccountNotFound(
                    f"{self.account_label(ref)} is a {own.label} account, not a {kind.label} one"
                )
            return ref
        if isinstance(ref, str) and not is_address(ref):
            labelled = self._labelled(ref, kind)
            if labelled is not None:
                return labelled
        address = getattr(ref, "address", ref)
        manager = self.default_manager.address
        if isinstance(address, str) and is_address(address) and address.lower() == manager.lower():
            return self.account_id(id_of(manager, AccountKind.DEFAULT_MANAGEMENT), kind)
        try:
            who = self.participant(ref)
        except ParticipantNotFound:
            if kind is not None and isinstance(address, str) and is_address(address):
                return id_of(to_checksum_address(address), kind)  # the vault judges an outsider
            raise ParticipantNotFound(
                f"no participant or vault account {ref!r} is known: {_ACCOUNT_FORMS}"
            ) from None
        return self._own_account(who, kind)

    def _labelled(self, label: str, kind: AccountKind | None) -> int | None:
        """The account a label names (`member-a clearing fund account`), or None when `label` is
        not one (a participant's name, say)."""
        text = " ".join(label.split()).removesuffix(" account")
        if text.replace("-", " ").lower() == _DEFAULT_MANAGEMENT.lower():
            said = id_of(self.default_manager.address, AccountKind.DEFAULT_MANAGEMENT)
            return self.account_id(said, kind)
        for said_kind in AccountKind:
            words = said_kind.label
            for spelt in dict.fromkeys((words, words.replace(" ", "-"))):
                if said_kind is AccountKind.NONE or not text.endswith(f" {spelt}"):
                    continue
                owner = text.removesuffix(f" {spelt}")
                try:
                    who = self.participant(owner)
                except ParticipantNotFound:
                    return None  # not a label: perhaps a participant named so
                return self.account_id(self._own_account(who, said_kind), kind)
        return None

    def _own_account(self, who: Participant, kind: AccountKind | None) -> int:
        """`who`'s `kind` account; without a kind, the one it posts its margin in."""
        if who.kind is Kind.CLIENT:
            own = (
                AccountKind.SEGREGATED
                if who.account_type is AccountType.SEGREGATED
                else AccountKind.OMNIBUS
            )
            if kind is not None and kind is not own:
                where = "its own" if own is AccountKind.SEGREGATED else "its member's"
                raise AccountNotFound(
                    f"{who.name} is a client whose collateral is in {where} {own.label} "
                    f"account: it has no {kind.label} account"
                )
            if own is AccountKind.OMNIBUS:
                return id_of(who.clearing_member or "0x0", AccountKind.OMNIBUS)
            return id_of(who.address, own)
        if kind is None and who.kind is not Kind.CLEARING_MEMBER:
            article = "an" if who.kind.label[:1] in "aeiouAEIOU" else "a"
            raise AccountNotFound(
                f"{who.name} is {article} {who.kind.label}, with no margin account to default "
                "to: name a clearing member or a client, or give the account's kind"
            )
        return id_of(who.address, kind or AccountKind.HOUSE)

    def _name_of(self, address: str) -> str | None:
        for contract in self.contracts():
            if contract.address == address:
                return contract.label
        return self.registry.name_of(address)

    # ------------------------------------------------------------------ errors and events

    def errors_for(self, contract: str, asset: Asset | None = None) -> ErrorContext:
        """How errors of a call to `contract` name things (amounts in `asset`'s units)."""
        return ErrorContext(
            contract=contract, asset=asset.address if asset else None, formatter=self
        )

    def decode(self, logs: Iterable[Mapping[str, Any]]) -> list[DecodedEvent]:
        """The suite's events among `logs` (a receipt's, or `eth_getLogs`'), in order."""
        logs = list(logs)
        known = {c.address for c in self.contracts()}
        if any(to_checksum_address(log["address"]) not in known for log in logs):
            self.refresh_jdrs()  # a series created elsewhere: decode its trust's events too
        if self._decoder is None:
            self._decoder = EventDecoder()
            for c in self.contracts():
                self._decoder.add(c.address, c.label, c.contract.abi)
        return self._decoder.decode(logs)

    # ------------------------------------------------------------------ manifest

    def manifest(self) -> dict[str, Any]:
        build = artifacts.manifest()

        def code(artifact: str, address: str) -> dict[str, str]:
            return {"address": address, "bytecodeSha256": artifacts.load(artifact).sha256}

        return {
            "manifestVersion": MANIFEST_VERSION,
            "kabutoVersion": KABUTO_VERSION,
            "chainId": self.chain.chain_id,
            "deployBlock": self.deploy_block,
            "operator": self.operator,
            "compiler": build["compiler"]["build"],
            "sourcesHash": build["sourcesHash"],
            "contracts": {
                key: {"artifact": c.artifact} | code(c.artifact, c.address)
                for key, c in self.parts.items()
            },
            "assets": {  # JDRs are found through the factory, not listed
                a.symbol: a.spec.to_manifest() | code(_token_client(a.spec).artifact, a.address)
                for a in self.assets.values()
                if a.symbol not in self._jdrs
            },
        }

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the manifest as JSON; returns the path."""
        out = Path(path)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(self.manifest(), indent=2) + "\n")
        return out


def _installed_version() -> str:
    try:
        return metadata.version("pyclient")
    except metadata.PackageNotFoundError:  # running from a checkout that was never installed
        return "0+unknown"


KABUTO_VERSION = _installed_version()


# ---------------------------------------------------------------------- deploy


def deploy(
    chain: Chain,
    operator: LocalAccount,
    *,
    assets: Sequence[AssetSpec] = DEFAULT_ASSETS,
    issuer: str | None = None,
    oracle: str | None = None,
    duties: Duties | None = None,
    max_price_age: int = DEFAULT_MAX_PRICE_AGE,
    progress: Progress | None = None,
) -> Deployment:
    """Deploy the whole suite, in dependency order, from `operator` (registered as the CCP).

    `duties` says who holds each role afterwards (`Duties`); a duty not given stays with
    `operator`, and so does the role admin unless `duties.admin` is given, when `operator` gives
    it up. `issuer` and `oracle` are shorthands for those duties. Prices older than
    `max_price_age` seconds are stale.
    """
    say = progress or (lambda _msg: None)
    symbols = [a.symbol for a in assets]
    if len(set(symbols)) != len(symbols):
        raise AssetNotFound(f"asset symbols repeat: {symbols}")
    duties = replace(
        duties or Duties(), **{k: v for k, v in (("issuer", issuer), ("oracle", oracle)) if v}
    )
    duties.check(operator.address)
    yen = [a for a in assets if a.asset_class is AssetClass.CASH and a.currency == "JPY"]
    if not yen:
        raise DeploymentMismatch("the suite pays in a JPY cash asset, and the assets have none")
    cash = next((a for a in yen if a.symbol == "JPY"), yen[0])
    setup = Setup(operator.address, max_price_age, {}, cash=_token_part(cash).key)
    first_block: int | None = None
    pending = [*SUITE, *(_token_part(spec) for spec in assets)]
    while pending:
        # A wave: every part whose needs are deployed, sent back to back, then awaited.
        wave = [p for p in pending if {setup.key(n) for n in p.needs} <= setup.addresses.keys()]
        if not wave:
            raise DeploymentMismatch(f"SUITE cannot be ordered: {[p.key for p in pending]}")
        sent = []
        for part in wave:
            say(f"deploying {part.label}")
            sent.append((part, chain.send_deploy(part.artifact, part.args(setup), operator)))
        for part, tx in sent:
            receipt = chain.wait(tx)
            first_block = receipt.block_number if first_block is None else first_block
            setup.addresses[part.key] = str(receipt.contract_address)
        pending = [p for p in pending if p not in wave]

    deployment = Deployment(
        chain=chain,
        parts={},
        assets={s.symbol: Asset(setup[_token_part(s).key], s) for s in assets},
        deploy_block=int(first_block or 0),
        operator=operator.address,
    )
    deployment.parts = {
        p.key: p.client(deployment, chain.contract(p.artifact, setup[p.key]), p.label)
        for p in SUITE
    }
    say("wiring: " + ", ".join(f"{p.key} ({len(p.wiring)})" for p in SUITE if p.wiring))
    wiring = []
    for p in SUITE:
        for wire in p.wiring:
            made = wire(deployment, setup[p.key])
            wiring += made if isinstance(made, list) else [made]
    send_all([replace(call, label="deploy.wiring") for call in wiring], operator)
    _hand_over(deployment, operator, duties, say)
    say(f"deployed {len(SUITE) + len(assets)} contracts from block {deployment.deploy_block}")
    return deployment


def _hand_over(d: Deployment, operator: LocalAccount, duties: Duties, say: Progress) -> None:
    """Give each duty's roles to its holder and take them from the operator; then, if the admin is
    another address, give it the admin role everywhere and have the operator renounce its own."""
    me = operator.address
    holders = duties.holders(me)
    calls = []
    for client in d.contracts():
        getters = {i["name"] for i in client.contract.abi if i["type"] == "function"}
        for role, holder in holders.items():
            if role == "ISSUER_ROLE" and isinstance(client, GoodsPoolClient):
                continue  # a pool's units are minted by pledges only: nobody holds its issuer role
            if role in getters and holder != me:
                calls += [client.grant_role(role, holder), client.revoke_role(role, me)]
    moved = sorted({r for r, h in holders.items() if h != me})
    if moved:
        say(f"handing over {', '.join(moved)}")
    admin = to_checksum_address(duties.admin or me)
    if admin != me:
        say(f"handing the role admin to {admin}; the deployer keeps no role")
        governed = [c for c in d.contracts() if c.governed]
        calls += [client.grant_role(ADMIN_ROLE, admin) for client in governed]
        calls += [client.renounce_role(ADMIN_ROLE, me) for client in governed]
    if calls:
        send_all([replace(call, label="deploy.handOver") for call in calls], operator)


# ---------------------------------------------------------------------- attach


def attach(manifest: str | os.PathLike[str] | dict[str, Any], chain: Chain) -> Deployment:
    """Reconnect to a deployment described by `manifest` (a path or the parsed JSON).

    Refuses with `DeploymentMismatch` when the chain id differs or a contract is missing.
    """
    data = manifest if isinstance(manifest, dict) else json.loads(Path(manifest).read_text())
    if data.get("manifestVersion") != MANIFEST_VERSION:
        raise DeploymentMismatch(f"manifest version {data.get('manifestVersion')} is not supported")
    if data["chainId"] != chain.chain_id:
        raise DeploymentMismatch(
            f"manifest is for chain {data['chainId']}, but {chain.url} is chain {chain.chain_id}"
        )
    system = {key: c["address"] for key, c in data["contracts"].items()}
    missing = sorted({p.key for p in SUITE} - system.keys())
    if missing:
        raise DeploymentMismatch(f"manifest lacks {', '.join(missing)}")
    addresses = dict(system) | {f"asset {s}": a["address"] for s, a in data["assets"].items()}
    for what, address in addresses.items():
        if len(chain.w3.eth.get_code(address)) == 0:
            raise DeploymentMismatch(f"{what}: no contract at {address} on chain {chain.chain_id}")
    assets = {}
    for symbol, a in data["assets"].items():
        assets[symbol] = Asset(
            to_checksum_address(a["address"]), AssetSpec.from_manifest(symbol, a)
        )
        on_chain = chain.contract(TokenClient.artifact, a["address"]).functions.symbol().call()
        if on_chain != symbol:
            raise DeploymentMismatch(
                f"asset {symbol}: the contract at {a['address']} is {on_chain}"
            )
    deployment = Deployment(
        chain=chain,
        parts={},
        assets=assets,
        deploy_block=data["deployBlock"],
        operator=data["operator"],
    )
    deployment.parts = {
        p.key: p.client(deployment, chain.contract(p.artifact, system[p.key]), p.label)
        for p in SUITE
    }
    return deployment
