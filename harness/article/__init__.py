"""Article mode: the YAML of any Markdown article, checked as written.

One module per step, data flowing one way:

- :mod:`.extract` Markdown -> snippets (fenced YAML blocks; YAML a CMS
  flattened into one paragraph, re-indented by :mod:`.flat` with the field
  structure of :mod:`.schema`; manifests shell blocks pipe into kubectl, read
  by :mod:`.shell`; kubectl one-liners turned into objects by
  :mod:`.commands`; included files, resolved by :mod:`.includes`), each with
  the article line it starts on and the line of each of its documents;
- :mod:`.steps` identical snippets once, versions of one object as steps;
- :mod:`.derive` a snippet -> what it needs provisioned (echo backends,
  Secrets, a Gateway, address pools) and the checks its objects promise, as
  expectation rows; or the reason it is a bad snippet. Pure: no cluster. Its
  parts: :mod:`.model` (the types), :mod:`.matching` (which rule takes a
  request), :mod:`.subjects` (which controllers check it, classes mapped),
  :mod:`.bad`, :mod:`.rows`, :mod:`.ingress`, :mod:`.gateway`,
  :mod:`.services`, :mod:`.environment` (requested addresses, pools, sharing
  keys mapped into the run's);
- :mod:`.article_plan` the whole article planned (``--plan``, its JSON),
  :mod:`.matrix` the subjects from the controller addons, :mod:`.supply` the
  objects a plan asks the run to make;
- :mod:`.run` provisions, applies and verifies one snippet on one controller;
- :mod:`.report` the per-snippet report (``article-report.md`` and ``.json``);
- :mod:`.pytest_plugin` the ``--article`` option; ``suites/article/`` the
  suite that runs it; :mod:`.cli` ``python -m harness article PATH.md``.
"""
