"""The migration's codemods, as libcst ``CodemodCommand`` classes.

Each runs from our engine and from libcst's own tool, e.g.::

    python -m libcst.tool codemod -x --no-format -j 1 \\
        migration.adapters.codemods.MoveField --fields m_bip152_highbandwidth_to --stats legacy

Every file of the package is indexed before the first one is transformed, so a codemod working
on net_processing.py knows what CNode in net.py looked like before the step.
"""

from __future__ import annotations

from .base import CodemodError, PackageCodemod
from .class_members import RemoveMethod, RenameMember
from .duplicate_field import DuplicateField
from .move_field import MoveField
from .route_through_connman import RouteThroughConnman

#: The codemods a plan step may name.
CODEMODS: dict[str, type[PackageCodemod]] = {
    cls.__name__: cls
    for cls in (MoveField, DuplicateField, RouteThroughConnman, RemoveMethod, RenameMember)
}

__all__ = [
    "CODEMODS",
    "CodemodError",
    "DuplicateField",
    "MoveField",
    "PackageCodemod",
    "RemoveMethod",
    "RenameMember",
    "RouteThroughConnman",
]
