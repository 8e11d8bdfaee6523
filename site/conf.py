"""Sphinx configuration of the course's static site: `make docs` builds it into build/site/.

The sources are the project's own files, read where they live (the source folder is the project
root; include_patterns picks the pages): the committed notebooks as nbval last checked them
(never re-executed), the lab starters and solutions, docs/*.md, and the few pages in site/.
"""
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "_ext"))  # the site's own small extensions

project = "kmslab"
html_title = "kmslab"
root_doc = "site/index"
extensions = ["myst_nb", "sphinx_copybutton", "kmslab_site", "kmslab_quiz"]

include_patterns = ["site/*.md", "notebooks/*.ipynb", "labs/*.ipynb", "labs/solutions/*.ipynb", "docs/*.md"]
exclude_patterns = [".*", "build", "node_modules", "**/.ipynb_checkpoints"]

# Render the committed outputs; never run a notebook here.
nb_execution_mode = "off"
# Markdown outputs (quiz feedback) are read as MyST, so their links to lessons resolve like any other.
nb_render_markdown_format = "myst"
# No MyST extensions: no dollarmath, since the course has no maths and "$3" is money.
myst_enable_extensions = []
myst_heading_anchors = 6
nitpicky = True

html_theme = "sphinx_book_theme"
# The theme's header already has the search field: the sidebar keeps the title and the pages.
html_sidebars = {"**": ["navbar-logo.html", "icon-links.html", "sbt-sidebar-nav.html"]}
html_static_path = ["_static"]
html_extra_path = ["_root"]          # build/site/index.html forwards to the landing page
html_css_files = ["kmslab.css"]
html_js_files = ["kmslab-quiz.js"]
html_copy_source = False
html_show_sourcelink = False
html_show_search_summary = False     # summaries are fetched, which file:// pages may not do
html_context = {"default_mode": "auto"}   # light or dark, as the reader's system prefers

# Links to repository files that are not pages: to this repository when set (CI sets it), else plain text.
kmslab_repository_url = os.environ.get("KMSLAB_REPOSITORY_URL", "")
kmslab_repository_branch = os.environ.get("KMSLAB_REPOSITORY_BRANCH", "main")

html_theme_options = {
    "show_navbar_depth": 2,          # lessons with their labs open in the sidebar
    "home_page_in_toc": True,
    "use_download_button": False,
    "use_fullscreen_button": False,
    "repository_url": kmslab_repository_url,
    "use_repository_button": bool(kmslab_repository_url),
    "navigation_with_keys": False,
}

# make linkcheck (on a machine with internet): external links only; internal ones fail the html build.
linkcheck_timeout = 30
linkcheck_retries = 2
