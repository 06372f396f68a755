"""Layering contracts for import-linter that imports alone cannot express.

``.importlinter`` registers the contract types defined here (``contract_types``):

- ``forbidden_names`` (:mod:`contracts.forbidden_names`): a module never names an identifier,
  whether or not it imports it (``split.net_processing`` never names ``CNode``);
- ``no_foreign_method_calls`` (:mod:`contracts.foreign_calls`): a module never calls a method
  that only another layer's class has (``split.net_processing`` never calls ``x.GetId()`` while
  ``GetId`` is CNode's and not its own).

:mod:`contracts.config` reads ``.importlinter`` (including the contracts still marked pending)
and :mod:`contracts.check` runs a configuration in-process, which is how the migration toolkit
checks the same contracts against every stage of the stack. ``docs/contracts.md`` says what each
contract means and how to add one.
"""
