"""Command-line and bitcoin.conf options (src/common/args.h/.cpp, src/common/config.cpp, the
merge rules of src/common/settings.cpp, src/chainparamsbase.cpp and common/init.cpp's InitConfig).

bitcoind's semantics, verbatim: ``-foo`` sets "", ``-nofoo`` sets false, ``-foo=bar`` sets
"bar", ``--foo`` is ``-foo``; an unregistered option is "Invalid parameter -foo"; bitcoin.conf
has ``[section]`` headers, ``section.key=value`` lines and ``includeconf=``; and the precedence
is forced > command line > settings.json > the network's config section > the default section
(where the config file keeps the *first* value of a key, the command line the last).

What differs: regtest is the only chain, and the default one (upstream defaults to main);
selecting any other chain is an error that says so. The default data directory is
``~/.netsplit``, so a node never writes into a real bitcoind's ``~/.bitcoin``. Paths are
:class:`pathlib.Path`, and upstream's empty ``fs::path`` ("no path") is ``None``. Functions
that return ``bool`` with an ``std::string& error`` out-parameter return ``(ok, error)``.
``cs_args`` (a RecursiveMutex) is a ``threading.RLock``.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import IntEnum, IntFlag
from pathlib import Path
from typing import Any, Final, TypeAlias, overload

from . import chainparams, univalue
from .chainparams import ChainType, ChainTypeFromString, ChainTypeToString
from .logging import LogInfo, LogPrintf, LogWarning
from .strencodings import FormatParagraph, LocaleIndependentAtoi, TrimString

BITCOIN_CONF_FILENAME: Final = "bitcoin.conf"
BITCOIN_SETTINGS_FILENAME: Final = "settings.json"
#: Upstream's CLIENT_NAME (bitcoin-build-config.h), as common/addrman.py has it.
CLIENT_NAME: Final = "Bitcoin Core"

#: A setting's value (common::SettingsValue, a UniValue): None (unset), False (negated), a
#: string from the command line or a config file, or any JSON value from settings.json.
SettingsValue: TypeAlias = Any


def IsSwitchChar(c: str) -> bool:
    return c == "-"


class OptionsCategory(IntEnum):
    """Help sections, in the order GetHelpMessage prints them; HIDDEN options are never
    printed."""

    OPTIONS = 0
    CONNECTION = 1
    WALLET = 2
    WALLET_DEBUG_TEST = 3
    ZMQ = 4
    DEBUG_TEST = 5
    CHAINPARAMS = 6
    NODE_RELAY = 7
    BLOCK_CREATION = 8
    RPC = 9
    GUI = 10
    COMMANDS = 11
    REGISTER_COMMANDS = 12
    CLI_COMMANDS = 13
    IPC = 14
    HIDDEN = 15


@dataclass(slots=True)
class KeyInfo:
    name: str = ""
    section: str = ""
    negated: bool = False


@dataclass(slots=True)
class SectionInfo:
    m_name: str
    m_file: str
    m_line: int


# --- common/settings.h ----------------------------------------------------------------------------


@dataclass(slots=True)
class Settings:
    """Every source of settings, before merging (common::Settings)."""

    #: Set by ForceSetArg/SoftSetArg: one value per name.
    forced_settings: dict[str, SettingsValue] = field(default_factory=dict)
    #: Command-line values, in order, per name.
    command_line_options: dict[str, list[SettingsValue]] = field(default_factory=dict)
    #: settings.json.
    rw_settings: dict[str, SettingsValue] = field(default_factory=dict)
    #: bitcoin.conf: section ("" for the top) -> name -> values in file order.
    ro_config: dict[str, dict[str, list[SettingsValue]]] = field(default_factory=dict)


def _isFalse(v: SettingsValue) -> bool:
    return v is False


class SettingsSpan:
    """The values of one setting from one source; values before the last negation are
    ignored (common::SettingsSpan)."""

    __slots__ = ("data",)

    data: list[SettingsValue]

    def __init__(self, values: list[SettingsValue] | SettingsValue) -> None:
        self.data = values if isinstance(values, list) else [values]

    def negated(self) -> int:
        """How many values the last negation cancels (its position, 1-based), 0 if none."""
        for i in range(len(self.data), 0, -1):
            if _isFalse(self.data[i - 1]):
                return i
        return 0

    def last_negated(self) -> bool:
        return len(self.data) > 0 and _isFalse(self.data[-1])

    def empty(self) -> bool:
        return len(self.data) == 0 or self.last_negated()

    def __iter__(self) -> Iterator[SettingsValue]:
        return iter(self.data[self.negated() :])

    def values(self) -> list[SettingsValue]:
        return self.data[self.negated() :]


class _Source(IntEnum):
    FORCED = 0
    COMMAND_LINE = 1
    RW_SETTINGS = 2
    CONFIG_FILE_NETWORK_SECTION = 3
    CONFIG_FILE_DEFAULT_SECTION = 4


def _MergeSettings(
    settings: Settings, section: str, name: str, fn: Callable[[SettingsSpan, _Source], None]
) -> None:
    """Call ``fn`` with each source's values of ``name``, highest precedence first."""
    if name in settings.forced_settings:
        fn(SettingsSpan(settings.forced_settings[name]), _Source.FORCED)
    if name in settings.command_line_options:
        fn(SettingsSpan(settings.command_line_options[name]), _Source.COMMAND_LINE)
    if name in settings.rw_settings:
        fn(SettingsSpan(settings.rw_settings[name]), _Source.RW_SETTINGS)
    if section:
        values = settings.ro_config.get(section, {}).get(name)
        if values is not None:
            fn(SettingsSpan(values), _Source.CONFIG_FILE_NETWORK_SECTION)
    values = settings.ro_config.get("", {}).get(name)
    if values is not None:
        fn(SettingsSpan(values), _Source.CONFIG_FILE_DEFAULT_SECTION)


