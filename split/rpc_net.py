"""Network RPC methods (src/rpc/net.cpp): getpeerinfo, getnetworkinfo, addnode, setban, ...

They read CConnman, PeerManager, BanMan and AddrMan through the node context
(``request.context``), as upstream's do through NodeContext; this module belongs to the node
variant because those classes do. Names, arguments, result fields, error codes and messages
are upstream's. What is not ported has a fixed answer: there are no proxies (every network
reports ``"proxy": ""``), no BIP324 (``session_id`` is ""), and no asmap (``mapped_as`` never
appears).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Final

from common.banman import BanMan
from common.chain import cs_main
from common.clock import GetTime, SystemClock
from common.connection_types import ConnectionType, TransportTypeAsString
from common.connection_types import ConnectionTypeAsString as _ConnectionTypeAsString
from common.core_io import ValueFromAmount
from common.net_permissions import NET_PERMISSIONS_DOC, ConnectionDirection, NetPermissions
from common.netaddress import CNetAddr, CService, CSubNet, Network
from common.netbase import (
    GetNetworkName,
    GetNetworkNames,
    LookupHost,
    LookupSubNet,
    MaybeFlipIPv6toCJDNS,
    ParseNetwork,
    g_reachable_nets,
)
from common.nodeid import NodeId
from common.protocol import (
    NODE_NETWORK,
    NODE_P2P_V2,
    NODE_WITNESS,
    CAddress,
    CMessageHeader,
    ServiceFlags,
    serviceFlagsToStr,
)
from common.rpc.blockchain import CURRENCY_UNIT, GetWarningsForRpc
from common.rpc.protocol import (
    RPC_CLIENT_INVALID_IP_OR_SUBNET,
    RPC_CLIENT_NODE_ALREADY_ADDED,
    RPC_CLIENT_NODE_CAPACITY_REACHED,
    RPC_CLIENT_NODE_NOT_ADDED,
    RPC_CLIENT_NODE_NOT_CONNECTED,
    RPC_INVALID_PARAMETER,
    RPC_INVALID_PARAMS,
    RPC_MISC_ERROR,
    JSONRPCError,
)
from common.rpc.request import JSONRPCRequest
from common.rpc.server import CRPCCommand, CRPCTable, IsDeprecatedRPCEnabled
from common.rpc.server_util import (
    EnsureAnyAddrman,
    EnsureAnyBanman,
    EnsureAnyNodeContext,
    EnsureBanman,
    EnsureConnman,
    EnsurePeerman,
)
from common.rpc.util import (
    CHECK_NONFATAL,
    UNIX_EPOCH_TIME,
    HelpExampleCli,
    HelpExampleRpc,
    RPCArg,
    RPCExamples,
    RPCHelpMan,
    RPCResult,
)
from common.strencodings import TrimString, TryParseHex
from common.univalue import UniValue, get_bool, get_str, getInt, isNull

from . import net
from .init import CLIENT_VERSION
from .interfaces import (
    _MICROSECONDS_MAX,
    PROTOCOL_VERSION,
    CSerializedNetMsg,
)
from .net import (
    MAX_ADDNODE_CONNECTIONS,
    NET_MESSAGE_TYPE_OTHER,
    AddedNodeInfo,
    AddedNodeParams,
    CConnman,
    CNode,
    CNodeStats,
    CountingSemaphoreGrant,
    g_maplocalhost_mutex,
    mapLocalHost,
)
from .net_processing import CNodeStateStats, PeerManager

T = RPCResult.Type

CONNECTION_TYPE_DOC: Final = (
    "outbound-full-relay (default automatic connections)",
    "block-relay-only (does not relay transactions or addresses)",
    "inbound (initiated by the peer)",
    "manual (added via addnode RPC or -addnode/-connect configuration options)",
    "addr-fetch (short-lived automatic connection for soliciting addresses)",
    "feeler (short-lived automatic connection for testing addresses)",
)

TRANSPORT_TYPE_DOC: Final = (
    "detecting (peer could be v1 or v2)",
    "v1 (plaintext transport protocol)",
    "v2 (BIP324 encrypted transport protocol)",
)

_MICROS_PER_SECOND: Final = 1_000_000


def _connman(request: JSONRPCRequest) -> CConnman:
    connman: CConnman = EnsureConnman(EnsureAnyNodeContext(request.context))
    return connman


def _peerman(request: JSONRPCRequest) -> PeerManager:
    peerman: PeerManager = EnsurePeerman(EnsureAnyNodeContext(request.context))
    return peerman


def getconnectioncount() -> RPCHelpMan:
    def impl(self: RPCHelpMan, request: JSONRPCRequest) -> UniValue:
        connman = _connman(request)
        return connman.GetNodeCount(ConnectionDirection.Both)

    return RPCHelpMan(
        "getconnectioncount",
        "Returns the number of connections to other nodes.\n",
        [],
        RPCResult(T.NUM, "", "The connection count"),
        RPCExamples(
            HelpExampleCli("getconnectioncount", "") + HelpExampleRpc("getconnectioncount", "")
        ),
        impl,
    )


def ping() -> RPCHelpMan:
    def impl(self: RPCHelpMan, request: JSONRPCRequest) -> UniValue:
        peerman = _peerman(request)
        # Each peer gets a ping on the next message-handler pass.
        peerman.SendPings()
        return None

    return RPCHelpMan(
        "ping",
        "Requests that a ping be sent to all other nodes, to measure ping time.\n"
        "Results are provided in getpeerinfo.\n"
        "Ping command is handled in queue with all other commands, so it measures processing "
        "backlog, not just network ping.\n",
        [],
        RPCResult(T.NONE, "", ""),
        RPCExamples(HelpExampleCli("ping", "") + HelpExampleRpc("ping", "")),
        impl,
    )


def GetServicesNames(services: int) -> list[str]:
    """The names of the known service bits set in ``services``."""
    return list(serviceFlagsToStr(services))


def _seconds_double(micros: int) -> Decimal:
    """Ticks<SecondsDouble>: microseconds as fractional seconds, printed as UniValue prints a
    double (16 significant digits: 0.000747, not 0.0007470000000000001)."""
    return Decimal(format(micros / _MICROS_PER_SECOND, ".16g"))


def _getpeerinfo_result() -> RPCResult:
    msg_doc_sent = (
        "The total bytes sent aggregated by message type\n"
        "When a message type is not listed in this json object, the bytes sent are 0.\n"
        "Only known message types can appear as keys in the object."
    )
    msg_doc_recv = (
        "The total bytes received aggregated by message type\n"
        "When a message type is not listed in this json object, the bytes received are 0.\n"
        "Only known message types can appear as keys in the object and all bytes received\n"
        f"of unknown message types are listed under '{NET_MESSAGE_TYPE_OTHER}'."
    )
    fields = [
        RPCResult(T.NUM, "id", "Peer index"),
        RPCResult(T.STR, "addr", "(host:port) The IP address and port of the peer"),
        RPCResult(
            T.STR,
            "addrbind",
            "(ip:port) Bind address of the connection to the peer",
            optional=True,
        ),
        RPCResult(
            T.STR, "addrlocal", "(ip:port) Local address as reported by the peer", optional=True
        ),
        RPCResult(
            T.STR,
            "network",
            "Network (" + ", ".join(GetNetworkNames(append_unroutable=True)) + ")",
        ),
        RPCResult(
            T.NUM,
            "mapped_as",
            "Mapped AS (Autonomous System) number at the end of the BGP route to the peer, "
            "used for diversifying\npeer selection (only displayed if the -asmap config option "
            "is set)",
            optional=True,
        ),
        RPCResult(T.STR_HEX, "services", "The services offered"),
        RPCResult(
            T.ARR,
            "servicesnames",
            "the services offered, in human-readable form",
            [RPCResult(T.STR, "SERVICE_NAME", "the service name if it is recognised")],
        ),
        RPCResult(T.BOOL, "relaytxes", "Whether we relay transactions to this peer"),
        RPCResult(T.NUM_TIME, "lastsend", "The " + UNIX_EPOCH_TIME + " of the last send"),
        RPCResult(T.NUM_TIME, "lastrecv", "The " + UNIX_EPOCH_TIME + " of the last receive"),
        RPCResult(
            T.NUM_TIME,
            "last_transaction",
            "The " + UNIX_EPOCH_TIME + " of the last valid transaction received from this peer",
        ),
        RPCResult(
            T.NUM_TIME,
            "last_block",
            "The " + UNIX_EPOCH_TIME + " of the last block received from this peer",
        ),
        RPCResult(T.NUM, "bytessent", "The total bytes sent"),
        RPCResult(T.NUM, "bytesrecv", "The total bytes received"),
        RPCResult(T.NUM_TIME, "conntime", "The " + UNIX_EPOCH_TIME + " of the connection"),
        RPCResult(T.NUM, "timeoffset", "The time offset in seconds"),
        RPCResult(T.NUM, "pingtime", "The last ping time in seconds, if any", optional=True),
        RPCResult(
            T.NUM, "minping", "The minimum observed ping time in seconds, if any", optional=True
        ),
        RPCResult(
            T.NUM,
            "pingwait",
            "The duration in seconds of an outstanding ping (if non-zero)",
            optional=True,
        ),
        RPCResult(T.NUM, "version", "The peer version, such as 70001"),
        RPCResult(T.STR, "subver", "The string version"),
        RPCResult(T.BOOL, "inbound", "Inbound (true) or Outbound (false)"),
        RPCResult(
            T.BOOL,
            "bip152_hb_to",
            "Whether we selected peer as (compact blocks) high-bandwidth peer",
        ),
        RPCResult(
            T.BOOL,
            "bip152_hb_from",
            "Whether peer selected us as (compact blocks) high-bandwidth peer",
        ),
        RPCResult(T.NUM, "startingheight", "The starting height (block) of the peer"),
        RPCResult(
            T.NUM,
            "presynced_headers",
            "The current height of header pre-synchronization with this peer, or -1 if no "
            "low-work sync is in progress",
        ),
        RPCResult(T.NUM, "synced_headers", "The last header we have in common with this peer"),
        RPCResult(T.NUM, "synced_blocks", "The last block we have in common with this peer"),
        RPCResult(
            T.ARR,
            "inflight",
            "",
            [RPCResult(T.NUM, "n", "The heights of blocks we're currently asking from this peer")],
        ),
        RPCResult(
            T.BOOL,
            "addr_relay_enabled",
            "Whether we participate in address relay with this peer",
        ),
        RPCResult(
            T.NUM,
            "addr_processed",
            "The total number of addresses processed, excluding those dropped due to rate limiting",
        ),
        RPCResult(
            T.NUM,
            "addr_rate_limited",
            "The total number of addresses dropped due to rate limiting",
        ),
        RPCResult(
            T.ARR,
            "permissions",
            "Any special permissions that have been granted to this peer",
            [RPCResult(T.STR, "permission_type", ",\n".join(NET_PERMISSIONS_DOC) + ".\n")],
        ),
        RPCResult(T.NUM, "minfeefilter", "The minimum fee rate for transactions this peer accepts"),
        RPCResult(T.OBJ_DYN, "bytessent_per_msg", "", [RPCResult(T.NUM, "msg", msg_doc_sent)]),
        RPCResult(T.OBJ_DYN, "bytesrecv_per_msg", "", [RPCResult(T.NUM, "msg", msg_doc_recv)]),
        RPCResult(
            T.STR,
            "connection_type",
            "Type of connection: \n"
            + ",\n".join(CONNECTION_TYPE_DOC)
            + ".\nPlease note this output is unlikely to be stable in upcoming releases as we "
            "iterate to\nbest capture connection behaviors.",
        ),
        RPCResult(
            T.STR,
            "transport_protocol_type",
            "Type of transport protocol: \n" + ",\n".join(TRANSPORT_TYPE_DOC) + ".\n",
        ),
        RPCResult(
            T.STR,
            "session_id",
            'The session ID for this connection, or "" if there is none ("v2" transport '
            "protocol only).\n",
        ),
    ]
    return RPCResult(T.ARR, "", "", [RPCResult(T.OBJ, "", "", fields)])


def getpeerinfo() -> RPCHelpMan:
    def impl(self: RPCHelpMan, request: JSONRPCRequest) -> UniValue:
        connman = _connman(request)
        peerman = _peerman(request)

        vstats: list[CNodeStats] = []
        connman.GetNodeStats(vstats)

        ret: list[UniValue] = []
        for stats in vstats:
            statestats = CNodeStateStats()
            # A peer that disconnected between the two calls has no state any more; it is
            # left out.
            if not peerman.GetNodeStateStats(stats.nodeid, statestats):
                continue
            obj: dict[str, Any] = {}
            obj["id"] = stats.nodeid
            obj["addr"] = stats.m_addr_name
            if stats.addrBind.IsValid():
                obj["addrbind"] = stats.addrBind.ToStringAddrPort()
            if statestats.addrLocal:
                obj["addrlocal"] = statestats.addrLocal
            obj["network"] = GetNetworkName(stats.m_network)
            if stats.m_mapped_as != 0:
                obj["mapped_as"] = stats.m_mapped_as
            services = statestats.their_services
            obj["services"] = f"{int(services):016x}"
            obj["servicesnames"] = GetServicesNames(services)
            obj["relaytxes"] = statestats.m_relay_txs
            obj["lastsend"] = stats.m_last_send
            obj["lastrecv"] = stats.m_last_recv
            obj["last_transaction"] = statestats.m_last_tx_time
            obj["last_block"] = statestats.m_last_block_time
            obj["bytessent"] = stats.nSendBytes
            obj["bytesrecv"] = stats.nRecvBytes
            obj["conntime"] = stats.m_connected
            obj["timeoffset"] = statestats.time_offset
            if statestats.m_last_ping_time > 0:
                obj["pingtime"] = _seconds_double(statestats.m_last_ping_time)
            if statestats.m_min_ping_time < _MICROSECONDS_MAX:
                obj["minping"] = _seconds_double(statestats.m_min_ping_time)
            if statestats.m_ping_wait > 0:
                obj["pingwait"] = _seconds_double(statestats.m_ping_wait)
            obj["version"] = statestats.nVersion
            # The sanitized subversion, so a peer cannot put control characters into the JSON.
            obj["subver"] = statestats.cleanSubVer
            obj["inbound"] = stats.fInbound
            obj["bip152_hb_to"] = statestats.m_bip152_highbandwidth_to
            obj["bip152_hb_from"] = statestats.m_bip152_highbandwidth_from
            obj["startingheight"] = statestats.m_starting_height
            obj["presynced_headers"] = statestats.presync_height
            obj["synced_headers"] = statestats.nSyncHeight
            obj["synced_blocks"] = statestats.nCommonHeight
            obj["inflight"] = list(statestats.vHeightInFlight)
            obj["addr_relay_enabled"] = statestats.m_addr_relay_enabled
            obj["addr_processed"] = statestats.m_addr_processed
            obj["addr_rate_limited"] = statestats.m_addr_rate_limited
            obj["permissions"] = NetPermissions.ToStrings(stats.m_permission_flags)
            obj["minfeefilter"] = ValueFromAmount(statestats.m_fee_filter_received)
            obj["bytessent_per_msg"] = {
                k: v for k, v in sorted(stats.mapSendBytesPerMsgType.items()) if v > 0
            }
            obj["bytesrecv_per_msg"] = {
                k: v for k, v in sorted(stats.mapRecvBytesPerMsgType.items()) if v > 0
            }
            obj["connection_type"] = _ConnectionTypeAsString(stats.m_conn_type)
            obj["transport_protocol_type"] = TransportTypeAsString(stats.m_transport_type)
            obj["session_id"] = stats.m_session_id
            ret.append(obj)
        return ret

    return RPCHelpMan(
        "getpeerinfo",
        "Returns data about each connected network peer as a json array of objects.",
        [],
        _getpeerinfo_result(),
        RPCExamples(HelpExampleCli("getpeerinfo", "") + HelpExampleRpc("getpeerinfo", "")),
        impl,
    )


def addnode() -> RPCHelpMan:
    def impl(self: RPCHelpMan, request: JSONRPCRequest) -> UniValue:
        command = self.Arg("command", str)
        if command not in ("onetry", "add", "remove"):
            raise RuntimeError(self.ToString())

        connman = _connman(request)

        node_arg = self.Arg("node", str)
        node_v2transport = bool(connman.GetLocalServices() & NODE_P2P_V2)
        v2_arg = self.MaybeArg("v2transport", bool)
        use_v2transport = node_v2transport if v2_arg is None else v2_arg

        if use_v2transport and not node_v2transport:
            raise JSONRPCError(
                RPC_INVALID_PARAMETER,
                "Error: v2transport requested but not enabled (see -v2transport)",
            )

        if command == "onetry":
            addr = CAddress()
            connman.OpenNetworkConnection(
                addr,
                False,
                CountingSemaphoreGrant(),
                node_arg,
                ConnectionType.MANUAL,
                use_v2transport,
            )
            return None

        if command == "add":
            if not connman.AddNode(AddedNodeParams(node_arg, use_v2transport)):
                raise JSONRPCError(RPC_CLIENT_NODE_ALREADY_ADDED, "Error: Node already added")
        elif command == "remove" and not connman.RemoveAddedNode(node_arg):
            raise JSONRPCError(
                RPC_CLIENT_NODE_NOT_ADDED,
                "Error: Node could not be removed. It has not been added previously.",
            )
        return None

    return RPCHelpMan(
        "addnode",
        "Attempts to add or remove a node from the addnode list.\n"
        "Or try a connection to a node once.\n"
        "Nodes added using addnode (or -connect) are protected from DoS disconnection and are "
        "not required to be\n"
        "full nodes/support SegWit as other outbound peers are (though such peers will not be "
        "synced from).\n"
        f"Addnode connections are limited to {MAX_ADDNODE_CONNECTIONS} at a time"
        " and are counted separately from the -maxconnections limit.\n",
        [
            RPCArg(
                "node", RPCArg.Type.STR, RPCArg.Optional.NO, "The address of the peer to connect to"
            ),
            RPCArg(
                "command",
                RPCArg.Type.STR,
                RPCArg.Optional.NO,
                "'add' to add a node to the list, 'remove' to remove a node from the list, "
                "'onetry' to try a connection to the node once",
            ),
            RPCArg(
                "v2transport",
                RPCArg.Type.BOOL,
                RPCArg.DefaultHint("set by -v2transport"),
                "Attempt to connect using BIP324 v2 transport protocol (ignored for 'remove' "
                "command)",
            ),
        ],
        RPCResult(T.NONE, "", ""),
        RPCExamples(
            HelpExampleCli("addnode", '"192.168.0.6:8333" "onetry" true')
            + HelpExampleRpc("addnode", '"192.168.0.6:8333", "onetry" true')
        ),
        impl,
    )


_CONNECTION_TYPES_BY_NAME: Final = {
    "outbound-full-relay": ConnectionType.OUTBOUND_FULL_RELAY,
    "block-relay-only": ConnectionType.BLOCK_RELAY,
    "addr-fetch": ConnectionType.ADDR_FETCH,
    "feeler": ConnectionType.FEELER,
}


def addconnection() -> RPCHelpMan:
    def impl(self: RPCHelpMan, request: JSONRPCRequest) -> UniValue:
        address = get_str(request.params[0])
        conn_type_in = TrimString(get_str(request.params[1]))
        conn_type = _CONNECTION_TYPES_BY_NAME.get(conn_type_in)
        if conn_type is None:
            raise JSONRPCError(RPC_INVALID_PARAMETER, self.ToString())
        use_v2transport = self.Arg("v2transport", bool)

        connman = _connman(request)

        if use_v2transport and not connman.GetLocalServices() & NODE_P2P_V2:
            raise JSONRPCError(
                RPC_INVALID_PARAMETER,
                "Error: Adding v2transport connections requires -v2transport init flag to be set.",
            )
        if not connman.AddConnection(address, conn_type, use_v2transport):
            raise JSONRPCError(
                RPC_CLIENT_NODE_CAPACITY_REACHED,
                "Error: Already at capacity for specified connection type.",
            )
        return {"address": address, "connection_type": conn_type_in}

    return RPCHelpMan(
        "addconnection",
        "Open an outbound connection to a specified node. This RPC is for testing only.\n",
        [
            RPCArg(
                "address",
                RPCArg.Type.STR,
                RPCArg.Optional.NO,
                "The IP address and port to attempt connecting to.",
            ),
            RPCArg(
                "connection_type",
                RPCArg.Type.STR,
                RPCArg.Optional.NO,
                'Type of connection to open ("outbound-full-relay", "block-relay-only", '
                '"addr-fetch" or "feeler").',
            ),
            RPCArg(
                "v2transport",
                RPCArg.Type.BOOL,
                RPCArg.Optional.NO,
                "Attempt to connect using BIP324 v2 transport protocol",
            ),
        ],
        RPCResult(
            T.OBJ,
            "",
            "",
            [
                RPCResult(T.STR, "address", "Address of newly added connection."),
                RPCResult(T.STR, "connection_type", "Type of connection opened."),
            ],
        ),
        RPCExamples(
            HelpExampleCli("addconnection", '"192.168.0.6:8333" "outbound-full-relay" true')
            + HelpExampleRpc("addconnection", '"192.168.0.6:8333" "outbound-full-relay" true')
        ),
        impl,
    )


def disconnectnode() -> RPCHelpMan:
    def impl(self: RPCHelpMan, request: JSONRPCRequest) -> UniValue:
        connman = _connman(request)
        params = request.params
        address_arg = params[0] if len(params) > 0 else None
        id_arg = params[1] if len(params) > 1 else None

        if not isNull(address_arg) and isNull(id_arg):
            success = connman.DisconnectNode(get_str(address_arg))
        elif not isNull(id_arg) and (
            isNull(address_arg) or (isinstance(address_arg, str) and address_arg == "")
        ):
            nodeid = getInt(id_arg, 64)
            success = connman.DisconnectNode(NodeId(nodeid))
        else:
            raise JSONRPCError(
                RPC_INVALID_PARAMS, "Only one of address and nodeid should be provided."
            )

        if not success:
            raise JSONRPCError(RPC_CLIENT_NODE_NOT_CONNECTED, "Node not found in connected nodes")
        return None

    return RPCHelpMan(
        "disconnectnode",
        "Immediately disconnects from the specified peer node.\n"
        "\nStrictly one out of 'address' and 'nodeid' can be provided to identify the node.\n"
        "\nTo disconnect by nodeid, either set 'address' to the empty string, or call using the "
        "named 'nodeid' argument only.\n",
        [
            RPCArg(
                "address",
                RPCArg.Type.STR,
                RPCArg.DefaultHint("fallback to nodeid"),
                "The IP address/port of the node",
            ),
            RPCArg(
                "nodeid",
                RPCArg.Type.NUM,
                RPCArg.DefaultHint("fallback to address"),
                "The node ID (see getpeerinfo for node IDs)",
            ),
        ],
        RPCResult(T.NONE, "", ""),
        RPCExamples(
            HelpExampleCli("disconnectnode", '"192.168.0.6:8333"')
            + HelpExampleCli("disconnectnode", '"" 1')
            + HelpExampleRpc("disconnectnode", '"192.168.0.6:8333"')
            + HelpExampleRpc("disconnectnode", '"", 1')
        ),
        impl,
    )


def getaddednodeinfo() -> RPCHelpMan:
    def impl(self: RPCHelpMan, request: JSONRPCRequest) -> UniValue:
        connman = _connman(request)
        vInfo: list[AddedNodeInfo] = connman.GetAddedNodeInfo(True)

        if len(request.params) > 0 and not isNull(request.params[0]):
            wanted = get_str(request.params[0])
            matching = [info for info in vInfo if info.m_params.m_added_node == wanted]
            if not matching:
                raise JSONRPCError(RPC_CLIENT_NODE_NOT_ADDED, "Error: Node has not been added.")
            vInfo = matching[:1]

        ret: list[UniValue] = []
        for info in vInfo:
            addresses: list[UniValue] = []
            if info.fConnected:
                addresses.append(
                    {
                        "address": info.resolvedAddress.ToStringAddrPort(),
                        "connected": "inbound" if info.fInbound else "outbound",
                    }
                )
            ret.append(
                {
                    "addednode": info.m_params.m_added_node,
                    "connected": info.fConnected,
                    "addresses": addresses,
                }
            )
        return ret

    return RPCHelpMan(
        "getaddednodeinfo",
        "Returns information about the given added node, or all added nodes\n"
        "(note that onetry addnodes are not listed here)\n",
        [
            RPCArg(
                "node",
                RPCArg.Type.STR,
                RPCArg.DefaultHint("all nodes"),
                "If provided, return information about this specific node, otherwise all nodes "
                "are returned.",
            ),
        ],
        RPCResult(
            T.ARR,
            "",
            "",
            [
                RPCResult(
                    T.OBJ,
                    "",
                    "",
                    [
                        RPCResult(
                            T.STR,
                            "addednode",
                            "The node IP address or name (as provided to addnode)",
                        ),
                        RPCResult(T.BOOL, "connected", "If connected"),
                        RPCResult(
                            T.ARR,
                            "addresses",
                            "Only when connected = true",
                            [
                                RPCResult(
                                    T.OBJ,
                                    "",
                                    "",
                                    [
                                        RPCResult(
                                            T.STR,
                                            "address",
                                            "The bitcoin server IP and port we're connected to",
                                        ),
                                        RPCResult(
                                            T.STR,
                                            "connected",
                                            "connection, inbound or outbound",
                                        ),
                                    ],
                                ),
                            ],
                        ),
                    ],
                ),
            ],
        ),
        RPCExamples(
            HelpExampleCli("getaddednodeinfo", '"192.168.0.201"')
            + HelpExampleRpc("getaddednodeinfo", '"192.168.0.201"')
        ),
        impl,
    )


def getnettotals() -> RPCHelpMan:
    def impl(self: RPCHelpMan, request: JSONRPCRequest) -> UniValue:
        connman = _connman(request)
        return {
            "totalbytesrecv": connman.GetTotalBytesRecv(),
            "totalbytessent": connman.GetTotalBytesSent(),
            "timemillis": SystemClock.now() // 1000,
            "uploadtarget": {
                "timeframe": connman.GetMaxOutboundTimeframe(),
                "target": connman.GetMaxOutboundTarget(),
                "target_reached": connman.OutboundTargetReached(False),
                "serve_historical_blocks": not connman.OutboundTargetReached(True),
                "bytes_left_in_cycle": connman.GetOutboundTargetBytesLeft(),
                "time_left_in_cycle": connman.GetMaxOutboundTimeLeftInCycle(),
            },
        }

    return RPCHelpMan(
        "getnettotals",
        "Returns information about network traffic, including bytes in, bytes out,\n"
        "and current system time.",
        [],
        RPCResult(
            T.OBJ,
            "",
            "",
            [
                RPCResult(T.NUM, "totalbytesrecv", "Total bytes received"),
                RPCResult(T.NUM, "totalbytessent", "Total bytes sent"),
                RPCResult(
                    T.NUM_TIME,
                    "timemillis",
                    "Current system " + UNIX_EPOCH_TIME + " in milliseconds",
                ),
                RPCResult(
                    T.OBJ,
                    "uploadtarget",
                    "",
                    [
                        RPCResult(
                            T.NUM, "timeframe", "Length of the measuring timeframe in seconds"
                        ),
                        RPCResult(T.NUM, "target", "Target in bytes"),
                        RPCResult(T.BOOL, "target_reached", "True if target is reached"),
                        RPCResult(
                            T.BOOL, "serve_historical_blocks", "True if serving historical blocks"
                        ),
                        RPCResult(T.NUM, "bytes_left_in_cycle", "Bytes left in current time cycle"),
                        RPCResult(
                            T.NUM, "time_left_in_cycle", "Seconds left in current time cycle"
                        ),
                    ],
                ),
            ],
        ),
        RPCExamples(HelpExampleCli("getnettotals", "") + HelpExampleRpc("getnettotals", "")),
        impl,
    )


def GetNetworksInfo() -> list[UniValue]:
    """One entry per network a node can use; no proxies are supported, so none is set."""
    networks: list[UniValue] = []
    for n in range(int(Network.NET_MAX)):
        network = Network(n)
        if network in (Network.NET_UNROUTABLE, Network.NET_INTERNAL):
            continue
        networks.append(
            {
                "name": GetNetworkName(network),
                "limited": not g_reachable_nets.Contains(network),
                "reachable": g_reachable_nets.Contains(network),
                "proxy": "",
                "proxy_randomize_credentials": False,
            }
        )
    return networks


def getnetworkinfo() -> RPCHelpMan:
    def impl(self: RPCHelpMan, request: JSONRPCRequest) -> UniValue:
        with cs_main:
            obj: dict[str, Any] = {}
            obj["version"] = CLIENT_VERSION
            obj["subversion"] = net.strSubVersion
            obj["protocolversion"] = PROTOCOL_VERSION
            node = EnsureAnyNodeContext(request.context)
            connman: CConnman | None = getattr(node, "connman", None)
            peerman: PeerManager | None = getattr(node, "peerman", None)
            if connman is not None:
                services = connman.GetLocalServices()
                obj["localservices"] = f"{int(services):016x}"
                obj["localservicesnames"] = GetServicesNames(services)
            if peerman is not None:
                peerman_info = peerman.GetInfo()
                obj["localrelay"] = not peerman_info.ignores_incoming_txs
                obj["timeoffset"] = peerman_info.median_outbound_time_offset
            if connman is not None:
                obj["networkactive"] = connman.GetNetworkActive()
                obj["connections"] = connman.GetNodeCount(ConnectionDirection.Both)
                obj["connections_in"] = connman.GetNodeCount(ConnectionDirection.In)
                obj["connections_out"] = connman.GetNodeCount(ConnectionDirection.Out)
            obj["networks"] = GetNetworksInfo()
            mempool = getattr(node, "mempool", None)
            if mempool is not None:
                # Can be deprecated in favour of getmempoolinfo's fields.
                obj["relayfee"] = ValueFromAmount(mempool.m_opts.min_relay_feerate.GetFeePerK())
                obj["incrementalfee"] = ValueFromAmount(
                    mempool.m_opts.incremental_relay_feerate.GetFeePerK()
                )
            localAddresses: list[UniValue] = []
            with g_maplocalhost_mutex:
                for addr, info in sorted(mapLocalHost.items()):
                    localAddresses.append(
                        {"address": addr.ToStringAddr(), "port": info.nPort, "score": info.nScore}
                    )
            obj["localaddresses"] = localAddresses
            warnings = getattr(node, "warnings", None)
            CHECK_NONFATAL(warnings is not None, "node.warnings")
            obj["warnings"] = GetWarningsForRpc(node, IsDeprecatedRPCEnabled("warnings"))
            return obj

    warnings_result = (
        RPCResult(T.STR, "warnings", "any network and blockchain warnings (DEPRECATED)")
        if IsDeprecatedRPCEnabled("warnings")
        else RPCResult(
            T.ARR,
            "warnings",
            "any network and blockchain warnings (run with `-deprecatedrpc=warnings` to return "
            "the latest warning as a single string)",
            [RPCResult(T.STR, "", "warning")],
        )
    )
    return RPCHelpMan(
        "getnetworkinfo",
        "Returns an object containing various state info regarding P2P networking.\n",
        [],
        RPCResult(
            T.OBJ,
            "",
            "",
            [
                RPCResult(T.NUM, "version", "the server version"),
                RPCResult(T.STR, "subversion", "the server subversion string"),
                RPCResult(T.NUM, "protocolversion", "the protocol version"),
                RPCResult(T.STR_HEX, "localservices", "the services we offer to the network"),
                RPCResult(
                    T.ARR,
                    "localservicesnames",
                    "the services we offer to the network, in human-readable form",
                    [RPCResult(T.STR, "SERVICE_NAME", "the service name")],
                ),
                RPCResult(
                    T.BOOL, "localrelay", "true if transaction relay is requested from peers"
                ),
                RPCResult(T.NUM, "timeoffset", "the time offset"),
                RPCResult(T.NUM, "connections", "the total number of connections"),
                RPCResult(T.NUM, "connections_in", "the number of inbound connections"),
                RPCResult(T.NUM, "connections_out", "the number of outbound connections"),
                RPCResult(T.BOOL, "networkactive", "whether p2p networking is enabled"),
                RPCResult(
                    T.ARR,
                    "networks",
                    "information per network",
                    [
                        RPCResult(
                            T.OBJ,
                            "",
                            "",
                            [
                                RPCResult(
                                    T.STR,
                                    "name",
                                    "network (" + ", ".join(GetNetworkNames()) + ")",
                                ),
                                RPCResult(
                                    T.BOOL, "limited", "is the network limited using -onlynet?"
                                ),
                                RPCResult(T.BOOL, "reachable", "is the network reachable?"),
                                RPCResult(
                                    T.STR,
                                    "proxy",
                                    '("host:port") the proxy that is used for this network, or '
                                    "empty if none",
                                ),
                                RPCResult(
                                    T.BOOL,
                                    "proxy_randomize_credentials",
                                    "Whether randomized credentials are used",
                                ),
                            ],
                        ),
                    ],
                ),
                RPCResult(
                    T.NUM,
                    "relayfee",
                    "minimum relay fee rate for transactions in " + CURRENCY_UNIT + "/kvB",
                ),
                RPCResult(
                    T.NUM,
                    "incrementalfee",
                    "minimum fee rate increment for mempool limiting or replacement in "
                    + CURRENCY_UNIT
                    + "/kvB",
                ),
                RPCResult(
                    T.ARR,
                    "localaddresses",
                    "list of local addresses",
                    [
                        RPCResult(
                            T.OBJ,
                            "",
                            "",
                            [
                                RPCResult(T.STR, "address", "network address"),
                                RPCResult(T.NUM, "port", "network port"),
                                RPCResult(T.NUM, "score", "relative score"),
                            ],
                        ),
                    ],
                ),
                warnings_result,
            ],
        ),
        RPCExamples(HelpExampleCli("getnetworkinfo", "") + HelpExampleRpc("getnetworkinfo", "")),
        impl,
    )


def setban() -> RPCHelpMan:
    def impl(self: RPCHelpMan, request: JSONRPCRequest) -> UniValue:
        params = request.params
        strCommand = ""
        if len(params) > 1 and not isNull(params[1]):
            strCommand = get_str(params[1])
        if strCommand not in ("add", "remove"):
            raise RuntimeError(self.ToString())
        node = EnsureAnyNodeContext(request.context)
        banman: BanMan = EnsureBanman(node)

        subNet = CSubNet()
        netAddr = CNetAddr()
        target = get_str(params[0])
        isSubnet = "/" in target

        if not isSubnet:
            addr = LookupHost(target, False)
            if addr is not None:
                flipped = MaybeFlipIPv6toCJDNS(CService(addr, 0))
                netAddr = CNetAddr(flipped)
        else:
            subNet = LookupSubNet(target)

        if not (subNet.IsValid() if isSubnet else netAddr.IsValid()):
            raise JSONRPCError(RPC_CLIENT_INVALID_IP_OR_SUBNET, "Error: Invalid IP/Subnet")

        connman: CConnman | None = getattr(node, "connman", None)
        if strCommand == "add":
            if banman.IsBanned(subNet if isSubnet else netAddr):
                raise JSONRPCError(RPC_CLIENT_NODE_ALREADY_ADDED, "Error: IP/Subnet already banned")

            banTime = 0  # the default ban time unless given
            if len(params) > 2 and not isNull(params[2]):
                banTime = getInt(params[2], 64)
            absolute = False if len(params) < 4 or isNull(params[3]) else get_bool(params[3])

            if absolute and banTime < GetTime():
                raise JSONRPCError(
                    RPC_INVALID_PARAMETER, "Error: Absolute timestamp is in the past"
                )

            if isSubnet:
                banman.Ban(subNet, banTime, absolute)
                if connman is not None:
                    connman.DisconnectNode(subNet)
            else:
                banman.Ban(netAddr, banTime, absolute)
                if connman is not None:
                    connman.DisconnectNode(netAddr)
        elif strCommand == "remove" and not banman.Unban(subNet if isSubnet else netAddr):
            raise JSONRPCError(
                RPC_CLIENT_INVALID_IP_OR_SUBNET,
                "Error: Unban failed. Requested address/subnet was not previously manually banned.",
            )
        return None

    return RPCHelpMan(
        "setban",
        "Attempts to add or remove an IP/Subnet from the banned list.\n",
        [
            RPCArg(
                "subnet",
                RPCArg.Type.STR,
                RPCArg.Optional.NO,
                "The IP/Subnet (see getpeerinfo for nodes IP) with an optional netmask (default is "
                "/32 = single IP)",
            ),
            RPCArg(
                "command",
                RPCArg.Type.STR,
                RPCArg.Optional.NO,
                "'add' to add an IP/Subnet to the list, 'remove' to remove an IP/Subnet from the "
                "list",
            ),
            RPCArg(
                "bantime",
                RPCArg.Type.NUM,
                RPCArg.Default(0),
                "time in seconds how long (or until when if [absolute] is set) the IP is banned "
                "(0 or empty means using the default time of 24h which can also be overwritten "
                "by the -bantime startup argument)",
            ),
            RPCArg(
                "absolute",
                RPCArg.Type.BOOL,
                RPCArg.Default(False),
                "If set, the bantime must be an absolute timestamp expressed in " + UNIX_EPOCH_TIME,
            ),
        ],
        RPCResult(T.NONE, "", ""),
        RPCExamples(
            HelpExampleCli("setban", '"192.168.0.6" "add" 86400')
            + HelpExampleCli("setban", '"192.168.0.0/24" "add"')
            + HelpExampleRpc("setban", '"192.168.0.6", "add", 86400')
        ),
        impl,
    )


def listbanned() -> RPCHelpMan:
    def impl(self: RPCHelpMan, request: JSONRPCRequest) -> UniValue:
        banman = EnsureAnyBanman(request.context)
        banMap = banman.GetBanned()
        current_time = GetTime()
        bannedAddresses: list[UniValue] = []
        for subnet, banEntry in banMap.items():
            bannedAddresses.append(
                {
                    "address": subnet.ToString(),
                    "ban_created": banEntry.nCreateTime,
                    "banned_until": banEntry.nBanUntil,
                    "ban_duration": banEntry.nBanUntil - banEntry.nCreateTime,
                    "time_remaining": banEntry.nBanUntil - current_time,
                }
            )
        return bannedAddresses

    return RPCHelpMan(
        "listbanned",
        "List all manually banned IPs/Subnets.\n",
        [],
        RPCResult(
            T.ARR,
            "",
            "",
            [
                RPCResult(
                    T.OBJ,
                    "",
                    "",
                    [
                        RPCResult(T.STR, "address", "The IP/Subnet of the banned node"),
                        RPCResult(
                            T.NUM_TIME,
                            "ban_created",
                            "The " + UNIX_EPOCH_TIME + " the ban was created",
                        ),
                        RPCResult(
                            T.NUM_TIME,
                            "banned_until",
                            "The " + UNIX_EPOCH_TIME + " the ban expires",
                        ),
                        RPCResult(T.NUM_TIME, "ban_duration", "The ban duration, in seconds"),
                        RPCResult(
                            T.NUM_TIME,
                            "time_remaining",
                            "The time remaining until the ban expires, in seconds",
                        ),
                    ],
                ),
            ],
        ),
        RPCExamples(HelpExampleCli("listbanned", "") + HelpExampleRpc("listbanned", "")),
        impl,
    )


def clearbanned() -> RPCHelpMan:
    def impl(self: RPCHelpMan, request: JSONRPCRequest) -> UniValue:
        banman = EnsureAnyBanman(request.context)
        banman.ClearBanned()
        return None

    return RPCHelpMan(
        "clearbanned",
        "Clear all banned IPs.\n",
        [],
        RPCResult(T.NONE, "", ""),
        RPCExamples(HelpExampleCli("clearbanned", "") + HelpExampleRpc("clearbanned", "")),
        impl,
    )


def setnetworkactive() -> RPCHelpMan:
    def impl(self: RPCHelpMan, request: JSONRPCRequest) -> UniValue:
        connman = _connman(request)
        connman.SetNetworkActive(get_bool(request.params[0]))
        return connman.GetNetworkActive()

    return RPCHelpMan(
        "setnetworkactive",
        "Disable/enable all p2p network activity.\n",
        [
            RPCArg(
                "state",
                RPCArg.Type.BOOL,
                RPCArg.Optional.NO,
                "true to enable networking, false to disable",
            ),
        ],
        RPCResult(T.BOOL, "", "The value that was passed in"),
        RPCExamples(""),
        impl,
    )


def getnodeaddresses() -> RPCHelpMan:
    def impl(self: RPCHelpMan, request: JSONRPCRequest) -> UniValue:
        connman = _connman(request)
        params = request.params
        count = 1 if len(params) < 1 or isNull(params[0]) else getInt(params[0])
        if count < 0:
            raise JSONRPCError(RPC_INVALID_PARAMETER, "Address count out of range")

        network: Network | None = None
        if len(params) > 1 and not isNull(params[1]):
            network = ParseNetwork(get_str(params[1]))
            if network == Network.NET_UNROUTABLE:
                raise JSONRPCError(
                    RPC_INVALID_PARAMETER, f"Network not recognized: {get_str(params[1])}"
                )

        # A shuffled selection.
        vAddr = connman.GetAddressesUnsafe(count, 0, network)
        return [
            {
                "time": addr.nTime,
                "services": int(addr.nServices),
                "address": addr.ToStringAddr(),
                "port": addr.GetPort(),
                "network": GetNetworkName(addr.GetNetClass()),
            }
            for addr in vAddr
        ]

    networks = ", ".join(GetNetworkNames())
    return RPCHelpMan(
        "getnodeaddresses",
        "Return known addresses, after filtering for quality and recency.\n"
        "These can potentially be used to find new peers in the network.\n"
        "The total number of addresses known to the node may be higher.",
        [
            RPCArg(
                "count",
                RPCArg.Type.NUM,
                RPCArg.Default(1),
                "The maximum number of addresses to return. Specify 0 to return all known "
                "addresses.",
            ),
            RPCArg(
                "network",
                RPCArg.Type.STR,
                RPCArg.DefaultHint("all networks"),
                f"Return only addresses of the specified network. Can be one of: {networks}.",
            ),
        ],
        RPCResult(
            T.ARR,
            "",
            "",
            [
                RPCResult(
                    T.OBJ,
                    "",
                    "",
                    [
                        RPCResult(
                            T.NUM_TIME,
                            "time",
                            "The " + UNIX_EPOCH_TIME + " when the node was last seen",
                        ),
                        RPCResult(T.NUM, "services", "The services offered by the node"),
                        RPCResult(T.STR, "address", "The address of the node"),
                        RPCResult(T.NUM, "port", "The port number of the node"),
                        RPCResult(
                            T.STR,
                            "network",
                            f"The network ({networks}) the node connected through",
                        ),
                    ],
                ),
            ],
        ),
        RPCExamples(
            HelpExampleCli("getnodeaddresses", "8")
            + HelpExampleCli("getnodeaddresses", '4 "i2p"')
            + HelpExampleCli("-named getnodeaddresses", "network=onion count=12")
            + HelpExampleRpc("getnodeaddresses", "8")
            + HelpExampleRpc("getnodeaddresses", '4, "i2p"')
        ),
        impl,
    )


def addpeeraddress() -> RPCHelpMan:
    def impl(self: RPCHelpMan, request: JSONRPCRequest) -> UniValue:
        addrman = EnsureAnyAddrman(request.context)
        params = request.params
        addr_string = get_str(params[0])
        port = getInt(params[1], 16, False)
        tried = False if len(params) < 3 or isNull(params[2]) else get_bool(params[2])

        obj: dict[str, Any] = {}
        net_addr = LookupHost(addr_string, False)
        success = False
        if net_addr is not None:
            service = CService(net_addr, port)
            address = CAddress(
                MaybeFlipIPv6toCJDNS(service), ServiceFlags(NODE_NETWORK | NODE_WITNESS)
            )
            address.nTime = GetTime()
            # The address is its own source, as when a peer announces itself.
            if addrman.Add([address], address):
                success = True
                if tried and not addrman.Good(address):
                    # Moving it to the tried table failed.
                    success = False
                    obj["error"] = "failed-adding-to-tried"
            else:
                obj["error"] = "failed-adding-to-new"
        obj["success"] = success
        return obj

    return RPCHelpMan(
        "addpeeraddress",
        "Add the address of a potential peer to an address manager table. This RPC is for "
        "testing only.",
        [
            RPCArg("address", RPCArg.Type.STR, RPCArg.Optional.NO, "The IP address of the peer"),
            RPCArg("port", RPCArg.Type.NUM, RPCArg.Optional.NO, "The port of the peer"),
            RPCArg(
                "tried",
                RPCArg.Type.BOOL,
                RPCArg.Default(False),
                "If true, attempt to add the peer to the tried addresses table",
            ),
        ],
        RPCResult(
            T.OBJ,
            "",
            "",
            [
                RPCResult(
                    T.BOOL,
                    "success",
                    "whether the peer address was successfully added to the address manager table",
                ),
                RPCResult(
                    T.STR,
                    "error",
                    "error description, if the address could not be added",
                    optional=True,
                ),
            ],
        ),
        RPCExamples(
            HelpExampleCli("addpeeraddress", '"1.2.3.4" 8333 true')
            + HelpExampleRpc("addpeeraddress", '"1.2.3.4", 8333, true')
        ),
        impl,
    )


def sendmsgtopeer() -> RPCHelpMan:
    def impl(self: RPCHelpMan, request: JSONRPCRequest) -> UniValue:
        peer_id = NodeId(getInt(request.params[0], 64))
        msg_type = get_str(request.params[1])
        if len(msg_type) > CMessageHeader.MESSAGE_TYPE_SIZE:
            raise JSONRPCError(
                RPC_INVALID_PARAMETER,
                f"Error: msg_type too long, max length is {CMessageHeader.MESSAGE_TYPE_SIZE}",
            )
        msg = TryParseHex(get_str(request.params[2]))
        if msg is None:
            raise JSONRPCError(RPC_INVALID_PARAMETER, "Error parsing input for msg")

        connman = _connman(request)
        msg_ser = CSerializedNetMsg(data=msg, m_type=msg_type)

        def push(node: CNode) -> bool:
            return bool(connman.PushMessage(node.GetId(), msg_ser))

        if not connman.ForNode(peer_id, push):
            raise JSONRPCError(RPC_MISC_ERROR, "Error: Could not send message to peer")
        return {}

    return RPCHelpMan(
        "sendmsgtopeer",
        "Send a p2p message to a peer specified by id.\n"
        "The message type and body must be provided, the message header will be generated.\n"
        "This RPC is for testing only.",
        [
            RPCArg(
                "peer_id", RPCArg.Type.NUM, RPCArg.Optional.NO, "The peer to send the message to."
            ),
            RPCArg(
                "msg_type",
                RPCArg.Type.STR,
                RPCArg.Optional.NO,
                f"The message type (maximum length {CMessageHeader.MESSAGE_TYPE_SIZE})",
            ),
            RPCArg(
                "msg",
                RPCArg.Type.STR_HEX,
                RPCArg.Optional.NO,
                "The serialized message body to send, in hex, without a message header",
            ),
        ],
        RPCResult(T.OBJ, "", "", []),
        RPCExamples(
            HelpExampleCli("sendmsgtopeer", '0 "addr" "ffffff"')
            + HelpExampleRpc("sendmsgtopeer", '0 "addr" "ffffff"')
        ),
        impl,
    )


def getaddrmaninfo() -> RPCHelpMan:
    def impl(self: RPCHelpMan, request: JSONRPCRequest) -> UniValue:
        addrman = EnsureAnyAddrman(request.context)
        ret: dict[str, Any] = {}
        for n in range(int(Network.NET_MAX)):
            network = Network(n)
            if network in (Network.NET_UNROUTABLE, Network.NET_INTERNAL):
                continue
            ret[GetNetworkName(network)] = {
                "new": addrman.Size(network, True),
                "tried": addrman.Size(network, False),
                "total": addrman.Size(network),
            }
        ret["all_networks"] = {
            "new": addrman.Size(None, True),
            "tried": addrman.Size(None, False),
            "total": addrman.Size(),
        }
        return ret

    return RPCHelpMan(
        "getaddrmaninfo",
        "Provides information about the node's address manager by returning the number of "
        "addresses in the `new` and `tried` tables and their sum for all networks.\n",
        [],
        RPCResult(
            T.OBJ_DYN,
            "",
            "json object with network type as keys",
            [
                RPCResult(
                    T.OBJ,
                    "network",
                    "the network (" + ", ".join(GetNetworkNames()) + ", all_networks)",
                    [
                        RPCResult(
                            T.NUM,
                            "new",
                            "number of addresses in the new table, which represent potential "
                            "peers the node has discovered but hasn't yet successfully "
                            "connected to.",
                        ),
                        RPCResult(
                            T.NUM,
                            "tried",
                            "number of addresses in the tried table, which represent peers the "
                            "node has successfully connected to in the past.",
                        ),
                        RPCResult(
                            T.NUM, "total", "total number of addresses in both new/tried tables"
                        ),
                    ],
                ),
            ],
        ),
        RPCExamples(HelpExampleCli("getaddrmaninfo", "") + HelpExampleRpc("getaddrmaninfo", "")),
        impl,
    )


def RegisterNetRPCCommands(t: CRPCTable) -> None:
    commands = (
        CRPCCommand("network", getconnectioncount),
        CRPCCommand("network", ping),
        CRPCCommand("network", getpeerinfo),
        CRPCCommand("network", addnode),
        CRPCCommand("network", disconnectnode),
        CRPCCommand("network", getaddednodeinfo),
        CRPCCommand("network", getnettotals),
        CRPCCommand("network", getnetworkinfo),
        CRPCCommand("network", setban),
        CRPCCommand("network", listbanned),
        CRPCCommand("network", clearbanned),
        CRPCCommand("network", setnetworkactive),
        CRPCCommand("network", getnodeaddresses),
        CRPCCommand("network", getaddrmaninfo),
        CRPCCommand("hidden", addconnection),
        CRPCCommand("hidden", addpeeraddress),
        CRPCCommand("hidden", sendmsgtopeer),
    )
    for c in commands:
        t.appendCommand(c.name, c)
