"""ArgsManager: bitcoind's command-line and bitcoin.conf semantics.

Ported in part from upstream's src/test/argsman_tests.cpp (util_ParseParameters,
util_ParseInvalidParameters, util_ArgParsing, util_GetBoolArg, util_GetBoolArgEdgeCases,
util_ReadConfigStream, util_NoIncludeConf, util_datadir), plus the regtest-only chain rules,
includeconf, InitConfig and the help layout.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from common import logging as node_logging
from common.args import (
    ArgsManager,
    CheckDataDirOption,
    HelpMessageGroup,
    HelpMessageOpt,
    InitConfig,
    OptionsCategory,
    SetupChainParamsBaseOptions,
    SetupHelpOptions,
)
from common.chainparams import ChainType
from common.httprpc import add_rpc_server_args

ANY = ArgsManager.ALLOW_ANY


def make_args(*names: str, flags: int = ANY) -> ArgsManager:
    args = ArgsManager()
    for name in names:
        args.AddArg(name, "", flags, OptionsCategory.OPTIONS)
    return args


def node_args(datadir: Path) -> ArgsManager:
    """The options a node registers for these tests (a subset of SetupServerArgs)."""
    args = ArgsManager()
    SetupHelpOptions(args)
    SetupChainParamsBaseOptions(args)
    add_rpc_server_args(args)
    for name in ("-datadir=<dir>", "-conf=<file>", "-includeconf=<file>", "-settings=<file>"):
        args.AddArg(name, "", ANY, OptionsCategory.OPTIONS)
    args.AddArg("-port=<port>", "", ANY | ArgsManager.NETWORK_ONLY, OptionsCategory.CONNECTION)
    args.AddArg("-addnode=<ip>", "", ANY | ArgsManager.NETWORK_ONLY, OptionsCategory.CONNECTION)
    args.AddArg("-listen", "", ANY, OptionsCategory.CONNECTION)
    args.AddArg("-debug=<category>", "", ANY, OptionsCategory.DEBUG_TEST)
    return args


# --- ParseParameters ------------------------------------------------------------------------------


def test_parse_parameters_stops_at_the_first_non_option_argument() -> None:
    args = make_args("-a", "-b", "-ccc", "-d")
    argv = ["-ignored", "-a", "-b", "-ccc=argument", "-ccc=multiple", "f", "-d=e"]
    assert args.ParseParameters(argv[:1]) == (True, "")
    assert args.m_settings.command_line_options == {}

    assert args.ParseParameters(argv) == (True, "")
    # argv[0] is the program; -d comes after the non-option "f" (no GNU-style reordering).
    assert args.m_settings.command_line_options == {
        "a": [""],
        "b": [""],
        "ccc": ["argument", "multiple"],
    }
    assert args.GetArgs("-ccc") == ["argument", "multiple"]
    assert not args.IsArgSet("-d")
    assert args.GetCommand() == ArgsManager.Command("", ["f", "-d=e"])


def test_unregistered_option_is_an_invalid_parameter_error() -> None:
    args = make_args("-registered")
    assert args.ParseParameters(["ignored", "-registered"]) == (True, "")
    assert args.ParseParameters(["ignored", "-unregistered"]) == (
        False,
        "Invalid parameter -unregistered",
    )
    assert args.ParseParameters(["ignored", "-foo=bar"]) == (False, "Invalid parameter -foo=bar")
    # A chain-section prefix is not allowed on the command line.
    assert args.ParseParameters(["ignored", "-test.registered"]) == (
        False,
        "Invalid parameter -test.registered",
    )


def test_double_dash_option_is_the_single_dash_option() -> None:
    args = make_args("-listen")
    assert args.ParseParameters(["x", "--listen=0"]) == (True, "")
    assert args.GetBoolArg("-listen", True) is False


def test_negation_is_refused_for_disallow_negation_options() -> None:
    args = make_args("-datadir", flags=ANY | ArgsManager.DISALLOW_NEGATION)
    assert args.ParseParameters(["x", "-nodatadir"]) == (
        False,
        "Negating of -datadir is meaningless and therefore forbidden",
    )


def test_value_is_required_for_disallow_elision_options() -> None:
    args = make_args("-rpcport", flags=ANY | ArgsManager.DISALLOW_ELISION)
    assert args.ParseParameters(["x", "-rpcport"]) == (
        False,
        "Can not set -rpcport with no value. Please specify value with -rpcport=value.",
    )


@pytest.mark.parametrize(
    ("value", "expected_bool", "expected_int"),
    [
        ("", True, 0),
        (" ", False, 0),
        ("0", False, 0),
        ("0 ", False, 0),
        (" 0", False, 0),
        ("+0", False, 0),
        ("-0", False, 0),
        ("5", True, 5),
        ("5 ", True, 5),
        (" 5", True, 5),
        ("+5", True, 5),
        ("-5", True, -5),
        ("0 5", False, 0),
        ("5 0", True, 5),
        ("050", True, 50),
        ("0.", False, 0),
        ("5.", True, 5),
        ("0.0", False, 0),
        ("0.5", False, 0),
        ("5.0", True, 5),
        ("5.5", True, 5),
        ("x", False, 0),
        ("x0", False, 0),
        ("x5", False, 0),
        ("0x", False, 0),
        ("5x", True, 5),
        ("0x5", False, 0),
        ("false", False, 0),
        ("true", False, 0),
        ("yes", False, 0),
        ("no", False, 0),
    ],
)
def test_bool_and_int_values_follow_atoi(
    value: str, expected_bool: bool, expected_int: int
) -> None:
    args = make_args("-value")
    assert args.ParseParameters(["ignored", "-value=" + value]) == (True, "")
    assert args.GetBoolArg("-value", False) is expected_bool
    assert args.GetBoolArg("-value", True) is expected_bool
    assert args.GetIntArg("-value", 99998) == expected_int
    assert args.GetIntArg("-value", 99999) == expected_int


def test_int_arg_saturates_at_int64_bounds() -> None:
    args = make_args("-big", "-small")
    args.ParseParameters(["x", "-big=99999999999999999999", "-small=-99999999999999999999"])
    assert args.GetIntArg("-big", 0) == (1 << 63) - 1
    assert args.GetIntArg("-small", 0) == -(1 << 63)


def test_no_prefix_negates_and_later_values_override() -> None:
    args = make_args("-a", "-b", "-c", "-d", "-e", "-f")
    argv = ["ignored", "-a", "-nob", "-c=0", "-d=1", "-e=false", "-f=true"]
    assert args.ParseParameters(argv) == (True, "")
    assert not args.IsArgSet("-nob")
    assert args.IsArgNegated("-b") and not args.IsArgNegated("-a")
    assert [args.GetBoolArg(f"-{c}", not expected) for c, expected in zip("abcdef", [
        True, False, False, True, False, False,
    ], strict=True)] == [True, False, False, True, False, False]  # fmt: skip


def test_double_negative_and_override_edge_cases() -> None:
    args = make_args("-foo", "-bar")
    assert args.ParseParameters(["ignored", "-nofoo", "-foo", "-nobar=0"]) == (True, "")
    assert not args.IsArgNegated("-foo")
    assert args.GetArg("-foo", "xxx") == ""
    # -nobar=0 is a (discouraged) double negative: true, not negated.
    assert not args.IsArgNegated("-bar")
    assert args.GetArg("-bar", "xxx") == "1"

    # The command line overrides the config file without erasing it.
    args.ParseParameters(["ignored", "-nofoo", "-bar"])
    args.ReadConfigStream("foo=1\nnobar=1\n", "")
    assert args.IsArgNegated("-foo")
    assert args.GetArg("-foo", "xxx") == "0"
    assert args.GetArgs("-foo") == []
    assert args.GetArg("-bar", "xxx") == ""
    assert args.GetArgs("-bar") == [""]


def test_includeconf_is_only_allowed_negated_on_the_command_line() -> None:
    args = make_args("-includeconf")
    assert args.ParseParameters(["x", "-noincludeconf"]) == (True, "")
    assert args.ParseParameters(["x", "-includeconf"]) == (
        False,
        '-includeconf cannot be used from commandline; -includeconf=""',
    )
    assert args.ParseParameters(["x", "-includeconf=file"]) == (
        False,
        '-includeconf cannot be used from commandline; -includeconf="file"',
    )


# --- bitcoin.conf ---------------------------------------------------------------------------------

CONFIG = (
    "a=\n"
    "b=1\n"
    "ccc=argument\n"
    "ccc=multiple\n"
    "d=e\n"
    "nofff=1\n"
    "noggg=0\n"
    "h=1\n"
    "noh=1\n"
    "noi=1\n"
    "i=1\n"
    "sec1.ccc=extend1\n"
    "\n"
    "[sec1]\n"
    "ccc=extend2\n"
    "d=eee\n"
    "h=1\n"
    "[sec2]\n"
    "ccc=extend3\n"
    "iii=2\n"
)


def test_config_stream_keeps_first_value_and_sections_override() -> None:
    args = make_args("-a", "-b", "-ccc", "-d", "-e", "-fff", "-ggg", "-h", "-i", "-iii")
    assert args.ReadConfigStream(CONFIG, "") == (True, "")
    ro = args.m_settings.ro_config
    assert sorted(ro) == ["", "sec1", "sec2"]
    assert sorted(ro[""]) == ["a", "b", "ccc", "d", "fff", "ggg", "h", "i"]
    assert sorted(ro["sec1"]) == ["ccc", "d", "h"]
    assert sorted(ro["sec2"]) == ["ccc", "iii"]

    assert [args.GetArg(o, "xxx") for o in ("-a", "-b", "-ccc", "-d", "-fff", "-ggg")] == [
        "",
        "1",
        "argument",
        "e",
        "0",
        "1",
    ]
    assert args.GetArg("-h", "xxx") == "0"  # the last setting wins for negation
    assert args.GetArg("-i", "xxx") == "1"
    assert args.GetArg("-iii", "xxx") == "xxx"  # only in [sec2]
    assert args.IsArgNegated("-fff") and args.IsArgNegated("-h") and not args.IsArgNegated("-i")
    assert args.GetArgs("-ggg") == ["1"] and args.GetArgs("-h") == []

    args.SelectConfigNetwork("sec1")
    assert args.GetArg("-d", "xxx") == "eee"
    assert args.GetArg("-h", "xxx") == "1"
    assert args.GetArg("-ccc", "xxx") == "extend1"
    assert args.GetArgs("-ccc") == ["extend1", "extend2", "argument", "multiple"]

    args.SelectConfigNetwork("sec2")
    assert args.GetArg("-h", "xxx") == "0"
    assert args.GetArg("-iii", "xxx") == "2"
    assert args.GetArgs("-ccc") == ["extend3", "argument", "multiple"]

    # Network-only options ignore the default section on any network but main.
    args.m_network_only_args.update({"-d", "-ccc", "-h"})
    args.SelectConfigNetwork("main")
    assert args.GetArg("-d", "xxx") == "e"
    assert len(args.GetArgs("-ccc")) == 2
    args.SelectConfigNetwork("sec2")
    assert args.GetArg("-d", "xxx") == "xxx"
    assert args.GetArgs("-ccc") == ["extend3"]
    assert args.GetArg("-h", "xxx") == "0"  # a default-section negation still applies


@pytest.mark.parametrize(
    ("config", "error"),
    [
        ("-rpcport=1\n", "parse error on line 1: -rpcport=1, options in configuration file must be "
         "specified without leading -"),
        ("\nnolisten\n", "parse error on line 2: nolisten, if you intended to specify a negated "
         "option, use nolisten=1 instead"),
        ("rpcpassword=a#b\n", "parse error on line 1, using # in rpcpassword can be ambiguous and "
         "should be avoided"),
        ("conf=other.conf\n", "conf cannot be set in the configuration file; use includeconf= if "
         "you want to include additional config files"),
        ("unknownoption=1\n", "Invalid configuration value unknownoption"),
    ],
)  # fmt: skip
def test_config_stream_errors_are_upstreams(config: str, error: str) -> None:
    args = make_args("-listen", "-rpcpassword", "-rpcport", "-conf")
    assert args.ReadConfigStream(config, "bitcoin.conf") == (False, error)


def test_bitcoin_conf_regtest_section_applies_to_network_only_options(tmp_path: Path) -> None:
    (tmp_path / "bitcoin.conf").write_text(
        "rpcport=1111\nport=2222\nlisten=0\naddnode=10.0.0.1\n[regtest]\nrpcport=18999\n"
    )
    args = node_args(tmp_path)
    assert args.ParseParameters(["bitcoind", f"-datadir={tmp_path}"]) == (True, "")
    assert args.ReadConfigFiles() == (True, "")
    args.SelectConfigNetwork("regtest")
    assert args.GetIntArg("-rpcport", 0) == 18999
    # -port and -addnode are NETWORK_ONLY: the top section does not reach regtest.
    assert args.GetIntArg("-port", 18444) == 18444
    assert args.GetArgs("-addnode") == []
    assert args.GetBoolArg("-listen", True) is False
    assert args.GetUnsuitableSectionOnlyArgs() == {"-port", "-addnode"}
    assert args.GetUnrecognizedSections() == []


def test_command_line_overrides_bitcoin_conf(tmp_path: Path) -> None:
    (tmp_path / "bitcoin.conf").write_text("[regtest]\nrpcport=18999\nrpcuser=alice\n")
    args = node_args(tmp_path)
    args.ParseParameters(["bitcoind", f"-datadir={tmp_path}", "-rpcport=19000"])
    assert args.ReadConfigFiles() == (True, "")
    args.SelectConfigNetwork("regtest")
    assert args.GetArg("-rpcport", "") == "19000"
    assert args.GetArg("-rpcuser", "") == "alice"


def test_includeconf_reads_files_relative_to_datadir_and_not_recursively(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "bitcoin.conf").write_text("includeconf=extra.conf\n")
    (tmp_path / "extra.conf").write_text("rpcuser=bob\nincludeconf=third.conf\n")
    (tmp_path / "third.conf").write_text("rpcpassword=never\n")
    args = node_args(tmp_path)
    args.ParseParameters(["bitcoind", f"-datadir={tmp_path}"])
    assert args.ReadConfigFiles() == (True, "")
    assert args.GetArg("-rpcuser", "") == "bob"
    assert not args.IsArgSet("-rpcpassword")
    assert capsys.readouterr().err == (
        "warning: -includeconf cannot be used from included files; ignoring "
        "-includeconf=third.conf\n"
    )


def test_missing_includeconf_and_explicit_conf_are_errors(tmp_path: Path) -> None:
    (tmp_path / "bitcoin.conf").write_text("includeconf=missing.conf\n")
    args = node_args(tmp_path)
    args.ParseParameters(["bitcoind", f"-datadir={tmp_path}"])
    assert args.ReadConfigFiles() == (False, "Failed to include configuration file missing.conf")

    args = node_args(tmp_path)
    args.ParseParameters(["bitcoind", f"-datadir={tmp_path}", "-conf=nothere.conf"])
    assert args.ReadConfigFiles() == (
        False,
        f'specified config file "{tmp_path / "nothere.conf"}" could not be opened.',
    )


def test_noconf_reads_no_config_file(tmp_path: Path) -> None:
    (tmp_path / "bitcoin.conf").write_text("rpcuser=alice\n")
    args = node_args(tmp_path)
    args.ParseParameters(["bitcoind", f"-datadir={tmp_path}", "-noconf"])
    assert args.ReadConfigFiles() == (True, "")
    assert args.GetConfigFilePath() is None
    assert not args.IsArgSet("-rpcuser")


# --- chain selection ------------------------------------------------------------------------------


def test_regtest_is_the_default_chain() -> None:
    args = node_args(Path("."))
    args.ParseParameters(["bitcoind"])
    assert args.GetChainType() == ChainType.REGTEST
    args.ParseParameters(["bitcoind", "-regtest"])
    assert args.GetChainType() == ChainType.REGTEST
    args.ParseParameters(["bitcoind", "-chain=regtest"])
    assert args.GetChainTypeString() == "regtest"


@pytest.mark.parametrize(
    ("argv", "error"),
    [
        (["-testnet"], "Chain test is not supported: netsplit runs regtest only. Use -regtest "
         "(the default) or -chain=regtest."),
        (["-signet"], "Chain signet is not supported: netsplit runs regtest only. Use -regtest "
         "(the default) or -chain=regtest."),
        (["-chain=main"], "Chain main is not supported: netsplit runs regtest only. Use -regtest "
         "(the default) or -chain=regtest."),
        (["-chain=foo"], "Unknown chain foo."),
        (["-regtest", "-testnet4"], "Invalid combination of -regtest, -signet, -testnet, "
         "-testnet4 and -chain. Can use at most one."),
    ],
)  # fmt: skip
def test_other_chains_are_a_clear_error(argv: list[str], error: str) -> None:
    args = node_args(Path("."))
    assert args.ParseParameters(["bitcoind", *argv]) == (True, "")
    with pytest.raises(RuntimeError) as excinfo:
        args.GetChainType()
    assert str(excinfo.value) == error


# --- data directory, InitConfig, settings.json ----------------------------------------------------


def test_datadir_is_normalized(tmp_path: Path) -> None:
    args = ArgsManager()
    args.ForceSetArg("-datadir", str(tmp_path))
    dd_norm = args.GetDataDirBase()
    for suffix in ("/", "/.", "/./", "/.//"):
        args.ForceSetArg("-datadir", str(dd_norm) + suffix)
        args.ClearPathCache()
        assert args.GetDataDirBase() == dd_norm
    assert args.GetDataDirNet() == tmp_path / "regtest"


def test_datadir_that_does_not_exist_is_an_error(tmp_path: Path) -> None:
    args = node_args(tmp_path)
    args.ParseParameters(["bitcoind", f"-datadir={tmp_path / 'nope'}"])
    assert not CheckDataDirOption(args)
    assert args.GetDataDirBase() is None
    error = InitConfig(args)
    assert error is not None
    assert error.message == f'Specified data directory "{tmp_path / "nope"}" does not exist.'


def test_initconfig_creates_the_network_datadir_and_settings_file(tmp_path: Path) -> None:
    datadir = tmp_path / "node"
    datadir.mkdir()
    args = node_args(datadir)
    args.ParseParameters(["bitcoind", f"-datadir={datadir}"])
    assert InitConfig(args) is None
    assert (datadir / "regtest").is_dir()
    settings = (datadir / "regtest" / "settings.json").read_text()
    assert settings == (
        "{\n"
        '    "_warning_": "This file is automatically generated and updated by Bitcoin Core. '
        "Please do not edit this file while the node is running, as any changes might be "
        'ignored or overwritten."\n'
        "}\n"
    )


def test_settings_json_values_sit_between_command_line_and_config(tmp_path: Path) -> None:
    (tmp_path / "regtest").mkdir()
    (tmp_path / "regtest" / "settings.json").write_text('{"rpcuser": "fromsettings"}')
    (tmp_path / "bitcoin.conf").write_text("rpcuser=fromconf\nrpcpassword=pw\n")
    args = node_args(tmp_path)
    args.ParseParameters(["bitcoind", f"-datadir={tmp_path}"])
    assert InitConfig(args) is None
    assert args.GetArg("-rpcuser", "") == "fromsettings"
    assert args.GetPersistentSetting("rpcpassword") == "pw"


def test_duplicate_key_in_settings_json_fails_initconfig(tmp_path: Path) -> None:
    (tmp_path / "regtest").mkdir()
    path = tmp_path / "regtest" / "settings.json"
    path.write_text('{"a": 1, "a": 2}')
    args = node_args(tmp_path)
    args.ParseParameters(["bitcoind", f"-datadir={tmp_path}"])
    error = InitConfig(args)
    assert error is not None
    assert (error.message, error.details) == (
        "Settings file could not be read",
        [f"Found duplicate key a in settings file {path}"],
    )


def test_log_args_masks_sensitive_values() -> None:
    args = node_args(Path("."))
    args.ParseParameters(["bitcoind", "-rpcuser=alice", "-rpcpassword=secret", "-listen=0"])
    lines: list[str] = []
    logger = node_logging.LogInstance()
    handle = logger.PushBackCallback(lines.append)
    try:
        args.LogArgs()
    finally:
        logger.DeleteCallback(handle)
    messages = [line.split(" ", 1)[1] if line[:4].isdigit() else line for line in lines]
    assert messages == [
        'Command-line arg: listen="0"\n',
        "Command-line arg: rpcpassword=****\n",
        "Command-line arg: rpcuser=****\n",
    ]


# --- help -----------------------------------------------------------------------------------------


def test_help_message_layout_wraps_at_79_columns() -> None:
    assert HelpMessageGroup("RPC server options:") == "RPC server options:\n\n"
    assert HelpMessageOpt("-rpcuser=<user>", "Username for JSON-RPC connections") == (
        "  -rpcuser=<user>\n       Username for JSON-RPC connections\n\n"
    )
    text = (
        "Bind to given address to listen for JSON-RPC connections. Do not expose the RPC "
        "server to untrusted networks such as the public internet!"
    )
    assert HelpMessageOpt("-rpcbind=<addr>[:port]", text) == (
        "  -rpcbind=<addr>[:port]\n"
        "       Bind to given address to listen for JSON-RPC connections. Do not expose\n"
        "       the RPC server to untrusted networks such as the public internet!\n\n"
    )


def test_help_message_groups_sorts_and_hides_debug_options() -> None:
    args = ArgsManager()
    SetupHelpOptions(args)
    args.AddArg("-zeta", "Last.", ANY, OptionsCategory.OPTIONS)
    args.AddArg("-rpcport=<port>", "Port.", ANY, OptionsCategory.RPC)
    args.AddArg("-hidden-debug", "Debug.", ANY | ArgsManager.DEBUG_ONLY, OptionsCategory.RPC)
    args.AddArg("-help-debug", "Debug help.", ANY, OptionsCategory.DEBUG_TEST)
    assert args.GetHelpMessage() == (
        "Options:\n\n"
        "  -help\n       Print this help message and exit (also -h or -?)\n\n"
        "  -zeta\n       Last.\n\n"
        "Debugging/Testing options:\n\n"
        "  -help-debug\n       Debug help.\n\n"
        "RPC server options:\n\n"
        "  -rpcport=<port>\n       Port.\n\n"
    )
    args.ParseParameters(["x", "-help-debug"])
    assert "  -hidden-debug\n       Debug.\n\n" in args.GetHelpMessage()


def test_soft_set_does_not_override_and_force_set_does() -> None:
    args = make_args("-server", "-listen")
    args.ParseParameters(["x", "-listen=0"])
    assert args.SoftSetBoolArg("-listen", True) is False
    assert args.GetBoolArg("-listen", True) is False
    assert args.SoftSetBoolArg("-server", True) is True
    assert args.GetBoolArg("-server", False) is True
    args.ForceSetArg("-listen", "1")
    assert args.GetBoolArg("-listen", False) is True
    args.ForceSetArg("-bind", ["127.0.0.1", "::1"])
    assert args.GetArgs("-bind") == ["127.0.0.1", "::1"]


def test_default_datadir_is_not_bitcoinds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", "/home/alice")
    args = ArgsManager()
    assert args.GetDataDirBase() == Path("/home/alice/.netsplit")
    assert str(args.GetDataDirNet()) == "/home/alice/.netsplit/regtest"