def GetSetting(
    settings: Settings,
    section: str,
    name: str,
    ignore_default_section_config: bool,
    ignore_nonpersistent: bool,
    get_chain_type: bool,
) -> SettingsValue:
    """The effective value of a single-valued setting, with upstream's backwards-compatible
    quirks: a negation in the default section applies even to network-only options, config
    files keep the first value (except for chain-type options), and a negated chain flag on the
    command line is ignored."""
    result: list[SettingsValue] = [None]
    done = [False]

    def merge(span: SettingsSpan, source: _Source) -> None:
        never_ignore_negated_setting = span.last_negated()
        reverse_precedence = (
            source in (_Source.CONFIG_FILE_NETWORK_SECTION, _Source.CONFIG_FILE_DEFAULT_SECTION)
            and not get_chain_type
        )
        skip_negated_command_line = get_chain_type
        if done[0]:
            return
        if (
            ignore_default_section_config
            and source == _Source.CONFIG_FILE_DEFAULT_SECTION
            and not never_ignore_negated_setting
        ):
            return
        if ignore_nonpersistent and source in (_Source.COMMAND_LINE, _Source.FORCED):
            return
        if skip_negated_command_line and span.last_negated():
            return
        if not span.empty():
            values = span.values()
            result[0] = values[0] if reverse_precedence else values[-1]
            done[0] = True
        elif span.last_negated():
            result[0] = False
            done[0] = True

    _MergeSettings(settings, section, name, merge)
    return result[0]


def GetSettingsList(
    settings: Settings, section: str, name: str, ignore_default_section_config: bool
) -> list[SettingsValue]:
    """Every value of a multi-valued setting. A command-line negation drops earlier values and
    the config file's, unless a value follows it: then the config file's values come back (a
    quirk kept for backwards compatibility)."""
    result: list[SettingsValue] = []
    done = [False]
    prev_negated_empty = [False]

    def merge(span: SettingsSpan, source: _Source) -> None:
        add_zombie_config_values = (
            source in (_Source.CONFIG_FILE_NETWORK_SECTION, _Source.CONFIG_FILE_DEFAULT_SECTION)
            and not prev_negated_empty[0]
        )
        if ignore_default_section_config and source == _Source.CONFIG_FILE_DEFAULT_SECTION:
            return
        if not done[0] or add_zombie_config_values:
            for value in span:
                if isinstance(value, list):
                    result.extend(value)
                else:
                    result.append(value)
        done[0] = done[0] or span.negated() > 0 or source == _Source.FORCED
        prev_negated_empty[0] = prev_negated_empty[0] or (span.last_negated() and not result)

    _MergeSettings(settings, section, name, merge)
    return result


def OnlyHasDefaultSectionSetting(settings: Settings, section: str, name: str) -> bool:
    """Set in the config file's default section and nowhere that would override it."""
    has_default_section_setting = False
    has_other_setting = False

    def merge(span: SettingsSpan, source: _Source) -> None:
        nonlocal has_default_section_setting, has_other_setting
        if span.empty():
            return
        if source == _Source.CONFIG_FILE_DEFAULT_SECTION:
            has_default_section_setting = True
        else:
            has_other_setting = True

    _MergeSettings(settings, section, name, merge)
    return has_default_section_setting and not has_other_setting


# --- common/args.cpp: value interpretation --------------------------------------------------------


def InterpretBool(strValue: str) -> bool:
    """The empty string is true, otherwise atoi() != 0: "true" is false (as upstream, PR12713)."""
    if strValue == "":
        return True
    return LocaleIndependentAtoi(strValue, 32) != 0


def SettingName(arg: str) -> str:
    return arg[1:] if arg.startswith("-") else arg


def InterpretKey(key: str) -> KeyInfo:
    """Split "section.noname" into section, name and negation."""
    result = KeyInfo()
    option_index = key.find(".")
    if option_index != -1:
        result.section = key[:option_index]
        key = key[option_index + 1 :]
    if key.startswith("no"):
        key = key[2:]
        result.negated = True
    result.name = key
    return result


def InterpretValue(key: KeyInfo, value: str | None, flags: int) -> tuple[SettingsValue | None, str]:
    """The setting a key and its value mean under the option's flags: ``(value, "")``, or
    ``(None, error)``. A negation is False (``-nofoo=0`` is a discouraged double negative: True)."""
    if key.negated:
        if flags & ArgsManager.DISALLOW_NEGATION:
            return None, f"Negating of -{key.name} is meaningless and therefore forbidden"
        if value is not None and not InterpretBool(value):
            LogPrintf(
                "Warning: parsed potentially confusing double-negative -%s=%s\n", key.name, value
            )
            return True, ""
        return False, ""
    if value is None and flags & ArgsManager.DISALLOW_ELISION:
        return None, (
            f"Can not set -{key.name} with no value. Please specify value with -{key.name}=value."
        )
    return (value if value is not None else ""), ""


def SettingToString(value: SettingsValue, strDefault: str | None = None) -> str | None:
    if value is None:
        return strDefault
    if value is False:
        return "0"
    if value is True:
        return "1"
    return univalue.getValStr(value) if not isinstance(value, str) else value


def SettingToInt(value: SettingsValue, nDefault: int | None = None) -> int | None:
    if value is None:
        return nDefault
    if value is False:
        return 0
    if value is True:
        return 1
    if univalue.isNum(value):
        return univalue.getInt(value, 64)
    return LocaleIndependentAtoi(univalue.getValStr(value), 64)


def SettingToBool(value: SettingsValue, fDefault: bool | None = None) -> bool | None:
    if value is None:
        return fDefault
    if isinstance(value, bool):
        return value
    return InterpretBool(univalue.getValStr(value))


# --- chainparamsbase.h ----------------------------------------------------------------------------


class CBaseChainParams:
    """What the RPC side needs to know about a chain: its data subdirectory and RPC port."""

    __slots__ = ("m_data_dir", "m_rpc_port")

    m_data_dir: str
    m_rpc_port: int

    def __init__(self, data_dir: str, rpc_port: int) -> None:
        self.m_data_dir = data_dir
        self.m_rpc_port = rpc_port

    def DataDir(self) -> str:
        return self.m_data_dir

    def RPCPort(self) -> int:
        return self.m_rpc_port


def CreateBaseChainParams(chain: ChainType) -> CBaseChainParams:
    if chain != ChainType.REGTEST:
        raise RuntimeError(_UnsupportedChainMessage(ChainTypeToString(chain)))
    return CBaseChainParams("regtest", 18443)


_globalChainBaseParams: CBaseChainParams = CreateBaseChainParams(ChainType.REGTEST)


def BaseParams() -> CBaseChainParams:
    """The selected base parameters (regtest, the only chain, until SelectBaseParams runs)."""
    return _globalChainBaseParams


