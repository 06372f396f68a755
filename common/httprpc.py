"""JSON-RPC over HTTP (src/httprpc.h/.cpp): authentication, request parsing, replies.

A POST to "/" with HTTP Basic auth (the cookie's ``__cookie__:<hex>``, -rpcuser/-rpcpassword,
or an -rpcauth entry) carries one request object or a batch array. Wrong credentials get 401
after a 250 ms pause, as upstream, to slow down guessing. A JSON-RPC 1.0 request that fails
gets an HTTP error status (400 for RPC_INVALID_REQUEST, 404 for RPC_METHOD_NOT_FOUND, 500
otherwise) with the error object in the body; a 2.0 request gets 200 with the error in the
reply, and a 2.0 notification gets 204 and no body. Batch members are answered in one 200
reply.

Upstream's file-level state (the -rpcauth list and the -rpcwhitelist map) lives in an
:class:`HTTPRPC`; the upstream-named module functions use the process's instance with gArgs,
the process's HTTP server and tableRPC.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any, Final

from . import httpserver
from .args import ArgsManager, OptionsCategory, gArgs
from .clock import UninterruptibleSleep
from .httpserver import (
    DEFAULT_HTTP_SERVER_TIMEOUT,
    DEFAULT_HTTP_THREADS,
    DEFAULT_HTTP_WORKQUEUE,
    HTTPRequest,
    HTTPServer,
)
from .logging import BCLog, LogDebug, LogError, LogInfo, LogPrintf, LogWarning
from .random import GetStrongRandBytes
from .rpc.protocol import (
    HTTP_BAD_METHOD,
    HTTP_BAD_REQUEST,
    HTTP_FORBIDDEN,
    HTTP_INTERNAL_SERVER_ERROR,
    HTTP_NO_CONTENT,
    HTTP_NOT_FOUND,
    HTTP_OK,
    HTTP_UNAUTHORIZED,
    RPC_INVALID_REQUEST,
    RPC_METHOD_NOT_FOUND,
    RPC_PARSE_ERROR,
    JSONRPCError,
)
from .rpc.request import (
    GenerateAuthCookie,
    GenerateAuthCookieResult,
    InterpretPermString,
    JSONRPCReplyObj,
    JSONRPCRequest,
    JSONRPCVersion,
)
from .rpc.server import CRPCTable, JSONRPCExec, tableRPC
from .rpc.util import DEFAULT_RPC_DOC_CHECK
from .strencodings import DecodeBase64, TimingResistantEqual, TrimString
from .univalue import UniValue, get_str, read, write

#: The WWW-Authenticate header of a 401 reply.
WWW_AUTH_HEADER_DATA: Final = 'Basic realm="jsonrpc"'


def _hmac_sha256_hex(salt: str, password: str) -> str:
    return hmac.new(_RawBytes(salt), _RawBytes(password), hashlib.sha256).hexdigest()


def _RawBytes(s: str) -> bytes:
    """The bytes a credential came as: the Authorization header's user and password are
    decoded with "surrogateescape", so bytes that are not UTF-8 compare and hash as upstream's
    std::string does instead of raising."""
    return s.encode("utf-8", "surrogateescape")


def _SplitString(s: str, separators: str) -> list[str]:
    """util::SplitString: split at any of ``separators``, keeping empty parts."""
    parts = [""]
    for ch in s:
        if ch in separators:
            parts.append("")
        else:
            parts[-1] += ch
    return parts


class HTTPRPC:
    """The JSON-RPC endpoint of one HTTP server: credentials, whitelists, the dispatch table
    and the node context the methods act on."""

    __slots__ = (
        "g_rpc_whitelist",
        "g_rpc_whitelist_default",
        "g_rpcauth",
        "m_args",
        "m_context",
        "m_http",
        "m_table",
    )

    m_args: ArgsManager
    m_table: CRPCTable
    m_http: HTTPServer | None
    m_context: Any
    #: -rpcauth entries, and the salted hash of -rpcuser/-rpcpassword or the cookie:
    #: [user, salt, hex HMAC-SHA256(salt, password)].
    g_rpcauth: list[list[str]]
    g_rpc_whitelist: dict[str, set[str]]
    g_rpc_whitelist_default: bool

    def __init__(self, args: ArgsManager | None = None, table: CRPCTable | None = None) -> None:
        self.m_args = args if args is not None else gArgs
        self.m_table = table if table is not None else tableRPC
        self.m_http = None
        self.m_context = None
        self.g_rpcauth = []
        self.g_rpc_whitelist = {}
        self.g_rpc_whitelist_default = False

    def JSONErrorReply(
        self, req: HTTPRequest, objError: dict[str, Any], jreq: JSONRPCRequest
    ) -> None:
        """A legacy (1.0) error: the HTTP status follows the RPC error code."""
        assert jreq.m_json_version != JSONRPCVersion.V2
        nStatus: int = HTTP_INTERNAL_SERVER_ERROR
        code = objError.get("code")
        if code == RPC_INVALID_REQUEST:
            nStatus = HTTP_BAD_REQUEST
        elif code == RPC_METHOD_NOT_FOUND:
            nStatus = HTTP_NOT_FOUND
        strReply = write(JSONRPCReplyObj(None, objError, jreq.id, jreq.m_json_version)) + "\n"
        req.WriteHeader("Content-Type", "application/json")
        req.WriteReply(nStatus, strReply)

    def CheckUserAuthorized(self, user: str, password: str) -> bool:
        for fields in self.g_rpcauth:
            if not TimingResistantEqual(_RawBytes(fields[0]), _RawBytes(user)):
                continue
            salt, hash_ = fields[1], fields[2]
            if TimingResistantEqual(_hmac_sha256_hex(salt, password), hash_):
                return True
        return False

    def RPCAuthorized(self, strAuth: str) -> tuple[bool, str]:
        """Check a Basic Authorization header: ``(authorized, user name)``."""
        if not strAuth.startswith("Basic "):
            return False, ""
        strUserPass64 = TrimString(strAuth[6:])
        userpass_data = DecodeBase64(strUserPass64)
        if userpass_data is None:
            return False, ""
        strUserPass = userpass_data.decode("utf-8", "surrogateescape")
        colon_pos = strUserPass.find(":")
        if colon_pos == -1:
            return False, ""  # invalid basic auth
        user = strUserPass[:colon_pos]
        password = strUserPass[colon_pos + 1 :]
        return self.CheckUserAuthorized(user, password), user

    def HTTPReq_JSONRPC(self, req: HTTPRequest) -> bool:
        """Handle one POST: authenticate, parse, execute, reply."""
        if req.GetRequestMethod() != HTTPRequest.RequestMethod.POST:
            req.WriteReply(HTTP_BAD_METHOD, "JSONRPC server handles only POST requests")
            return False
        found, auth_header = req.GetHeader("authorization")
        if not found:
            req.WriteHeader("WWW-Authenticate", WWW_AUTH_HEADER_DATA)
            req.WriteReply(HTTP_UNAUTHORIZED)
            return False

        jreq = JSONRPCRequest()
        jreq.context = self.m_context
        jreq.peerAddr = req.GetPeer().ToStringAddrPort()
        authorized, jreq.authUser = self.RPCAuthorized(auth_header)
        if not authorized:
            LogPrintf("ThreadRPCServer incorrect password attempt from %s\n", jreq.peerAddr)
            # Deter brute-forcing; a node exposing its RPC port has bigger problems than this
            # making it slower.
            UninterruptibleSleep(250_000)
            req.WriteHeader("WWW-Authenticate", WWW_AUTH_HEADER_DATA)
            req.WriteReply(HTTP_UNAUTHORIZED)
            return False

        try:
            ok, valRequest = read(req.ReadBody())
            if not ok:
                raise JSONRPCError(RPC_PARSE_ERROR, "Parse error")
            jreq.URI = req.GetURI()

            reply: UniValue
            user_has_whitelist = jreq.authUser in self.g_rpc_whitelist
            if not user_has_whitelist and self.g_rpc_whitelist_default:
                LogPrintf("RPC User %s not allowed to call any methods\n", jreq.authUser)
                req.WriteReply(HTTP_FORBIDDEN)
                return False
            elif isinstance(valRequest, dict):
                jreq.parse(valRequest)
                if user_has_whitelist and jreq.strMethod not in self.g_rpc_whitelist[jreq.authUser]:
                    LogPrintf(
                        "RPC User %s not allowed to call method %s\n", jreq.authUser, jreq.strMethod
                    )
                    req.WriteReply(HTTP_FORBIDDEN)
                    return False
                # Legacy 1.0/1.1 failures become HTTP errors; 2.0 failures are replies.
                catch_errors = jreq.m_json_version == JSONRPCVersion.V2
                reply = JSONRPCExec(jreq, catch_errors, self.m_table)
                if jreq.IsNotification():
                    # Executed, but never answered.
                    req.WriteReply(HTTP_NO_CONTENT)
                    return True
            elif isinstance(valRequest, list):
                if user_has_whitelist:
                    for request in valRequest:
                        if not isinstance(request, dict):
                            raise JSONRPCError(RPC_INVALID_REQUEST, "Invalid Request object")
                        strMethod = get_str(request.get("method"))
                        if strMethod not in self.g_rpc_whitelist[jreq.authUser]:
                            LogPrintf(
                                "RPC User %s not allowed to call method %s\n",
                                jreq.authUser,
                                strMethod,
                            )
                            req.WriteReply(HTTP_FORBIDDEN)
                            return False
                # A batch never fails with an HTTP error; notifications get no entry.
                reply = []
                for item in valRequest:
                    try:
                        jreq.parse(item)
                        response = JSONRPCExec(jreq, True, self.m_table)
                    except JSONRPCError as e:
                        response = JSONRPCReplyObj(None, e.obj(), jreq.id, jreq.m_json_version)
                    except Exception as e:
                        response = JSONRPCReplyObj(
                            None,
                            JSONRPCError(RPC_PARSE_ERROR, str(e)).obj(),
                            jreq.id,
                            jreq.m_json_version,
                        )
                    if not jreq.IsNotification():
                        reply.append(response)
                # An all-notification batch gets no content; an empty batch still gets "[]"
                # (it had no version marker, and old clients expect an array).
                if len(reply) == 0 and len(valRequest) > 0:
                    req.WriteReply(HTTP_NO_CONTENT)
                    return True
            else:
                raise JSONRPCError(RPC_PARSE_ERROR, "Top-level object parse error")

            req.WriteHeader("Content-Type", "application/json")
            req.WriteReply(HTTP_OK, write(reply) + "\n")
        except JSONRPCError as e:
            self.JSONErrorReply(req, e.obj(), jreq)
            return False
        except Exception as e:
            self.JSONErrorReply(req, JSONRPCError(RPC_PARSE_ERROR, str(e)).obj(), jreq)
            return False
        return True

    def InitRPCAuthentication(self) -> bool:
        """Credentials: the cookie (written now) unless -rpcpassword is set, plus -rpcauth;
        and the -rpcwhitelist filters."""
        args = self.m_args
        user = ""
        password = ""
        if args.GetArg("-rpcpassword", "") == "":
            cookie_perms: int | None = None
            cookie_perms_arg = args.GetArg("-rpccookieperms")
            if cookie_perms_arg is not None:
                cookie_perms = InterpretPermString(cookie_perms_arg)
                if cookie_perms is None:
                    LogError(
                        "Invalid -rpccookieperms=%s; must be one of 'owner', 'group', or 'all'.",
                        cookie_perms_arg,
                    )
                    return False
            result, user, password = GenerateAuthCookie(cookie_perms, args)
            if result == GenerateAuthCookieResult.ERR:
                return False
            if result == GenerateAuthCookieResult.DISABLED:
                LogInfo("RPC authentication cookie file generation is disabled.")
            else:
                LogInfo("Using random cookie authentication.")
        else:
            LogInfo("Using rpcuser/rpcpassword authentication.")
            LogWarning(
                "The use of rpcuser/rpcpassword is less secure, because credentials are "
                "configured in plain text. It is recommended that locally-run instances switch "
                "to cookie-based auth, or otherwise to use hashed rpcauth credentials. See "
                "share/rpcauth in the source directory for more information."
            )
            user = args.GetArg("-rpcuser", "")
            password = args.GetArg("-rpcpassword", "")

        # Keep only a salted hash of a plain-text credential.
        if user or password:
            salt = GetStrongRandBytes(16).hex()
            self.g_rpcauth.append([user, salt, _hmac_sha256_hex(salt, password)])

        rpcauth_args = args.GetArgs("-rpcauth")
        if rpcauth_args:
            LogInfo("Using rpcauth authentication.\n")
            for rpcauth in rpcauth_args:
                fields = _SplitString(rpcauth, ":")
                salt_hmac = _SplitString(fields[-1], "$")
                if len(fields) == 2 and len(salt_hmac) == 2:
                    fields.pop()
                    fields.extend(salt_hmac)
                    self.g_rpcauth.append(fields)
                else:
                    LogPrintf("Invalid -rpcauth argument.\n")
                    return False

        whitelists = args.GetArgs("-rpcwhitelist")
        self.g_rpc_whitelist_default = args.GetBoolArg("-rpcwhitelistdefault", bool(whitelists))
        for strRPCWhitelist in whitelists:
            pos = strRPCWhitelist.find(":")
            strUser = strRPCWhitelist if pos == -1 else strRPCWhitelist[:pos]
            intersect = strUser in self.g_rpc_whitelist
            whitelist = self.g_rpc_whitelist.setdefault(strUser, set())
            if pos != -1:
                new_whitelist = set(_SplitString(strRPCWhitelist[pos + 1 :], ", "))
                if intersect:
                    new_whitelist &= whitelist
                self.g_rpc_whitelist[strUser] = new_whitelist
        return True

    def StartHTTPRPC(self, context: Any, http: HTTPServer) -> bool:
        """Set up credentials and register "/" on ``http``; ``context`` reaches every method
        as ``request.context``."""
        LogDebug(BCLog.RPC, "Starting HTTP RPC server\n")
        if not self.InitRPCAuthentication():
            return False
        self.m_context = context
        self.m_http = http

        def handle_rpc(req: HTTPRequest, path: str) -> bool:
            return self.HTTPReq_JSONRPC(req)

        http.RegisterHTTPHandler("/", True, handle_rpc)
        return True

    def InterruptHTTPRPC(self) -> None:
        LogDebug(BCLog.RPC, "Interrupting HTTP RPC server\n")

    def StopHTTPRPC(self) -> None:
        LogDebug(BCLog.RPC, "Stopping HTTP RPC server\n")
        if self.m_http is not None:
            self.m_http.UnregisterHTTPHandler("/", True)
            self.m_http = None


#: The process's JSON-RPC endpoint, between StartHTTPRPC and StopHTTPRPC.
g_http_rpc: HTTPRPC | None = None


def StartHTTPRPC(context: Any) -> bool:
    """On the process's HTTP server (InitHTTPServer first), with gArgs and tableRPC."""
    global g_http_rpc
    assert httpserver.g_http_server is not None
    endpoint = HTTPRPC(httpserver.g_http_server.m_args)
    if not endpoint.StartHTTPRPC(context, httpserver.g_http_server):
        return False
    g_http_rpc = endpoint
    return True


