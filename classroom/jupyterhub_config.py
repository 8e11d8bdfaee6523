"""The course's settings for a JupyterHub; the hub's own (login, spawner, proxy) stay the hub's.

- Each learner's server starts with `kmslab hub-singleuser`: running as the learner, it copies the
  lessons and labs they do not have yet into ~/kmslab (never over a file they have, so their work
  survives logins and course updates), then becomes jupyterhub-singleuser, rooted there.
- JupyterLab opens on lesson 00.
- Each learner's kernels are their own processes, so each has their own in-process sandbox;
  `python -m kmslab serve` and sandbox.start("endpoint") take a free port the system picks, so
  learners' endpoints never collide.

The Littlest JupyterHub: copy this file to /opt/tljh/config/jupyterhub_config.d/kmslab.py, then
`sudo tljh-config reload`. Any other hub: `load_subconfig("<clone>/classroom/jupyterhub_config.py")`
in its jupyterhub_config.py. Zero to JupyterHub: classroom/values.yaml says the same in Helm values.
"""

c = get_config()  # noqa: F821 (JupyterHub provides it)

# `kmslab` is the course's command, installed beside jupyterhub-singleuser in the learners' environment.
c.Spawner.cmd = ["kmslab", "hub-singleuser"]
c.Spawner.default_url = "/lab/tree/notebooks/00_start_here.ipynb"