def SelectBaseParams(chain: ChainType, args: ArgsManager | None = None) -> None:
    """Select the base parameters and the config-file network section of ``args`` (gArgs by
    default)."""
    global _globalChainBaseParams
    _globalChainBaseParams = CreateBaseChainParams(chain)
    (args if args is not None else gArgs).SelectConfigNetwork(ChainTypeToString(chain))


def SetupChainParamsBaseOptions(argsman: ArgsManager) -> None:
    """The chain-selection options. Only regtest runs; the other chains' flags stay known (and
    hidden) so that using them gives the "not supported" error rather than "Invalid
    parameter"."""
    argsman.AddArg(
        "-chain=<chain>",
        "Use the chain <chain> (default: regtest). Allowed values: regtest (netsplit runs "
        "regtest only)",
        ArgsManager.ALLOW_ANY,
        OptionsCategory.CHAINPARAMS,
    )
    argsman.AddArg(
        "-regtest",
        "Enter regression test mode, which uses a special chain in which blocks can be solved "
        "instantly. This is intended for regression testing tools and app development. "
        "Equivalent to -chain=regtest.",
        ArgsManager.ALLOW_ANY | ArgsManager.DEBUG_ONLY,
        OptionsCategory.CHAINPARAMS,
    )
    argsman.AddHiddenArgs(["-testnet", "-testnet4", "-signet"])


def _UnsupportedChainMessage(chain: str) -> str:
    return (
        f"Chain {chain} is not supported: netsplit runs regtest only. Use -regtest (the "
        f"default) or -chain=regtest."
    )


# --- ArgsManager ----------------------------------------------------------------------------------


@dataclass(slots=True)
class _Arg:
    m_help_param: str
    m_help_text: str
    m_flags: int


