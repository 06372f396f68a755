"""On-disk databases of addresses (src/addrdb.h/.cpp, with src/net_types.h/.cpp and the JSON
settings file handling of src/common/settings.cpp that the ban list uses).

peers.dat and anchors.dat are written as upstream's SerializeFileDB writes them: the network
magic, the data, then the SHA256d of both, into a temporary file that is flushed, fsynced and
renamed over the old one. The ban list is banlist.json, a settings-style JSON file; upstream
writes it in place, here it goes through the same temporary-file-and-rename as the others, so a
crash never leaves half a ban list.

Upstream's ArgsManager is not here: the functions take the data directory (upstream's
``GetDataDirNet()``) and the two options LoadAddrman reads.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Final

from .addrman import (
    CLIENT_NAME,
    DEFAULT_ADDRMAN_CONSISTENCY_CHECKS,
    AddrMan,
    InvalidAddrManVersionError,
)
from .chainparams import Params
from .hash import hash256
from .logging import LogError, LogInfo, LogPrintf, LogWarning
from .netaddress import CSubNet
from .netbase import LookupSubNet
from .netgroup import NetGroupManager
from .protocol import CAddress
from .random import FastRandomContext
from .serialize import DataStream, SerializationError, ser_vector

#: Upstream's CLIENT_BUGREPORT (bitcoin-build-config.h), used in the corrupt peers.dat error.
CLIENT_BUGREPORT: Final = "https://github.com/bitcoin/bitcoin/issues"


def _quoted(s: str) -> str:
    """``fs::quoted``: in double quotes, with quotes and backslashes escaped."""
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


# ---------------------------------------------------------------------------------------------
# net_types.h: CBanEntry and the ban map.

_BANMAN_JSON_VERSION_KEY: Final = "version"
_BANMAN_JSON_ADDR_KEY: Final = "address"


def _json_type_name(v: object) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int | float):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    return "object"


def _get_int(obj: object, key: str) -> int:
    """UniValue's ``json[key].getInt<>()``: a missing key or a non-object reads as null, and
    anything but an integer raises (std::runtime_error upstream, ValueError here)."""
    v = obj.get(key) if isinstance(obj, dict) else None
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise ValueError(f"JSON value of type {_json_type_name(v)} is not of expected type number")
    if isinstance(v, float):
        # UniValue parses the number's text as an integer: "1.0" or "1e3" do not parse.
        raise ValueError("JSON integer out of range")
    return v


def _get_str(obj: object, key: str) -> str:
    v = obj.get(key) if isinstance(obj, dict) else None
    if not isinstance(v, str):
        raise ValueError(f"JSON value of type {_json_type_name(v)} is not of expected type string")
    return v


@dataclass(slots=True)
class CBanEntry:
    """One ban: when it was made and until when it holds (seconds since the epoch)."""

    CURRENT_VERSION: ClassVar[int] = 1

    nVersion: int = 1
    nCreateTime: int = 0
    nBanUntil: int = 0

    @classmethod
    def FromJson(cls, json_obj: object) -> CBanEntry:
        """Upstream's ``CBanEntry(const UniValue&)``; ValueError if a field is missing or not an
        integer."""
        return cls(
            _get_int(json_obj, _BANMAN_JSON_VERSION_KEY),
            _get_int(json_obj, "ban_created"),
            _get_int(json_obj, "banned_until"),
        )

    def ToJson(self) -> dict[str, Any]:
        return {
            _BANMAN_JSON_VERSION_KEY: self.nVersion,
            "ban_created": self.nCreateTime,
            "banned_until": self.nBanUntil,
        }


#: Upstream's ``banmap_t`` (a std::map<CSubNet, CBanEntry>).
banmap_t = dict[CSubNet, CBanEntry]


def BanMapToJson(bans: banmap_t) -> list[dict[str, Any]]:
    """The ban map as a JSON array, in the map's (CSubNet) order, as ``listbanned`` shows it."""
    bans_json: list[dict[str, Any]] = []
    for address in sorted(bans):
        j = bans[address].ToJson()
        j[_BANMAN_JSON_ADDR_KEY] = address.ToString()
        bans_json.append(j)
    return bans_json


