# Terminals of the course's JupyterLab (kmslab.lab.terminal_command). A login shell's set-up
# first, as JupyterLab would run it; then the course's Python environment first on PATH, so
# that `python -m kmslab serve` and `aws` are the course's even after a profile resets PATH
# or activates another conda environment.
if [ -r /etc/profile ]; then . /etc/profile; fi
for profile in ~/.bash_profile ~/.bash_login ~/.profile; do
    if [ -r "$profile" ]; then . "$profile"; break; fi
done
if [ -n "$KMSLAB_ENV_BIN" ]; then
    PATH="$KMSLAB_ENV_BIN:$PATH"
    export PATH
    hash -r
fi