class ArgsManager:
    """Registered options, their parsed values from every source, and the merge between them."""

    class Flags(IntFlag):
        ALLOW_ANY = 0x01  # disable validation
        DISALLOW_NEGATION = 0x20  # disallow -nofoo syntax
        DISALLOW_ELISION = 0x40  # disallow -foo syntax that doesn't assign any value
        DEBUG_ONLY = 0x100
        #: Ignored in the config file's default section unless the network is main, so a
        #: shared bitcoin.conf cannot leak e.g. mainnet ports into regtest.
        NETWORK_ONLY = 0x200
        SENSITIVE = 0x400  # the value is logged as ****
        COMMAND = 0x800

    ALLOW_ANY: Final = Flags.ALLOW_ANY
    DISALLOW_NEGATION: Final = Flags.DISALLOW_NEGATION
    DISALLOW_ELISION: Final = Flags.DISALLOW_ELISION
    DEBUG_ONLY: Final = Flags.DEBUG_ONLY
    NETWORK_ONLY: Final = Flags.NETWORK_ONLY
    SENSITIVE: Final = Flags.SENSITIVE
    COMMAND: Final = Flags.COMMAND

    @dataclass(slots=True)
    class Command:
        #: The registered command, or "" when any command is accepted.
        command: str = ""
        args: list[str] = field(default_factory=list)

    __slots__ = (
        "cs_args",
        "m_accept_any_command",
        "m_available_args",
        "m_cached_blocks_path",
        "m_cached_datadir_path",
        "m_cached_network_datadir_path",
        "m_command",
        "m_config_path",
        "m_config_path_set",
        "m_config_sections",
        "m_network",
        "m_network_only_args",
        "m_settings",
    )

    cs_args: threading.RLock
    m_settings: Settings
    m_command: list[str]
    m_network: str
    m_network_only_args: set[str]
    m_available_args: dict[OptionsCategory, dict[str, _Arg]]
    m_accept_any_command: bool
    m_config_sections: list[SectionInfo]
    #: The config file in use, None with -noconf; meaningful once m_config_path_set.
    m_config_path: Path | None
    m_config_path_set: bool
    m_cached_blocks_path: Path | None
    m_cached_datadir_path: Path | None
    m_cached_network_datadir_path: Path | None

    def __init__(self) -> None:
        self.cs_args = threading.RLock()
        self.m_settings = Settings()
        self.m_command = []
        self.m_network = ""
        self.m_network_only_args = set()
        self.m_available_args = {}
        self.m_accept_any_command = True
        self.m_config_sections = []
        self.m_config_path = None
        self.m_config_path_set = False
        self.m_cached_blocks_path = None
        self.m_cached_datadir_path = None
        self.m_cached_network_datadir_path = None

    # -- settings access ------------------------------------------------------------------------

    def UseDefaultSection(self, arg: str) -> bool:
        """Whether values in the config file's default section count for ``arg``."""
        return self.m_network == ChainTypeToString(ChainType.MAIN) or (
            arg not in self.m_network_only_args
        )

    def GetSetting(self, arg: str) -> SettingsValue:
        """None if unset, False if negated, else the value (a string from argv/config)."""
        with self.cs_args:
            return GetSetting(
                self.m_settings,
                self.m_network,
                SettingName(arg),
                not self.UseDefaultSection(arg),
                ignore_nonpersistent=False,
                get_chain_type=False,
            )

    def GetSettingsList(self, arg: str) -> list[SettingsValue]:
        with self.cs_args:
            return GetSettingsList(
                self.m_settings, self.m_network, SettingName(arg), not self.UseDefaultSection(arg)
            )

    def SelectConfigNetwork(self, network: str) -> None:
        with self.cs_args:
            self.m_network = network

    # -- parsing ---------------------------------------------------------------------------------

    def ParseParameters(self, argv: Sequence[str]) -> tuple[bool, str]:
        """Parse ``argv`` (argv[0] is the program, as upstream's argc/argv). Returns
        ``(ok, error)``; the error is upstream's, e.g. "Invalid parameter -foo"."""
        with self.cs_args:
            self.m_settings.command_line_options.clear()
            i = 1
            while i < len(argv):
                key = argv[i]
                if key == "-":
                    break  # bitcoin-tx reading stdin
                val: str | None = None
                is_index = key.find("=")
                if is_index != -1:
                    val = key[is_index + 1 :]
                    key = key[:is_index]
                if not key.startswith("-"):
                    if not self.m_accept_any_command and not self.m_command:
                        # The first non-dash argument must be a registered command.
                        flags = self.GetArgFlags(key)
                        if flags is None or not flags & ArgsManager.COMMAND:
                            return False, f"Invalid command '{argv[i]}'"
                    self.m_command.append(key)
                    self.m_command.extend(argv[i + 1 :])
                    break
                if len(key) > 1 and key[1] == "-":
                    key = key[1:]  # --foo is -foo
                key = key[1:]
                keyinfo = InterpretKey(key)
                flags = self.GetArgFlags("-" + keyinfo.name)
                # Unknown options, and options with a section ("-regtest.port"), are invalid.
                if flags is None or keyinfo.section:
                    return False, f"Invalid parameter {argv[i]}"
                value, error = InterpretValue(keyinfo, val, flags)
                if value is None:
                    return False, error
                self.m_settings.command_line_options.setdefault(keyinfo.name, []).append(value)
                i += 1

            # -includeconf is only allowed negated on the command line.
            includes = self.m_settings.command_line_options.get("includeconf")
            if includes is not None:
                values = SettingsSpan(includes).values()
                if values:
                    return False, (
                        "-includeconf cannot be used from commandline; -includeconf="
                        + univalue.write(values[0])
                    )
            return True, ""

    def GetArgFlags(self, name: str) -> int | None:
        """The flags of a registered option ("-foo"), None if unknown."""
        with self.cs_args:
            for arg_map in self.m_available_args.values():
                arg = arg_map.get(name)
                if arg is not None:
                    return arg.m_flags
            return None

    # -- paths -----------------------------------------------------------------------------------

    def GetPathArg(self, arg: str, default_value: Path | str | None = None) -> Path | None:
        """The option as a normalized path (no trailing separator); ``default_value`` when it
        is unset or empty; None when it is negated (upstream's empty path)."""
        if self.IsArgNegated(arg):
            return None
        path_str = self.GetArg(arg, "")
        if path_str == "":
            return Path(default_value) if default_value not in (None, "") else None
        return Path(os.path.normpath(path_str))

    def GetBlocksDirPath(self) -> Path | None:
        """<datadir>/regtest/blocks (or under -blocksdir), created on first use; None if
        -blocksdir is not a directory."""
        with self.cs_args:
            if self.m_cached_blocks_path is not None:
                return self.m_cached_blocks_path
            if self.IsArgSet("-blocksdir"):
                blocksdir = self.GetPathArg("-blocksdir")
                path = Path(os.path.abspath(blocksdir)) if blocksdir is not None else None
                if path is None or not path.is_dir():
                    return None
            else:
                base = self.GetDataDirBase()
                if base is None:
                    return None
                path = base
            path = path / BaseParams().DataDir() / "blocks"
            path.mkdir(parents=True, exist_ok=True)
            self.m_cached_blocks_path = path
            return path

    def GetDataDir(self, net_specific: bool) -> Path | None:
        """-datadir (absolute), or the default data directory; with ``net_specific`` the
        chain's subdirectory ("regtest"). None if -datadir is not a directory."""
        with self.cs_args:
            cached = (
                self.m_cached_network_datadir_path if net_specific else self.m_cached_datadir_path
            )
            if cached is not None:
                return cached
            datadir = self.GetPathArg("-datadir")
            if datadir is not None:
                path = Path(os.path.abspath(datadir))
                if not path.is_dir():
                    return None
            else:
                path = GetDefaultDataDir()
            if net_specific and BaseParams().DataDir():
                path = path / BaseParams().DataDir()
            if net_specific:
                self.m_cached_network_datadir_path = path
            else:
                self.m_cached_datadir_path = path
            return path

    def GetDataDirBase(self) -> Path | None:
        return self.GetDataDir(False)

    def GetDataDirNet(self) -> Path | None:
        return self.GetDataDir(True)

    def ClearPathCache(self) -> None:
        with self.cs_args:
            self.m_cached_datadir_path = None
            self.m_cached_network_datadir_path = None
            self.m_cached_blocks_path = None

    def GetCommand(self) -> ArgsManager.Command | None:
        with self.cs_args:
            if not self.m_command:
                return None
            if self.m_accept_any_command:
                return ArgsManager.Command("", list(self.m_command))
            return ArgsManager.Command(self.m_command[0], list(self.m_command[1:]))

    # -- typed getters ---------------------------------------------------------------------------

    def GetArgs(self, strArg: str) -> list[str]:
        """Every value of a multi-valued option, as strings ("0"/"1" for booleans)."""
        result = []
        for value in self.GetSettingsList(strArg):
            as_str = SettingToString(value)
            result.append(as_str if as_str is not None else "")
        return result

    def IsArgSet(self, strArg: str) -> bool:
        return self.GetSetting(strArg) is not None

    def IsArgNegated(self, strArg: str) -> bool:
        return self.GetSetting(strArg) is False

    @overload
    def GetArg(self, strArg: str, strDefault: str) -> str: ...
    @overload
    def GetArg(self, strArg: str, strDefault: None = None) -> str | None: ...
    def GetArg(self, strArg: str, strDefault: str | None = None) -> str | None:
        """The option's string value, ``strDefault`` if unset (upstream's two overloads: with a
        default it returns a string, without one an optional)."""
        return SettingToString(self.GetSetting(strArg), strDefault)

    @overload
    def GetIntArg(self, strArg: str, nDefault: int) -> int: ...
    @overload
    def GetIntArg(self, strArg: str, nDefault: None = None) -> int | None: ...
    def GetIntArg(self, strArg: str, nDefault: int | None = None) -> int | None:
        """atoi semantics: "12abc" is 12, "abc" is 0; a negation is 0."""
        return SettingToInt(self.GetSetting(strArg), nDefault)

    @overload
    def GetBoolArg(self, strArg: str, fDefault: bool) -> bool: ...
    @overload
    def GetBoolArg(self, strArg: str, fDefault: None = None) -> bool | None: ...
    def GetBoolArg(self, strArg: str, fDefault: bool | None = None) -> bool | None:
        return SettingToBool(self.GetSetting(strArg), fDefault)

    def SoftSetArg(self, strArg: str, strValue: str) -> bool:
        """Set the option unless it already has a value; says whether it set it."""
        with self.cs_args:
            if self.IsArgSet(strArg):
                return False
            self.ForceSetArg(strArg, strValue)
            return True

    def SoftSetBoolArg(self, strArg: str, fValue: bool) -> bool:
        return self.SoftSetArg(strArg, "1" if fValue else "0")

    def ForceSetArg(self, strArg: str, strValue: str | Sequence[str]) -> None:
        """Override every other source. A list of strings is a multi-valued setting (upstream
        stores a UniValue array the same way)."""
        with self.cs_args:
            value = strValue if isinstance(strValue, str) else list(strValue)
            self.m_settings.forced_settings[SettingName(strArg)] = value

    # -- chain selection -------------------------------------------------------------------------

    def GetChainArg(self) -> ChainType | str:
        """The chain -regtest/-testnet/-testnet4/-signet/-chain select: a ChainType, or the
        -chain string when it names no known chain. Regtest when none is given."""

        def get_net(arg: str) -> bool:
            with self.cs_args:
                value = GetSetting(
                    self.m_settings,
                    "",
                    SettingName(arg),
                    ignore_default_section_config=False,
                    ignore_nonpersistent=False,
                    get_chain_type=True,
                )
            if value is None:
                return False
            return value if isinstance(value, bool) else InterpretBool(univalue.getValStr(value))

        fRegTest = get_net("-regtest")
        fSigNet = get_net("-signet")
        fTestNet = get_net("-testnet")
        fTestNet4 = get_net("-testnet4")
        chain_arg = self.GetArg("-chain")
        if int(chain_arg is not None) + fRegTest + fSigNet + fTestNet + fTestNet4 > 1:
            raise RuntimeError(
                "Invalid combination of -regtest, -signet, -testnet, -testnet4 and -chain. Can "
                "use at most one."
            )
        if chain_arg is not None:
            parsed = ChainTypeFromString(chain_arg)
            return parsed if parsed is not None else chain_arg
        if fRegTest:
            return ChainType.REGTEST
        if fSigNet:
            return ChainType.SIGNET
        if fTestNet:
            return ChainType.TESTNET
        if fTestNet4:
            return ChainType.TESTNET4
        return ChainType.REGTEST

    def GetChainType(self) -> ChainType:
        """The selected chain; raises RuntimeError for an unknown chain ("Unknown chain %s.")
        and for any chain other than regtest."""
        arg = self.GetChainArg()
        if isinstance(arg, str):
            raise RuntimeError(f"Unknown chain {arg}.")
        if arg != ChainType.REGTEST:
            raise RuntimeError(_UnsupportedChainMessage(ChainTypeToString(arg)))
        return arg

    def GetChainTypeString(self) -> str:
        arg = self.GetChainArg()
        return arg if isinstance(arg, str) else ChainTypeToString(arg)

    # -- registration ----------------------------------------------------------------------------

    def AddArg(self, name: str, help: str, flags: int, cat: OptionsCategory) -> None:
        """Register "-name" or "-name=<param>" (the part from '=' is only for the help)."""
        assert not flags & ArgsManager.COMMAND, "use AddCommand"
        eq_index = name.find("=")
        if eq_index == -1:
            eq_index = len(name)
        arg_name = name[:eq_index]
        with self.cs_args:
            arg_map = self.m_available_args.setdefault(cat, {})
            assert arg_name not in arg_map, f"option {arg_name} registered twice"
            arg_map[arg_name] = _Arg(name[eq_index:], help, flags)
            if flags & ArgsManager.NETWORK_ONLY:
                self.m_network_only_args.add(arg_name)

    def AddCommand(self, cmd: str, help: str) -> None:
        assert "=" not in cmd and not cmd.startswith("-")
        with self.cs_args:
            self.m_accept_any_command = False
            arg_map = self.m_available_args.setdefault(OptionsCategory.COMMANDS, {})
            assert cmd not in arg_map, f"command {cmd} registered twice"
            arg_map[cmd] = _Arg("", help, ArgsManager.COMMAND)

    def AddHiddenArgs(self, names: Sequence[str]) -> None:
        for name in names:
            self.AddArg(name, "", ArgsManager.ALLOW_ANY, OptionsCategory.HIDDEN)

    def ClearArgs(self) -> None:
        with self.cs_args:
            self.m_settings = Settings()
            self.m_available_args.clear()
            self.m_network_only_args.clear()

    def CheckMultipleCLIArgs(self) -> None:
        with self.cs_args:
            found = [
                cmd
                for cmd in sorted(self.m_available_args.get(OptionsCategory.CLI_COMMANDS, {}))
                if self.IsArgSet(cmd)
            ]
            if len(found) > 1:
                raise RuntimeError(f"Only one of {', '.join(found)} may be specified.")

    _CATEGORY_TITLES: Final = {
        OptionsCategory.OPTIONS: "Options:",
        OptionsCategory.CONNECTION: "Connection options:",
        OptionsCategory.ZMQ: "ZeroMQ notification options:",
        OptionsCategory.DEBUG_TEST: "Debugging/Testing options:",
        OptionsCategory.NODE_RELAY: "Node relay options:",
        OptionsCategory.BLOCK_CREATION: "Block creation options:",
        OptionsCategory.RPC: "RPC server options:",
        OptionsCategory.IPC: "IPC interprocess connection options:",
        OptionsCategory.WALLET: "Wallet options:",
        OptionsCategory.CHAINPARAMS: "Chain selection options:",
        OptionsCategory.GUI: "UI Options:",
        OptionsCategory.COMMANDS: "Commands:",
        OptionsCategory.REGISTER_COMMANDS: "Register Commands:",
        OptionsCategory.CLI_COMMANDS: "CLI Commands:",
    }

    def GetHelpMessage(self) -> str:
        """The option list bitcoind -help prints: categories in order, options sorted, each
        wrapped at 79 columns; DEBUG_ONLY options only with -help-debug."""
        show_debug = self.GetBoolArg("-help-debug", False)
        usage = ""
        with self.cs_args:
            for cat in sorted(self.m_available_args):
                if cat == OptionsCategory.WALLET_DEBUG_TEST:
                    if show_debug:
                        usage += HelpMessageGroup("Wallet debugging/testing options:")
                elif cat in self._CATEGORY_TITLES:
                    usage += HelpMessageGroup(self._CATEGORY_TITLES[cat])
                if cat == OptionsCategory.HIDDEN:
                    break
                for arg_name, arg in sorted(self.m_available_args[cat].items()):
                    if show_debug or not arg.m_flags & ArgsManager.DEBUG_ONLY:
                        usage += HelpMessageOpt(arg_name + arg.m_help_param, arg.m_help_text)
        return usage

    # -- settings.json ---------------------------------------------------------------------------

    def GetSettingsPath(self, temp: bool = False, backup: bool = False) -> Path | None:
        """<datadir>/regtest/settings.json (-settings), None when -nosettings."""
        settings = self.GetPathArg("-settings", BITCOIN_SETTINGS_FILENAME)
        if settings is None:
            return None
        name = str(settings) + (".bak" if backup else "") + (".tmp" if temp else "")
        base = self.GetDataDirNet()
        return Path(name) if base is None else base / name

    def ReadSettingsFile(self, errors: list[str] | None = None) -> bool:
        path = self.GetSettingsPath()
        if path is None:
            return True  # disabled with -nosettings
        with self.cs_args:
            self.m_settings.rw_settings.clear()
            read_errors: list[str] = []
            values = ReadSettings(path, read_errors)
            if values is None:
                _SaveErrors(read_errors, errors)
                return False
            self.m_settings.rw_settings = values
            for name in values:
                key = InterpretKey(name)
                if self.GetArgFlags("-" + key.name) is None:
                    LogPrintf("Ignoring unknown rw_settings value %s\n", name)
            return True

    def WriteSettingsFile(self, errors: list[str] | None = None, backup: bool = False) -> bool:
        path = self.GetSettingsPath(temp=False, backup=backup)
        path_tmp = self.GetSettingsPath(temp=True, backup=backup)
        if path is None or path_tmp is None:
            raise RuntimeError("Attempt to write settings file when dynamic settings are disabled.")
        with self.cs_args:
            write_errors: list[str] = []
            if not WriteSettings(path_tmp, self.m_settings.rw_settings, write_errors):
                _SaveErrors(write_errors, errors)
                return False
            try:
                os.replace(path_tmp, path)
            except OSError:
                _SaveErrors([f"Failed renaming settings file {path_tmp} to {path}\n"], errors)
                return False
            return True

    def GetPersistentSetting(self, name: str) -> SettingsValue:
        """The value from settings.json or bitcoin.conf, ignoring -foo and ForceSetArg."""
        with self.cs_args:
            return GetSetting(
                self.m_settings,
                self.m_network,
                name,
                not self.UseDefaultSection("-" + name),
                ignore_nonpersistent=True,
                get_chain_type=False,
            )

    def LockSettings(self, fn: Callable[[Settings], None]) -> None:
        with self.cs_args:
            fn(self.m_settings)

    # -- config file -----------------------------------------------------------------------------

    def GetConfigFilePath(self) -> Path | None:
        """The config file in use; None with -noconf (upstream's empty path)."""
        with self.cs_args:
            assert self.m_config_path_set
            return self.m_config_path

    def SetConfigFilePath(self, path: Path | None) -> None:
        with self.cs_args:
            assert not self.m_config_path_set
            self.m_config_path = path
            self.m_config_path_set = True

    def ReadConfigStream(
        self, stream: str, filepath: str, ignore_invalid_keys: bool = False
    ) -> tuple[bool, str]:
        """Read one config file's text into the config-file settings."""
        lines = stream.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        with self.cs_args:
            ok, error, options = GetConfigOptions(lines, filepath, self.m_config_sections)
            if not ok:
                return False, error
            for option_name, option_value in options:
                key = InterpretKey(option_name)
                flags = self.GetArgFlags("-" + key.name)
                ok, error = IsConfSupported(key)
                if not ok:
                    return False, error
                if flags is not None:
                    value, error = InterpretValue(key, option_value, flags)
                    if value is None:
                        return False, error
                    section = self.m_settings.ro_config.setdefault(key.section, {})
                    section.setdefault(key.name, []).append(value)
                elif ignore_invalid_keys:
                    LogPrintf("Ignoring unknown configuration value %s\n", option_name)
                else:
                    return False, f"Invalid configuration value {option_name}"
            return True, ""

    def ReadConfigFiles(self, ignore_invalid_keys: bool = False) -> tuple[bool, str]:
        """Read -conf (default <datadir>/bitcoin.conf, optional unless given explicitly) and
        the files it includes with includeconf= (in its top section or the chain's section).
        Returns ``(ok, error)``."""
        with self.cs_args:
            self.m_settings.ro_config.clear()
            self.m_config_sections.clear()
            conf = self.GetPathArg("-conf", BITCOIN_CONF_FILENAME)
            self.m_config_path = AbsPathForConfigVal(self, conf, net_specific=False)
            self.m_config_path_set = True

        conf_path = self.GetConfigFilePath()
        lines: str | None = None
        if conf_path is not None:  # None with -noconf
            if conf_path.is_dir():
                return False, f'Config file "{conf_path}" is a directory.'
            lines = _ReadFile(conf_path)
            if self.IsArgSet("-conf") and lines is None:
                return False, f'specified config file "{conf_path}" could not be opened.'
        if lines is not None:
            ok, error = self.ReadConfigStream(lines, str(conf_path), ignore_invalid_keys)
            if not ok:
                return False, error
            # -includeconf on the command line can only be -noincludeconf: no includes then.
            with self.cs_args:
                use_conf_file = "includeconf" not in self.m_settings.command_line_options
            if use_conf_file:
                chain_id = self.GetChainTypeString()
                conf_file_names: list[str] = []

                def add_includes(network: str, skip: int = 0) -> int:
                    with self.cs_args:
                        values = self.m_settings.ro_config.get(network, {}).get("includeconf")
                        if values is None:
                            return 0
                        for i in range(max(skip, SettingsSpan(values).negated()), len(values)):
                            conf_file_names.append(str(values[i]))
                        return len(values)

                # The network is not selected yet, so look at its section by hand.
                chain_includes = add_includes(chain_id)
                default_includes = add_includes("")

                for conf_file_name in conf_file_names:
                    include_conf_path = AbsPathForConfigVal(
                        self, Path(conf_file_name), net_specific=False
                    )
                    assert include_conf_path is not None
                    if include_conf_path.is_dir():
                        return False, f'Included config file "{include_conf_path}" is a directory.'
                    include_lines = _ReadFile(include_conf_path)
                    if include_lines is None:
                        return False, "Failed to include configuration file " + conf_file_name
                    ok, error = self.ReadConfigStream(
                        include_lines, conf_file_name, ignore_invalid_keys
                    )
                    if not ok:
                        return False, error
                    LogPrintf("Included configuration file %s\n", conf_file_name)

                # includeconf inside an included file is ignored, with a warning.
                conf_file_names.clear()
                add_includes(chain_id, skip=chain_includes)
                add_includes("", skip=default_includes)
                chain_id_final = self.GetChainTypeString()
                if chain_id_final != chain_id:
                    add_includes(chain_id_final)
                for conf_file_name in conf_file_names:
                    print(
                        "warning: -includeconf cannot be used from included files; ignoring "
                        f"-includeconf={conf_file_name}",
                        file=sys.stderr,
                    )

        # datadir= may have been set in the config file.
        self.ClearPathCache()
        if not CheckDataDirOption(self):
            return (
                False,
                f'specified data directory "{self.GetArg("-datadir", "")}" does not exist.',
            )
        return True, ""

    def GetUnsuitableSectionOnlyArgs(self) -> set[str]:
        """NETWORK_ONLY options set only in the default section, where regtest ignores them."""
        with self.cs_args:
            if not self.m_network or self.m_network == ChainTypeToString(ChainType.MAIN):
                return set()
            return {
                arg
                for arg in self.m_network_only_args
                if OnlyHasDefaultSectionSetting(self.m_settings, self.m_network, SettingName(arg))
            }

    def GetUnrecognizedSections(self) -> list[SectionInfo]:
        available_sections = {c.value for c in ChainType}
        with self.cs_args:
            return [s for s in self.m_config_sections if s.m_name not in available_sections]

    # -- logging ---------------------------------------------------------------------------------

    def logArgsPrefix(
        self, prefix: str, section: str, args: dict[str, list[SettingsValue]]
    ) -> None:
        section_str = "" if section == "" else "[" + section + "] "
        for name, values in args.items():
            for value in values:
                flags = self.GetArgFlags("-" + name)
                if flags is not None:
                    value_str = "****" if flags & ArgsManager.SENSITIVE else univalue.write(value)
                    LogPrintf("%s %s%s=%s\n", prefix, section_str, name, value_str)

    def LogArgs(self) -> None:
        """Log every config-file, settings-file and command-line value (secrets masked)."""
        with self.cs_args:
            for section, args in sorted(self.m_settings.ro_config.items()):
                self.logArgsPrefix("Config file arg:", section, dict(sorted(args.items())))
            for name, value in sorted(self.m_settings.rw_settings.items()):
                LogPrintf("Setting file arg: %s = %s\n", name, univalue.write(value))
            self.logArgsPrefix(
                "Command-line arg:", "", dict(sorted(self.m_settings.command_line_options.items()))
            )


