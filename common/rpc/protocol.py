"""HTTP status and RPC error codes (src/rpc/protocol.h), and the error the RPC layer raises.

Upstream throws the ``{"code", "message"}`` UniValue object that ``JSONRPCError()`` builds; here
that object travels inside the :class:`JSONRPCError` exception, so ``raise JSONRPCError(code,
message)`` reads like upstream's ``throw JSONRPCError(code, message)``.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any, Final


class HTTPStatusCode(IntEnum):
    HTTP_OK = 200
    HTTP_NO_CONTENT = 204
    HTTP_BAD_REQUEST = 400
    HTTP_UNAUTHORIZED = 401
    HTTP_FORBIDDEN = 403
    HTTP_NOT_FOUND = 404
    HTTP_BAD_METHOD = 405
    HTTP_INTERNAL_SERVER_ERROR = 500
    HTTP_SERVICE_UNAVAILABLE = 503


HTTP_OK: Final = HTTPStatusCode.HTTP_OK
HTTP_NO_CONTENT: Final = HTTPStatusCode.HTTP_NO_CONTENT
HTTP_BAD_REQUEST: Final = HTTPStatusCode.HTTP_BAD_REQUEST
HTTP_UNAUTHORIZED: Final = HTTPStatusCode.HTTP_UNAUTHORIZED
HTTP_FORBIDDEN: Final = HTTPStatusCode.HTTP_FORBIDDEN
HTTP_NOT_FOUND: Final = HTTPStatusCode.HTTP_NOT_FOUND
HTTP_BAD_METHOD: Final = HTTPStatusCode.HTTP_BAD_METHOD
HTTP_INTERNAL_SERVER_ERROR: Final = HTTPStatusCode.HTTP_INTERNAL_SERVER_ERROR
HTTP_SERVICE_UNAVAILABLE: Final = HTTPStatusCode.HTTP_SERVICE_UNAVAILABLE


class RPCErrorCode(IntEnum):
    """Bitcoin Core's RPC error codes. Aliases (same value, other name) resolve to the first
    name, as enum aliases do; the module-level constants keep every upstream name."""

    # Standard JSON-RPC 2.0 errors. RPC_INVALID_REQUEST is answered with HTTP 400 and
    # RPC_METHOD_NOT_FOUND with HTTP 404 (legacy requests); neither is for application errors.
    RPC_INVALID_REQUEST = -32600
    RPC_METHOD_NOT_FOUND = -32601
    RPC_INVALID_PARAMS = -32602
    #: Only for genuine internal errors (e.g. datadir corruption).
    RPC_INTERNAL_ERROR = -32603
    RPC_PARSE_ERROR = -32700

    # General application defined errors
    RPC_MISC_ERROR = -1  # an exception raised in command handling
    RPC_TYPE_ERROR = -3  # unexpected type passed as parameter
    RPC_INVALID_ADDRESS_OR_KEY = -5
    RPC_OUT_OF_MEMORY = -7
    RPC_INVALID_PARAMETER = -8  # invalid, missing or duplicate parameter
    RPC_DATABASE_ERROR = -20
    RPC_DESERIALIZATION_ERROR = -22  # error parsing or validating structure in raw format
    RPC_VERIFY_ERROR = -25  # general error during transaction or block submission
    RPC_VERIFY_REJECTED = -26  # transaction or block rejected by network rules
    RPC_VERIFY_ALREADY_IN_UTXO_SET = -27
    RPC_IN_WARMUP = -28
    RPC_METHOD_DEPRECATED = -32

    # P2P client errors
    RPC_CLIENT_NOT_CONNECTED = -9
    RPC_CLIENT_IN_INITIAL_DOWNLOAD = -10
    RPC_CLIENT_NODE_ALREADY_ADDED = -23
    RPC_CLIENT_NODE_NOT_ADDED = -24
    RPC_CLIENT_NODE_NOT_CONNECTED = -29
    RPC_CLIENT_INVALID_IP_OR_SUBNET = -30
    RPC_CLIENT_P2P_DISABLED = -31  # no valid connection manager instance found
    RPC_CLIENT_NODE_CAPACITY_REACHED = -34

    # Chain errors
    RPC_CLIENT_MEMPOOL_DISABLED = -33

    # Wallet errors
    RPC_WALLET_ERROR = -4
    RPC_WALLET_INSUFFICIENT_FUNDS = -6
    RPC_WALLET_INVALID_LABEL_NAME = -11
    RPC_WALLET_KEYPOOL_RAN_OUT = -12
    RPC_WALLET_UNLOCK_NEEDED = -13
    RPC_WALLET_PASSPHRASE_INCORRECT = -14
    RPC_WALLET_WRONG_ENC_STATE = -15
    RPC_WALLET_ENCRYPTION_FAILED = -16
    RPC_WALLET_ALREADY_UNLOCKED = -17
    RPC_WALLET_NOT_FOUND = -18
    RPC_WALLET_NOT_SPECIFIED = -19
    RPC_WALLET_ALREADY_LOADED = -35
    RPC_WALLET_ALREADY_EXISTS = -36

    # Unused, reserved for backwards compatibility
    RPC_FORBIDDEN_BY_SAFE_MODE = -2


RPC_INVALID_REQUEST: Final = RPCErrorCode.RPC_INVALID_REQUEST
RPC_METHOD_NOT_FOUND: Final = RPCErrorCode.RPC_METHOD_NOT_FOUND
RPC_INVALID_PARAMS: Final = RPCErrorCode.RPC_INVALID_PARAMS
RPC_INTERNAL_ERROR: Final = RPCErrorCode.RPC_INTERNAL_ERROR
RPC_PARSE_ERROR: Final = RPCErrorCode.RPC_PARSE_ERROR
RPC_MISC_ERROR: Final = RPCErrorCode.RPC_MISC_ERROR
RPC_TYPE_ERROR: Final = RPCErrorCode.RPC_TYPE_ERROR
RPC_INVALID_ADDRESS_OR_KEY: Final = RPCErrorCode.RPC_INVALID_ADDRESS_OR_KEY
RPC_OUT_OF_MEMORY: Final = RPCErrorCode.RPC_OUT_OF_MEMORY
RPC_INVALID_PARAMETER: Final = RPCErrorCode.RPC_INVALID_PARAMETER
RPC_DATABASE_ERROR: Final = RPCErrorCode.RPC_DATABASE_ERROR
RPC_DESERIALIZATION_ERROR: Final = RPCErrorCode.RPC_DESERIALIZATION_ERROR
RPC_VERIFY_ERROR: Final = RPCErrorCode.RPC_VERIFY_ERROR
RPC_VERIFY_REJECTED: Final = RPCErrorCode.RPC_VERIFY_REJECTED
RPC_VERIFY_ALREADY_IN_UTXO_SET: Final = RPCErrorCode.RPC_VERIFY_ALREADY_IN_UTXO_SET
#: The name RPC_VERIFY_ALREADY_IN_UTXO_SET had before v28.
RPC_VERIFY_ALREADY_IN_CHAIN: Final = RPCErrorCode.RPC_VERIFY_ALREADY_IN_UTXO_SET
RPC_IN_WARMUP: Final = RPCErrorCode.RPC_IN_WARMUP
RPC_METHOD_DEPRECATED: Final = RPCErrorCode.RPC_METHOD_DEPRECATED
RPC_TRANSACTION_ERROR: Final = RPCErrorCode.RPC_VERIFY_ERROR
RPC_TRANSACTION_REJECTED: Final = RPCErrorCode.RPC_VERIFY_REJECTED
RPC_CLIENT_NOT_CONNECTED: Final = RPCErrorCode.RPC_CLIENT_NOT_CONNECTED
RPC_CLIENT_IN_INITIAL_DOWNLOAD: Final = RPCErrorCode.RPC_CLIENT_IN_INITIAL_DOWNLOAD
RPC_CLIENT_NODE_ALREADY_ADDED: Final = RPCErrorCode.RPC_CLIENT_NODE_ALREADY_ADDED
RPC_CLIENT_NODE_NOT_ADDED: Final = RPCErrorCode.RPC_CLIENT_NODE_NOT_ADDED
RPC_CLIENT_NODE_NOT_CONNECTED: Final = RPCErrorCode.RPC_CLIENT_NODE_NOT_CONNECTED
RPC_CLIENT_INVALID_IP_OR_SUBNET: Final = RPCErrorCode.RPC_CLIENT_INVALID_IP_OR_SUBNET
RPC_CLIENT_P2P_DISABLED: Final = RPCErrorCode.RPC_CLIENT_P2P_DISABLED
RPC_CLIENT_NODE_CAPACITY_REACHED: Final = RPCErrorCode.RPC_CLIENT_NODE_CAPACITY_REACHED
RPC_CLIENT_MEMPOOL_DISABLED: Final = RPCErrorCode.RPC_CLIENT_MEMPOOL_DISABLED
RPC_WALLET_ERROR: Final = RPCErrorCode.RPC_WALLET_ERROR
RPC_WALLET_INSUFFICIENT_FUNDS: Final = RPCErrorCode.RPC_WALLET_INSUFFICIENT_FUNDS
RPC_WALLET_INVALID_LABEL_NAME: Final = RPCErrorCode.RPC_WALLET_INVALID_LABEL_NAME
RPC_WALLET_INVALID_ACCOUNT_NAME: Final = RPCErrorCode.RPC_WALLET_INVALID_LABEL_NAME
RPC_WALLET_KEYPOOL_RAN_OUT: Final = RPCErrorCode.RPC_WALLET_KEYPOOL_RAN_OUT
RPC_WALLET_UNLOCK_NEEDED: Final = RPCErrorCode.RPC_WALLET_UNLOCK_NEEDED
RPC_WALLET_PASSPHRASE_INCORRECT: Final = RPCErrorCode.RPC_WALLET_PASSPHRASE_INCORRECT
RPC_WALLET_WRONG_ENC_STATE: Final = RPCErrorCode.RPC_WALLET_WRONG_ENC_STATE
RPC_WALLET_ENCRYPTION_FAILED: Final = RPCErrorCode.RPC_WALLET_ENCRYPTION_FAILED
RPC_WALLET_ALREADY_UNLOCKED: Final = RPCErrorCode.RPC_WALLET_ALREADY_UNLOCKED
RPC_WALLET_NOT_FOUND: Final = RPCErrorCode.RPC_WALLET_NOT_FOUND
RPC_WALLET_NOT_SPECIFIED: Final = RPCErrorCode.RPC_WALLET_NOT_SPECIFIED
RPC_WALLET_ALREADY_LOADED: Final = RPCErrorCode.RPC_WALLET_ALREADY_LOADED
RPC_WALLET_ALREADY_EXISTS: Final = RPCErrorCode.RPC_WALLET_ALREADY_EXISTS
RPC_FORBIDDEN_BY_SAFE_MODE: Final = RPCErrorCode.RPC_FORBIDDEN_BY_SAFE_MODE


class JSONRPCError(Exception):
    """An RPC error: raise it where upstream throws ``JSONRPCError(code, message)``. The reply
    carries :meth:`obj`, the ``{"code": ..., "message": ...}`` object."""

    __slots__ = ("code", "message")

    code: int
    message: str

    def __init__(self, code: int, message: str) -> None:
        super().__init__(code, message)
        self.code = int(code)
        self.message = message

    def obj(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message}

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"JSONRPCError({self.code}, {self.message!r})"
