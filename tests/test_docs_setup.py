"""How the docs site is built and published, checked without building it (fast; part of make test)."""
from __future__ import annotations

import re
import subprocess

import yaml

from kmslab.notebooks import ROOT

README = (ROOT / "README.md").read_text()


def test_the_pages_workflow_runs_only_the_readmes_commands_then_the_standard_pages_actions():
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "docs.yml").read_text())
    steps = [step for job in workflow["jobs"].values() for step in job["steps"]]
    assert [s["run"] for s in steps if "run" in s] == ["make test", "make docs"]
    uses = [s["uses"].split("@")[0] for s in steps if "uses" in s]
    assert uses == ["actions/checkout", "actions/setup-python", "actions/upload-pages-artifact",
                    "actions/deploy-pages"]
    assert "`make test`" in README and "`make docs`" in README


def test_ci_builds_the_site_after_the_tests_then_opens_it():
    ci = (ROOT / ".ci" / "run").read_text()
    assert ci.index("make test") < ci.index("make docs\n") < ci.index("make docs-test")


def test_make_docs_builds_from_clean_with_warnings_as_errors_and_never_executes():
    docs = subprocess.run(["make", "-n", "docs"], cwd=ROOT, capture_output=True, text=True).stdout
    assert "rm -rf build/site" in docs and re.search(r"-m sphinx .* -W --keep-going", docs)
    conf = (ROOT / "site" / "conf.py").read_text()
    assert 'nb_execution_mode = "off"' in conf and "myst_enable_extensions = []" in conf


def test_the_readme_marks_what_the_landing_page_includes():
    for part in ("intro", "course-table"):
        assert README.count(f"<!-- site:{part}:start -->") == README.count(f"<!-- site:{part}:end -->") == 1