#: The process's options (upstream's gArgs).
gArgs: Final = ArgsManager()


def _SaveErrors(errors: list[str], error_out: list[str] | None) -> None:
    for error in errors:
        if error_out is not None:
            error_out.append(error)
        else:
            LogPrintf("%s\n", error)


def _ReadFile(path: Path) -> str | None:
    """The file's text, None if it cannot be opened."""
    try:
        with open(path, encoding="utf-8", errors="surrogateescape", newline="") as f:
            return f.read()
    except OSError:
        return None


def ReadSettings(path: Path, errors: list[str]) -> dict[str, SettingsValue] | None:
    """settings.json's values (none if the file does not exist); None and ``errors`` on
    failure."""
    errors.clear()
    if not path.exists():
        return {}
    try:
        data = path.read_bytes()
    except OSError:
        errors.append(f"{path}. Please check permissions.")
        return None
    ok, value = univalue.read(data)
    if not ok:
        errors.append(
            f"Settings file {path} does not contain valid JSON. This is probably caused by disk "
            "corruption or a crash, and can be fixed by removing the file, which will reset "
            "settings to default values."
        )
        return None
    if not isinstance(value, dict):
        errors.append(f"Found non-object value {univalue.write(value)} in settings file {path}")
        return None
    if isinstance(value, univalue.JSONObject) and value.m_duplicate_keys:
        errors.append(f"Found duplicate key {value.m_duplicate_keys[0]} in settings file {path}")
        return None
    values = dict(value)
    values.pop(_SETTINGS_WARN_MSG_KEY, None)
    return values


