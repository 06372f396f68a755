"""JSON-RPC requests and replies, and the auth cookie (src/rpc/request.h/.cpp).

Bitcoin Core speaks JSON-RPC 1.0 with 1.1/2.0 error objects; a request marked ``"jsonrpc":
"2.0"`` gets a strict 2.0 reply (no ``error: null``, HTTP 200 for RPC errors, no reply to a
notification). Upstream's ``std::optional<UniValue> id`` is a value or :data:`NO_ID` here,
because ``None`` already means JSON null.
"""

from __future__ import annotations

import os
import stat
from enum import Enum, IntEnum
from pathlib import Path
from typing import Any, Final

from .. import logging as logging_
from ..args import AbsPathForConfigVal, ArgsManager, gArgs
from ..logging import BCLog, LogDebug, LogInfo, LogWarning
from ..random import GetRandBytes
from ..strencodings import SanitizeString
from ..univalue import UniValue, getInt, isNull
from .protocol import RPC_INVALID_REQUEST, JSONRPCError

__all__ = [
    "COOKIEAUTH_FILE",
    "COOKIEAUTH_USER",
    "NO_ID",
    "GenerateAuthCookie",
    "GenerateAuthCookieResult",
    "GetAuthCookie",
    "GetAuthCookieFile",
    "JSONRPCError",
    "JSONRPCProcessBatchReply",
    "JSONRPCReplyObj",
    "JSONRPCRequest",
    "JSONRPCRequestObj",
    "JSONRPCVersion",
]


class JSONRPCVersion(IntEnum):
    V1_LEGACY = 0
    V2 = 1


class _NoId(Enum):
    """The request had no "id" member (upstream's ``std::nullopt``)."""

    NO_ID = 0

    def __repr__(self) -> str:
        return "NO_ID"


NO_ID: Final = _NoId.NO_ID


def JSONRPCRequestObj(strMethod: str, params: UniValue, id: UniValue) -> dict[str, Any]:
    """A 2.0 request object (what a client sends)."""
    return {"method": strMethod, "params": params, "id": id, "jsonrpc": "2.0"}


def JSONRPCReplyObj(
    result: UniValue, error: UniValue, id: UniValue, jsonrpc_version: JSONRPCVersion
) -> dict[str, Any]:
    """The reply object: 1.0 carries both "result" and "error" (one null); 2.0 carries
    "jsonrpc" and only the one that is set; "id" is left out only when the request had none."""
    reply: dict[str, Any] = {}
    if jsonrpc_version == JSONRPCVersion.V2:
        reply["jsonrpc"] = "2.0"
    if isNull(error):
        reply["result"] = result
        if jsonrpc_version == JSONRPCVersion.V1_LEGACY:
            reply["error"] = None
    else:
        if jsonrpc_version == JSONRPCVersion.V1_LEGACY:
            reply["result"] = None
        reply["error"] = error
    if id is not NO_ID:
        reply["id"] = id
    return reply


class GenerateAuthCookieResult(IntEnum):
    DISABLED = 0  # -norpccookiefile
    ERR = 1
    OK = 2


#: User name of cookie authentication (arbitrary, recognizable in logs).
COOKIEAUTH_USER: Final = "__cookie__"
#: Default cookie file name, in the network's data directory.
COOKIEAUTH_FILE: Final = ".cookie"

#: Cookie files this process wrote (upstream's g_generated_cookie, per path so that two nodes in
#: one process each delete only their own).
_g_generated_cookies: set[Path] = set()


def GetAuthCookieFile(temp: bool = False, args: ArgsManager | None = None) -> Path | None:
    """-rpccookiefile (default .cookie) relative to the network's data directory; None with
    -norpccookiefile."""
    argsman = args if args is not None else gArgs
    arg = argsman.GetPathArg("-rpccookiefile", COOKIEAUTH_FILE)
    if arg is None:
        return None
    if temp:
        arg = Path(str(arg) + ".tmp")
    return AbsPathForConfigVal(argsman, arg)


