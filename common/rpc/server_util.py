"""Getting the node's components inside an RPC method (src/rpc/server_util.h/.cpp).

Upstream passes a ``NodeContext*`` in ``JSONRPCRequest::context`` (a std::any). Here the
context is any object shaped like :class:`NodeContextLike`; common/ never imports the node
variants, so the variants' own NodeContext classes satisfy the protocol structurally. A member
the context lacks, or holds as None, is upstream's null pointer: the Ensure* functions raise the
same JSONRPCError.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from .protocol import (
    RPC_CLIENT_MEMPOOL_DISABLED,
    RPC_CLIENT_P2P_DISABLED,
    RPC_DATABASE_ERROR,
    RPC_INTERNAL_ERROR,
    JSONRPCError,
)

if TYPE_CHECKING:
    from ..addrman import AddrMan
    from ..args import ArgsManager
    from ..banman import BanMan


class NodeContextLike(Protocol):
    """The node context as RPC methods see it: the chain and mempool (common/chain.py's
    ChainstateManager and CTxMemPool). These members are optional and read with getattr:
    ``args`` (ArgsManager), ``shutdown_request`` (a callable returning bool, for ``stop``),
    ``connman``, ``peerman``, ``banman``, ``addrman``."""

    @property
    def chainman(self) -> Any: ...

    @property
    def mempool(self) -> Any: ...


def EnsureAnyNodeContext(context: object) -> NodeContextLike:
    if context is None:
        raise JSONRPCError(RPC_INTERNAL_ERROR, "Node context not found")
    return context  # type: ignore[return-value]


def _member(node: object, name: str) -> Any:
    return getattr(node, name, None)


def EnsureMemPool(node: object) -> Any:
    mempool = _member(node, "mempool")
    if mempool is None:
        raise JSONRPCError(RPC_CLIENT_MEMPOOL_DISABLED, "Mempool disabled or instance not found")
    return mempool


def EnsureAnyMemPool(context: object) -> Any:
    return EnsureMemPool(EnsureAnyNodeContext(context))


def EnsureBanman(node: object) -> BanMan:
    banman = _member(node, "banman")
    if banman is None:
        raise JSONRPCError(RPC_DATABASE_ERROR, "Error: Ban database not loaded")
    return banman  # type: ignore[no-any-return]


def EnsureAnyBanman(context: object) -> BanMan:
    return EnsureBanman(EnsureAnyNodeContext(context))


def EnsureArgsman(node: object) -> ArgsManager:
    args = _member(node, "args")
    if args is None:
        raise JSONRPCError(RPC_INTERNAL_ERROR, "Node args not found")
    return args  # type: ignore[no-any-return]


def EnsureAnyArgsman(context: object) -> ArgsManager:
    return EnsureArgsman(EnsureAnyNodeContext(context))


def EnsureChainman(node: object) -> Any:
    chainman = _member(node, "chainman")
    if chainman is None:
        raise JSONRPCError(RPC_INTERNAL_ERROR, "Node chainman not found")
    return chainman


def EnsureAnyChainman(context: object) -> Any:
    return EnsureChainman(EnsureAnyNodeContext(context))


def EnsureConnman(node: object) -> Any:
    connman = _member(node, "connman")
    if connman is None:
        raise JSONRPCError(
            RPC_CLIENT_P2P_DISABLED, "Error: Peer-to-peer functionality missing or disabled"
        )
    return connman


def EnsurePeerman(node: object) -> Any:
    peerman = _member(node, "peerman")
    if peerman is None:
        raise JSONRPCError(
            RPC_CLIENT_P2P_DISABLED, "Error: Peer-to-peer functionality missing or disabled"
        )
    return peerman


def EnsureAddrman(node: object) -> AddrMan:
    addrman = _member(node, "addrman")
    if addrman is None:
        raise JSONRPCError(
            RPC_CLIENT_P2P_DISABLED, "Error: Address manager functionality missing or disabled"
        )
    return addrman  # type: ignore[no-any-return]


def EnsureAnyAddrman(context: object) -> AddrMan:
    return EnsureAddrman(EnsureAnyNodeContext(context))


def EnsureShutdownRequest(node: object) -> Callable[[], bool] | None:
    """``node.shutdown_request``, None if the context has none."""
    return _member(node, "shutdown_request")  # type: ignore[no-any-return]