_SETTINGS_WARN_MSG_KEY: Final = "_warning_"


def WriteSettings(path: Path, values: dict[str, SettingsValue], errors: list[str]) -> bool:
    out: dict[str, SettingsValue] = {
        _SETTINGS_WARN_MSG_KEY: (
            f"This file is automatically generated and updated by {CLIENT_NAME}. Please do not "
            "edit this file while the node is running, as any changes might be ignored or "
            "overwritten."
        )
    }
    out.update(sorted(values.items()))
    try:
        with open(path, "w", encoding="utf-8") as f:
            f.write(univalue.write(out, 4, 1) + "\n")
    except OSError:
        errors.append(f"Error: Unable to open settings file {path} for writing")
        return False
    return True


def GetConfigOptions(
    lines: Sequence[str], filepath: str, sections: list[SectionInfo]
) -> tuple[bool, str, list[tuple[str, str]]]:
    """Parse config-file lines into ("section.name", value) pairs, recording sections met.
    Returns ``(ok, error, options)``."""
    options: list[tuple[str, str]] = []
    prefix = ""
    pattern = " \t\r\n"
    for linenr, raw in enumerate(lines, start=1):
        line = raw
        used_hash = False
        pos = line.find("#")
        if pos != -1:
            line = line[:pos]
            used_hash = True
        line = TrimString(line, pattern)
        if not line:
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            sections.append(SectionInfo(section, filepath, linenr))
            prefix = section + "."
        elif line.startswith("-"):
            return (
                False,
                (
                    f"parse error on line {linenr}: {line}, options in configuration file must be "
                    "specified without leading -"
                ),
                options,
            )
        elif (pos := line.find("=")) != -1:
            name = prefix + TrimString(line[:pos], pattern)
            value = TrimString(line[pos + 1 :], pattern)
            if used_hash and "rpcpassword" in name:
                return (
                    False,
                    (
                        f"parse error on line {linenr}, using # in rpcpassword can be ambiguous "
                        "and should be avoided"
                    ),
                    options,
                )
            options.append((name, value))
            dot = name.rfind(".")
            if dot != -1 and len(prefix) <= dot:
                sections.append(SectionInfo(name[:dot], filepath, linenr))
        else:
            error = f"parse error on line {linenr}: {line}"
            if len(line) >= 2 and line.startswith("no"):
                error += f", if you intended to specify a negated option, use {line}=1 instead"
            return False, error, options
    return True, "", options