def InterruptHTTPRPC() -> None:
    if g_http_rpc is not None:
        g_http_rpc.InterruptHTTPRPC()


def StopHTTPRPC() -> None:
    global g_http_rpc
    if g_http_rpc is not None:
        g_http_rpc.StopHTTPRPC()
        g_http_rpc = None


def add_rpc_server_args(argsman: ArgsManager) -> None:
    """Register the RPC server's options with upstream's help texts (the RPC part of
    init.cpp's SetupServerArgs, without -rest; -rpcport names the regtest default only)."""
    A = ArgsManager
    rpc = OptionsCategory.RPC
    argsman.AddArg(
        "-rpcallowip=<ip>",
        "Allow JSON-RPC connections from specified source. Valid values for <ip> are a single "
        "IP (e.g. 1.2.3.4), a network/netmask (e.g. 1.2.3.4/255.255.255.0), a network/CIDR (e.g. "
        "1.2.3.4/24), all ipv4 (0.0.0.0/0), or all ipv6 (::/0). RFC4193 is allowed only if "
        "-cjdnsreachable=0. This option can be specified multiple times",
        A.ALLOW_ANY,
        rpc,
    )
    argsman.AddArg(
        "-rpcauth=<userpw>",
        "Username and HMAC-SHA-256 hashed password for JSON-RPC connections. The field <userpw> "
        "comes in the format: <USERNAME>:<SALT>$<HASH>. A canonical python script is included "
        "in share/rpcauth. The client then connects normally using the "
        "rpcuser=<USERNAME>/rpcpassword=<PASSWORD> pair of arguments. This option can be "
        "specified multiple times",
        A.ALLOW_ANY | A.SENSITIVE,
        rpc,
    )
    argsman.AddArg(
        "-rpcbind=<addr>[:port]",
        "Bind to given address to listen for JSON-RPC connections. Do not expose the RPC server "
        "to untrusted networks such as the public internet! This option is ignored unless "
        "-rpcallowip is also passed. Port is optional and overrides -rpcport. Use [host]:port "
        "notation for IPv6. This option can be specified multiple times (default: 127.0.0.1 and "
        "::1 i.e., localhost)",
        A.ALLOW_ANY | A.NETWORK_ONLY,
        rpc,
    )
    argsman.AddArg(
        "-rpcdoccheck",
        "Throw a non-fatal error at runtime if the documentation for an RPC is incorrect "
        f"(default: {int(DEFAULT_RPC_DOC_CHECK)})",
        A.ALLOW_ANY | A.DEBUG_ONLY,
        rpc,
    )
    argsman.AddArg(
        "-rpccookiefile=<loc>",
        "Location of the auth cookie. Relative paths will be prefixed by a net-specific datadir "
        "location. (default: data dir)",
        A.ALLOW_ANY,
        rpc,
    )
    argsman.AddArg(
        "-rpccookieperms=<readable-by>",
        "Set permissions on the RPC auth cookie file so that it is readable by "
        "[owner|group|all] (default: owner [via umask 0077])",
        A.ALLOW_ANY,
        rpc,
    )
    argsman.AddArg(
        "-rpcpassword=<pw>", "Password for JSON-RPC connections", A.ALLOW_ANY | A.SENSITIVE, rpc
    )
    argsman.AddArg(
        "-rpcport=<port>",
        "Listen for JSON-RPC connections on <port> (default: 18443)",
        A.ALLOW_ANY | A.NETWORK_ONLY,
        rpc,
    )
    argsman.AddArg(
        "-rpcservertimeout=<n>",
        f"Timeout during HTTP requests (default: {DEFAULT_HTTP_SERVER_TIMEOUT})",
        A.ALLOW_ANY | A.DEBUG_ONLY,
        rpc,
    )
    argsman.AddArg(
        "-rpcthreads=<n>",
        f"Set the number of threads to service RPC calls (default: {DEFAULT_HTTP_THREADS})",
        A.ALLOW_ANY,
        rpc,
    )
    argsman.AddArg(
        "-rpcuser=<user>", "Username for JSON-RPC connections", A.ALLOW_ANY | A.SENSITIVE, rpc
    )
    argsman.AddArg(
        "-rpcwhitelist=<whitelist>",
        "Set a whitelist to filter incoming RPC calls for a specific user. The field "
        "<whitelist> comes in the format: <USERNAME>:<rpc 1>,<rpc 2>,...,<rpc n>. If multiple "
        "whitelists are set for a given user, they are set-intersected. See "
        "-rpcwhitelistdefault documentation for information on default whitelist behavior.",
        A.ALLOW_ANY,
        rpc,
    )
    argsman.AddArg(
        "-rpcwhitelistdefault",
        "Sets default behavior for rpc whitelisting. Unless rpcwhitelistdefault is set to 0, if "
        "any -rpcwhitelist is set, the rpc server acts as if all rpc users are subject to "
        "empty-unless-otherwise-specified whitelists. If rpcwhitelistdefault is set to 1 and no "
        "-rpcwhitelist is set, rpc server acts as if all rpc users are subject to empty "
        "whitelists.",
        A.ALLOW_ANY,
        rpc,
    )
    argsman.AddArg(
        "-rpcworkqueue=<n>",
        "Set the maximum depth of the work queue to service RPC calls (default: "
        f"{DEFAULT_HTTP_WORKQUEUE})",
        A.ALLOW_ANY | A.DEBUG_ONLY,
        rpc,
    )
    argsman.AddArg("-server", "Accept command line and JSON-RPC commands", A.ALLOW_ANY, rpc)