def BanMapFromJson(bans_json: object, bans: banmap_t) -> None:
    """Fill ``bans`` from what :func:`BanMapToJson` made. Entries of another version or with an
    unparseable subnet are dropped with a log line; a malformed document raises ValueError."""
    if not isinstance(bans_json, list | dict):
        raise ValueError("JSON value is not an object or array as expected")
    values = list(bans_json.values()) if isinstance(bans_json, dict) else bans_json
    for ban_entry_json in values:
        version = _get_int(ban_entry_json, _BANMAN_JSON_VERSION_KEY)
        if version != CBanEntry.CURRENT_VERSION:
            LogPrintf("Dropping entry with unknown version (%s) from ban list\n", version)
            continue
        subnet_str = _get_str(ban_entry_json, _BANMAN_JSON_ADDR_KEY)
        subnet = LookupSubNet(subnet_str)
        if not subnet.IsValid():
            LogPrintf(
                "Dropping entry with unparseable address or subnet (%s) from ban list\n",
                subnet_str,
            )
            continue
        bans[subnet] = CBanEntry.FromJson(ban_entry_json)


# ---------------------------------------------------------------------------------------------
# common/settings.cpp's ReadSettings / WriteSettings, for banlist.json.

_SETTINGS_WARN_MSG_KEY: Final = "_warning_"


class _JsonObject(list[tuple[str, Any]]):
    """A JSON object as read, its key/value pairs in order, duplicates kept (as UniValue)."""


def _univalue_escape(s: str) -> str:
    # UniValue escapes quotes, backslashes and control characters (DEL too); the rest is UTF-8.
    return json.dumps(s, ensure_ascii=False).replace("\x7f", "\\u007f")


def _univalue_write(v: Any, pretty_indent: int, indent_level: int) -> str:
    """``UniValue::write(prettyIndent, indentLevel)``, byte for byte."""
    if indent_level == 0:
        indent_level = 1
    if isinstance(v, dict):
        items = list(v.items())
        s = "{\n" if pretty_indent else "{"
        for i, (key, value) in enumerate(items):
            s += " " * (pretty_indent * indent_level)
            s += _univalue_escape(key) + ":" + (" " if pretty_indent else "")
            s += _univalue_write(value, pretty_indent, indent_level + 1)
            if i != len(items) - 1:
                s += ","
            if pretty_indent:
                s += "\n"
        return s + " " * (pretty_indent * (indent_level - 1)) + "}"
    if isinstance(v, list):
        s = "[\n" if pretty_indent else "["
        for i, value in enumerate(v):
            s += " " * (pretty_indent * indent_level)
            s += _univalue_write(value, pretty_indent, indent_level + 1)
            if i != len(v) - 1:
                s += ","
            if pretty_indent:
                s += "\n"
        return s + " " * (pretty_indent * (indent_level - 1)) + "]"
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return _univalue_escape(v)
    raise TypeError(f"cannot write {type(v).__name__} as JSON")


def _first_wins(v: Any) -> Any:
    """Turn read objects into dicts where, as UniValue's ``operator[]``, the first of duplicate
    keys is the one seen."""
    if isinstance(v, _JsonObject):
        out: dict[str, Any] = {}
        for key, value in v:
            if key not in out:
                out[key] = _first_wins(value)
        return out
    if isinstance(v, list):
        return [_first_wins(x) for x in v]
    return v


def _reject_constant(name: str) -> Any:
    raise ValueError(f"invalid JSON constant {name}")