def IsConfSupported(key: KeyInfo) -> tuple[bool, str]:
    if key.name == "conf":
        return False, (
            "conf cannot be set in the configuration file; use includeconf= if you want to "
            "include additional config files"
        )
    if key.name == "reindex":
        LogPrintf(
            "Warning: reindex=1 is set in the configuration file, which will significantly slow "
            "down startup. Consider removing or commenting out this option for better "
            "performance, unless there is currently a condition which makes rebuilding the "
            "indexes necessary\n"
        )
    return True, ""


def AbsPathForConfigVal(
    args: ArgsManager, path: Path | None, net_specific: bool = True
) -> Path | None:
    """A relative path is taken relative to the data directory (the network's with
    ``net_specific``)."""
    if path is None or path.is_absolute():
        return path
    base = args.GetDataDirNet() if net_specific else args.GetDataDirBase()
    return (base if base is not None else Path()) / path


def GetDefaultDataDir() -> Path:
    """~/.netsplit (upstream: ~/.bitcoin), so a netsplit node never shares a real bitcoind's
    data directory."""
    home = os.environ.get("HOME", "")
    return (Path(home) if home else Path("/")) / ".netsplit"


def CheckDataDirOption(args: ArgsManager) -> bool:
    """True if -datadir is unset or an existing directory."""
    datadir = args.GetPathArg("-datadir")
    return datadir is None or Path(os.path.abspath(datadir)).is_dir()


