# The course's JupyterLab settings (kmslab.lab.configure): terminals find the course's Python,
# notebooks open unmodified and save byte for byte, no news popup. `python -m kmslab lab` puts
# this folder on JUPYTER_CONFIG_PATH; a JupyterHub's single-user servers can do the same.
from kmslab.lab import configure

configure(c)  # noqa: F821 (`c` is the config object Jupyter passes to this file)