def InterpretPermString(s: str) -> int | None:
    """-rpccookieperms: owner (0600), group (0640) or all (0644)."""
    return {
        "owner": stat.S_IRUSR | stat.S_IWUSR,
        "group": stat.S_IRUSR | stat.S_IWUSR | stat.S_IRGRP,
        "all": stat.S_IRUSR | stat.S_IWUSR | stat.S_IRGRP | stat.S_IROTH,
    }.get(s)


def PermsToSymbolicString(p: int) -> str:
    letters = "rwxrwxrwx"
    return "".join(letters[i] if p & (1 << (8 - i)) else "-" for i in range(9))


def GenerateAuthCookie(
    cookie_perms: int | None, args: ArgsManager | None = None
) -> tuple[GenerateAuthCookieResult, str, str]:
    """Write "__cookie__:<64 hex>" to the cookie file (through a .tmp and a rename, mode 0600
    unless ``cookie_perms``); returns ``(result, user, password)``."""
    COOKIE_SIZE = 32
    rand_pwd_hex = GetRandBytes(COOKIE_SIZE).hex()
    filepath_tmp = GetAuthCookieFile(True, args)
    if filepath_tmp is None:
        return GenerateAuthCookieResult.DISABLED, "", ""
    try:
        # Upstream relies on the 0077 umask SetupEnvironment sets; open with 0600 instead.
        fd = os.open(filepath_tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(f"{COOKIEAUTH_USER}:{rand_pwd_hex}")
    except OSError:
        LogWarning("Unable to open cookie authentication file %s for writing", filepath_tmp)
        return GenerateAuthCookieResult.ERR, "", ""

    filepath = GetAuthCookieFile(False, args)
    assert filepath is not None
    try:
        os.replace(filepath_tmp, filepath)
    except OSError:
        LogWarning("Unable to rename cookie authentication file %s to %s", filepath_tmp, filepath)
        return GenerateAuthCookieResult.ERR, "", ""
    if cookie_perms is not None:
        try:
            os.chmod(filepath, cookie_perms)
        except OSError:
            LogWarning("Unable to set permissions on cookie authentication file %s", filepath)
            return GenerateAuthCookieResult.ERR, "", ""

    _g_generated_cookies.add(filepath)
    LogInfo("Generated RPC authentication cookie %s\n", filepath)
    LogInfo("Permissions used for cookie: %s\n", PermsToSymbolicString(os.stat(filepath).st_mode))
    return GenerateAuthCookieResult.OK, COOKIEAUTH_USER, rand_pwd_hex


def GetAuthCookie(args: ArgsManager | None = None) -> tuple[bool, str]:
    """The cookie file's first line: ``(True, cookie)``; ``(True, "")`` with
    -norpccookiefile; ``(False, "")`` if it cannot be read."""
    filepath = GetAuthCookieFile(False, args)
    if filepath is None:
        return True, ""
    try:
        with open(filepath, encoding="utf-8") as file:
            return True, file.readline().rstrip("\n")
    except OSError:
        return False, ""


def DeleteAuthCookie(args: ArgsManager | None = None) -> None:
    """Remove the cookie file, if this process generated it."""
    filepath = GetAuthCookieFile(False, args)
    if filepath is None or filepath not in _g_generated_cookies:
        return
    try:
        filepath.unlink(missing_ok=True)
        _g_generated_cookies.discard(filepath)
    except OSError as e:
        LogWarning("Unable to remove random auth cookie file %s: %s\n", filepath, e.strerror)


def JSONRPCProcessBatchReply(in_: UniValue) -> list[UniValue]:
    """Order a batch reply by its numeric ids (the client side of a batch)."""
    if not isinstance(in_, list):
        raise RuntimeError("Batch must be an array")
    batch: list[UniValue] = [None] * len(in_)
    for rec in in_:
        if not isinstance(rec, dict):
            raise RuntimeError("Batch member must be an object")
        num = getInt(rec.get("id"))
        if num < 0 or num >= len(in_):
            raise RuntimeError("Batch member id is larger than batch size")
        batch[num] = rec
    return batch


class JSONRPCRequest:
    """One call: method, params (a list, or an object of named params), id, JSON-RPC
    version, and what the server knows about the caller. ``context`` is the node the methods
    act on (upstream's std::any NodeContext pointer)."""

    class Mode(IntEnum):
        EXECUTE = 0
        GET_HELP = 1
        GET_ARGS = 2

    EXECUTE: Final = Mode.EXECUTE
    GET_HELP: Final = Mode.GET_HELP
    GET_ARGS: Final = Mode.GET_ARGS

    __slots__ = (
        "URI",
        "authUser",
        "context",
        "id",
        "m_json_version",
        "mode",
        "params",
        "peerAddr",
        "strMethod",
    )

    #: A JSON value, or NO_ID.
    id: UniValue
    strMethod: str
    params: UniValue
    mode: JSONRPCRequest.Mode
    URI: str
    authUser: str
    peerAddr: str
    context: Any
    m_json_version: JSONRPCVersion

    def __init__(self) -> None:
        self.id = None
        self.strMethod = ""
        self.params = []
        self.mode = JSONRPCRequest.Mode.EXECUTE
        self.URI = ""
        self.authUser = ""
        self.peerAddr = ""
        self.context = None
        self.m_json_version = JSONRPCVersion.V1_LEGACY

    def copy(self) -> JSONRPCRequest:
        other = JSONRPCRequest()
        for name in JSONRPCRequest.__slots__:
            setattr(other, name, getattr(self, name))
        return other

    def parse(self, valRequest: UniValue) -> None:
        """Fill in id, version, method and params from a request object; raises
        JSONRPCError(RPC_INVALID_REQUEST) for a malformed one (the id is set first, so the
        error reply carries it)."""
        if not isinstance(valRequest, dict):
            raise JSONRPCError(RPC_INVALID_REQUEST, "Invalid Request object")
        request = valRequest
        self.id = request.get("id", NO_ID)

        self.m_json_version = JSONRPCVersion.V1_LEGACY
        jsonrpc_version = request.get("jsonrpc")
        if jsonrpc_version is not None:
            if not isinstance(jsonrpc_version, str):
                raise JSONRPCError(RPC_INVALID_REQUEST, "jsonrpc field must be a string")
            # Some old documentation put "jsonrpc": "1.0" into requests; keep accepting it.
            if jsonrpc_version == "1.0":
                self.m_json_version = JSONRPCVersion.V1_LEGACY
            elif jsonrpc_version == "2.0":
                self.m_json_version = JSONRPCVersion.V2
            else:
                raise JSONRPCError(RPC_INVALID_REQUEST, "JSON-RPC version not supported")

        valMethod = request.get("method")
        if valMethod is None:
            raise JSONRPCError(RPC_INVALID_REQUEST, "Missing method")
        if not isinstance(valMethod, str):
            raise JSONRPCError(RPC_INVALID_REQUEST, "Method must be a string")
        self.strMethod = valMethod
        if logging_.fLogIPs:
            LogDebug(
                BCLog.RPC,
                "ThreadRPCServer method=%s user=%s peeraddr=%s\n",
                SanitizeString(self.strMethod),
                self.authUser,
                self.peerAddr,
            )
        else:
            LogDebug(
                BCLog.RPC,
                "ThreadRPCServer method=%s user=%s\n",
                SanitizeString(self.strMethod),
                self.authUser,
            )

        valParams = request.get("params")
        if isinstance(valParams, list | dict):
            self.params = valParams
        elif valParams is None:
            self.params = []
        else:
            raise JSONRPCError(RPC_INVALID_REQUEST, "Params must be an array or object")

    def IsNotification(self) -> bool:
        return self.id is NO_ID and self.m_json_version == JSONRPCVersion.V2
