"""Article mode: the YAML of any Markdown article, checked as written.

One module per step, data flowing one way:

- :mod:`.extract` Markdown -> snippets (fenced YAML blocks, and YAML a CMS
  flattened into one paragraph, re-indented by :mod:`.flat` with the field
  structure of :mod:`.schema`), each with the line it starts on;
- :mod:`.derive` a snippet -> what it needs provisioned (echo backends,
  Secrets, a Gateway) and the checks its objects promise, as expectation rows;
  or the reason it is a bad snippet. Pure: no cluster;
- :mod:`.run` provisions, applies and verifies one snippet on one controller;
- :mod:`.report` the per-snippet report (``article-report.md`` and ``.json``);
- :mod:`.pytest_plugin` the ``--article`` option; ``suites/article/`` the
  suite that runs it; :mod:`.cli` ``python -m harness article PATH.md``.
"""