def _read_settings(path: Path, values: dict[str, Any], errors: list[str]) -> bool:
    """common::ReadSettings: a missing file is fine; otherwise a JSON object whose keys, bar
    the ``_warning_`` comment, land in ``values``."""
    values.clear()
    errors.clear()

    if not path.exists():
        return True

    try:
        raw = path.read_bytes()
    except OSError:
        errors.append(f"{path}. Please check permissions.")
        return False
    try:
        # UnicodeDecodeError is a ValueError: invalid UTF-8 is invalid JSON, as for UniValue.
        doc = json.loads(
            raw.decode("utf-8"), object_pairs_hook=_JsonObject, parse_constant=_reject_constant
        )
    except ValueError:
        errors.append(
            f"Settings file {path} does not contain valid JSON. This is probably caused by disk "
            "corruption or a crash, and can be fixed by removing the file, which will reset "
            "settings to default values."
        )
        return False

    if not isinstance(doc, _JsonObject):
        errors.append(
            f"Found non-object value {_univalue_write(_first_wins(doc), 0, 0)} in settings "
            f"file {path}"
        )
        return False

    for key, value in doc:
        if key in values:
            errors.append(f"Found duplicate key {key} in settings file {path}")
            values.clear()
            break
        values[key] = _first_wins(value)

    values.pop(_SETTINGS_WARN_MSG_KEY, None)
    return not errors


