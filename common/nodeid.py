"""The node identifier both layers key their per-connection state by.

Upstream declares ``typedef int64_t NodeId;`` in net.h (and again in node/eviction.h). It lives in
its own module here so that net, net_processing and eviction can all import it without importing
each other.
"""

from __future__ import annotations

from typing import NewType

#: Upstream's ``NodeId`` (``int64_t``): assigned by CConnman, unique for the process lifetime.
NodeId = NewType("NodeId", int)
