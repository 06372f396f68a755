"""libcst's CodemodTest, plus the two assertions every migration codemod owes: applying it twice
equals applying it once, and a site it cannot resolve is an error that names the line."""

from __future__ import annotations

import textwrap
from typing import Any

import libcst as cst
from libcst.codemod import CodemodContext, CodemodTest, SkipFile

from migration.adapters.codemods import CodemodError


class MigrationCodemodTest(CodemodTest):
    def apply(self, source: str, **args: object) -> str:
        """The codemod's output; a file it skips as untouched comes back unchanged."""
        transform = self.TRANSFORM(CodemodContext(), **args)
        module = cst.parse_module(textwrap.dedent(source))
        try:
            return transform.transform_module(module).code
        except SkipFile:
            return module.code

    def assertIdempotent(self, source: str, **args: object) -> None:
        once = self.apply(source, **args)
        twice = self.apply(once, **args)
        self.assertEqual(once, twice)

    def assertMigrates(self, before: str, after: str, **args: object) -> None:
        """libcst's assertCodemod, with the codemod's arguments."""
        codemod_args: dict[str, Any] = dict(args)
        self.assertCodemod(before, after, **codemod_args)

    def assertNoChange(self, source: str, **args: object) -> None:
        self.assertMigrates(source, source, **args)

    def assertFails(self, source: str, *fragments: str, **args: object) -> list[str]:
        with self.assertRaises(CodemodError) as caught:
            self.apply(source, **args)
        for fragment in fragments:
            self.assertTrue(
                any(fragment in p for p in caught.exception.problems),
                f"{fragment!r} not in {caught.exception.problems}",
            )
        return caught.exception.problems
