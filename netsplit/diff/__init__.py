"""The differential harness: run scenarios against two node variants and compare what the
outside world sees (``netsplit diff``).

* :mod:`.scenario` — events and scenarios as plain data, JSON for replay files;
* :mod:`.frames` — wire frames, well-formed and malformed, and a tolerant decoder;
* :mod:`.variant` / :mod:`.stages` — which variant, loaded by package name;
* :mod:`.adapter` / :mod:`.driver` — a single-threaded node run producing a :mod:`.trace`;
* :mod:`.compare` / :mod:`.report` / :mod:`.render` — the first divergence, as data and text;
* :mod:`.strategies` / :mod:`.machine` / :mod:`.directed` — scenario generation;
* :mod:`.campaign` / :mod:`.command` — the ``netsplit diff`` command;
* :mod:`.mutants` — semantic mutations of a variant, to measure the harness's power.
"""
