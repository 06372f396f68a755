"""The pure core of the migration toolkit: the plan and its steps, the static model of a package
(classes, members, annotations), the census of CNode accesses and the layering debt, and the
verification report. Nothing here reads files, runs processes or imports libcst."""
