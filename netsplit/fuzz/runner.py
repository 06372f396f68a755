"""The fuzzing process: ``python -m netsplit.fuzz.runner TARGET VARIANT [libFuzzer args]``.

``netsplit fuzz`` starts this in a subprocess because atheris.Fuzz never returns (libFuzzer
exits the process) and because coverage instrumentation must be in place before the code it
watches is imported: common/ and the variant's package are imported under
atheris.instrument_imports, the harness and the targets are not.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str]) -> int:
    import atheris

    if len(argv) < 2:
        print("usage: python -m netsplit.fuzz.runner TARGET VARIANT [libFuzzer args]")
        return 2
    target_name, variant_name, *fuzzer_args = argv
    from netsplit.diff.variant import resolve

    spec = resolve(variant_name)
    with atheris.instrument_imports(include=["common", spec.package]):
        from netsplit.fuzz import targets

        targets.variant_named(variant_name)
    target = targets.TARGETS[target_name]

    def test_one_input(data: bytes) -> None:
        target(data, variant_name)

    atheris.Setup([sys.argv[0], *fuzzer_args], test_one_input)
    atheris.Fuzz()
    return 0  # not reached: libFuzzer exits the process


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