def HelpRequested(args: ArgsManager) -> bool:
    return (
        args.IsArgSet("-?")
        or args.IsArgSet("-h")
        or args.IsArgSet("-help")
        or args.IsArgSet("-help-debug")
    )


def SetupHelpOptions(args: ArgsManager) -> None:
    args.AddArg(
        "-help",
        "Print this help message and exit (also -h or -?)",
        ArgsManager.ALLOW_ANY,
        OptionsCategory.OPTIONS,
    )
    args.AddHiddenArgs(["-h", "-?"])


_screenWidth: Final = 79
_optIndent: Final = 2
_msgIndent: Final = 7


def HelpMessageGroup(message: str) -> str:
    return message + "\n\n"


def HelpMessageOpt(option: str, message: str) -> str:
    return (
        " " * _optIndent
        + option
        + "\n"
        + " " * _msgIndent
        + FormatParagraph(message, _screenWidth - _msgIndent, _msgIndent)
        + "\n\n"
    )


TEST_OPTIONS_DOC: Final = [
    "addrman (use deterministic addrman)",
    "reindex_after_failure_noninteractive_yes (When asked for a reindex after failure "
    "interactively, simulate as-if answered with 'yes')",
    "bip94 (enforce BIP94 consensus rules)",
]


def HasTestOption(args: ArgsManager, test_option: str) -> bool:
    return test_option in args.GetArgs("-test")


# --- common/init.cpp ------------------------------------------------------------------------------


class ConfigStatus(IntEnum):
    FAILED = 0
    FAILED_WRITE = 1
    ABORTED = 2


@dataclass(slots=True)
class ConfigError:
    status: ConfigStatus
    message: str
    details: list[str] = field(default_factory=list)


def InitConfig(args: ArgsManager) -> ConfigError | None:
    """Read the config file, select the chain, create the data directories and settings.json
    (common::InitConfig without the GUI's settings-abort prompt and the wallets directories)."""
    try:
        if not CheckDataDirOption(args):
            return ConfigError(
                ConfigStatus.FAILED,
                f'Specified data directory "{args.GetArg("-datadir", "")}" does not exist.',
            )
        # Remember where the config came from before datadir= in it can move the datadir.
        orig_datadir_path = args.GetDataDirBase()
        orig_config_path = AbsPathForConfigVal(
            args, args.GetPathArg("-conf", BITCOIN_CONF_FILENAME), net_specific=False
        )

        ok, error = args.ReadConfigFiles(ignore_invalid_keys=True)
        if not ok:
            return ConfigError(ConfigStatus.FAILED, f"Error reading configuration file: {error}")

        chain = args.GetChainType()
        SelectBaseParams(chain, args)
        chainparams.SelectParams(chain)

        base_path = args.GetDataDirBase()
        net_path = args.GetDataDirNet()
        assert base_path is not None and net_path is not None
        base_path.mkdir(parents=True, exist_ok=True)
        net_path.mkdir(parents=True, exist_ok=True)

        # A bitcoin.conf in the datadir that is not the one in use is an error (or a warning).
        base_config_path = base_path / BITCOIN_CONF_FILENAME
        if base_config_path.exists():
            if orig_config_path is None:
                LogInfo(
                    'Data directory "%s" contains a "%s" file which is explicitly ignored using '
                    "-noconf.",
                    base_path,
                    BITCOIN_CONF_FILENAME,
                )
            elif not _same_file(orig_config_path, base_config_path):
                cli_config_path = args.GetArg("-conf", "")
                config_source = (
                    f'data directory "{orig_datadir_path}"'
                    if not cli_config_path
                    else f'command line argument "-conf={cli_config_path}"'
                )
                error = (
                    f'Data directory "{base_path}" contains a "{BITCOIN_CONF_FILENAME}" file '
                    f"which is ignored, because a different configuration file "
                    f'"{orig_config_path}" from {config_source} is being used instead. Possible '
                    "ways to address this would be to:\n"
                    f'- Delete or rename the "{BITCOIN_CONF_FILENAME}" file in data directory '
                    f'"{base_path}".\n'
                    "- Change datadir= or conf= options to specify one configuration file, not "
                    "two, and use includeconf= to include any other configuration files."
                )
                if args.GetBoolArg("-allowignoredconf", False):
                    LogWarning("%s", error)
                else:
                    error += (
                        "\n- Set allowignoredconf=1 option to treat this condition as a "
                        "warning, not an error."
                    )
                    return ConfigError(ConfigStatus.FAILED, error)

        if args.GetSettingsPath() is not None:
            details: list[str] = []
            if not args.ReadSettingsFile(details):
                return ConfigError(ConfigStatus.FAILED, "Settings file could not be read", details)
            if not args.WriteSettingsFile(details):
                return ConfigError(
                    ConfigStatus.FAILED_WRITE, "Settings file could not be written", details
                )
    except (RuntimeError, OSError, ValueError) as e:
        return ConfigError(ConfigStatus.FAILED, str(e))
    return None


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False
