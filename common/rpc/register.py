"""Registering the RPC methods (src/rpc/register.h).

The net methods (getpeerinfo, addnode, ...) need the node variant's CConnman and PeerManager,
so each variant registers them itself, next to RegisterAllCoreRPCCommands.
"""

from __future__ import annotations

from .blockchain import RegisterBlockchainRPCCommands
from .mempool import RegisterMempoolRPCCommands
from .mining import RegisterMiningRPCCommands
from .node import RegisterNodeRPCCommands
from .server import CRPCTable

__all__ = [
    "RegisterAllCoreRPCCommands",
    "RegisterBlockchainRPCCommands",
    "RegisterMempoolRPCCommands",
    "RegisterMiningRPCCommands",
    "RegisterNodeRPCCommands",
]


def RegisterAllCoreRPCCommands(t: CRPCTable) -> None:
    """The chain, mempool, mining and node-control methods."""
    RegisterBlockchainRPCCommands(t)
    RegisterMempoolRPCCommands(t)
    RegisterMiningRPCCommands(t)
    RegisterNodeRPCCommands(t)