def _write_settings(path: Path, values: dict[str, Any], errors: list[str]) -> bool:
    """common::WriteSettings: the ``_warning_`` comment, then the values, pretty-printed as
    UniValue prints them. Written to a temporary file, fsynced and renamed into place."""
    out: dict[str, Any] = {
        _SETTINGS_WARN_MSG_KEY: (
            f"This file is automatically generated and updated by {CLIENT_NAME}. Please do not "
            "edit this file while the node is running, as any changes might be ignored or "
            "overwritten."
        )
    }
    for key in sorted(values):
        out[key] = values[key]
    data = (_univalue_write(out, 4, 1) + "\n").encode("utf-8")
    tmp = path.with_name(path.name + ".tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
    except OSError:
        errors.append(f"Error: Unable to open settings file {path} for writing")
        return False
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        errors.append(f"Error: Unable to write settings file {path}: {e}")
        return False
    return True


# ---------------------------------------------------------------------------------------------
# addrdb.cpp


class DbNotFoundError(Exception):
    """The database file could not be opened."""


def SerializeDB(payload: bytes) -> bytes:
    """The header (network magic), the data and the SHA256d of both (upstream's
    HashedSourceWriter)."""
    data = Params().MessageStart() + payload
    return data + hash256(data)


def SerializeFileDB(prefix: str, path: Path, serialize: Callable[[], bytes]) -> bool:
    """Write ``serialize()`` framed by :func:`SerializeDB` to ``path`` through a temporary file
    ``<prefix>.<4 hex digits>`` beside it: write, flush, fsync, close, rename over."""
    randv = FastRandomContext().randbits(16)
    tmpfn = f"{prefix}.{randv:04x}"
    pathTmp = path.parent / tmpfn
    try:
        file = open(pathTmp, "wb")  # noqa: SIM115 - closed explicitly, as upstream's AutoFile
    except OSError:
        pathTmp.unlink(missing_ok=True)
        LogError("%s: Failed to open file %s\n", "SerializeFileDB", str(pathTmp))
        return False

    try:
        file.write(SerializeDB(serialize()))
    except (SerializationError, OSError, ValueError) as e:
        LogError("%s: Serialize or I/O error - %s\n", "SerializeDB", str(e))
        _close_quietly(file)
        pathTmp.unlink(missing_ok=True)
        return False
    try:
        file.flush()
        os.fsync(file.fileno())
    except OSError:
        _close_quietly(file)
        pathTmp.unlink(missing_ok=True)
        LogError("%s: Failed to flush file %s\n", "SerializeFileDB", str(pathTmp))
        return False
    try:
        file.close()
    except OSError as e:
        pathTmp.unlink(missing_ok=True)
        LogError(
            "Failed to close file %s after commit: %s", str(pathTmp), f"{e.strerror} ({e.errno})"
        )
        return False

    # Replace the existing file, if any.
    try:
        os.replace(pathTmp, path)
    except OSError:
        pathTmp.unlink(missing_ok=True)
        LogError("%s: Rename-into-place failed\n", "SerializeFileDB")
        return False
    return True


def _close_quietly(file: Any) -> None:
    with contextlib.suppress(OSError):
        file.close()


def DeserializeDB(
    raw: bytes, read_data: Callable[[DataStream], object], fCheckSum: bool = True
) -> None:
    """The magic must be ours, then ``read_data(stream)`` reads the payload, then (with
    ``fCheckSum``) the stored hash must match the bytes read so far.

    Upstream's HashVerifier hashes while reading; hashing the bytes consumed is the same."""
    s = DataStream(raw)
    pchMsgTmp = s.read(4)
    if pchMsgTmp != Params().MessageStart():
        raise SerializationError("Invalid network magic number")
    read_data(s)
    if fCheckSum:
        consumed = s.tell()
        hashTmp = s.read(32)
        if hashTmp != hash256(raw[:consumed]):
            raise SerializationError("Checksum mismatch, data corrupted")


def DeserializeFileDB(path: Path, read_data: Callable[[DataStream], object]) -> None:
    """DeserializeDB over the file's contents; DbNotFoundError when it cannot be opened."""
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise DbNotFoundError(str(e)) from e
    DeserializeDB(raw, read_data)


class CBanDB:
    """The ban list database, ``<ban_list_path>.json`` (banlist.json). A ``.dat`` beside it is an
    old format that is only warned about."""

    __slots__ = ("m_banlist_dat", "m_banlist_json")

    #: The JSON key the bans are stored under.
    JSON_KEY: ClassVar[str] = "banned_nets"

    m_banlist_dat: Path
    m_banlist_json: Path

    def __init__(self, ban_list_path: Path | str) -> None:
        base = str(ban_list_path)
        self.m_banlist_dat = Path(base + ".dat")
        self.m_banlist_json = Path(base + ".json")

    def Write(self, banSet: banmap_t) -> bool:
        errors: list[str] = []
        if _write_settings(self.m_banlist_json, {self.JSON_KEY: BanMapToJson(banSet)}, errors):
            return True
        for err in errors:
            LogError("%s\n", err)
        return False

    def Read(self, banSet: banmap_t) -> bool:
        """Load the ban list into ``banSet``; False (contents undefined) when there is no file or
        it cannot be read."""
        if self.m_banlist_dat.exists():
            LogWarning(
                "banlist.dat ignored because it can only be read by "
                + CLIENT_NAME
                + " version 22.x. Remove %s to silence this warning.",
                _quoted(str(self.m_banlist_dat)),
            )
        # No JSON ban list: have it recreated.
        if not self.m_banlist_json.exists():
            return False

        settings: dict[str, Any] = {}
        errors: list[str] = []
        if not _read_settings(self.m_banlist_json, settings, errors):
            for err in errors:
                LogWarning("Cannot load banlist %s: %s", str(self.m_banlist_json), err)
            return False

        try:
            BanMapFromJson(settings.get(self.JSON_KEY), banSet)
        except ValueError as e:
            LogWarning("Cannot parse banlist %s: %s", str(self.m_banlist_json), str(e))
            return False
        return True


def DumpPeerAddresses(datadir: Path | str, addr: AddrMan) -> bool:
    """Write ``addr`` to ``<datadir>/peers.dat``."""
    pathAddr = Path(datadir) / "peers.dat"
    return SerializeFileDB("peers", pathAddr, addr.Serialize)


def ReadFromStream(addr: AddrMan, ssPeers: DataStream) -> None:
    """Read an AddrMan preceded by the network magic, without a checksum (tests only)."""
    pchMsgTmp = ssPeers.read(4)
    if pchMsgTmp != Params().MessageStart():
        raise SerializationError("Invalid network magic number")
    addr.Unserialize(ssPeers)


class LoadAddrmanError(Exception):
    """LoadAddrman's failure, with the message init shows the user (upstream's util::Error)."""


def LoadAddrman(
    netgroupman: NetGroupManager,
    datadir: Path | str,
    *,
    check_addrman: int = DEFAULT_ADDRMAN_CONSISTENCY_CHECKS,
    deterministic: bool = False,
) -> AddrMan:
    """The AddrMan saved in ``<datadir>/peers.dat``.

    A missing file gives a fresh, saved AddrMan; a file from an incompatible newer version is
    renamed to peers.dat.bak and replaced by a fresh one; any other corruption raises
    LoadAddrmanError, as upstream refuses to start. ``check_addrman`` is -checkaddrman;
    ``deterministic`` is ``-test=addrman`` (tests only)."""
    check_addrman = max(0, min(check_addrman, 1000000))

    addrman = AddrMan(netgroupman, deterministic, check_addrman)

    start = time.monotonic()
    path_addr = Path(datadir) / "peers.dat"
    try:
        DeserializeFileDB(path_addr, addrman.Unserialize)
        LogInfo(
            "Loaded %i addresses from peers.dat  %dms",
            addrman.Size(),
            int((time.monotonic() - start) * 1000),
        )
    except DbNotFoundError:
        # The failed read may have left addrman inconsistent: start over.
        addrman = AddrMan(netgroupman, deterministic, check_addrman)
        LogInfo("Creating peers.dat because the file was not found (%s)", _quoted(str(path_addr)))
        DumpPeerAddresses(datadir, addrman)
    except InvalidAddrManVersionError:
        try:
            os.replace(path_addr, Path(str(path_addr) + ".bak"))
        except OSError:
            raise LoadAddrmanError(
                "Failed to rename invalid peers.dat file. Please move or delete it and try again."
            ) from None
        addrman = AddrMan(netgroupman, deterministic, check_addrman)
        LogWarning(
            "Creating new peers.dat because the file version was not compatible (%s). "
            "Original backed up to peers.dat.bak",
            _quoted(str(path_addr)),
        )
        DumpPeerAddresses(datadir, addrman)
    except (SerializationError, OSError) as e:
        raise LoadAddrmanError(
            f"Invalid or corrupt peers.dat ({e}). If you believe this is a bug, please report it "
            f"to {CLIENT_BUGREPORT}. As a workaround, you can move the file "
            f"({_quoted(str(path_addr))}) out of the way (rename, move, or delete) to have a new "
            "one created on the next start."
        ) from e
    return addrman


def _ser_anchors(anchors: list[CAddress]) -> bytes:
    return ser_vector(anchors, lambda a: a.serialize(CAddress.V2_DISK))


def DumpAnchors(anchors_db_path: Path | str, anchors: list[CAddress]) -> None:
    """Write anchors.dat: the outbound block-relay-only peers we try again first at startup."""
    # LOG_TIME_SECONDS: a "started" line, then "completed" with the time taken.
    title = f"Flush {len(anchors)} outbound block-relay-only peer addresses to anchors.dat"
    LogPrintf("%s: %s started\n", "DumpAnchors", title)
    start = time.monotonic()
    SerializeFileDB("anchors", Path(anchors_db_path), lambda: _ser_anchors(anchors))
    LogPrintf("%s: %s completed (%.2fs)\n", "DumpAnchors", title, time.monotonic() - start)


def ReadAnchors(anchors_db_path: Path | str) -> list[CAddress]:
    """Read anchors.dat, then delete it, whether it could be read or not: after an unclean
    shutdown the anchors are not tried again, so the anchor policy cannot be exploited."""
    path = Path(anchors_db_path)
    anchors: list[CAddress] = []

    def read(s: DataStream) -> None:
        anchors.extend(s.read_vector(lambda st: CAddress.deserialize(st, CAddress.V2_DISK)))

    try:
        DeserializeFileDB(path, read)
        LogInfo("Loaded %i addresses from %s", len(anchors), _quoted(path.name))
    except (DbNotFoundError, SerializationError, OSError):
        anchors.clear()

    path.unlink(missing_ok=True)
    return anchors
